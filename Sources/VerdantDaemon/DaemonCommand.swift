import ArgumentParser
import Foundation
import Logging
import VerdantCore

/// `verdantd`: the daemon's command line. Every configuration key is also an option here, and an
/// option overrides the file.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct DaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verdantd",
        abstract: "Verdant's daemon: measures energy, plans jobs by carbon cost, runs them, logs to SQLite.",
        discussion: """
            Without --config it uses its embedded default configuration: state in ./verdant-state and a replay \
            of the bundled ENTSO-E trace of Germany (June 2020) at 360x. Every key is documented in docs/configuration.md.
            """,
        version: VerdantVersion.string,
        // Maintenance commands that write the state folder's database directly (issue 10); plain
        // `verdantd [options]` still runs the daemon.
        subcommands: [ImportIntensityCommand.self])

    @Option(name: .customLong("config"), help: "YAML configuration file (replaces the embedded default configuration).")
    var configFile: String?
    @Option(name: .customLong("state-dir"), help: "Folder for the database, job logs and the API socket.")
    var stateDirectory: String?
    @Option(name: .customLong("intensity-trace"), help: "CSV trace of grid intensity (header row; time, gCO2eq/kWh).")
    var intensityTrace: String?
    @Option(name: .customLong("intensity-zone"), help: "Grid zone name stored with the trace's points.")
    var intensityZone: String?
    @Option(name: .customLong("replay-speed"), help: "Trace seconds per real second; 0 turns replay off.")
    var replaySpeed: Double?
    @Option(name: .customLong("replay-start"), help: "Trace time (ISO-8601) at which replay starts.")
    var replayStart: String?
    @Option(name: .customLong("static-intensity"), help: "Fallback intensity in gCO2eq/kWh.")
    var staticIntensity: Double?
    @Option(name: .customLong("powercap-root"), help: "Root of the powercap tree.")
    var powercapRoot: String?
    @Option(name: .customLong("perf-power-root"), help: "perf_event power PMU folder; empty turns perf off.")
    var perfPowerRoot: String?
    @Option(name: .customLong("proc-root"), help: "Root of procfs.")
    var procRoot: String?
    @Option(name: .customLong("cgroup-root"), help: "Root of the cgroup mounts.")
    var cgroupRoot: String?
    @Option(name: .customLong("executor"), help: "How jobs run: auto (systemd when the host runs it, else cgroup), systemd, cgroup, or slurm (handed to a Slurm cluster; docs/slurm.md).")
    var executor: String?
    @Option(name: .customLong("sample-interval"), help: "Sampler period (e.g. 1s, 0.2s).")
    var sampleInterval: String?
    @Option(name: .customLong("flush-interval"), help: "How often buffered samples are written (e.g. 5s).")
    var flushInterval: String?
    @Option(name: .customLong("policy"), help: "Scheduling policy file (default: the built-in Policies/default.yaml).")
    var policy: String?
    @Option(name: .customLong("estimate-max-watts"), help: "Node power with all CPUs busy, for the estimate (W).")
    var estimateMaxWatts: Double?
    @Option(name: .customLong("estimate-idle-watts"), help: "Node power with all CPUs idle, for the estimate (W).")
    var estimateIdleWatts: Double?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String?
    @Option(name: .customLong("raw-retention"), help: "How long raw samples are kept (default 7d); rollups are kept for good.")
    var rawRetention: String?
    @Option(name: .customLong("metrics-address"), help: "Serve Prometheus /metrics on this loopback HOST:PORT (e.g. 127.0.0.1:9464).")
    var metricsAddress: String?
    @Option(name: .customLong("metrics-textfile"), help: "Also write the metrics to this .prom file for node_exporter's textfile collector.")
    var metricsTextfile: String?
    @Option(name: .customLong("slurm-conf"), help: "The Slurm cluster's slurm.conf (default: SLURM_CONF, else /etc/slurm/slurm.conf).")
    var slurmConf: String?
    @Option(name: .customLong("slurm-poll-interval"), help: "How often Slurm jobs are polled (e.g. 5s).")
    var slurmPollInterval: String?
    @Flag(name: .customLong("slurm-node-energy"), help: "Split this node's energy among the Slurm jobs running here, through their cgroups.")
    var slurmNodeEnergy = false
    @OptionGroup var intensityChainOptions: IntensityChainOptions
    @OptionGroup var accessOptions: AccessOptions
    @Flag(name: .customLong("dump-config"), help: "Print the configuration these options give, with each value's source, as JSON, and exit (verdant config dump shows it).")
    var dumpConfig = false
    @OptionGroup var capacityOptions: CapacityOptions

    public init() {}

    /// The effective configuration: defaults < file (or the embedded default) < options.
    /// - Throws: `ConfigurationError` or `ValidationError` naming the key, file and line.
    public func effectiveConfiguration() throws -> DaemonConfiguration {
        var c = DaemonConfiguration()
        if let path = configFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(file: path, line: nil, message: "cannot read the configuration file (missing, unreadable by this user or not UTF-8): check the path given to --config")
            }
            try c.apply(yaml: text, file: path)
        } else {
            try c.apply(yaml: DaemonConfiguration.embeddedDefault, file: "embedded default configuration")
        }
        if let v = stateDirectory { c.stateDirectory = v }
        if let v = intensityTrace { c.intensityTrace = v }
        if let v = intensityZone { c.intensityZone = v }
        if let v = replaySpeed {
            guard v >= 0 else { throw ValidationError("--replay-speed must be 0 (off) or positive, got \(v)") }
            c.replaySpeed = v
        }
        if let v = replayStart {
            guard let d = ISO8601.parse(v) else { throw ValidationError("--replay-start must be an ISO-8601 instant, got '\(v)'") }
            c.replayStart = d
        }
        if let v = staticIntensity {
            guard v >= 0 else { throw ValidationError("--static-intensity must not be negative (gCO2eq/kWh), got \(v)") }
            c.staticIntensity = v
        }
        if let v = powercapRoot { c.powercapRoot = v }
        if let v = perfPowerRoot { c.perfPowerRoot = v }
        if let v = procRoot { c.procRoot = v }
        if let v = cgroupRoot { c.cgroupRoot = v }
        if let v = executor {
            guard DaemonConfiguration.executors.contains(v) else { throw ValidationError("--executor must be auto, systemd, cgroup or slurm, got '\(v)'") }
            c.executor = v
        }
        if let v = sampleInterval {
            guard let s = DurationSyntax.parseSeconds(v) else { throw ValidationError("--sample-interval must be a duration such as 1s or 0.2s") }
            c.sampleIntervalSeconds = s
        }
        if let v = flushInterval {
            guard let s = DurationSyntax.parseSeconds(v) else { throw ValidationError("--flush-interval must be a duration such as 5s") }
            c.flushIntervalSeconds = s
        }
        if let v = policy { c.policyFile = v }
        if let v = estimateMaxWatts { c.estimateMaxWatts = v }
        if let v = estimateIdleWatts { c.estimateIdleWatts = v }
        if let v = logLevel { c.logLevel = v }
        if let v = rawRetention {
            guard let s = DurationSyntax.parseSeconds(v), s >= 3600 else { throw ValidationError("--raw-retention must be a duration of at least 1h, such as 7d") }
            c.rawRetentionSeconds = s
        }
        if let v = metricsAddress {
            guard DaemonConfiguration.isLoopbackAddress(v) else {
                throw ValidationError("--metrics-address must be a loopback HOST:PORT such as 127.0.0.1:9464 or [::1]:9464, got '\(v)'")
            }
            c.metricsAddress = v
        }
        if let v = metricsTextfile {
            guard v.hasSuffix(".prom") else { throw ValidationError("--metrics-textfile must end in .prom (node_exporter reads only those)") }
            c.metricsTextfile = v
        }
        if let v = slurmConf { c.slurmConf = v }
        if let v = slurmPollInterval {
            guard let s = DurationSyntax.parseSeconds(v), s > 0 else { throw ValidationError("--slurm-poll-interval must be a duration such as 5s") }
            c.slurmPollIntervalSeconds = s
        }
        if slurmNodeEnergy { c.slurmNodeEnergy = true }
        if staticIntensity != nil { c.intensityChain.staticIntensityGiven = true }
        try intensityChainOptions.apply(to: &c)
        try accessOptions.apply(to: &c)
        try capacityOptions.apply(to: &c)
        return c
    }

    public func run() async throws {
        let c: DaemonConfiguration
        do {
            if dumpConfig {
                try ConfigurationDump.printJSON(arguments: Array(CommandLine.arguments.dropFirst()))
                return
            }
            c = try effectiveConfiguration()
        } catch let e as ConfigurationError {
            FileHandle.standardError.write(Data("verdantd: error: \(e)\n".utf8))
            throw ExitCode(78)   // EX_CONFIG
        } catch let e as ValidationError {
            FileHandle.standardError.write(Data("verdantd: error: \(e.message)\n".utf8))
            throw ExitCode(78)
        }
        var logger = Logger(label: "verdantd")
        logger.logLevel = Logger.Level(rawValue: c.logLevel) ?? .info
        do {
            try await Daemon.run(configuration: c, logger: logger)
        } catch let e as ConfigurationError {
            FileHandle.standardError.write(Data("verdantd: error: \(e)\n".utf8))
            throw ExitCode(78)   // EX_CONFIG
        } catch let e as Daemon.StartupError {
            FileHandle.standardError.write(Data("verdantd: error: \(e)\n".utf8))
            throw ExitCode(73)   // EX_CANTCREAT
        } catch {
            FileHandle.standardError.write(Data("verdantd: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension DaemonCommand {
    /// Parses the process's arguments and runs the daemon. (Called from the executable's top-level
    /// code, where `main()` would resolve to the synchronous overload.)
    public static func runAsRoot() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
