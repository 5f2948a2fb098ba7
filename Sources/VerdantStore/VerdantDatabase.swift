import Foundation
import GRDB
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's SQLite database: jobs, energy samples, per-job intervals, intensity points.
///
/// Durability settings (SQLite "Write-Ahead Logging" and "PRAGMA" documentation, sqlite.org/wal.html,
/// sqlite.org/pragma.html):
/// - WAL mode through a `DatabasePool`, so report readers never block the sampler's writes.
/// - `synchronous = NORMAL`: a commit survives a crash of the process; a power loss may undo the last
///   commits but never corrupts the file. Job state changes (`insert`, `update`, `finish`) are written
///   with `synchronous = FULL` so that they also survive a power loss once the call returns.
/// - Every write is one `IMMEDIATE` transaction (the write lock is taken at `BEGIN`, so a second
///   writer waits in the busy handler instead of failing at its first write) with a
///   `busyTimeoutSeconds` busy timeout; reads are short `DatabasePool.read` snapshots.
/// - `journal_size_limit` = `journalSizeLimitBytes` (64 MiB): the WAL is truncated to that size
///   whenever it is reset; `checkpointIfIdle()` runs a `TRUNCATE` checkpoint that empties it when no
///   reader is mid-transaction.
/// Migrations are named and frozen: a shipped migration is never edited, a change is a new migration
/// (GRDB "Migrations" guide).
public final class VerdantDatabase: Sendable {
    /// The pool; exposed for tests and maintenance commands.
    public let pool: DatabasePool
    /// The database file.
    public let path: String
    /// The finished jobs the last report read, reused while they are unchanged (`ReportJobRowCache`).
    public let reportJobRowCache = ReportJobRowCache()

    /// How long a writer waits for another writer (another process included) before failing: 5 s.
    public static let busyTimeoutSeconds: Double = 5
    /// `PRAGMA journal_size_limit`: 64 MiB, the bound issue 10 sets for the WAL.
    public static let journalSizeLimitBytes = 64 << 20

