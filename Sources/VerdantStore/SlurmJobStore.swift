import Foundation
import GRDB
import VerdantCore

/// A job handed to a Slurm cluster (executor `slurm`, issue 9): what was asked, Slurm's job id, and
/// what Slurm last reported. Table `slurm_jobs`, one row per Verdant job of that executor.
///
/// Times here are real UTC instants as Slurm has them (the `jobs` row keeps daemon time, which is
/// trace time in replay mode).
public struct SlurmJobRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "slurm_jobs" }
    /// The Verdant job (`jobs.id`).
    public var jobID: Int64
    /// Slurm's `ClusterName`.
    public var cluster: String
    public var resources: BatchResources
    /// `--time` given (min).
    public var timeLimitMinutes: Int
    /// Slurm's job id; `nil` while the job waits in Verdant's queue (Slurm unreachable) or was refused.
    public var slurmJobID: Int64?
    /// Slurm's last reported state (`PENDING`, `COMPLETED`…), `REFUSED` when sbatch refused the job,
    /// `UNSUBMITTED` while Slurm could not be reached.
    public var slurmState: String
    /// The `--begin`/`StartTime` last given to Slurm (real time, whole seconds).
    public var beginAt: Date?
    /// When Slurm accepted the job.
    public var submittedAt: Date?
    /// Start and end as Slurm reports them (real time).
    public var startAt: Date?
    public var endAt: Date?
    /// `Elapsed` (s).
    public var elapsedSeconds: Double?
    /// `ExitCode`, `status:signal` (e.g. `0:0`, `3:0`).
    public var exitCode: String?
    /// `ConsumedEnergyRaw` (J): node-level energy over the job's run, the job's own only when it had
    /// its nodes exclusively (sacct(1)). `nil` when the cluster's accounting does not gather energy.
    public var consumedEnergy: EnergyJoules?
    /// Slurm's message: the refusal, or why the job still waits in Verdant's queue.
    public var message: String?
    /// Submission attempts that found Slurm unreachable.
    public var attempts: Int

    enum CodingKeys: String, CodingKey {
        case cluster, message, attempts
        case jobID = "job_id"
        case partition, cpusPerTask = "cpus_per_task", memoryMebibytes = "mem_mib", gpus
        case timeLimitMinutes = "time_limit_min"
        case slurmJobID = "slurm_job_id"
        case slurmState = "slurm_state"
        case beginAt = "begin_at"
        case submittedAt = "submitted_at"
        case startAt = "start_at"
        case endAt = "end_at"
        case elapsedSeconds = "elapsed_s"
        case exitCode = "exit_code"
        case consumedEnergy = "consumed_energy_j"
    }

    public init(jobID: Int64, cluster: String, resources: BatchResources, timeLimitMinutes: Int) {
        self.jobID = jobID
        self.cluster = cluster
        self.resources = resources
        self.timeLimitMinutes = timeLimitMinutes
        self.slurmState = "UNSUBMITTED"
        self.attempts = 0
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try c.decode(Int64.self, forKey: .jobID)
        cluster = try c.decode(String.self, forKey: .cluster)
        resources = BatchResources(partition: try c.decodeIfPresent(String.self, forKey: .partition),
                                   cpusPerTask: try c.decodeIfPresent(Int.self, forKey: .cpusPerTask),
                                   memoryMebibytes: try c.decodeIfPresent(Int.self, forKey: .memoryMebibytes),
                                   gpus: try c.decodeIfPresent(Int.self, forKey: .gpus))
        timeLimitMinutes = try c.decode(Int.self, forKey: .timeLimitMinutes)
        slurmJobID = try c.decodeIfPresent(Int64.self, forKey: .slurmJobID)
        slurmState = try c.decode(String.self, forKey: .slurmState)
        beginAt = try c.decodeIfPresent(Date.self, forKey: .beginAt)
        submittedAt = try c.decodeIfPresent(Date.self, forKey: .submittedAt)
        startAt = try c.decodeIfPresent(Date.self, forKey: .startAt)
        endAt = try c.decodeIfPresent(Date.self, forKey: .endAt)
        elapsedSeconds = try c.decodeIfPresent(Double.self, forKey: .elapsedSeconds)
        exitCode = try c.decodeIfPresent(String.self, forKey: .exitCode)
        consumedEnergy = try c.decodeIfPresent(EnergyJoules.self, forKey: .consumedEnergy)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        attempts = try c.decode(Int.self, forKey: .attempts)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(cluster, forKey: .cluster)
        try c.encode(resources.partition, forKey: .partition)
        try c.encode(resources.cpusPerTask, forKey: .cpusPerTask)
        try c.encode(resources.memoryMebibytes, forKey: .memoryMebibytes)
        try c.encode(resources.gpus, forKey: .gpus)
        try c.encode(timeLimitMinutes, forKey: .timeLimitMinutes)
        try c.encode(slurmJobID, forKey: .slurmJobID)
        try c.encode(slurmState, forKey: .slurmState)
        try c.encode(beginAt, forKey: .beginAt)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(startAt, forKey: .startAt)
        try c.encode(endAt, forKey: .endAt)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(consumedEnergy, forKey: .consumedEnergy)
        try c.encode(message, forKey: .message)
        try c.encode(attempts, forKey: .attempts)
    }
}

