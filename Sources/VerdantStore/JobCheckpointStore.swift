import GRDB

extension VerdantDatabase {
    /// Migration "v5-job-checkpoint": per-job `interruptible` (NULL = the kind's policy),
    /// `checkpoint_signal` (NULL = frozen between run intervals), `checkpoint_grace_s` and
    /// `restart_count` (issue 6, checkpoint-and-restart). Frozen once shipped.
    static func registerJobCheckpoint(_ m: inout DatabaseMigrator) {
        m.registerMigration("v5-job-checkpoint") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "interruptible", .boolean)
                t.add(column: "checkpoint_signal", .integer)
                t.add(column: "checkpoint_grace_s", .double)
                t.add(column: "restart_count", .integer).notNull().defaults(to: 0)
            }
        }
    }
}
