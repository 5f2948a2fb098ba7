import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// The sampler's row encoding (`SampleRowEncoding.swift`) writes the very text GRDB's own
/// `Date.databaseValue` (a `DateFormatter`) writes, and the same columns as the Codable encoding.
@Suite struct StorageDateTests {
    /// Dates around the edges of the format: millisecond truncation (x.0005, x.9995, 1 ns below a
    /// second), midnight, leap days, the year 2000 and 2100 rules, before 1970, after 2038.
    static let edgeDates: [Date] = {
        var dates: [Date] = []
        let bases: [Double] = [0, 951_782_400, 951_868_799.999, 1_582_934_400, 1_709_164_800, 1_790_000_000.5,
                               2_147_483_647, 4_107_542_400, 4_107_542_399.9995, -86_400.25, -2_208_988_800,
                               1_764_417_600.123456, 1_764_417_600.9999999]
        for b in bases {
            for d in [0, 0.0004, 0.0005, 0.0006, 0.9994, 0.9995, 0.9999999, 1e-9, 0.001, 0.123] {
                dates.append(Date(timeIntervalSince1970: b + d))
            }
        }
        return dates
    }()

    @Test func sameTextAsGRDBsDateFormatterAtTheEdges() {
        for d in Self.edgeDates {
            #expect(StorageDate.text(d) == String.fromDatabaseValue(d.databaseValue), "\(d.timeIntervalSince1970)")
        }
    }

    @Test func sameTextAsGRDBsDateFormatterOnTenThousandSamplerTimes() {
        // Sampler-like times: 2020–2030 with arbitrary sub-millisecond parts (a fixed LCG, reproducible).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<10_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let t = 1_577_836_800 + Double(state >> 11) / Double(1 << 53) * 315_360_000
            let d = Date(timeIntervalSince1970: t)
            #expect(StorageDate.text(d) == String.fromDatabaseValue(d.databaseValue), "\(t)")
        }
    }

    @Test func sampleAndIntervalRowsReadBackAndMatchTheCodableColumns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-rows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try VerdantDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let t0 = Date(timeIntervalSince1970: 1_764_417_600.1239)
        let t1 = t0.addingTimeInterval(1.0004)
        let sample = EnergySampleRecord(zone: "intel-rapl:0", zoneName: "package-0", source: .measured, startAt: t0, endAt: t1,
                                        durationSeconds: 1.0004, energy: EnergyJoules(39.3), busyCPUSeconds: 0.75, status: "ok")
        let missing = EnergySampleRecord(zone: "cpu-estimate", zoneName: "counters unreadable", source: .unavailable, startAt: t1,
                                         endAt: t1.addingTimeInterval(1), durationSeconds: 1, energy: nil, busyCPUSeconds: 0.5,
                                         status: "missing")
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(250),
                           runNowIntensity: IntensityGramsPerKWh(250), predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(1),
                           reason: "test")
        let job = try db.insert(Job(name: "j", kind: .batch, command: ["true"], workingDirectory: "/tmp", environment: [],
                                    uid: 0, gid: 0, submittedAt: t0, deadline: t0.addingTimeInterval(3600),
                                    expectedDurationSeconds: 60, durationSource: .given, expectedEnergy: EnergyJoules(1), plan: plan))
        let jobID = try #require(job.id)
        let interval = JobIntervalRecord(jobID: jobID, interval: JobEnergyInterval(start: t0, end: t1, energy: EnergyJoules(67.2),
                                                                                 source: .estimated, cpuSeconds: 6,
                                                                                 intensity: IntensityGramsPerKWh(250)))
        try db.append(samples: [sample, missing], intervals: [interval], meta: [:])
        // Samples live in the compact `energy_ticks` table (EnergyTicks.swift): read back through its reader.
        let back = try db.samples()
        #expect(back.count == 2)
        #expect(back[0].zone == "intel-rapl:0")
        #expect(back[0].zoneName == "package-0")
        #expect(back[0].source == .measured)
        #expect(abs(back[0].startAt.timeIntervalSince(t0)) < 0.001)
        #expect(back[0].energy == EnergyJoules(39.3))
        #expect(back[0].busyCPUSeconds == 0.75)
        #expect(back[1].energy == nil)
        #expect(back[1].status == "missing")
        try db.pool.read { d in
            let text = try #require(try String.fetchOne(d, sql: "SELECT start_at FROM job_intervals"))
            #expect(text == String.fromDatabaseValue(t0.databaseValue))
            #expect(text == "2025-11-29 12:00:00.124")   // .1239 s rounds to .124
            let i = try #require(try Row.fetchOne(d, sql: "SELECT job_id, start_at, end_at, energy_j, source, cpu_s, intensity_g_per_kwh, carbon_g FROM job_intervals"))
            #expect(i["job_id"] as Int64 == jobID)
            #expect(i["source"] as String == "estimated")
            #expect(i["energy_j"] as Double == 67.2)
            #expect(i["cpu_s"] as Double == 6)
            #expect(i["intensity_g_per_kwh"] as Double == 250)
            // 67.2 J = 1.8667e-5 kWh × 250 g/kWh = 0.004667 g
            #expect(abs((i["carbon_g"] as Double) - 67.2 / 3.6e6 * 250) < 1e-12)
            #expect(try JobIntervalRecord.fetchOne(d)?.carbon.grams == interval.carbon.grams)
        }
    }
}
