import Foundation
import GRDB
import VerdantCore

extension VerdantDatabase {
    /// Migration "v3-job-energy-predictions" (issue 5): the job-energy predictor's columns on `jobs`.
    /// - `sizes`: declared size fields as a JSON object (`{"epochs":10}`), `{}` when none.
    /// - `expected_duration_uncertainty_s`, `expected_energy_uncertainty_j`: one standard deviation of
    ///   the prediction (`expected_duration_s`, `expected_energy_j` hold the predicted values).
    /// - `prediction_basis` (`signature`, `name-kind`, `declared`, `policy`), `prediction_runs`.
    /// - `duration_s`: measured duration; `energy_error_pct`, `duration_error_pct`: (predicted − measured)
    ///   / measured × 100. Jobs that ended before v3 get their measured duration and errors backfilled
    ///   from their stored expectations; their uncertainty and basis stay NULL (unknown).
    static func registerJobEnergyPredictions(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-job-energy-predictions") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "sizes", .text).notNull().defaults(to: "{}")
                t.add(column: "expected_duration_uncertainty_s", .double)
                t.add(column: "expected_energy_uncertainty_j", .double)
                t.add(column: "prediction_basis", .text)
                t.add(column: "prediction_runs", .integer)
                t.add(column: "duration_s", .double)
                t.add(column: "energy_error_pct", .double)
                t.add(column: "duration_error_pct", .double)
            }
            try db.execute(sql: """
                UPDATE jobs SET duration_s = (julianday(ended_at) - julianday(started_at)) * 86400.0
                WHERE started_at IS NOT NULL AND ended_at IS NOT NULL
                """)
            try db.execute(sql: """
                UPDATE jobs SET duration_error_pct = (expected_duration_s - duration_s) / duration_s * 100.0
                WHERE duration_s > 0
                """)
            try db.execute(sql: """
                UPDATE jobs SET energy_error_pct = (expected_energy_j - energy) / energy * 100.0
                WHERE started_at IS NOT NULL AND energy > 0
                """)
        }
    }
}