extension VerdantDatabase {
    /// Migration "v3-slurm-jobs": table `slurm_jobs`, the Slurm side of jobs run by executor `slurm`.
    /// Frozen once shipped.
    static func registerSlurmJobs(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-slurm-jobs") { db in
            try db.create(table: "slurm_jobs") { t in
                t.primaryKey("job_id", .integer).references("jobs")
                t.column("cluster", .text).notNull()
                t.column("partition", .text)
                t.column("cpus_per_task", .integer)
                t.column("mem_mib", .integer)
                t.column("gpus", .integer)
                t.column("time_limit_min", .integer).notNull()
                t.column("slurm_job_id", .integer)
                t.column("slurm_state", .text).notNull()
                t.column("begin_at", .datetime)
                t.column("submitted_at", .datetime)
                t.column("start_at", .datetime)
                t.column("end_at", .datetime)
                t.column("elapsed_s", .double)
                t.column("exit_code", .text)
                t.column("consumed_energy_j", .double)
                t.column("message", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "slurm_jobs_cluster_id", on: "slurm_jobs", columns: ["cluster", "slurm_job_id"])
        }
    }

    /// Stores a Slurm record (insert or replace).
    public func save(_ r: SlurmJobRecord) throws {
        try write { db in try r.save(db) }
    }

    /// Inserts a job and its Slurm record in one transaction.
    /// - Returns: the job with its id.
    public func insert(_ job: Job, slurm: @Sendable (Int64) -> SlurmJobRecord) throws -> (Job, SlurmJobRecord) {
        try write { db in
            var j = job
            try j.insert(db)
            let r = slurm(j.id!)
            try r.insert(db)
            return (j, r)
        }
    }

    /// Saves a job and its Slurm record together.
    public func update(_ job: Job, slurm: SlurmJobRecord) throws {
        try write { db in
            try job.update(db)
            try slurm.save(db)
        }
    }

    /// The Slurm record of a job, if it ran on Slurm.
    public func slurmJob(jobID: Int64) throws -> SlurmJobRecord? {
        try pool.read { db in try SlurmJobRecord.fetchOne(db, key: jobID) }
    }

    /// Slurm records by job id, for the given jobs (all when `nil`).
    public func slurmJobs(jobIDs: [Int64]? = nil) throws -> [Int64: SlurmJobRecord] {
        try pool.read { db in
            let rows = try jobIDs.map { try SlurmJobRecord.filter(keys: $0).fetchAll(db) } ?? SlurmJobRecord.fetchAll(db)
            return Dictionary(rows.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
