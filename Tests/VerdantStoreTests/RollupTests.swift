import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

@Suite struct RollupTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func tempDatabase() throws -> VerdantDatabase {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-rollup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return try VerdantDatabase(path: dir.appendingPathComponent("verdant.sqlite").path)
    }

    /// `seconds` samples of 1 s from `start`: zone A draws 10 W (10 J per sample), zone B 2 W except
    /// that every 10th sample of B is `uncertain` (no number).
    func samples(from start: Date, seconds: Int) -> [EnergySampleRecord] {
        (0..<seconds).flatMap { k -> [EnergySampleRecord] in
            let a = start.addingTimeInterval(Double(k)), b = a.addingTimeInterval(1)
            let uncertain = k % 10 == 9
            return [EnergySampleRecord(zone: "intel-rapl:0", zoneName: "package-0", source: .measured, startAt: a, endAt: b,
                                       durationSeconds: 1, energy: EnergyJoules(10), busyCPUSeconds: 0.5),
                    EnergySampleRecord(zone: "intel-rapl:0:0", zoneName: "core", source: .measured, startAt: a, endAt: b,
                                       durationSeconds: 1, energy: uncertain ? nil : EnergyJoules(2), busyCPUSeconds: 0.5,
                                       status: uncertain ? "uncertain" : "ok")]
        }
    }

    @Test func minutesAndHoursHoldTheSumsOfTheirSamplesAndAreBuiltOnce() throws {
        let db = try tempDatabase()
        // 2 h 30 s of samples, appended in three batches with a roll-up after each (as the daemon does).
        let all = samples(from: t0, seconds: 7230)
        for chunk in [all[0..<3000], all[3000..<9000], all[9000...]] {
            try db.append(samples: Array(chunk), intervals: [], meta: [:])
            try db.rollUp()
        }
        // The newest sample starts at 02:00:29: minutes up to 02:00 are complete, and hours 00 and 01.
        let marks = try db.rollupWatermarks()
        #expect(marks.minute == Int64(t0.timeIntervalSince1970) + 7200)
        #expect(marks.hour == Int64(t0.timeIntervalSince1970) + 7200)
        let (minutes, hours, minuteA, hourA, hourB) = try db.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM energy_rollups WHERE resolution = 60")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM energy_rollups WHERE resolution = 3600")!,
             try Row.fetchOne(db, sql: "SELECT energy_j, ok_s, missing_s, samples FROM energy_rollups WHERE resolution = 60 AND zone = 'intel-rapl:0' AND bucket = ?", arguments: [Int64(t0.timeIntervalSince1970) + 60])!,
             try Row.fetchOne(db, sql: "SELECT energy_j, ok_s, missing_s FROM energy_rollups WHERE resolution = 3600 AND zone = 'intel-rapl:0' AND bucket = ?", arguments: [Int64(t0.timeIntervalSince1970)])!,
             try Row.fetchOne(db, sql: "SELECT energy_j, ok_s, missing_s FROM energy_rollups WHERE resolution = 3600 AND zone = 'intel-rapl:0:0' AND bucket = ?", arguments: [Int64(t0.timeIntervalSince1970) + 3600])!)
        }
        #expect(minutes == 120 * 2)
        #expect(hours == 2 * 2)
        #expect(minuteA[0] as Double == 600 && minuteA[1] as Double == 60 && minuteA[2] as Double == 0 && minuteA[3] as Int == 60)
        #expect(hourA[0] as Double == 36000 && hourA[1] as Double == 3600)
        // Zone B: 360 of 3600 samples uncertain → 3240 s × 2 W, 360 s missing.
        #expect(hourB[0] as Double == 6480 && hourB[1] as Double == 3240 && hourB[2] as Double == 360)
        // A second roll-up with nothing new changes nothing.
        let again = try db.rollUp()
        #expect(again.minutes == 0 && again.hours == 0)
    }

    @Test func aRangeReadFromRollupsPlusTheRawTailEqualsTheRawSums() throws {
        let db = try tempDatabase()
        try db.append(samples: samples(from: t0, seconds: 3 * 3600 + 95), intervals: [], meta: [:])
        try db.rollUp()
        // Before pruning, the same range summed from raw rows only …
        let from = t0.addingTimeInterval(1799.5), to = t0.addingTimeInterval(3 * 3600 + 61)
        var rawSums: [String: (Double, Double)] = [:]
        for x in try db.samples(from: from, to: to) {
            var v = rawSums[x.zone] ?? (0, 0)
            if x.status == "ok" { v.0 += x.energy?.joules ?? 0 } else { v.1 += x.durationSeconds }
            rawSums[x.zone] = v
        }
        let raw = rawSums.keys.sorted().map { ($0, rawSums[$0]!.0, rawSums[$0]!.1) }
        // … equals the pieces: hours 01:00–03:00 from hour rows, 00:30–01:00 and 03:00–03:01 from minutes, edges raw.
        let sums = try db.zoneSums(from: from, to: to)
        #expect(sums.map(\.zone) == raw.map(\.0))
        for (s, r) in zip(sums, raw) {
            #expect(abs((s.energyJoules ?? 0) - r.1) < 1e-6, "\(s.zone)")
            #expect(abs(s.missingSeconds - r.2) < 1e-9, "\(s.zone)")
        }
        #expect(sums[0].energyJoules == Double(3 * 3600 + 61 - 1800) * 10)
        let pieces = try db.energyPieces(from: from, to: to)
        #expect(pieces.filter { $0.seconds == 3600 }.count == 2 * 2)
        #expect(pieces.filter { $0.seconds == 1 }.count == 2)    // 00:29:59.5 is not in range; 00:29:59 starts before
    }

    @Test func retentionDeletesOnlyRolledUpRawRowsAndKeepsTheSums() throws {
        let db = try tempDatabase()
        try db.append(samples: samples(from: t0, seconds: 600), intervals: [], meta: [:])
        // Nothing is deleted before a roll-up.
        #expect(try db.pruneRaw(olderThan: t0.addingTimeInterval(10_000)) == 0)
        try db.rollUp()     // newest sample starts 00:09:59: minutes 0–8 are rolled up
        let before = try db.zoneSums(from: t0, to: t0.addingTimeInterval(600))
        let deleted = try db.pruneRaw(olderThan: t0.addingTimeInterval(10_000))
        #expect(deleted == 9 * 60 * 2)
        #expect(try db.sampleCount() == 60 * 2)
        let after = try db.zoneSums(from: t0, to: t0.addingTimeInterval(600))
        #expect(after == before)
        #expect(after[0].energyJoules == 6000)
    }
}
