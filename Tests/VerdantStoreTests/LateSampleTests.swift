import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// Samples that arrive after their minute was rolled up (the wall clock stepped back, docs/measurement.md
/// "Wall-clock steps"), and samples whose start collides with a stored one, on a real SQLite file:
/// none is lost from the stored samples or from the energy a report reads (`energyPieces`).
@Suite struct LateSampleTests {
    /// 2025-11-29T12:00:00Z, a whole hour (490,116 × 3600 s).
    static let hour = 1_764_417_600.0

    func sample(_ start: Double, joules: Double, seconds: Double = 1) -> EnergySampleRecord {
        EnergySampleRecord(zone: "intel-rapl:0", zoneName: "package-0", source: .measured, startAt: Date(timeIntervalSince1970: start),
                           endAt: Date(timeIntervalSince1970: start + seconds), durationSeconds: seconds, energy: EnergyJoules(joules),
                           busyCPUSeconds: 0.5, status: "ok")
    }

    func totalJoules(_ db: VerdantDatabase) throws -> Double {
        let h = Self.hour
        return try db.energyPieces(from: Date(timeIntervalSince1970: h - 7200), to: Date(timeIntervalSince1970: h + 7200))
            .compactMap(\.energyJoules).reduce(0, +)
    }

    @Test func aSampleAnHourBackIsRolledUpAndACollidingStartIsKept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-late-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try VerdantDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let h = Self.hour, w = h + 1800
        // Two minutes at 1 Hz from 12:30:00, 10 J each: 1,200 J.
        try db.append(samples: (0..<120).map { sample(w + Double($0), joules: 10) }, intervals: [], meta: [:])
        // Newest start 12:31:59 → minutes before 12:31:00 rolled up; the hour watermark is 12:00.
        try db.rollUp()
        let marks = try db.rollupWatermarks()
        #expect(marks.minute == Int64(h) + 1860)
        #expect(marks.hour == Int64(h))
        #expect(try totalJoules(db) == 1200)

        // The wall clock stepped back an hour: a 2 s, 60 J sample starting at 11:30:00.250, below both
        // watermarks. It is stored and counted in its minute (11:30) and its hour (11:00).
        try db.append(samples: [sample(w - 3600 + 0.25, joules: 60, seconds: 2)], intervals: [], meta: [:])
        #expect(try db.sampleCount() == 121)
        #expect(try totalJoules(db) == 1260)
        let rows = try db.pool.read { d -> (Double?, Double?, Double?) in
            (try Double.fetchOne(d, sql: "SELECT energy_j FROM energy_rollups WHERE resolution = 60 AND bucket = ?", arguments: [Int64(h) - 1800]),
             try Double.fetchOne(d, sql: "SELECT energy_j FROM energy_rollups WHERE resolution = 3600 AND bucket = ?", arguments: [Int64(h) - 3600]),
             try Double.fetchOne(d, sql: "SELECT ok_s FROM energy_rollups WHERE resolution = 60 AND bucket = ?", arguments: [Int64(h) - 1800]))
        }
        #expect(rows.0 == 60)   // minute 11:30
        #expect(rows.1 == 60)   // hour 11:00
        #expect(rows.2 == 2)    // its 2 s, all with a number

        // Another sample of the zone starting exactly at a stored start (12:31:40.000), 7 J: stored 1 ms later.
        try db.append(samples: [sample(w + 100, joules: 7)], intervals: [], meta: [:])
        let at100 = try db.samples(from: Date(timeIntervalSince1970: w + 100), to: Date(timeIntervalSince1970: w + 101))
        #expect(at100.map { $0.energy?.joules } == [10, 7])
        #expect(at100.map { ($0.startAt.timeIntervalSince1970 - w - 100) * 1000 }.map { $0.rounded() } == [0, 1])
        #expect(at100.map(\.durationSeconds) == [1, 1])
        // The same samples written again are ignored, not stored twice.
        try db.append(samples: [sample(w + 100, joules: 10), sample(w + 100, joules: 7)], intervals: [], meta: [:])
        #expect(try db.sampleCount() == 122)
        #expect(try totalJoules(db) == 1267)

        // Rolled up and pruned: still all 1,267 J (the late sample's raw row is gone, its roll-ups stay).
        try db.rollUp()
        let pruned = try db.pruneRaw(olderThan: Date(timeIntervalSince1970: h + 7200))
        #expect(pruned == 61)   // 12:30:00…12:30:59 and the late sample: below the minute watermark
        #expect(try totalJoules(db) == 1267)
    }
}
