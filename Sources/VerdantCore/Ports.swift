import Foundation

/// Ports: the small protocols the runtime uses to reach the outside world. Adapters implement them;
/// the core defines them so it never depends on an adapter.

/// Takes node readings (powercap counters or CPU time) on demand. Implementations must be cheap
/// enough to call at every sampler tick and at every job start and end.
public protocol NodeReadingSource: Sendable {
    /// Reads the counters now.
    /// - Throws: when not even `/proc/stat` can be read.
    func read() throws -> NodeReading
    /// The energy source of the readings: `.measured` when powercap zones are read, else `.estimated`.
    var energySource: EnergySource { get }
    /// Human-readable list of what is sampled, e.g. `["intel-rapl:0 package-0", ...]` or
    /// `["cpu-estimate linear 85 W"]`.
    var sensorNames: [String] { get }
    /// Vendor and zone power bounds, for the energy arithmetic.
    var profile: NodeProfile { get }
    /// Every source and its state, with the fix when unavailable.
    var sourceStatuses: [SourceStatus] { get }
}

// MARK: Job executor

/// What to start for one job. Plain values only: the executor adapter turns them into a fork/exec in
/// a cgroup, a systemd transient unit, or a Slurm submission.
public struct JobLaunchRequest: Sendable, Hashable {
    public var jobID: Int64
    /// argv; `command[0]` is resolved against `PATH` in `environment` (else `/usr/local/bin:/usr/bin:/bin`).
    public var command: [String]
    public var workingDirectory: String
    /// `NAME=value` entries.
    public var environment: [String]
    /// The submitter: the job runs as this user and group.
    public var uid: UInt32
    public var gid: UInt32
    /// Where stdout and stderr go when the executor writes a log file (the cgroup executor); an
    /// executor that logs elsewhere (systemd: the journal) ignores it.
    public var logPath: String
    /// Earliest start the executor may hold the job until (Slurm `sbatch --begin`); `nil` = now.
    public var notBefore: Date?
    /// CPU bandwidth limit in percent of one CPU (systemd `CPUQuota=`, cgroup `cpu.max`); `nil` = none.
    public var cpuQuotaPercent: Double?
    /// CPUs the job may run on, e.g. `"0-3,8"` (systemd `AllowedCPUs=`, cpuset `cpuset.cpus`); `nil` = all.
    public var allowedCPUs: String?
    /// Memory limit in bytes (systemd `MemoryMax=`, cgroup `memory.max`); `nil` = none.
    public var memoryMaxBytes: UInt64?

    public init(jobID: Int64, command: [String], workingDirectory: String, environment: [String],
                uid: UInt32, gid: UInt32, logPath: String, notBefore: Date? = nil,
                cpuQuotaPercent: Double? = nil, allowedCPUs: String? = nil, memoryMaxBytes: UInt64? = nil) {
        self.jobID = jobID
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.uid = uid
        self.gid = gid
        self.logPath = logPath
        self.notBefore = notBefore
        self.cpuQuotaPercent = cpuQuotaPercent
        self.allowedCPUs = allowedCPUs
        self.memoryMaxBytes = memoryMaxBytes
    }
}

/// How the daemon finds a started job again, also after a restart. Stored with the job.
///
/// `reference` is executor-specific: the cgroup directory (`cgroup`), the unit name
/// `verdant-job-<id>.service` (`systemd`), the Slurm job id (`slurm`).
public struct JobExecutorHandle: Sendable, Hashable, Codable {
    /// The executor's `name` (`cgroup`, `systemd`, `slurm`).
    public var executor: String
    /// Executor-specific reference; empty when the executor has none (a bare process).
    public var reference: String
    /// The job's main process on this host, when there is one.
    public var pid: Int32?
    /// The job's cgroup directory, when known (CPU attribution, `verdant status`).
    public var cgroupPath: String?

    public init(executor: String, reference: String, pid: Int32? = nil, cgroupPath: String? = nil) {
        self.executor = executor
        self.reference = reference
        self.pid = pid
        self.cgroupPath = cgroupPath
    }
}

/// How a job ended.
public struct JobEnd: Sendable, Hashable {
    /// Exit status when it exited, else `nil`.
    public var exitCode: Int32?
    /// Terminating signal when it was killed, else `nil`.
    public var signal: Int32?
    /// CPU-seconds the job used in all (its cgroup's accounting, else getrusage(2) of the main
    /// process and its waited-for children); `nil` when unknown.
    public var cpuSeconds: Double?
    /// Why it ended, when the executor knows more than the status (the kernel's OOM killer acted on
    /// its `--memory` limit); nil otherwise.
    public var reason: String? = nil

