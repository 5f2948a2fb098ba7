import Foundation

// The port to a cluster batch scheduler (issue 9: Slurm). Unlike the local executor, which is
// handed a job when its planned start comes, a batch scheduler is handed the job at submission,
// with the planned start as its earliest begin time (`sbatch --begin`), and is then followed.

/// What Verdant hands a batch scheduler for one job. Times are real UTC instants (in replay mode the
/// daemon maps trace time onto real time before it submits: a cluster does not replay).
public struct BatchSubmission: Sendable, Hashable {
    /// `verdant-<id>`: how the job is found in `squeue` by its Verdant id.
    public var jobName: String
    /// argv; run through an `exec` line of a generated `/bin/sh` batch script.
    public var command: [String]
    public var workingDirectory: String
    /// `NAME=value`, exported to the job (`--export=ALL` of this environment).
    public var environment: [String]
    /// The submitting user and group; the job runs as them (`--uid`/`--gid` when the daemon is root).
    public var uid: UInt32
    public var gid: UInt32
    /// The planned start (`--begin`), whole seconds.
    public var begin: Date
    /// The job's deadline (`--deadline`): Slurm removes a job that cannot end by then.
    public var deadline: Date
    /// `--time`, whole minutes (`BatchTimeLimit.minutes`).
    public var timeLimitMinutes: Int
    public var resources: BatchResources
    /// Standard output and error of the job (`--output`), on the compute node.
    public var outputPath: String

    public init(jobName: String, command: [String], workingDirectory: String, environment: [String], uid: UInt32,
                gid: UInt32, begin: Date, deadline: Date, timeLimitMinutes: Int, resources: BatchResources, outputPath: String) {
        self.jobName = jobName
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.uid = uid
        self.gid = gid
        self.begin = begin
        self.deadline = deadline
        self.timeLimitMinutes = timeLimitMinutes
        self.resources = resources
        self.outputPath = outputPath
    }
}

/// Resources a cluster job asks for; `nil` = the cluster's default.
public struct BatchResources: Sendable, Hashable, Codable {
    /// `--partition`.
    public var partition: String?
    /// `--cpus-per-task`.
    public var cpusPerTask: Int?
    /// `--mem`, in MiB (Slurm's `M` suffix is mebibytes).
    public var memoryMebibytes: Int?
    /// `--gres=gpu:N`.
    public var gpus: Int?

    enum CodingKeys: String, CodingKey {
        case partition
        case cpusPerTask = "cpus_per_task"
        case memoryMebibytes = "mem_mib"
        case gpus
    }

    /// Reads a memory size in Slurm's `--mem` syntax: a whole number with an optional suffix K, M, G
    /// or T (binary units; no suffix = M), e.g. `512`, `500M`, `4G` (sbatch(1), "--mem").
    /// - Returns: MiB (KiB rounded up), or `nil` when the text is not such a size or is 0.
    public static func mebibytes(parsing text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        var factor = 1.0
        let suffixes: [String: Double] = ["K": 1.0 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024]
        if let last = t.last, let f = suffixes[String(last)] {
            factor = f
            t.removeLast()
        }
        guard let v = Int(t), v > 0 else { return nil }
        return Int((Double(v) * factor).rounded(.up))
    }

    public init(partition: String? = nil, cpusPerTask: Int? = nil, memoryMebibytes: Int? = nil, gpus: Int? = nil) {
        self.partition = partition
        self.cpusPerTask = cpusPerTask
        self.memoryMebibytes = memoryMebibytes
        self.gpus = gpus
    }
}

/// Where a batch job is, as the scheduler reports it, mapped onto Verdant's job states.
public enum BatchJobPhase: String, Sendable, Hashable, Codable {
    /// Waiting in the cluster's queue (`PENDING`, `REQUEUED`, `SUSPENDED`…).
    case pending
    /// Allocated and running (`CONFIGURING`, `RUNNING`, `COMPLETING`…).
    case running
    /// Ended with exit code 0 (`COMPLETED`).
    case completed
    /// Ended otherwise: non-zero exit, time limit, deadline, out of memory, node failure.
    case failed
    /// `CANCELLED`.
    case cancelled

