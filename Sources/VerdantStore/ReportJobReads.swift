import Foundation
import GRDB
import GRDBSQLite
import VerdantCore

/// The finished jobs a report lists, read in one query with only the columns a report uses.
///
/// A year of jobs (20,000 rows) decoded through `Job`'s Codable conformance, each with its command,
/// environment and sizes JSON, plus two more full-table decodes for the summaries and provenance, took
/// seconds (docs/performance.md); this reads the same values with one `LEFT JOIN` and positional
/// `Row` access.
extension VerdantDatabase {
    /// One finished job as a report needs it.
    public struct ReportJobRow: Sendable {
        /// The job, with only the fields a report reads filled in: id, name, kind, state, uid,
        /// submitted/started/ended times, energy, its source, carbon, CPU seconds, expected energy,
        /// predicted and run-now carbon, and the predictor's error percentages. The command,
        /// environment, working directory, plan details and executor fields are left empty.
        public var job: Job
        /// `job_energy_summary`, when stored.
        public var summary: JobEnergySummaryRecord?
        /// `job_intensity.plan_source` and `.kind`, when stored.
        public var intensitySource: String?
        public var intensityKind: String?
    }

    /// Finished jobs (any state but `queued` and `running`), by id, with their summaries and provenance.
    ///
    /// Reuses the rows of the previous call (`reportJobRowCache`) brought up to date by the change log
    /// (`ReportJobChanges.swift`, read in the same read transaction): unchanged, they are returned as kept;
    /// after changes, only the jobs the log names are read and merged in (a job that finished is one row
    /// read); kept rows older than the log reaches back, or no kept rows, mean one read of every finished job.
    /// - Parameter startedFrom: when given, only jobs started at or after it (a report's `--since`).
    /// - Throws: `DatabaseError`.
    public func reportJobRows(startedFrom: Date? = nil) throws -> [ReportJobRow] {
        try pool.read { db in
            guard let log = try Self.reportJobChangesState(db) else {
                reportJobRowCache.note(.untrusted)
                return try Self.readReportJobRows(db, startedFrom: startedFrom)
            }
            let all: [ReportJobRow]
            let kept = reportJobRowCache.kept()
            if let kept, kept.head == log.head {
                all = kept.rows
                reportJobRowCache.note(.reused)
            } else if let kept, kept.head < log.head, kept.head >= log.prunedThrough {
                let changed = try Self.reportJobsChanged(after: kept.head, db)
                let fresh = try Self.readReportJobRows(db, startedFrom: nil, changedAfter: kept.head)
                all = Self.merged(kept.rows, changed: changed, fresh: fresh)
                reportJobRowCache.note(.changed(changedJobs: changed.count, rowsRead: fresh.count))
                reportJobRowCache.keep(all, at: log.head)
            } else {
                // Nothing kept, kept rows older than the log reaches back, or newer than this snapshot.
                all = try Self.readReportJobRows(db, startedFrom: nil)
                reportJobRowCache.keep(all, at: log.head)
                reportJobRowCache.note(.whole(rowsRead: all.count))
            }
            guard let startedFrom else { return all }
            return all.filter { row in row.job.startedAt.map { $0 >= startedFrom } ?? false }
        }
    }

    /// `kept` (by id) with the rows of the `changed` ids (ascending) replaced by `fresh` (by id; a changed
    /// id missing from `fresh` is no longer a finished job, or was deleted, and leaves).
    static func merged(_ kept: [ReportJobRow], changed: [Int64], fresh: [ReportJobRow]) -> [ReportJobRow] {
        guard let firstChanged = changed.first else { return kept }
        // A job that finished (the usual change): its id is after every kept one.
        if let last = kept.last?.job.id, firstChanged > last { return kept + fresh }
        var out: [ReportJobRow] = []
        out.reserveCapacity(kept.count + fresh.count)
        var c = 0, f = 0
        for row in kept {
            let id = row.job.id ?? Int64.min
            while f < fresh.count, (fresh[f].job.id ?? Int64.min) < id { out.append(fresh[f]); f += 1 }
            while c < changed.count, changed[c] < id { c += 1 }
            if c < changed.count, changed[c] == id { continue }   // replaced by its fresh row, if any
            out.append(row)
        }
        while f < fresh.count { out.append(fresh[f]); f += 1 }
        return out
    }

