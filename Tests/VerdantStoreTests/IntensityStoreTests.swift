import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

@Suite struct IntensityStoreTests {
    let t0 = ISO8601.parse("2024-03-01T00:00:00Z")!

    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-istore-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("verdant.sqlite").path
    }

    @Test func v2MigrationComesAfterTheFrozenV1() throws {
        let db = try VerdantDatabase(path: tempPath())
        let applied = try db.pool.read { try VerdantDatabase.migrator.appliedMigrations($0) }
        // Frozen order first; later migrations (v3-job-executor, …) follow.
        #expect(Array(applied.prefix(3)) == ["v1-initial", "v2-energy-status", "v2-intensity-provenance"])
        #expect(applied.contains("v3-job-executor"))
        #expect(applied.contains("v3-reports-rollups"))
        #expect(applied.contains("v3-learned-power-models") && applied.contains("v3-job-gpus"))
        // The v1 API still works.
        try db.upsert([IntensityPointRecord(zone: "DE", time: t0, intensity: IntensityGramsPerKWh(300), source: "trace:x", signal: "average")])
        #expect(try db.intensityPoints(zone: "DE", source: "trace:x").map(\.intensity) == [IntensityGramsPerKWh(300)])
    }

    @Test func slotsKeepNullsProvenanceAndEveryForecastIssue() throws {
        let db = try VerdantDatabase(path: tempPath())
        func slot(_ h: Double, _ v: Double?, issued: Date? = nil) -> IntensitySlot {
            IntensitySlot(zone: "DE", start: t0.addingTimeInterval(h * 3600), durationSeconds: 3600, value: v.map { IntensityGramsPerKWh($0) },
                          kind: .average, basis: .lifecycle, source: "electricitymaps", issuedAt: issued)
        }
        try db.store(slots: [slot(0, 355), slot(1, 384), slot(2, nil), slot(3, 391)], fetchedAt: t0.addingTimeInterval(4 * 3600))
        try db.store(slots: [slot(4, 370, issued: t0), slot(4, 365, issued: t0.addingTimeInterval(3600))], fetchedAt: t0.addingTimeInterval(4 * 3600))
        try db.store(slots: [slot(3, 391)], fetchedAt: t0.addingTimeInterval(5 * 3600))   // same key: replaced, not duplicated
        let all = try db.slots(zone: "DE", from: t0, to: t0.addingTimeInterval(6 * 3600))
        #expect(all.count == 6)
        #expect(all.map { $0.value?.gramsPerKWh } == [355, 384, nil, 391, 365, 370])   // newest forecast issue first
        #expect(all[2].basis == .lifecycle && all[2].kind == .average && all[2].source == "electricitymaps")
        #expect(try db.slots(zone: "DE", from: t0, to: t0.addingTimeInterval(6 * 3600), forecasts: true).count == 2)
        #expect(try db.slots(zone: "DE", from: t0, to: t0.addingTimeInterval(6 * 3600), kind: .marginal).isEmpty)
        let newest = try db.newestSlot(zone: "DE", source: "electricitymaps")
        #expect(newest.fetchedAt == t0.addingTimeInterval(5 * 3600))
        #expect(newest.start == t0.addingTimeInterval(4 * 3600))
        let series = IntensitySlotSeries(slots: all, fallback: IntensityGramsPerKWh(480))
        #expect(series.knownValue(at: t0.addingTimeInterval(4 * 3600)) == IntensityGramsPerKWh(365))
    }
}
