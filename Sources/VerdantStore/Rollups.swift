import Foundation
import GRDB
import GRDBSQLite
import VerdantCore

/// Per-minute and per-hour sums of the raw samples (`energy_ticks`, see EnergyTicks.swift), kept for good, and the retention of raw rows.
///
/// Table `energy_rollups` (WITHOUT ROWID), one row per (resolution, zone, bucket):
/// `resolution` 60 or 3600 s; `bucket` the bucket's start in Unix seconds (UTC); `source`;
/// `energy_j` Σ energy of the `ok` samples (NULL when none has a number); `ok_s` Σ their seconds;
/// `missing_s` Σ seconds of samples without a number; `busy_cpu_s`; `samples` the count.
/// A sample belongs to the bucket holding its start.
///
/// Built incrementally: the minute watermark (`meta` key `rollup.minute.through`, Unix s) is the end of
/// the last minute rolled up; a minute is rolled up once the store holds a sample that starts after it
/// (samples are appended in time order, so it is complete). Hours are built from complete minutes
/// (`rollup.hour.through`). Raw rows are only deleted below the minute watermark.
extension VerdantDatabase {
    /// Meta keys of the watermarks.
    public static let minuteWatermarkKey = "rollup.minute.through"
    public static let hourWatermarkKey = "rollup.hour.through"

    /// Migration "v3-reports-rollups": `energy_rollups` and `job_energy_summary`. Frozen once shipped.
    static func registerReportRollups(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-reports-rollups") { db in
            try db.create(table: "energy_rollups", options: [.withoutRowID]) { t in
                t.column("resolution", .integer).notNull()
                t.column("zone", .text).notNull()
                t.column("bucket", .integer).notNull()
                t.column("source", .text).notNull()
                t.column("energy_j", .double)
                t.column("ok_s", .double).notNull()
                t.column("missing_s", .double).notNull()
                t.column("busy_cpu_s", .double).notNull()
                t.column("samples", .integer).notNull()
                t.primaryKey(["resolution", "bucket", "zone"])
            }
            try db.create(table: "job_energy_summary") { t in
                t.primaryKey("job_id", .integer).references("jobs")
                t.column("measured_s", .double).notNull()
                t.column("estimated_s", .double).notNull()
                t.column("missing_s", .double).notNull()
                t.column("counterfactual_carbon_g", .double)
            }
            // Roll-ups, the raw tail of reports and retention all select raw samples by start.
            try db.create(index: "energy_samples_start_at", on: "energy_samples", columns: ["start_at"])
        }
    }

    /// What one `rollUp()` did.
    public struct RollupProgress: Sendable, Equatable {
        /// Minute and hour rows written.
        public var minutes: Int
        public var hours: Int
        /// The minute watermark after the call (Unix s), `nil` when nothing was ever rolled up.
        public var minuteWatermark: Int64?
    }

    /// Rolls up every complete minute and hour not rolled up yet, in one transaction.
    /// - Throws: `DatabaseError`; then nothing is written and the watermarks stay.
    @discardableResult
    public func rollUp() throws -> RollupProgress {
        try write { db in
            var progress = RollupProgress(minutes: 0, hours: 0, minuteWatermark: nil)
            let minuteMark = try Self.watermark(db, Self.minuteWatermarkKey)
            guard let newestMs = try Int64.fetchOne(db, sql: "SELECT MAX(start_ms) FROM energy_ticks") else {
                progress.minuteWatermark = minuteMark
                return progress
            }
            let through = Self.floorDiv(newestMs, 60_000) * 60
            var mark = minuteMark ?? Int64.min / 2
            if through > mark {
                // Σ per (zone, minute) of the ticks in [mark, through), as the v2 SQL summed the rows:
                // energy of `ok` samples (NULL when none has a number), their seconds, the other seconds,
                // busy CPU, the count, and the greatest source name.
                var sums: [Int64: [String: RollupSum]] = [:]
                var order: [Int64] = []
                try Self.forEachSample(db, fromMs: minuteMark.map { $0 * 1000 } ?? Int64.min, toMs: through * 1000) { x in
                    let bucket = Self.floorDiv(x.startMs, 60_000) * 60
                    if sums[bucket] == nil { sums[bucket] = [:]; order.append(bucket) }
                    let source = x.source.rawValue
                    sums[bucket]![x.zone, default: RollupSum(source: source)]
                        .add(source: source, ok: x.entry.status == 0, energyJoules: x.energyJoules,
                             durationSeconds: x.durationSeconds, busyCPUSeconds: x.busyCPUSeconds)
                }
                let upsert = try db.cachedStatement(sql: RollupSum.upsertSQL)
                for bucket in order {
                    for (zone, v) in sums[bucket]!.sorted(by: { $0.key < $1.key }) {
                        try upsert.execute(arguments: v.arguments(resolution: 60, zone: zone, bucket: bucket))
                        progress.minutes += 1
                    }
                }
                mark = through
                try Self.setWatermark(db, Self.minuteWatermarkKey, through)
            }
            progress.minuteWatermark = mark
            // Hours from complete minutes.
            let hourMark = try Self.watermark(db, Self.hourWatermarkKey)
            let hourThrough = Int64(floor(Double(mark) / 3600)) * 3600
            if hourThrough > (hourMark ?? Int64.min / 2) {
                try db.execute(sql: """
                    INSERT INTO energy_rollups (resolution, zone, bucket, source, energy_j, ok_s, missing_s, busy_cpu_s, samples)
                    SELECT 3600, zone, (bucket / 3600) * 3600 AS b, MAX(source), SUM(energy_j), TOTAL(ok_s), TOTAL(missing_s),
                           TOTAL(busy_cpu_s), SUM(samples)
                    FROM energy_rollups WHERE resolution = 60 AND bucket >= ? AND bucket < ? GROUP BY zone, b
                    """ + "\n" + RollupSum.mergeClause, arguments: [hourMark ?? Int64.min / 2, hourThrough])
                progress.hours = db.changesCount
                try Self.setWatermark(db, Self.hourWatermarkKey, hourThrough)
            }
            return progress
        }
    }

    /// Deletes raw rows older than `cutoff`: energy samples already rolled up (below the minute
    /// watermark), and the per-tick intervals of finished jobs whose summary is stored.
    /// - Returns: the number of rows deleted.
    /// - Throws: `DatabaseError`; then nothing is deleted.
    @discardableResult
    public func pruneRaw(olderThan cutoff: Date) throws -> Int {
        try write { db in
            guard let mark = try Self.watermark(db, Self.minuteWatermarkKey) else { return 0 }
            let limitMs = min(Self.millis(cutoff), mark * 1000)
            var n = try Int.fetchOne(db, sql: "SELECT CAST(TOTAL(n) AS INTEGER) FROM energy_ticks WHERE start_ms < ?", arguments: [limitMs]) ?? 0
            try db.execute(sql: "DELETE FROM energy_ticks WHERE start_ms < ?", arguments: [limitMs])
            try db.execute(sql: """
                DELETE FROM job_intervals WHERE end_at < ?
                  AND job_id IN (SELECT job_id FROM job_energy_summary)
                  AND job_id IN (SELECT id FROM jobs WHERE state NOT IN ('queued', 'running'))
                """, arguments: [cutoff])
            n += db.changesCount
            return n
        }
    }

    /// The watermarks (Unix s), `nil` before the first roll-up.
    public func rollupWatermarks() throws -> (minute: Int64?, hour: Int64?) {
        try pool.read { db in (try Self.watermark(db, Self.minuteWatermarkKey), try Self.watermark(db, Self.hourWatermarkKey)) }
    }

    /// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func watermark(_ db: Database, _ key: String) throws -> Int64? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).flatMap { Int64($0) }
    }

    static func setWatermark(_ db: Database, _ key: String, _ v: Int64) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, String(v)])
    }
}

