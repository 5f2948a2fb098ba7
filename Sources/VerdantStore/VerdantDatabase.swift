import Foundation
import GRDB
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's SQLite database: jobs, energy samples, per-job intervals, intensity points.
///
/// WAL mode through a `DatabasePool`, so report readers never block the sampler's writes; every
/// write is one `IMMEDIATE` transaction with a 5 s busy timeout. Migrations are named and frozen:
/// a shipped migration is never edited, a change is a new migration (GRDB "Migrations" guide).
public final class VerdantDatabase: Sendable {
    /// The pool; exposed for tests and maintenance commands.
    public let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (creating when missing) the database at `path` and applies pending migrations.
    /// - Throws: `DatabaseError` when the file cannot be opened or a migration fails; nothing is
    ///   half-applied (each migration is one transaction).
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        pool = try DatabasePool(path: path, configuration: config)
        // Jobs hold their submitters' environments: only the daemon's user may read the file.
        // SQLite gives the -wal and -shm files the database file's mode.
        chmod(path, 0o600)
        self.path = path
        try Self.migrator.migrate(pool)
    }

    /// The frozen migrations, in order.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-initial") { db in
            try db.create(table: "jobs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("command", .text).notNull()
                t.column("working_directory", .text).notNull()
                t.column("environment", .text).notNull()
                t.column("uid", .integer).notNull()
                t.column("gid", .integer).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("submitted_at", .datetime).notNull()
                t.column("deadline", .datetime).notNull()
                t.column("expected_duration_s", .double).notNull()
                t.column("duration_source", .text).notNull()
                t.column("expected_energy_j", .double).notNull()
                t.column("latest_start", .datetime).notNull()
                t.column("planned_start", .datetime).notNull()
                t.column("planned_intensity_g_per_kwh", .double).notNull()
                t.column("predicted_carbon_g", .double).notNull()
                t.column("run_now_carbon_g", .double).notNull()
                t.column("plan_reason", .text).notNull()
                t.column("started_at", .datetime)
                t.column("ended_at", .datetime)
                t.column("exit_code", .integer)
                t.column("signal", .integer)
                t.column("pid", .integer)
                t.column("cgroup_path", .text)
                t.column("log_path", .text)
                t.column("energy", .double)
                t.column("energy_source", .text)
                t.column("carbon", .double)
                t.column("cpu_seconds", .double)
                t.column("reason", .text)
            }
            try db.create(index: "jobs_name", on: "jobs", columns: ["name"])
            try db.create(table: "energy_samples") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("zone", .text).notNull()
                t.column("zone_name", .text).notNull()
                t.column("source", .text).notNull()
                t.column("start_at", .datetime).notNull()
                t.column("end_at", .datetime).notNull().indexed()
                t.column("duration_s", .double).notNull()
                t.column("energy_j", .double).notNull()
                t.column("busy_cpu_s", .double).notNull()
                t.uniqueKey(["zone", "start_at"])
            }
            try db.create(table: "job_intervals") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("job_id", .integer).notNull().indexed().references("jobs")
                t.column("start_at", .datetime).notNull()
                t.column("end_at", .datetime).notNull()
                t.column("energy_j", .double).notNull()
                t.column("source", .text).notNull()
                t.column("cpu_s", .double).notNull()
                t.column("intensity_g_per_kwh", .double).notNull()
                t.column("carbon_g", .double).notNull()
            }
            try db.create(table: "intensity_points") { t in
                t.column("zone", .text).notNull()
                t.column("time", .datetime).notNull()
                t.column("intensity_g_per_kwh", .double).notNull()
                t.column("source", .text).notNull()
                t.column("signal", .text).notNull()
                t.primaryKey(["zone", "time", "source"])
            }
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }
        // energy_samples.energy_j becomes nullable (an uncertain interval has no number) and gains a status.
        m.registerMigration("v2-energy-status") { db in
            try db.create(table: "energy_samples_v2") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("zone", .text).notNull()
                t.column("zone_name", .text).notNull()
                t.column("source", .text).notNull()
                t.column("start_at", .datetime).notNull()
                t.column("end_at", .datetime).notNull()
                t.column("duration_s", .double).notNull()
                t.column("energy_j", .double)
                t.column("busy_cpu_s", .double).notNull()
                t.column("status", .text).notNull().defaults(to: "ok")
                t.uniqueKey(["zone", "start_at"])
            }
            try db.execute(sql: """
                INSERT INTO energy_samples_v2 (id, zone, zone_name, source, start_at, end_at, duration_s, energy_j, busy_cpu_s, status)
                SELECT id, zone, zone_name, source, start_at, end_at, duration_s, energy_j, busy_cpu_s, 'ok' FROM energy_samples
                """)
            try db.drop(table: "energy_samples")
            try db.rename(table: "energy_samples_v2", to: "energy_samples")
            try db.create(index: "energy_samples_end_at", on: "energy_samples", columns: ["end_at"])
        }
        registerIntensityProvenance(&m)
        // Which executor ran a job and its handle (unit name, cgroup, Slurm id), for re-adoption at restart.
        m.registerMigration("v3-job-executor") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "executor", .text)
                t.add(column: "executor_reference", .text)
            }
        }
        registerSlurmJobs(&m)
        return m
    }

    /// Closes the database (checkpoints the WAL); later calls throw. Called once at shutdown.
    /// - Throws: GRDB's error when a statement is still running.
    public func close() throws { try pool.close() }

    /// Runs `body` in one IMMEDIATE write transaction.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    // MARK: Jobs

    /// Inserts a new job and returns it with its id.
    public func insert(_ job: Job) throws -> Job {
        try write { db in
            var j = job
            try j.insert(db)
            return j
        }
    }

    /// Saves a job's current state.
    public func update(_ job: Job) throws {
        try write { db in try job.update(db) }
    }

    /// Saves a job together with its last intervals, atomically.
    public func finish(_ job: Job, intervals: [JobIntervalRecord]) throws {
        try write { db in
            for i in intervals { try i.insert(db) }
            try job.update(db)
        }
    }

    /// One job, or `nil`.
    public func job(id: Int64) throws -> Job? {
        try pool.read { db in try Job.fetchOne(db, key: id) }
    }

    /// All jobs, newest last; `states` filters when given.
    public func jobs(states: [JobState]? = nil) throws -> [Job] {
        try pool.read { db in
            if let states {
                return try Job.filter(states.map(\.rawValue).contains(Column("state"))).order(Column("id")).fetchAll(db)
            }
            return try Job.order(Column("id")).fetchAll(db)
        }
    }

    /// Earlier succeeded runs with the same name: (duration s, energy) each, for expectations.
    public func history(name: String) throws -> [(durationSeconds: Double, energy: EnergyJoules?)] {
        try pool.read { db in
            try Job.filter(Column("name") == name && Column("state") == JobState.succeeded.rawValue)
                .fetchAll(db)
                .compactMap { j in
                    guard let s = j.startedAt, let e = j.endedAt else { return nil }
                    return (e.timeIntervalSince(s), j.energy)
                }
        }
    }

    /// The intervals charged to a job, in time order.
    public func intervals(jobID: Int64) throws -> [JobIntervalRecord] {
        try pool.read { db in
            try JobIntervalRecord.filter(Column("job_id") == jobID).order(Column("start_at")).fetchAll(db)
        }
    }

    // MARK: Samples

    /// Appends a batch of sampler output in one transaction, with the job intervals of the same ticks
    /// and meta values (e.g. the replay position).
    public func append(samples: [EnergySampleRecord], intervals: [JobIntervalRecord], meta: [String: String]) throws {
        try write { db in
            for s in samples { try s.insert(db, onConflict: .ignore) }
            for i in intervals { try i.insert(db) }
            for (k, v) in meta {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [k, v])
            }
        }
    }

    /// Number of stored energy samples.
    public func sampleCount() throws -> Int {
        try pool.read { db in try EnergySampleRecord.fetchCount(db) }
    }

    // MARK: Intensity

    /// Inserts or replaces intensity points (same zone, time and source replaces).
    public func upsert(_ points: [IntensityPointRecord]) throws {
        try write { db in
            for p in points { try p.upsert(db) }
        }
    }

    /// The points of one zone and source, in time order.
    public func intensityPoints(zone: String, source: String) throws -> [IntensityPoint] {
        try pool.read { db in
            try IntensityPointRecord.filter(Column("zone") == zone && Column("source") == source)
                .order(Column("time")).fetchAll(db)
                .map { IntensityPoint(time: $0.time, intensity: $0.intensity) }
        }
    }

    // MARK: Meta

    /// A stored meta value.
    public func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }
}