    /// `reportJobRows(startedFrom:)` read from the tables, without the kept rows (`ReportReadPathTests` compares both).
    /// - Throws: `DatabaseError`.
    public func reportJobRowsFromTables(startedFrom: Date? = nil) throws -> [ReportJobRow] {
        try pool.read { db in try Self.readReportJobRows(db, startedFrom: startedFrom) }
    }

    /// The query behind `reportJobRows`, in `db`'s transaction.
    /// - Parameter changedAfter: when given, only the jobs `report_job_changes` names after that `seq`.
    static func readReportJobRows(_ db: Database, startedFrom: Date?, changedAfter: Int64? = nil) throws -> [ReportJobRow] {
            var sql = """
                SELECT j.id, j.name, j.kind, j.state, j.uid, j.submitted_at, j.started_at, j.ended_at,
                       j.energy, j.energy_source, j.carbon, j.cpu_seconds, j.expected_energy_j,
                       j.predicted_carbon_g, j.run_now_carbon_g, j.energy_error_pct, j.duration_error_pct,
                       s.job_id, s.measured_s, s.estimated_s, s.missing_s, s.counterfactual_carbon_g,
                       p.plan_source, p.kind
                FROM jobs j
                LEFT JOIN job_energy_summary s ON s.job_id = j.id
                LEFT JOIN job_intensity p ON p.job_id = j.id
                WHERE j.state NOT IN ('queued', 'running')
                """
            var arguments: StatementArguments = []
            if let startedFrom {
                sql += " AND j.started_at >= ?"
                arguments += [startedFrom]
            }
            if let changedAfter {
                sql += " AND j.id IN (SELECT job_id FROM report_job_changes WHERE seq > ?)"
                arguments += [changedAfter]
            }
            sql += " ORDER BY j.id"
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(arguments)
            // Columns read with SQLite's own calls (GRDB's row cursor checked each value's type through
            // generic conversions: half of this read's time for 20,000 rows); the values are the ones
            // GRDB's decoding gives (`ReportReadPathTests`).
            let h = statement.sqliteStatement
            defer { sqlite3_reset(h) }
            func isNull(_ i: Int32) -> Bool { sqlite3_column_type(h, i) == SQLITE_NULL }
            func double(_ i: Int32) -> Double? { isNull(i) ? nil : sqlite3_column_double(h, i) }
            func text(_ i: Int32) -> String? {
                guard !isNull(i), let p = sqlite3_column_text(h, i) else { return nil }
                return String(cString: p)
            }
            func date(_ i: Int32) -> Date? {
                guard !isNull(i) else { return nil }
                if sqlite3_column_type(h, i) == SQLITE_TEXT, let p = sqlite3_column_text(h, i),
                   let ms = StoredDateMillis.millis(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(h, i)))),
                   let d = StoredDateMillis.date(ms: ms) {
                    return d
                }
                return Date.fromDatabaseValue(DatabaseValue(sqliteStatement: h, index: i))
            }
            var out: [ReportJobRow] = []
            while true {
                let rc = sqlite3_step(h)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
                }
                let id = sqlite3_column_int64(h, 0)
                guard let submitted = date(5) else {
                    throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "job \(id): submitted_at is not a date")
                }
                let plan = JobPlan(plannedStart: submitted, latestStart: submitted, plannedIntensity: IntensityGramsPerKWh(0),
                                   runNowIntensity: IntensityGramsPerKWh(0),
                                   predictedCarbon: CarbonGrams(sqlite3_column_double(h, 13)), runNowCarbon: CarbonGrams(sqlite3_column_double(h, 14)),
                                   reason: "")
                var j = Job(id: id, name: text(1) ?? "", kind: text(2).flatMap(JobKind.init(rawValue:)) ?? .batch, command: [], workingDirectory: "",
                            environment: [], uid: UInt32(truncatingIfNeeded: sqlite3_column_int64(h, 4)), gid: 0, submittedAt: submitted,
                            deadline: submitted, expectedDurationSeconds: 0, durationSource: .given,
                            expectedEnergy: EnergyJoules(sqlite3_column_double(h, 12)), plan: plan)
                j.state = text(3).flatMap(JobState.init(rawValue:)) ?? .lost
                j.startedAt = date(6)
                j.endedAt = date(7)
                j.energy = double(8).map(EnergyJoules.init)
                j.energySource = text(9).flatMap(EnergySource.init(rawValue:))
                j.carbon = double(10).map(CarbonGrams.init)
                j.cpuSeconds = double(11)
                j.energyErrorPercent = double(15)
                j.durationErrorPercent = double(16)
                var summary: JobEnergySummaryRecord?
                if !isNull(17) {
                    summary = JobEnergySummaryRecord(jobID: sqlite3_column_int64(h, 17), measuredSeconds: sqlite3_column_double(h, 18),
                                                     estimatedSeconds: sqlite3_column_double(h, 19), missingSeconds: sqlite3_column_double(h, 20),
                                                     counterfactualCarbon: double(21))
                }
                out.append(ReportJobRow(job: j, summary: summary, intensitySource: text(22), intensityKind: text(23)))
            }
            return out
    }
}