/// Per-job figures the report needs after the per-tick intervals are pruned. Table `job_energy_summary`.
public struct JobEnergySummaryRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "job_energy_summary" }
    public var jobID: Int64
    /// Seconds of the run whose energy was measured, estimated, or has no number.
    public var measuredSeconds: Double
    public var estimatedSeconds: Double
    public var missingSeconds: Double
    /// The job's energy priced by the same series over the same run length from submission (g).
    public var counterfactualCarbon: Double?

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case measuredSeconds = "measured_s"
        case estimatedSeconds = "estimated_s"
        case missingSeconds = "missing_s"
        case counterfactualCarbon = "counterfactual_carbon_g"
    }

    public init(jobID: Int64, measuredSeconds: Double, estimatedSeconds: Double, missingSeconds: Double, counterfactualCarbon: Double?) {
        self.jobID = jobID
        self.measuredSeconds = measuredSeconds
        self.estimatedSeconds = estimatedSeconds
        self.missingSeconds = missingSeconds
        self.counterfactualCarbon = counterfactualCarbon
    }

    /// The split of a run's intervals by source: time not covered by any interval counts as missing.
    public init(jobID: Int64, intervals: [JobEnergyInterval], runSeconds: Double, counterfactualCarbon: CarbonGrams?) {
        var m = 0.0, e = 0.0, x = 0.0
        for i in intervals {
            let s = max(0, i.end.timeIntervalSince(i.start))
            switch i.source {
            case .measured: m += s
            case .estimated: e += s
            case .unavailable, .partial, .notMeasured: x += s
            }
        }
        x += max(0, runSeconds - (m + e + x))
        self.init(jobID: jobID, measuredSeconds: m, estimatedSeconds: e, missingSeconds: x,
                  counterfactualCarbon: counterfactualCarbon?.grams)
    }
}

