import Foundation
import GRDB
import VerdantCore

extension VerdantDatabase {
    /// Migration "v3-learned-power-models": table `power_models`, one row per fitted version of the
    /// CPU power model learned on this host's counters. Frozen once shipped.
    static func registerLearnedPowerModels(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-learned-power-models") { db in
            try db.create(table: "power_models") { t in
                t.primaryKey("version", .integer)
                t.column("name", .text).notNull()
                t.column("idle_w", .double).notNull()
                t.column("dynamic_w", .double).notNull()
                t.column("exponent", .double).notNull()
                t.column("frequency_exponent", .double).notNull()
                t.column("mape", .double)
                t.column("samples", .integer).notNull()
                t.column("fitted_at", .datetime).notNull()
            }
        }
    }

    /// Migration "v3-job-gpus": `jobs.gpus` (GPUs asked for) and `jobs.gpu_energy_j`. Frozen once shipped.
    static func registerJobGPUs(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-job-gpus") { db in
            try db.alter(table: "jobs") { t in
                t.add(column: "gpus", .integer).notNull().defaults(to: 0)
                t.add(column: "gpu_energy_j", .double)
            }
        }
    }

    /// Stores a fitted model (its version replaces a row with the same version).
    /// - Parameters:
    ///   - samples: how many samples it was fitted on.
    ///   - at: when.
    /// - Throws: `DatabaseError`.
    public func savePowerModel(_ model: CPUPowerModel, samples: Int, at time: Date) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO power_models (version, name, idle_w, dynamic_w, exponent, frequency_exponent, mape, samples, fitted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [model.version, model.name, model.idlePower.watts, model.dynamicWatts, model.exponent,
                                 model.frequencyExponent, model.fitMAPE, samples, time])
        }
    }

    /// The latest stored model (highest version), or `nil`.
    /// - Throws: `DatabaseError`.
    public func latestPowerModel() throws -> CPUPowerModel? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM power_models ORDER BY version DESC LIMIT 1") else { return nil }
            return CPUPowerModel(idlePower: PowerWatts(row["idle_w"] as Double), dynamicWatts: row["dynamic_w"],
                                 exponent: row["exponent"], frequencyExponent: row["frequency_exponent"], name: row["name"],
                                 version: row["version"], fitMAPE: row["mape"])
        }
    }
}
