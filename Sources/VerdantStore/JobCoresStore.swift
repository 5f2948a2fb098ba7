import GRDB

extension VerdantDatabase {
    /// Migration "v3-job-cores": `jobs.cores`, the CPU cores a job asked for (default 1), which the
    /// planner counts against the node's capacity (issue 6). Frozen once shipped.
    static func registerJobCores(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-job-cores") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "cores", .integer).notNull().defaults(to: 1)
            }
        }
    }
}
