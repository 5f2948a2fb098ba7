import Foundation
import GRDB

extension VerdantDatabase {
    /// Migration "v6-job-min-saving-decisions": the table `job_min_saving_decisions` (`job_id`,
    /// `decided_at`): queued jobs whose policy `min-saving` test has been made at their first plan and
    /// that were deferred (issue 6). The planner applies `min-saving` only at a job's first plan; this
    /// keeps that decision across a daemon restart, so a deferred job is not pulled back to "now" by
    /// the new daemon's first plan. Frozen once shipped.
    static func registerMinimumSavingDecisions(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-job-min-saving-decisions") { db in
            try db.create(table: "job_min_saving_decisions") { t in
                t.primaryKey("job_id", .integer).references("jobs", onDelete: .cascade)
                t.column("decided_at", .datetime).notNull()
            }
        }
    }

    /// Records that the `min-saving` test of these jobs was made (they were deferred); repeats are ignored.
    /// - Throws: GRDB's error when the write fails.
    public func recordMinimumSavingDecided(jobIDs: [Int64], at time: Date) throws {
        guard !jobIDs.isEmpty else { return }
        try write(durable: true) { db in
            for id in jobIDs {
                try db.execute(sql: "INSERT OR IGNORE INTO job_min_saving_decisions (job_id, decided_at) VALUES (?, ?)",
                               arguments: [id, time])
            }
        }
    }

    /// The ids of queued jobs whose `min-saving` test has been made.
    /// - Throws: GRDB's error when the read fails.
    public func minimumSavingDecidedQueuedJobs() throws -> Set<Int64> {
        try pool.read { db in
            Set(try Int64.fetchAll(db, sql: """
                SELECT d.job_id FROM job_min_saving_decisions d JOIN jobs j ON j.id = d.job_id WHERE j.state = 'queued'
                """))
        }
    }
}
