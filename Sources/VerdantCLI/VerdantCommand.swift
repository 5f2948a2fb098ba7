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
        discussion: "JSON shapes of every --json output are documented in docs/cli.md.\nExample: verdant status",
        version: "0.1.0",
        subcommands: [Submit.self, Jobs.self, Show.self, Logs.self, Cancel.self, Plan.self, Simulate.self, Bench.self, Status.self, Report.self, Sensors.self, Model.self, Intensity.self, Forecast.self,
                      Doctor.self, Config.self])

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
        discussion: "Example: verdant submit --name digits-train --kind training --deadline 12h --expected-duration 1h -- python3 train.py\nExample: verdant submit --kind inference -- echo hello")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Job name; earlier runs with the same name and kind predict its duration and energy.")
    var name: String?
    @Option(help: "inference, training or batch (default: batch).")
    var kind: String?
    @Option(help: "A duration from now (6h, PT6H) or an ISO-8601 instant. Default: the kind's policy.")
    var deadline: String?
    @Option(name: .customLong("expected-duration"),
            help: "How long the job runs (30m, 2h): the cold start, used until the job has a finished run. Default: the kind's policy.")
    var expectedDuration: String?
    @Option(help: "Cores the job needs (checked against the daemon's max-cores-per-job).")
    var cores: Int?
    @Option(help: "GPUs the job needs; it gets them through CUDA_VISIBLE_DEVICES and is charged their energy (checked against max-gpus-per-job).")
    var gpus: Int?
    @Option(name: .customLong("size"), parsing: .singleValue,
            help: ArgumentHelp("A size field the job's work scales with, NAME=VALUE (repeatable), e.g. --size epochs=10.",
                               discussion: "Earlier runs with the same name, kind, command and size names predict its energy and duration, scaled with the product of the sizes.",
                               valueName: "name=value"))
    var size: [String] = []
    @Option(help: "Slurm partition (executor slurm; default: the cluster's default partition).")
    var partition: String?
    @Option(name: [.customLong("memory"), .customLong("mem")],
            help: "Memory the job needs, e.g. 4G, 500M or 512 (MiB): K/M/G/T suffixes are binary, M by default. The planner keeps the node's capacity-memory-gib; systemd executor: MemoryMax=; slurm: sbatch --mem.")
    var mem: String?
    @Flag(help: "The job may be paused between cleaner run intervals (default: its kind's policy).")
    var interruptible = false
    @Option(name: .customLong("checkpoint-signal"),
            help: "Checkpoint and restart instead of freezing (implies --interruptible): at the end of each run interval the job gets this signal (SIGUSR1, USR2, …), saves its progress and exits; it is started again at its next interval with VERDANT_RESTART_COUNT set.")
    var checkpointSignal: String?
    @Option(name: .customLong("checkpoint-grace"), help: "Time the job has to exit after its checkpoint signal before SIGTERM (default 30s).")
    var checkpointGrace: String?
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
        if let g = gpus, g < 0 { throw ValidationError("--gpus must be 0 or more, got \(g)") }
        if let m = mem, BatchResources.mebibytes(parsing: m) == nil {
            throw ValidationError("--memory '\(m)' is not a memory size: use e.g. 4G, 500M or 512 (MiB)")
        }
        if let s = checkpointSignal, CheckpointSignal.parse(s) == nil {
            throw ValidationError("--checkpoint-signal '\(s)' is not a signal a job can catch: use e.g. SIGUSR1, SIGUSR2, SIGINT or SIGTERM")
        }
        if checkpointGrace != nil && checkpointSignal == nil { throw ValidationError("--checkpoint-grace needs --checkpoint-signal") }
        if let d = expectedDuration, DurationSyntax.parseSeconds(d) == nil {
            throw ValidationError("--expected-duration '\(d)' is not a duration: use e.g. 90s, 30m, 2h or PT2H")
        }
        _ = try sizes()
    }

    /// The `--size` declarations as a dictionary.
    /// - Throws: `ValidationError` for a malformed or repeated field.
    func sizes() throws -> [String: Double]? {
        guard !size.isEmpty else { return nil }
        var out: [String: Double] = [:]
        for text in size {
            do {
                let (name, value) = try JobSizeSyntax.parse(text)
                guard out[name] == nil else { throw ValidationError("--size \(name) is given twice: give each size once") }
                out[name] = value
            } catch let e as JobSizeError {
                throw ValidationError(e.description)
            }
        }
        do { try JobSizeSyntax.validate(out) } catch let e as JobSizeError { throw ValidationError(e.description) }
        return out
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }.sorted()
        var request = SubmitRequest(name: name, kind: kind, deadline: deadline, expectedDuration: expectedDuration,
                                    command: command, workingDirectory: FileManager.default.currentDirectoryPath,
                                    environment: env, cores: cores, gpus: gpus, sizes: try sizes(),
                                    partition: partition, memory: mem)
        request.interruptible = interruptible ? true : nil
        request.checkpointSignal = checkpointSignal
        request.checkpointGrace = checkpointGrace
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
    static let configuration = CommandConfiguration(abstract: "List your jobs (root and the admin group see all).",
        discussion: "Example: verdant jobs --json")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let jobs = try await withDaemon { try await global.client.jobs() }
        if json { try printJSON(jobs) } else { print(Tables.jobs(jobs)) }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one job, with its energy and carbon once it has run.",
        discussion: "Example: verdant show 1")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let job = try await withDaemon { try await global.client.job(id: id) }
        if json { try printJSON(job) } else { print(Tables.detail(job)) }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A job's output: the journal of its unit (systemd executor) or its log file (cgroup executor).",
        discussion: "Example: verdant logs 2")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON ({id, source, text}).") var json = false

    func run() async throws {
        let log = try await withDaemon { try await global.client.logs(id: id) }
        if json { try printJSON(log) } else { print(log.text, terminator: log.text.hasSuffix("\n") || log.text.isEmpty ? "" : "\n") }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job.",
        discussion: "Example: verdant cancel 1")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let job = try await withDaemon { try await global.client.cancel(id: id) }
        if json { try printJSON(job) } else { print("job \(job.id): \(job.state)\(job.state == "running" ? " (terminating)" : "")") }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queued and running jobs: chosen window, predicted carbon (planned, run now, perfect forecast) and the reason.",
        discussion: "Example: verdant plan")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let jobs = try await withDaemon { try await global.client.plan() }
        if json { try printJSON(jobs) } else { print(Tables.plan(jobs)) }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The daemon's clock, sensors, intensity source and queue.",
        discussion: "Example: verdant status --json")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let s = try await withDaemon { try await global.client.status() }
        if json { try printJSON(s); return }
        let replay = s.replaySpeed.map { " (replay at \(Tables.number($0))x)" } ?? ""
        print("""
            verdantd \(s.version), state in \(s.stateDirectory)
            now:        \(Tables.time(s.now))\(replay)
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