// MARK: Reading rollups plus the raw tail

/// Node energy over a range, by zone, and the node's timeline, read from hour rollups where whole
/// hours are rolled up, minute rollups where whole minutes are, and raw samples for the rest.
extension VerdantDatabase {
    /// One zone's sums over a range.
    public struct ZoneSums: Sendable, Equatable {
        public var zone: String
        public var source: String
        public var energyJoules: Double?
        public var okSeconds: Double
        public var missingSeconds: Double
        public var busyCPUSeconds: Double
    }

    /// One aggregated piece of a range: a rollup bucket (or a raw-tail sample) of one zone.
    public struct EnergyPiece: Sendable, Equatable {
        public var zone: String
        public var source: String
        public var start: Date
        public var seconds: Double
        public var energyJoules: Double?
        public var okSeconds: Double
        public var missingSeconds: Double
        public var busyCPUSeconds: Double
    }

    /// The pieces covering [from, to): hour rows, then minute rows, then raw samples, never overlapping.
    /// Samples are placed by their start; minutes and hours only where wholly inside the range.
    /// - Parameter coarsest: the largest rollup to use (3600 or 60); a timeline of minute buckets asks 60.
    public func energyPieces(from: Date, to: Date, coarsest: Int64 = 3600) throws -> [EnergyPiece] {
        try pool.read { db in
            let (minuteMark, hourMark) = (try Self.watermark(db, Self.minuteWatermarkKey), try Self.watermark(db, Self.hourWatermarkKey))
            let f = from.timeIntervalSince1970, t = to.timeIntervalSince1970
            var out: [EnergyPiece] = []
            // Hours wholly inside [from, to) and below the hour watermark.
            var hourA = Int64(ceil(f / 3600)) * 3600, hourB = min(Int64(floor(t / 3600)) * 3600, hourMark ?? Int64.min)
            if coarsest < 3600 || hourB <= hourA { hourA = 0; hourB = 0 }
            // Minutes wholly inside, below the minute watermark, outside the hours.
            let minA = Int64(ceil(f / 60)) * 60, minB = min(Int64(floor(t / 60)) * 60, minuteMark ?? Int64.min)
            func rollups(_ res: Int64, _ a: Int64, _ b: Int64) throws {
                guard b > a else { return }
                let sql = """
                    SELECT zone, source, bucket, energy_j, ok_s, missing_s, busy_cpu_s FROM energy_rollups
                    WHERE resolution = ? AND bucket >= ? AND bucket < ?
                    """
                let statement = try db.makeStatement(sql: sql)
                try statement.setArguments([res, a, b])
                // SQLite's own column calls: a year is 70,000 hour rows, and GRDB's row cursor checked every
                // value through generic conversions (the same values: `RollupTests`).
                let h = statement.sqliteStatement
                defer { sqlite3_reset(h) }
                func text(_ i: Int32) -> String { sqlite3_column_text(h, i).map { String(cString: $0) } ?? "" }
                while true {
                    let rc = sqlite3_step(h)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else {
                        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
                    }
                    out.append(EnergyPiece(zone: text(0), source: text(1), start: Date(timeIntervalSince1970: Double(sqlite3_column_int64(h, 2))),
                                           seconds: Double(res),
                                           energyJoules: sqlite3_column_type(h, 3) == SQLITE_NULL ? nil : sqlite3_column_double(h, 3),
                                           okSeconds: sqlite3_column_double(h, 4), missingSeconds: sqlite3_column_double(h, 5),
                                           busyCPUSeconds: sqlite3_column_double(h, 6)))
                }
            }
            var rawRanges: [(Date, Date)] = []
            if minB > minA {
                if hourB > hourA {
                    try rollups(3600, hourA, hourB)
                    try rollups(60, minA, hourA)
                    try rollups(60, hourB, minB)
                } else {
                    try rollups(60, minA, minB)
                }
                rawRanges = [(from, Date(timeIntervalSince1970: Double(minA))), (Date(timeIntervalSince1970: Double(minB)), to)]
            } else {
                rawRanges = [(from, to)]
            }
            for (a, b) in rawRanges where b > a {
                try Self.forEachSample(db, fromMs: Self.millis(a), toMs: Self.millis(b)) { x in
                    let e = x.okEnergyJoules
                    let d = x.durationSeconds
                    out.append(EnergyPiece(zone: x.zone, source: x.source.rawValue, start: Date(timeIntervalSince1970: Double(x.startMs) / 1000),
                                           seconds: d, energyJoules: e, okSeconds: e == nil ? 0 : d, missingSeconds: e == nil ? d : 0,
                                           busyCPUSeconds: x.busyCPUSeconds))
                }
            }
            return out
        }
    }

