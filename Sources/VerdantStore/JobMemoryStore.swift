import GRDB

extension VerdantDatabase {
    /// Migration "v5-job-memory": `jobs.memory_bytes`, the memory a job declared (`verdant submit
    /// --memory 4G`; 0 = none declared), which the planner counts against the node's
    /// `capacity-memory-gib` (issue 6). Frozen once shipped.
    static func registerJobMemory(_ m: inout DatabaseMigrator) {
        m.registerMigration("v5-job-memory") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "memory_bytes", .integer).notNull().defaults(to: 0)
            }
        }
    }
}