    public init(exitCode: Int32?, signal: Int32?, cpuSeconds: Double?) {
        self.exitCode = exitCode
        self.signal = signal
        self.cpuSeconds = cpuSeconds
    }
}

/// How hard `JobExecutor.stop` stops.
public enum JobStopMode: Sendable, Hashable {
    /// SIGTERM to every process of the job (systemd: `StopUnit`, which escalates after the unit's
    /// `TimeoutStopSec=`; Slurm: `scancel`).
    case terminate
    /// SIGKILL to every process of the job (systemd: `KillUnit` with SIGKILL; Slurm: `scancel -s KILL`).
    case kill
}

/// What re-adopting a job recorded as running found.
public enum JobAdoption: Sendable, Hashable {
    /// The job still runs and is followed again: `waitForEnd` on the handle reports its end.
    case adopted(JobExecutorHandle)
    /// The job had already ended while the daemon was away, with this end when the executor kept it.
    case ended(JobEnd?)
    /// The executor cannot follow a job it did not start itself (the cgroup executor: a process that
    /// is not our child cannot be waited for); it killed what was left: this many processes.
    case abandoned(killedProcesses: Int)
}

/// A pause or resume that could not be done.
public struct JobExecutorError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Starts and follows jobs: the runtime's one way to run a job. Implemented by the cgroup executor
/// (`VerdantExecutor`), the systemd transient-unit executor (`VerdantSystemd`) and the Slurm executor.
///
/// Calls other than `waitForEnd` are short (a syscall, a D-Bus call, a short command) and may be
/// made from the runtime actor.
public protocol JobExecutor: Sendable {
    /// Shown in `verdant status` and stored with each job: `cgroup`, `systemd`, `slurm`.
    var name: String { get }
    /// One line for `verdant status`, e.g. `cgroup v1 cpuacct at /sys/fs/cgroup/cpuacct`.
    var detail: String { get }
    /// Starts a job.
    /// - Throws: an error whose description says what failed and what to do (the job is then
    ///   recorded as failed with it).
    func launch(_ request: JobLaunchRequest) throws -> JobExecutorHandle
    /// Returns when the job has ended. Called once per launched or adopted job.
    func waitForEnd(_ handle: JobExecutorHandle) async -> JobEnd
    /// CPU-seconds the job has used so far (for attribution); `nil` when not readable (no data, never 0).
    func cpuSeconds(_ handle: JobExecutorHandle) -> Double?
    /// Signals the job to stop; returns at once (the end comes through `waitForEnd`).
    func stop(_ handle: JobExecutorHandle, mode: JobStopMode)
    /// Freezes every process of the job (cgroup v2 `cgroup.freeze`, v1 `freezer.state`, systemd `FreezeUnit`).
    /// - Throws: `JobExecutorError` when the host offers no freezer for the job.
    func pause(_ handle: JobExecutorHandle) throws
    /// Thaws a paused job.
    /// - Throws: `JobExecutorError` when the job cannot be thawed.
    func resume(_ handle: JobExecutorHandle) throws
    /// Sends `signal` to every process of the job (checkpoint-and-restart: the job's checkpoint signal).
    /// - Throws: `JobExecutorError` when the executor cannot signal the job.
    func signal(_ handle: JobExecutorHandle, _ signal: Int32) throws
    /// Finds a job a previous daemon instance recorded as running with `handle`.
    func adopt(_ handle: JobExecutorHandle) -> JobAdoption
    /// Whether jobs keep running when the daemon stops (systemd units, Slurm jobs): then shutdown
    /// leaves them running and the next start re-adopts them; else (the cgroup executor's children)
    /// shutdown stops them and records them as lost.
    var jobsOutliveDaemon: Bool { get }
    /// The job's output where the executor keeps it (systemd: the unit's journal), at most the last
    /// `maxBytes`; `nil` = the log file at `JobLaunchRequest.logPath`.
    func output(_ handle: JobExecutorHandle, maxBytes: Int) -> (source: String, text: String)?
}

extension JobExecutor {
    public var jobsOutliveDaemon: Bool { false }
    /// Executors without a way to signal a job (Slurm) keep this default.
    public func signal(_ handle: JobExecutorHandle, _ signal: Int32) throws {
        throw JobExecutorError("executor '\(name)' cannot send a job a checkpoint signal")
    }
    /// Executors that write the log file (`JobLaunchRequest.logPath`) keep this default: the runtime reads the file.
    public func output(_ handle: JobExecutorHandle, maxBytes: Int) -> (source: String, text: String)? { nil }
}
