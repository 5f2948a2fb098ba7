import Foundation
import GRDB
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
    /// - Parameter startedFrom: when given, only jobs started at or after it (a report's `--since`).
    /// - Throws: `DatabaseError`.
    public func reportJobRows(startedFrom: Date? = nil) throws -> [ReportJobRow] {
        try pool.read { db in
            var sql = """
                SELECT j.id, j.name, j.kind, j.state, j.uid, j.submitted_at, j.started_at, j.ended_at,
                       j.energy, j.energy_source, j.carbon, j.cpu_seconds, j.expected_energy_j,
                       j.predicted_carbon_g, j.run_now_carbon_g, j.energy_error_pct, j.duration_error_pct,
                       s.job_id, s.measured_s, s.estimated_s, s.missing_s, s.counterfactual_carbon_g,
                       p.plan_source, p.kind,
                       \(StoredDateMillis.sql("j.submitted_at")), \(StoredDateMillis.sql("j.started_at")),
                       \(StoredDateMillis.sql("j.ended_at"))
                FROM jobs j
                LEFT JOIN job_energy_summary s ON s.job_id = j.id
                LEFT JOIN job_intensity p ON p.job_id = j.id
                WHERE j.state NOT IN ('queued', 'running')
                """
            var arguments: StatementArguments = []
            if let startedFrom {
                sql += " AND j.started_at >= ?"
                arguments = [startedFrom]
            }
            sql += " ORDER BY j.id"
            var out: [ReportJobRow] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let r = try rows.next() {
                let id: Int64 = r[0]
                // Dates from SQLite's integer milliseconds (columns 24–26) instead of GRDB's Calendar per
                // value; `StoredDateMillis.date` falls back to GRDB's decoding where that is not exact.
                guard let submitted = StoredDateMillis.date(r[24], row: r, textColumn: 5) else {
                    throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "job \(id): submitted_at is not a date")
                }
                let plan = JobPlan(plannedStart: submitted, latestStart: submitted, plannedIntensity: IntensityGramsPerKWh(0),
                                   runNowIntensity: IntensityGramsPerKWh(0),
                                   predictedCarbon: CarbonGrams(r[13] as Double), runNowCarbon: CarbonGrams(r[14] as Double), reason: "")
                let kindName: String = r[2], stateName: String = r[3]
                var j = Job(id: id, name: r[1], kind: JobKind(rawValue: kindName) ?? .batch, command: [], workingDirectory: "",
                            environment: [], uid: UInt32(truncatingIfNeeded: r[4] as Int64), gid: 0, submittedAt: submitted,
                            deadline: submitted, expectedDurationSeconds: 0, durationSource: .given,
                            expectedEnergy: EnergyJoules(r[12] as Double), plan: plan)
                j.state = JobState(rawValue: stateName) ?? .lost
                j.startedAt = StoredDateMillis.date(r[25], row: r, textColumn: 6)
                j.endedAt = StoredDateMillis.date(r[26], row: r, textColumn: 7)
                j.energy = (r[8] as Double?).map(EnergyJoules.init)
                j.energySource = (r[9] as String?).flatMap(EnergySource.init(rawValue:))
                j.carbon = (r[10] as Double?).map(CarbonGrams.init)
                j.cpuSeconds = r[11]
                j.energyErrorPercent = r[15]
                j.durationErrorPercent = r[16]
                var summary: JobEnergySummaryRecord?
                if let sid = r[17] as Int64? {
                    summary = JobEnergySummaryRecord(jobID: sid, measuredSeconds: r[18], estimatedSeconds: r[19], missingSeconds: r[20],
                                                     counterfactualCarbon: r[21])
                }
                out.append(ReportJobRow(job: j, summary: summary, intensitySource: r[22], intensityKind: r[23]))
            }
            return out
        }
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

    /// SQL for the integer milliseconds since 1970 of `column`, or NULL when it is not 23-character text.
    static func sql(_ column: String) -> String {
        "CASE WHEN typeof(\(column)) = 'text' AND length(\(column)) = 23 THEN CAST(ROUND((julianday(\(column)) - 2440587.5) * 86400000.0) AS INTEGER) END"
    }

    /// The date of `ms` (from `sql`), else GRDB's decoding of the row's `textColumn`.
    static func date(_ ms: Int64?, row: Row, textColumn: Int) -> Date? {
        guard let ms, let d = date(ms: ms) else { return row[textColumn] }
        return d
    }

    /// `nil` where GRDB's decoding is not reproduced exactly (see the type's note).
    static func date(ms: Int64) -> Date? {
        guard ms >= 0, ms < 253_402_300_800_000 else { return nil }
        let secs = ms / 1000, frac = ms - secs * 1000
        guard abs(secs - referenceSeconds) >= 100_000_000 else { return nil }
        return Date(timeIntervalSinceReferenceDate: Double(secs - referenceSeconds) + Double(frac) / 1000)
    }
}
