import Foundation
import GRDB
import VerdantCore

// Grid-intensity slots with provenance and per-job intensity provenance (issue 4). Tables created by
// the migration "v2-intensity-provenance".

/// One stored intensity slot. Table `intensity_slots`, unique on (zone, start_at, source, kind, issued_key).
public struct IntensitySlotRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    /// `intensity_slots`.
    public static var databaseTableName: String { "intensity_slots" }
    /// Grid zone.
    public var zone: String
    /// Slot start, UTC.
    public var startAt: Date
    /// Slot length (s).
    public var durationSeconds: Double
    /// gCO2eq/kWh; NULL when the source published the slot without a value.
    public var intensity: Double?
    /// `average` or `marginal`.
    public var kind: String
    /// `lifecycle`, `direct` or NULL.
    public var basis: String?
    /// Provider or file the slot came from.
    public var source: String
    /// Forecast issue time, NULL for actuals.
    public var issuedAt: Date?
    /// `issued_at` as ISO-8601, or "" for actuals (SQLite UNIQUE treats NULLs as distinct).
    public var issuedKey: String
    /// When verdantd received (or imported) it.
    public var fetchedAt: Date

    enum CodingKeys: String, CodingKey {
        case zone, kind, basis, source
        case startAt = "start_at"
        case durationSeconds = "duration_s"
        case intensity = "intensity_g_per_kwh"
        case issuedAt = "issued_at"
        case issuedKey = "issued_key"
        case fetchedAt = "fetched_at"
    }

    /// The row for a slot received at `fetchedAt` (UTC).
    public init(_ s: IntensitySlot, fetchedAt: Date) {
        zone = s.zone
        startAt = s.start
        durationSeconds = s.durationSeconds
        intensity = s.value?.gramsPerKWh
        kind = s.kind.rawValue
        basis = s.basis?.rawValue
        source = s.source
        issuedAt = s.issuedAt
        issuedKey = s.issuedAt.map(ISO8601.string) ?? ""
        self.fetchedAt = fetchedAt
    }

    /// The slot, or `nil` for a row whose kind is unknown to this version.
    public var slot: IntensitySlot? {
        guard let k = IntensitySignalKind(rawValue: kind) else { return nil }
        return IntensitySlot(zone: zone, start: startAt, durationSeconds: durationSeconds, value: intensity.map { IntensityGramsPerKWh($0) },
                             kind: k, basis: basis.flatMap(EmissionBasis.init(rawValue:)), source: source, issuedAt: issuedAt)
    }
}

/// Which intensity a job was planned with and how much of its run was priced by the fill rule.
/// Table `job_intensity`, one row per job planned since v2.
public struct JobIntensityRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    /// `job_intensity`.
    public static var databaseTableName: String { "job_intensity" }
    /// The job (`jobs.id`).
    public var jobID: Int64
    /// The chain source used for the plan: a provider name, `cache:<provider>`, `trace:<file>`, `static …`.
    public var planSource: String
    /// `average` or `marginal`.
    public var kind: String
    /// Whether the planned run lies wholly inside known slots.
    public var plannedOnData: Bool
    /// Seconds of the run priced by the fill rule or the static value; set when the job ends.
    public var filledSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case kind
        case jobID = "job_id"
        case planSource = "plan_source"
        case plannedOnData = "planned_on_data"
        case filledSeconds = "filled_s"
    }

    /// - Parameters: see the properties.
    public init(jobID: Int64, planSource: String, kind: String, plannedOnData: Bool, filledSeconds: Double?) {
        self.jobID = jobID
        self.planSource = planSource
        self.kind = kind
        self.plannedOnData = plannedOnData
        self.filledSeconds = filledSeconds
    }
}

