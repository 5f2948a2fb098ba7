import ArgumentParser
import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore

/// `verdant`: the command-line client of `verdantd`.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct VerdantCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verdant",
        abstract: "Submit jobs to verdantd and read their plans, energy and carbon.",
        discussion: "JSON shapes of every --json output are documented in docs/cli.md.",
        version: "0.1.0",
        subcommands: [Submit.self, Jobs.self, Show.self, Cancel.self, Plan.self, Status.self, Report.self, Sensors.self, Intensity.self])

    public init() {}
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"),
            help: "verdantd's state folder (default: $VERDANT_STATE_DIR, else ./verdant-state).")
    var stateDirectory: String?

    var client: DaemonClient {
        DaemonClient(stateDirectory: stateDirectory
                     ?? ProcessInfo.processInfo.environment["VERDANT_STATE_DIR"]
                     ?? "./verdant-state")
    }
}

/// Runs a client call, turning its error into a message on stderr and exit status 1.
func withDaemon<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as ClientError {
        FileHandle.standardError.write(Data("verdant: error: \(e.message)\n".utf8))
        throw ExitCode(e.status == nil ? 69 : 1)   // 69 = EX_UNAVAILABLE
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let data = try APIJSON.encoder().encode(value)
    print(String(decoding: data, as: UTF8.self))
}

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a job; prints its id.",
        discussion: "Example: verdant submit --name digits-train --kind training --deadline 12h --expected-duration 1h -- python3 train.py")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Job name; earlier runs with the same name give its expected duration and energy.")
    var name: String?
    @Option(help: "inference, training or batch (default: batch).")
    var kind: String?
    @Option(help: "A duration from now (6h, PT6H) or an ISO-8601 instant. Default: the kind's policy.")
    var deadline: String?
    @Option(name: .customLong("expected-duration"), help: "How long the job runs (30m, 2h). Default: history, else the kind's policy.")
    var expectedDuration: String?
    @Option(help: "Slurm partition (executor slurm; default: the cluster's default partition).")
    var partition: String?
    @Option(help: "CPUs for the job (executor slurm: sbatch --cpus-per-task).")
    var cpus: Int?
    @Option(help: "Memory for the job in Slurm's syntax, e.g. 4G or 500M (executor slurm: sbatch --mem).")
    var mem: String?
    @Option(help: "GPUs for the job (executor slurm: sbatch --gres=gpu:N).")
    var gpus: Int?
    @Flag(help: "Print the job as JSON instead of its id.")
    var json = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after '--'.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("no command: give it after '--', e.g. verdant submit -- python3 train.py")
        }
        if let kind, JobKind(rawValue: kind) == nil {
            throw ValidationError("unknown --kind '\(kind)': use inference, training or batch")
        }
        if let d = expectedDuration, DurationSyntax.parseSeconds(d) == nil {
            throw ValidationError("--expected-duration '\(d)' is not a duration: use e.g. 90s, 30m, 2h or PT2H")
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }.sorted()
        let request = SubmitRequest(name: name, kind: kind, deadline: deadline, expectedDuration: expectedDuration,
                                    command: command, workingDirectory: FileManager.default.currentDirectoryPath,
                                    environment: env, partition: partition, cpusPerTask: cpus, memory: mem, gpus: gpus)
        let job = try await withDaemon { try await global.client.submit(request) }
        if json {
            try printJSON(job)
        } else {
            print(job.id)
            // A job the cluster refused or could not take yet: say so (the id is still printed first).
            if job.slurmState == "REFUSED" || job.slurmState == "UNSUBMITTED", let r = job.reason {
                FileHandle.standardError.write(Data("verdant: job \(job.id): \(r)\n".utf8))
            }
        }
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your jobs (root sees all).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let jobs = try await withDaemon { try await global.client.jobs() }
        if json { try printJSON(jobs) } else { print(Tables.jobs(jobs)) }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one job, with its energy and carbon once it has run.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let job = try await withDaemon { try await global.client.job(id: id) }
        if json { try printJSON(job) } else { print(Tables.detail(job)) }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let job = try await withDaemon { try await global.client.cancel(id: id) }
        if json { try printJSON(job) } else { print("job \(job.id): \(job.state)\(job.state == "running" ? " (terminating)" : "")") }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queued and running jobs with their planned starts and predicted carbon.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let jobs = try await withDaemon { try await global.client.plan() }
        if json { try printJSON(jobs) } else { print(Tables.jobs(jobs)) }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The daemon's clock, sensors, intensity source and queue.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let s = try await withDaemon { try await global.client.status() }
        if json { try printJSON(s); return }
        let replay = s.replaySpeed.map { " (replay at \(Tables.number($0))x)" } ?? ""
        print("""
            verdantd \(s.version), state in \(s.stateDirectory)
            now:        \(ISO8601.string(s.now))\(replay)
            energy:     \(s.energySource) from \(s.sensors.joined(separator: "; "))
            sources:    \(s.sources.map { "\($0.name): \($0.status)" }.joined(separator: "; "))\(s.sources.filter { $0.status.hasPrefix("unavailable: permission") }.map { "\n            fix:        \($0.detail)" }.joined())
            executor:   \(s.executor ?? "cgroup")
            cgroup:     \(s.cgroup)
            intensity:  \(Tables.number(s.intensity)) gCO2eq/kWh, zone \(s.intensityZone), from \(s.intensitySource)\(s.intensityKind.map { " [\($0) signal]" } ?? "")\(s.intensityIsFallback && !s.intensitySource.hasPrefix("static") ? " (fallback: no point covers now)" : "")
            jobs:       \(s.queued) queued, \(s.running) running; \(s.samples) energy samples stored
            """)
        if let e = s.executorStatus { print("executor:   \(e)") }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Energy and carbon of finished jobs, with totals.")
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }
    @OptionGroup var global: GlobalOptions
    @Option(help: "Jobs started at or after this instant (ISO-8601) or this long ago (24h).") var since: String?
    @Option(help: "Jobs started before this instant (ISO-8601) or this long ago.") var until: String?
    @Option(help: "table, csv or json.") var format: Format = .table

    func run() async throws {
        let r = try await withDaemon { try await global.client.report(since: since, until: until) }
        switch format {
        case .json: try printJSON(r)
        case .csv: print(Tables.reportCSV(r), terminator: "")
        case .table: print(Tables.report(r))
        }
    }
}

extension VerdantCommand {
    /// Parses the process's arguments and runs the chosen subcommand asynchronously. (Called from the
    /// executable's top-level code, where `main()` would resolve to the synchronous overload.)
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
