import Foundation
import GRDB
import VerdantCore

// Trained carbon-intensity models (issue 5). Table created by the migration "v3-intensity-models".

/// One trained forecaster model. Table `intensity_models`; a new row per training, never updated.
public struct IntensityModelRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    /// `intensity_models`.
    public static var databaseTableName: String { "intensity_models" }
    /// Row id; also the model's version within its zone (increasing).
    public var id: Int64?
    /// Grid zone.
    public var zone: String
    /// Model name, e.g. `ridge-v1`.
    public var name: String
    /// When it was trained (daemon clock) and the training window [start, end), UTC.
    public var trainedAt: Date
    public var trainingStart: Date
    public var trainingEnd: Date
    /// Slot length, s.
    public var slotSeconds: Int
    /// Comma-separated feature names.
    public var features: String
    /// Mean out-of-sample MAPE (%) over the horizon steps on the latest backtest (validation folds):
    /// the model as used, and seasonal naive 24 h.
    public var backtestMAPE: Double?
    public var seasonalNaiveMAPE: Double?
    /// The per-step scores and everything needed to forecast: `TrainedIntensityModel` as JSON.
    public var modelJSON: String
    /// Whether it is used: false when it scored worse than seasonal naive 24 h on the latest backtest.
    public var inUse: Bool
    /// Why it is (not) used, in words.
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case id, zone, name, features, reason
        case trainedAt = "trained_at"
        case trainingStart = "training_start"
        case trainingEnd = "training_end"
        case slotSeconds = "slot_s"
        case backtestMAPE = "backtest_mape"
        case seasonalNaiveMAPE = "seasonal_naive_mape"
        case modelJSON = "model_json"
        case inUse = "in_use"
    }

    /// The row for a trained model.
    public init(zone: String, model: TrainedIntensityModel, trainedAt: Date, inUse: Bool, reason: String) throws {
        self.zone = zone
        name = model.name
        self.trainedAt = trainedAt
        trainingStart = model.trainingStart
        trainingEnd = model.trainingEnd
        slotSeconds = model.slotSeconds
        features = model.featureNames.joined(separator: ",")
        backtestMAPE = model.meanValidationMAPE("chosen")
        seasonalNaiveMAPE = model.meanValidationMAPE("seasonal-naive-24h")
        modelJSON = String(decoding: try JSONEncoder().encode(model), as: UTF8.self)
        self.inUse = inUse
        self.reason = reason
    }

    /// The stored model.
    /// - Throws: `DecodingError` for a row written by an incompatible version.
    public func model() throws -> TrainedIntensityModel {
        try JSONDecoder().decode(TrainedIntensityModel.self, from: Data(modelJSON.utf8))
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension VerdantDatabase {
    /// Migration "v3-intensity-models": `intensity_models`. Frozen once shipped.
    static func registerIntensityModels(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-intensity-models") { db in
            try db.create(table: "intensity_models") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("zone", .text).notNull()
                t.column("name", .text).notNull()
                t.column("trained_at", .datetime).notNull()
                t.column("training_start", .datetime).notNull()
                t.column("training_end", .datetime).notNull()
                t.column("slot_s", .integer).notNull()
                t.column("features", .text).notNull()
                t.column("backtest_mape", .double)
                t.column("seasonal_naive_mape", .double)
                t.column("model_json", .text).notNull()
                t.column("in_use", .boolean).notNull()
                t.column("reason", .text).notNull()
            }
            try db.create(index: "intensity_models_zone", on: "intensity_models", columns: ["zone", "id"])
        }
    }

    /// Stores a trained model; returns it with its id (version).
    /// - Throws: `DatabaseError`.
    public func save(model r: IntensityModelRecord) throws -> IntensityModelRecord {
        try write { db in
            var row = r
            try row.insert(db)
            return row
        }
    }

    /// The newest model of a zone, or nil.
    public func latestModel(zone: String) throws -> IntensityModelRecord? {
        try pool.read { db in
            try IntensityModelRecord.filter(Column("zone") == zone).order(Column("id").desc).fetchOne(db)
        }
    }

    /// Every stored model of a zone, newest first.
    public func models(zone: String) throws -> [IntensityModelRecord] {
        try pool.read { db in
            try IntensityModelRecord.filter(Column("zone") == zone).order(Column("id").desc).fetchAll(db)
        }
    }
}