extension VerdantDatabase {
    /// Migration "v2-intensity-provenance": `intensity_slots` and `job_intensity`. Frozen once shipped.
    static func registerIntensityProvenance(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2-intensity-provenance") { db in
            try db.create(table: "intensity_slots") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("zone", .text).notNull()
                t.column("start_at", .datetime).notNull()
                t.column("duration_s", .double).notNull()
                t.column("intensity_g_per_kwh", .double)
                t.column("kind", .text).notNull()
                t.column("basis", .text)
                t.column("source", .text).notNull()
                t.column("issued_at", .datetime)
                t.column("issued_key", .text).notNull()
                t.column("fetched_at", .datetime).notNull()
                t.uniqueKey(["zone", "start_at", "source", "kind", "issued_key"], onConflict: .replace)
            }
            try db.create(index: "intensity_slots_zone_start", on: "intensity_slots", columns: ["zone", "start_at"])
            try db.create(table: "job_intensity") { t in
                t.primaryKey("job_id", .integer).references("jobs")
                t.column("plan_source", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("planned_on_data", .boolean).notNull()
                t.column("filled_s", .double)
            }
        }
    }

    /// Stores slots in one transaction (same zone, start, source, kind and issue time replaces).
    /// - Throws: `DatabaseError`; then nothing of the batch is written.
    /// - Parameter progress: called with the rows written so far, every 256 rows, inside the transaction
    ///   (`verdantd import-intensity`'s progress line; issue 12).
    public func store(slots: [IntensitySlot], fetchedAt: Date, progress: (@Sendable (Int) -> Void)? = nil) throws {
        try write { db in
            for (i, s) in slots.enumerated() {
                try IntensitySlotRecord(s, fetchedAt: fetchedAt).insert(db)
                if let progress, (i + 1) % 256 == 0 { progress(i + 1) }
            }
        }
    }

    /// Stored slots of a zone overlapping [from, to), ordered by start, then actuals before forecasts,
    /// then newest issue first (the order `IntensitySlotSeries` keeps the first of).
    /// - Parameters: `kind`/`source` filter when given; `forecasts` `true` = only forecasts, `false` = only actuals.
    public func slots(zone: String, from: Date, to: Date, kind: IntensitySignalKind? = nil, source: String? = nil,
                      forecasts: Bool? = nil) throws -> [IntensitySlot] {
        try pool.read { db in
            var q = IntensitySlotRecord.filter(Column("zone") == zone && Column("start_at") < to
                                               && Column("start_at") >= from.addingTimeInterval(-86400))
            if let kind { q = q.filter(Column("kind") == kind.rawValue) }
            if let source { q = q.filter(Column("source") == source) }
            if let forecasts { q = q.filter(forecasts ? Column("issued_at") != nil : Column("issued_at") == nil) }
            return try q.order(Column("start_at"), Column("issued_key").desc, Column("fetched_at").desc).fetchAll(db)
                .compactMap(\.slot).filter { $0.end > from }
                .sorted { a, b in
                    if a.start != b.start { return a.start < b.start }
                    if (a.issuedAt == nil) != (b.issuedAt == nil) { return a.issuedAt == nil }
                    return (a.issuedAt ?? .distantPast) > (b.issuedAt ?? .distantPast)
                }
        }
    }

    /// The newest `fetched_at` and the newest slot start of one source and zone, or `nil`s.
    public func newestSlot(zone: String, source: String) throws -> (fetchedAt: Date?, start: Date?) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT MAX(fetched_at) AS f, MAX(start_at) AS s FROM intensity_slots WHERE zone = ? AND source = ?",
                                       arguments: [zone, source])
            return (row?["f"] as Date?, row?["s"] as Date?)
        }
    }

    /// Records (or replaces) a job's intensity provenance.
    public func save(_ r: JobIntensityRecord) throws {
        try write { db in try r.save(db) }
    }

    /// A job's intensity provenance, or `nil` for jobs planned before v2.
    public func jobIntensity(jobID: Int64) throws -> JobIntensityRecord? {
        try pool.read { db in try JobIntensityRecord.fetchOne(db, key: jobID) }
    }
}
