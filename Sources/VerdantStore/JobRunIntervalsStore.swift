import Foundation
import GRDB

extension VerdantDatabase {
    /// Migration "v9-job-run-intervals": the table `job_run_intervals` (`job_id`, `runs_json`,
    /// `updated_at`): the run intervals a started interruptible job follows now (issue 6), rewritten at
    /// every re-plan that moves them, so a daemon restarted after a crash (`kill -9`) that re-adopts the
    /// job (an executor whose jobs outlive it) follows the same intervals. `runs_json`: a JSON list of
    /// `[start, end]` pairs in seconds since the Unix epoch (UTC). Frozen once shipped.
    static func registerJobRunIntervals(_ m: inout DatabaseMigrator) {
        m.registerMigration("v9-job-run-intervals") { db in
            try db.create(table: "job_run_intervals") { t in
                t.primaryKey("job_id", .integer).references("jobs", onDelete: .cascade)
                t.column("runs_json", .text).notNull()
                t.column("updated_at", .datetime).notNull()
            }
        }
    }

    /// Records (or replaces) the run intervals job `jobID` follows.
    /// - Throws: GRDB's error when the write fails.
    public func saveRunIntervals(jobID: Int64, runs: [DateInterval], at time: Date) throws {
        // Swift's shortest round-trip form of each Double, so the times read back are the same.
        let json = "[" + runs.map { "[\($0.start.timeIntervalSince1970),\($0.end.timeIntervalSince1970)]" }.joined(separator: ",") + "]"
        try write(durable: true) { db in
            try db.execute(sql: "INSERT OR REPLACE INTO job_run_intervals (job_id, runs_json, updated_at) VALUES (?, ?, ?)",
                           arguments: [jobID, json, time])
        }
    }

    /// The run intervals last recorded for job `jobID`, in order; nil when none were recorded (or the
    /// row does not parse, which only a hand edit can cause).
    /// - Throws: GRDB's error when the read fails.
    public func runIntervals(jobID: Int64) throws -> [DateInterval]? {
        let json = try pool.read { db in
            try String.fetchOne(db, sql: "SELECT runs_json FROM job_run_intervals WHERE job_id = ?", arguments: [jobID])
        }
        guard let json, let list = try? JSONDecoder().decode([[Double]].self, from: Data(json.utf8)) else { return nil }
        var out: [DateInterval] = []
        for p in list {
            guard p.count == 2, p[1] >= p[0] else { return nil }
            out.append(DateInterval(start: Date(timeIntervalSince1970: p[0]), end: Date(timeIntervalSince1970: p[1])))
        }
        return out
    }
}
