import ArgumentParser
import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore

/// `verdant doctor [--json]`: what Verdant can and cannot see on this machine, and what to do about it.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check this machine and the daemon: energy counters, cgroups, systemd, state, database, intensity, clock, model.",
        discussion: """
            Each check is ok, warning or error with the exact fix. Exit status 1 when any check is an error.
            Example: verdant doctor
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON: {checks: [{name, status, summary, fix}], ok, warnings, errors}.") var json = false
    @Option(name: .customLong("powercap-root"), help: "Root of the powercap tree.") var powercapRoot = "/sys/class/powercap"
    @Option(name: .customLong("perf-power-root"), help: "perf_event power PMU folder; empty skips perf.")
    var perfPowerRoot = "/sys/bus/event_source/devices/power"
    @Option(name: .customLong("proc-root"), help: "Root of procfs.") var procRoot = "/proc"
    @Option(name: .customLong("cgroup-root"), help: "Root of the cgroup mounts.") var cgroupRoot = "/sys/fs/cgroup"

    func run() async throws {
        let checks = await Self.checks(gatherer: DoctorFactsGatherer(powercapRoot: powercapRoot, perfPowerRoot: perfPowerRoot,
                                                                    procRoot: procRoot, cgroupRoot: cgroupRoot),
                                       client: global.client, stateDirectory: global.resolvedStateDirectory)
        if json {
            let rows = checks.map { c -> [String: Any] in
                ["name": c.name, "status": c.status.rawValue, "summary": c.summary, "fix": c.fix ?? NSNull()]
            }
            try printJSONObject(["checks": rows, "ok": checks.filter { $0.status == .ok }.count,
                                 "warnings": checks.filter { $0.status == .warning }.count,
                                 "errors": checks.filter { $0.status == .error }.count])
        } else {
            print(Self.render(checks, style: .current()))
        }
        let status = DoctorRules.exitStatus(checks)
        if status != 0 { throw ExitCode(status) }
    }

    /// Gathers the facts and judges them, in the order shown.
    static func checks(gatherer g: DoctorFactsGatherer, client: DaemonClient, stateDirectory: String) async -> [DoctorCheck] {
        var out = DoctorRules.energy(g.energy())
        out.append(DoctorRules.cgroup(g.cgroup()))
        out.append(DoctorRules.systemd(g.systemd()))
        var status: StatusView?
        var daemonError: String?
        do { status = try await client.status() } catch let e as ClientError { daemonError = e.message } catch { daemonError = "\(error)" }
        out.append(DoctorRules.daemon(version: status?.version, error: daemonError, clientVersion: VerdantCommand.configuration.version,
                                      stateDirectory: stateDirectory))
        out.append(DoctorRules.stateFolder(g.stateFolder(stateDirectory)))
        out.append(DoctorRules.database(g.database(stateDirectory: stateDirectory)))
        if let status {
            if let sources = try? await client.intensitySources() {
                out += DoctorRules.intensity(sources.map {
                    IntensityLinkFacts(name: $0.name, health: $0.health, lastError: $0.lastError, newestPointAgeSeconds: $0.newestPointAgeSeconds)
                })
            }
            do {
                let f = try await client.forecast(zone: nil, horizon: nil)
                out.append(DoctorRules.model(ModelFacts(forecastUsed: f.forecastUsed, reason: f.reason,
                                                        modelAgeSeconds: f.trainedAt.map { status.now.timeIntervalSince($0) },
                                                        backtestMAPE: f.backtestMAPE, seasonalNaiveMAPE: f.seasonalNaiveMAPE)))
            } catch {
                out.append(DoctorCheck("model", .warning, "the daemon gave no forecast: \((error as? ClientError)?.message ?? "\(error)")",
                                       fix: "see verdant forecast and the daemon's log; the planner uses the intensity chain meanwhile"))
            }
        } else {
            for name in ["intensity", "model"] {
                out.append(DoctorCheck(name, .warning, "not checked: verdantd is not reachable", fix: "start verdantd, then run verdant doctor again"))
            }
        }
        out.append(DoctorRules.clock(g.clock()))
        return out
    }

    /// The human rendering: a summary line, then one block per check, wrapped to the terminal.
    static func render(_ checks: [DoctorCheck], style: TerminalStyle) -> String {
        let errors = checks.filter { $0.status == .error }.count
        let warnings = checks.filter { $0.status == .warning }.count
        var lines: [String] = []
        for c in checks {
            let tag: String
            switch c.status {
            case .ok: tag = style.paint("ok     ", .green)
            case .warning: tag = style.paint("warning", .yellow)
            case .error: tag = style.paint("error  ", .red)
            }
            lines.append(tag + " " + style.paint(c.name, .bold))
            lines.append(style.wrap(c.summary, indent: 8))
            if let fix = c.fix { lines.append(style.wrap("fix: " + fix, indent: 13, firstIndent: 8)) }
        }
        lines.append("")
        lines.append("\(checks.count - errors - warnings) ok, \(warnings) warning\(warnings == 1 ? "" : "s"), \(errors) error\(errors == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}

extension GlobalOptions {
    /// `--state-dir`, else `$VERDANT_STATE_DIR`, else `./verdant-state` (as `client` resolves it).
    var resolvedStateDirectory: String {
        stateDirectory ?? ProcessInfo.processInfo.environment["VERDANT_STATE_DIR"] ?? "./verdant-state"
    }
}