    /// The Verdant job state of a job in this phase.
    public var jobState: JobState {
        switch self {
        case .pending: .queued
        case .running: .running
        case .completed: .succeeded
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    public var isFinal: Bool { jobState.isFinal }
}

/// One batch job as the scheduler reports it. Times are real UTC instants.
public struct BatchJobStatus: Sendable, Hashable {
    public var id: Int64
    /// The scheduler's own state name, e.g. `PENDING`, `TIMEOUT`.
    public var state: String
    public var phase: BatchJobPhase
    /// Why it is in its state, e.g. `BeginTime`, `NonZeroExitCode` (`None` when none).
    public var reason: String?
    /// When it may start (`EligibleTime`: the `--begin` time for a pending job).
    public var eligibleAt: Date?
    /// The (expected, for a pending job) start and end.
    public var startAt: Date?
    public var endAt: Date?
    /// Run time so far or in all (s).
    public var elapsedSeconds: Double?
    public var exitCode: BatchExitCode?
    /// `ConsumedEnergyRaw` from accounting: energy of the job's nodes while it ran (node level: the
    /// job's own only when it had its nodes exclusively). `nil` when accounting does not gather it.
    public var consumedEnergy: EnergyJoules?

    public init(id: Int64, state: String, phase: BatchJobPhase, reason: String? = nil, eligibleAt: Date? = nil,
                startAt: Date? = nil, endAt: Date? = nil, elapsedSeconds: Double? = nil, exitCode: BatchExitCode? = nil,
                consumedEnergy: EnergyJoules? = nil) {
        self.id = id
        self.state = state
        self.phase = phase
        self.reason = reason
        self.eligibleAt = eligibleAt
        self.startAt = startAt
        self.endAt = endAt
        self.elapsedSeconds = elapsedSeconds
        self.exitCode = exitCode
        self.consumedEnergy = consumedEnergy
    }
}

/// A batch job's exit: Slurm's `ExitCode` field `status:signal` (e.g. `3:0`, `0:9`).
public struct BatchExitCode: Sendable, Hashable, CustomStringConvertible {
    /// The exit status of the batch script (0–255).
    public var status: Int32
    /// The signal that ended it, 0 when none.
    public var signal: Int32

    public init(status: Int32, signal: Int32) {
        self.status = status
        self.signal = signal
    }

    /// Parses `status:signal` (`sacct`/`scontrol` form).
    /// - Returns: `nil` when the text is not two non-negative integers separated by `:`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = Int32(parts[0]), let g = Int32(parts[1]), s >= 0, g >= 0 else { return nil }
        self.init(status: s, signal: g)
    }

    /// From a raw wait status as `squeue --json` gives it in `exit_code` (Slurm 22.05, openapi
    /// v0.0.38: the `waitpid` status word): exit status in bits 8–15, terminating signal in bits 0–6.
    /// Source: POSIX `WEXITSTATUS`/`WTERMSIG` in glibc's `bits/waitstatus.h`.
    public init(waitStatus w: Int64) {
        self.init(status: Int32((w >> 8) & 0xff), signal: Int32(w & 0x7f))
    }

    public var description: String { "\(status):\(signal)" }
}

/// Why a batch scheduler did not take a request.
public enum BatchSchedulerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The scheduler answered and said no (bad partition, over limits): final for this job.
    case refused(String)
    /// The scheduler could not be reached (controller down, timeout): try again later.
    case unreachable(String)
    /// The client tool is missing or printed something that could not be read.
    case failed(String)

    public var description: String {
        switch self {
        case .refused(let m): "refused: \(m)"
        case .unreachable(let m): "unreachable: \(m)"
        case .failed(let m): m
        }
    }
}

/// A cluster batch scheduler, as `JobRuntime` uses it (adapter: `VerdantSlurm.SlurmCLI`).
public protocol BatchScheduler: Sendable {
    /// The cluster's name (Slurm's `ClusterName`), recorded with each job.
    var clusterName: String { get async }
    /// Hands one job over; returns the scheduler's job id.
    /// - Throws: `BatchSchedulerError`.
    func submit(_ s: BatchSubmission) async throws -> Int64
    /// The state of each given job the scheduler still knows (a missing id is unknown to it).
    /// - Throws: `BatchSchedulerError.unreachable` when the controller does not answer.
    func status(ids: [Int64]) async throws -> [Int64: BatchJobStatus]
    /// Moves a pending job's earliest start (`scontrol update JobId=N StartTime=…`).
    func moveBegin(id: Int64, to begin: Date) async throws
    /// Cancels a job (`scancel`).
    func cancel(id: Int64) async throws
}

/// The time limit a batch job is given from its predicted duration.
public enum BatchTimeLimit {
    /// `ceil(expected × (1 + margin) / 60)` minutes, at least 1: Slurm kills a job at its limit, so a
    /// job whose prediction was low by less than the margin still ends. Default margin 0.5 (50 %),
    /// Verdant's choice (no published rule; CATS leaves `--time` to the user).
    public static func minutes(expectedSeconds: Double, margin: Double = 0.5) -> Int {
        max(1, Int((expectedSeconds * (1 + margin) / 60).rounded(.up)))
    }
}