    /// Opens (creating when missing) the database at `path` and applies pending migrations.
    /// - Throws: `DatabaseError` when the file cannot be opened or a migration fails; nothing is
    ///   half-applied (each migration is one transaction).
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeoutSeconds)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.journalSizeLimitBytes)")
            try Self.applyMemoryBounds(db)
        }
        config.maximumReaderCount = Self.maximumReaderCount
        pool = try DatabasePool(path: path, configuration: config)
        // Jobs hold their submitters' environments: only the daemon's user may read the file.
        // SQLite gives the -wal and -shm files the database file's mode.
        chmod(path, 0o600)
        self.path = path
        let migrator = Self.migrator
        let convertsSamples = try pool.read { db in
            try !migrator.appliedIdentifiers(db).contains("v4-energy-ticks") && db.tableExists("energy_samples")
                && (try Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM energy_samples)") ?? 0) == 1
        }
        try migrator.migrate(pool)
        // The v2 sample table is gone: give its pages back to the file system once (VACUUM cannot run
        // inside the migration's transaction).
        if convertsSamples { try pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM") } }
    }

    /// What `open(path:now:)` did with a database file that failed its integrity check.
    public struct CorruptionRecovery: Sendable, Equatable {
        /// Where the corrupt file (and its -wal/-shm) now lies: `<path>.corrupt-<UTC yyyyMMdd'T'HHmmss'Z'>`.
        public var movedTo: String
        /// What SQLite said: the first lines of `PRAGMA quick_check`, or the error opening the file.
        public var problem: String
    }

    /// Opens the database after a quick integrity check (`PRAGMA quick_check`, O(N) but without the
    /// index cross-checks of `integrity_check`). A file that fails it, or that SQLite cannot read as a
    /// database at all, is moved aside with a timestamped name (its `-wal` and `-shm` with it) and a new
    /// empty database is created in its place, so a daemon never crash-loops on a corrupt file.
    /// - Returns: the database, and what was moved aside (`nil` when the file was healthy or new).
    /// - Throws: `DatabaseError` or a file error only when even the new database cannot be created
    ///   (folder not writable, disk full).
    public static func open(path: String, now: Date = Date()) throws -> (database: VerdantDatabase, recovery: CorruptionRecovery?) {
        var problem: String?
        if FileManager.default.fileExists(atPath: path) {
            do {
                let db = try VerdantDatabase(path: path)
                let rows = try db.pool.read { try String.fetchAll($0, sql: "PRAGMA quick_check(5)") }
                if rows == ["ok"] { return (db, nil) }
                problem = rows.joined(separator: "; ")
            } catch {
                problem = "\(error)"
            }
        } else {
            return (try VerdantDatabase(path: path), nil)
        }
        // The pool opened above is released here (its connections close on deinit) before the move.
        let stamp = corruptStamp(now)
        var target = "\(path).corrupt-\(stamp)"
        var n = 1
        while FileManager.default.fileExists(atPath: target) { n += 1; target = "\(path).corrupt-\(stamp)-\(n)" }
        try FileManager.default.moveItem(atPath: path, toPath: target)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try? FileManager.default.moveItem(atPath: path + suffix, toPath: target + suffix)
        }
        return (try VerdantDatabase(path: path), CorruptionRecovery(movedTo: target, problem: problem ?? "unknown"))
    }

    private static func corruptStamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: d)
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a healthy file, else SQLite's list of problems.
    public func integrityCheck() throws -> [String] {
        try pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
    }

    /// A `TRUNCATE` checkpoint that gives up at once instead of waiting for readers: copies the WAL
    /// into the database and empties the WAL file when no reader is mid-transaction.
    /// - Returns: `true` when the WAL was emptied, `false` when a reader or writer was busy (the next
    ///   call tries again; the automatic checkpoints and `journal_size_limit` still bound the WAL).
    @discardableResult
    public func checkpointIfIdle() -> Bool {
        (try? pool.writeWithoutTransaction { db -> Bool in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(Self.busyTimeoutSeconds * 1000))") }
            let r = try db.checkpoint(.truncate)
            return r.walFrameCount == 0
        }) ?? false
    }

    /// Size of the `-wal` file in bytes (0 when absent).
    public func walSizeBytes() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
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
        registerJobEnergyPredictions(&m)
        registerLearnedPowerModels(&m)
        registerJobGPUs(&m)
        registerReportRollups(&m)
        registerIntensityModels(&m)
        registerSlurmJobs(&m)
        registerEnergyTicks(&m)
        registerJobCores(&m)
        registerSlurmNodeEnergy(&m)
        registerJobMemory(&m)
        registerJobCheckpoint(&m)
        registerMinimumSavingDecisions(&m)
        registerJobGPUIndices(&m)
        registerReportJobsVersion(&m)
        registerReportJobChanges(&m)
        registerJobRunIntervals(&m)
        return m
    }

    /// Closes the database (checkpoints the WAL); later calls throw. Called once at shutdown.
    /// - Throws: GRDB's error when a statement is still running.
    public func close() throws { try pool.close() }

    /// Runs `body` in one IMMEDIATE write transaction; `durable` commits it with `synchronous = FULL`
    /// (the WAL is synced at the commit itself, so the transaction survives a power loss too).
    public func write<T: Sendable>(durable: Bool = false, _ body: @Sendable (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            if durable { try db.execute(sql: "PRAGMA synchronous = FULL") }
            defer { if durable { try? db.execute(sql: "PRAGMA synchronous = NORMAL") } }
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
        try write(durable: true) { db in
            var j = job
            try j.insert(db)
            return j
        }
    }

    /// Saves a job's current state.
    public func update(_ job: Job) throws {
        try write(durable: true) { db in try job.update(db) }
    }

    /// Saves a job together with its last intervals, atomically.
    public func finish(_ job: Job, intervals: [JobIntervalRecord]) throws {
        try write(durable: true) { db in
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

    /// The newest `limit` succeeded jobs with this name, oldest first: what the job-energy predictor
    /// learns from (it filters further by kind, command and sizes).
    public func finishedRuns(name: String, limit: Int = 200) throws -> [Job] {
        try pool.read { db in
            try Job.filter(Column("name") == name && Column("state") == JobState.succeeded.rawValue)
                .order(Column("id").desc).limit(limit)
                .fetchAll(db).reversed()
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
            // Samples starting below the minute watermark (after a wall-clock step back) go into the
            // roll-ups too (LateSampleRollup.swift).
            if let late = try LateSampleRollup(db, samples: samples) {
                try Self.insertTicks(db, samples, onStored: { late.add(startMs: $0, $1) })
                try late.write(db)
            } else {
                try Self.insertTicks(db, samples)
            }
            try JobIntervalRecord.insertAll(intervals, db)   // prepared statement: SampleRowEncoding.swift
            for (k, v) in meta {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [k, v])
            }
        }
    }

    /// Number of stored raw energy samples (zone intervals; `energy_ticks.n` summed).
    public func sampleCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT CAST(TOTAL(n) AS INTEGER) FROM energy_ticks") ?? 0 }
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
