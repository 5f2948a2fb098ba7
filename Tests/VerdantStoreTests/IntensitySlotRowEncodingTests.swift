import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// `intensity_slots` rows written column by column (IntensitySlotRowEncoding.swift) hold what the
/// Codable encoding through GRDB's `DateFormatter` held: the same columns, dates as GRDB's text.
@Suite struct IntensitySlotRowEncodingTests {
    @Test func rowsHoldGRDBsDateTextAndReadBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-slots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try VerdantDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        // 2020-06-01T12:00:00Z = 1,590,969,600 + 43,200 s; issued 30.25 min before; fetched .1239 s after issue.
        let start = Date(timeIntervalSince1970: 1_591_012_800)
        let issued = start.addingTimeInterval(-1815)
        let fetched = issued.addingTimeInterval(0.1239)
        let actual = IntensitySlot(zone: "DE", start: start, durationSeconds: 1800, value: IntensityGramsPerKWh(312.5),
                                   kind: .average, basis: .lifecycle, source: "trace:de.csv", issuedAt: nil)
        let forecast = IntensitySlot(zone: "DE", start: start, durationSeconds: 1800, value: nil,
                                     kind: .marginal, basis: nil, source: "watttime", issuedAt: issued)
        try db.store(slots: [actual, forecast], fetchedAt: fetched)
        try db.pool.read { d in
            let rows = try Row.fetchAll(d, sql: """
                SELECT zone, start_at, duration_s, intensity_g_per_kwh, kind, basis, source, issued_at, issued_key, fetched_at
                FROM intensity_slots ORDER BY kind
                """)
            #expect(rows.count == 2)
            let a = rows[0], f = rows[1]
            #expect(a["zone"] as String == "DE")
            #expect(a["start_at"] as String == "2020-06-01 12:00:00.000")
            #expect(a["start_at"] as String == String.fromDatabaseValue(start.databaseValue))
            #expect(a["duration_s"] as Double == 1800)
            #expect(a["intensity_g_per_kwh"] as Double == 312.5)
            #expect(a["kind"] as String == "average")
            #expect(a["basis"] as String == "lifecycle")
            #expect(a["source"] as String == "trace:de.csv")
            #expect(a["issued_at"] as String? == nil)
            #expect(a["issued_key"] as String == "")
            // 12:00:00 − 1815 s = 11:29:45; + 0.1239 s rounds to .124 ms as GRDB's formatter does.
            #expect(a["fetched_at"] as String == "2020-06-01 11:29:45.124")
            #expect(a["fetched_at"] as String == String.fromDatabaseValue(fetched.databaseValue))
            #expect(f["intensity_g_per_kwh"] as Double? == nil)
            #expect(f["basis"] as String? == nil)
            #expect(f["issued_at"] as String == "2020-06-01 11:29:45.000")
            #expect(f["issued_key"] as String == "2020-06-01T11:29:45Z")
        }
        let back = try db.slots(zone: "DE", from: start, to: start.addingTimeInterval(1800))
        #expect(Set(back) == [actual, forecast])
    }
}
