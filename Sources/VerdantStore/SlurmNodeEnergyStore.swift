import Foundation
import GRDB
import VerdantCore

/// The energy a compute node's `verdantd` attributed to one Slurm job through the job's cgroup
/// (per job, not Slurm's node-level `ConsumedEnergyRaw`): node energy split by the job's CPU time
/// (`Attribution.split`) over every tick it was seen. Table `slurm_node_jobs`.
public struct SlurmNodeJobRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "slurm_node_jobs"

    /// Slurm's job id.
    public var slurmJobID: Int64
    /// The job's user (cgroup v1 path), if known.
    public var uid: UInt32?
    /// The job's cgroup folder.
    public var cgroupPath: String
    /// First and last tick that charged it (daemon time).
    public var firstSeenAt: Date
    public var lastSeenAt: Date
    /// Sum of the charged intervals (J); counts only when `source` has a number.
    public var energyJoules: Double
    /// The job's CPU time over the charged intervals (s).
    public var cpuSeconds: Double
    /// `EnergySource.combined` over its intervals (`measured`, `estimated`, `partial`, `unavailable`).
    public var source: EnergySource
    /// Carbon of the charged intervals (gCO2eq, the interval's mean intensity).
    public var carbonGrams: Double

    enum CodingKeys: String, CodingKey {
        case uid, source
        case slurmJobID = "slurm_job_id"
        case cgroupPath = "cgroup_path"
        case firstSeenAt = "first_seen_at"
        case lastSeenAt = "last_seen_at"
        case energyJoules = "energy_j"
        case cpuSeconds = "cpu_seconds"
        case carbonGrams = "carbon_g"
    }

    public init(slurmJobID: Int64, uid: UInt32?, cgroupPath: String, firstSeenAt: Date, lastSeenAt: Date,
                energyJoules: Double, cpuSeconds: Double, source: EnergySource, carbonGrams: Double) {
        self.slurmJobID = slurmJobID
        self.uid = uid
        self.cgroupPath = cgroupPath
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.energyJoules = energyJoules
        self.cpuSeconds = cpuSeconds
        self.source = source
        self.carbonGrams = carbonGrams
    }

    /// The job's energy when it is a number (`measured`/`estimated` intervals only), else `nil`.
    public var energy: EnergyJoules? { source.hasValue ? EnergyJoules(energyJoules) : nil }
}

extension VerdantDatabase {
    /// Migration "v3-slurm-node-energy": table `slurm_node_jobs` (per-job energy of Slurm jobs on
    /// this compute node, from their cgroups). Frozen once shipped.
    static func registerSlurmNodeEnergy(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-slurm-node-energy") { db in
            try db.create(table: "slurm_node_jobs") { t in
                t.primaryKey("slurm_job_id", .integer)
                t.column("uid", .integer)
                t.column("cgroup_path", .text).notNull()
                t.column("first_seen_at", .datetime).notNull()
                t.column("last_seen_at", .datetime).notNull()
                t.column("energy_j", .double).notNull()
                t.column("cpu_seconds", .double).notNull()
                t.column("source", .text).notNull()
                t.column("carbon_g", .double).notNull()
            }
        }
    }

    /// Saves the given records (insert or replace) in one transaction.
    public func save(slurmNodeJobs records: [SlurmNodeJobRecord]) throws {
        guard !records.isEmpty else { return }
        try write { db in for r in records { try r.save(db) } }
    }

    /// Per-job node energy of Slurm jobs, by Slurm job id (all when `ids` is `nil`).
    public func slurmNodeJobs(ids: [Int64]? = nil) throws -> [Int64: SlurmNodeJobRecord] {
        try pool.read { db in
            let rows = try ids.map { try SlurmNodeJobRecord.filter(keys: $0).fetchAll(db) } ?? SlurmNodeJobRecord.fetchAll(db)
            return Dictionary(rows.map { ($0.slurmJobID, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