/// Stored dates (GRDB's text `yyyy-MM-dd HH:mm:ss.SSS`, UTC) read as integer milliseconds that SQLite
/// computes (`julianday`, whose internal value is integer milliseconds: sqlite.org/lang_datefunc.html),
/// turned into the same `Date` GRDB's decoding gives without its `Calendar.date(from:)` (ICU) per value,
/// which cost microseconds each: 60,000 dates in a year's report.
///
/// GRDB builds the date with `Calendar.date(from:)`, which equals `(s − 978307200) + ms / 1000` (seconds
/// since 2001, plus the milliseconds) for whole-second counts far from 2001-01-01; within a few months
/// of it ICU's arithmetic differs in the last bits, so dates there (±3 years, and before 1970 or after
/// 9999) and anything not in the 23-character text form are decoded by GRDB itself.
/// `ReportReadPathTests` checks both against GRDB's decoding.
enum StoredDateMillis {
    /// Seconds from 1970-01-01 to 2001-01-01 (Foundation's reference date).
    static let referenceSeconds: Int64 = 978_307_200

    /// SQL for the integer milliseconds since 1970 of `column`, or NULL when it is not 23-character text:
    /// what the read path selected before it parsed the text itself (`millis`); the tests compare both.
    static func sql(_ column: String) -> String {
        "CASE WHEN typeof(\(column)) = 'text' AND length(\(column)) = 23 THEN CAST(ROUND((julianday(\(column)) - 2440587.5) * 86400000.0) AS INTEGER) END"
    }

    /// The milliseconds since 1970 of GRDB's 23-character text `yyyy-MM-dd HH:mm:ss.SSS` (or with `T`),
    /// computed as `sql` computes them; `nil` for any other text (then GRDB decodes it).
    static func millis(_ t: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard t.count == 23, t[4] == 45, t[7] == 45, t[10] == 32 || t[10] == 84, t[13] == 58, t[16] == 58, t[19] == 46 else { return nil }
        func number(_ a: Int, _ n: Int) -> Int64? {
            var v: Int64 = 0
            for k in a..<(a + n) {
                let c = t[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), let milli = number(20, 3),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilDays.days(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + milli
    }

    /// `nil` where GRDB's decoding is not reproduced exactly (see the type's note).
    static func date(ms: Int64) -> Date? {
        guard ms >= 0, ms < 253_402_300_800_000 else { return nil }
        let secs = ms / 1000, frac = ms - secs * 1000
        guard abs(secs - referenceSeconds) >= 100_000_000 else { return nil }
        return Date(timeIntervalSinceReferenceDate: Double(secs - referenceSeconds) + Double(frac) / 1000)
    }
}