    /// Σ per zone over [from, to) (rollups plus the raw tail).
    public func zoneSums(from: Date, to: Date) throws -> [ZoneSums] {
        var sums: [String: ZoneSums] = [:]
        for p in try energyPieces(from: from, to: to) {
            var s = sums[p.zone] ?? ZoneSums(zone: p.zone, source: p.source, energyJoules: nil, okSeconds: 0, missingSeconds: 0, busyCPUSeconds: 0)
            if let e = p.energyJoules { s.energyJoules = (s.energyJoules ?? 0) + e }
            s.okSeconds += p.okSeconds
            s.missingSeconds += p.missingSeconds
            s.busyCPUSeconds += p.busyCPUSeconds
            sums[p.zone] = s
        }
        return sums.values.sorted { $0.zone < $1.zone }
    }

    /// The first and last sample times stored in rollups or raw samples, for an open-ended report.
    public func energyTimeRange() throws -> (first: Date, last: Date)? {
        try pool.read { db in
            let rollFirst = try Int64.fetchOne(db, sql: "SELECT MIN(bucket) FROM energy_rollups WHERE resolution = 60")
            let rawFirst = try Int64.fetchOne(db, sql: "SELECT MIN(start_ms) FROM energy_ticks").map { Date(timeIntervalSince1970: Double($0) / 1000) }
            // The newest end: ticks are written in time order, so it lies in the last day of starts.
            let rawLast = try Int64.fetchOne(db, sql: """
                SELECT MAX(start_ms + span_ms) FROM energy_ticks WHERE start_ms >= (SELECT MAX(start_ms) FROM energy_ticks) - 86400000
                """).map { Date(timeIntervalSince1970: Double($0) / 1000) }
            let rollLast = try Int64.fetchOne(db, sql: "SELECT MAX(bucket) FROM energy_rollups WHERE resolution = 60")
            let firsts = [rollFirst.map { Date(timeIntervalSince1970: Double($0)) }, rawFirst].compactMap { $0 }
            let lasts = [rollLast.map { Date(timeIntervalSince1970: Double($0 + 60)) }, rawLast].compactMap { $0 }
            guard let f = firsts.min(), let l = lasts.max() else { return nil }
            return (f, l)
        }
    }

    // MARK: Job summaries

    /// Saves a job's summary (replacing an earlier one).
    public func save(_ s: JobEnergySummaryRecord) throws {
        try write { db in try s.save(db) }
    }

    /// The summaries of the given jobs, by job id.
    public func jobSummaries() throws -> [Int64: JobEnergySummaryRecord] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try JobEnergySummaryRecord.fetchAll(db).map { ($0.jobID, $0) })
        }
    }

    /// Every job's intensity provenance, by job id.
    public func jobIntensities() throws -> [Int64: JobIntensityRecord] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try JobIntensityRecord.fetchAll(db).map { ($0.jobID, $0) })
        }
    }

    /// Sums of the per-tick intervals of jobs that have no summary (finished before summaries existed):
    /// seconds per source, by job id.
    public func intervalSplits(jobIDs: [Int64]) throws -> [Int64: (measured: Double, estimated: Double, missing: Double)] {
        guard !jobIDs.isEmpty else { return [:] }
        return try pool.read { db in
            var out: [Int64: (Double, Double, Double)] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT job_id, source, TOTAL((julianday(end_at) - julianday(start_at)) * 86400) FROM job_intervals
                WHERE job_id IN (\(jobIDs.map(String.init).joined(separator: ","))) GROUP BY job_id, source
                """)
            for r in rows {
                let id: Int64 = r[0], src: String = r[1], s: Double = r[2]
                var v = out[id] ?? (0, 0, 0)
                switch EnergySource(rawValue: src) ?? .unavailable {
                case .measured: v.0 += s
                case .estimated: v.1 += s
                case .unavailable, .partial, .notMeasured: v.2 += s
                }
                out[id] = v
            }
            return out.mapValues { (measured: $0.0, estimated: $0.1, missing: $0.2) }
        }
    }
}

extension VerdantDatabase {
    /// Stored jobs per state name.
    public func jobCountsByState() throws -> [String: Int] {
        try pool.read { db in
            var out: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state") { out[r[0]] = r[1] }
            return out
        }
    }
}
