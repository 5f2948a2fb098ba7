import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// Migration "v4-energy-ticks" on a real SQLite file holding v2-format `energy_samples` rows, and the
/// compact tick encoding itself.
@Suite struct EnergyTicksMigrationTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func tempPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-ticks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("verdant.sqlite").path
    }

    @Test func oldSampleRowsAreConvertedWithoutLossAndRollUpToTheSameSums() throws {
        let path = try tempPath()
        // A database as the previous release left it: every migration before v4, and v2 sample rows
        // written with plain SQL (text times, text zone/name/source/status).
        do {
            let q = try DatabaseQueue(path: path)
            try VerdantDatabase.migrator.migrate(q, upTo: "v3-intensity-models")
            try q.write { db in
                func row(_ zone: String, _ name: String, _ source: String, _ start: Double, _ end: Double, _ dur: Double,
                         _ e: Double?, _ busy: Double, _ status: String) throws {
                    try db.execute(sql: """
                        INSERT INTO energy_samples (zone, zone_name, source, start_at, end_at, duration_s, energy_j, busy_cpu_s, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [zone, name, source, t0.addingTimeInterval(start), t0.addingTimeInterval(end), dur, e, busy, status])
                }
                // 120 ticks of 1 s, two zones; zone B is uncertain (no number) every 10th second.
                for k in 0..<120 {
                    let a = Double(k)
                    try row("intel-rapl:0", "package-0", "measured", a, a + 1, 1, 10.25, 0.5, "ok")
                    try row("intel-rapl:0:0", "core", "measured", a, a + 1, 1, k % 10 == 9 ? nil : 2.125, 0.5, k % 10 == 9 ? "uncertain" : "ok")
                }
                // An estimate sample with its own timing inside the tick at 120 s, and a lone one at 121.5 s.
                try row("intel-rapl:0", "package-0", "measured", 120, 121, 1, 7, 0.25, "ok")
                try row("cpu-estimate", "linear-v1", "estimated", 120, 121.5, 1.5, 3.5, 0.75, "ok")
                try row("cpu-estimate", "linear-v1", "unavailable", 121.5, 122, 0.5, nil, 0, "missing")
            }
            try q.close()
        }
        let db = try VerdantDatabase(path: path)
        let stored = try db.samples()
        #expect(stored.count == 243)
        #expect(try db.sampleCount() == 243)
        #expect(try db.pool.read { try $0.tableExists("energy_samples") } == false)
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM energy_ticks") } == 122)
        // Every value as written, to the stored resolution.
        let a = stored.filter { $0.zone == "intel-rapl:0" }
        #expect(a.count == 121 && a.allSatisfy { $0.zoneName == "package-0" && $0.source == .measured && $0.status == "ok" })
        #expect(a.prefix(120).allSatisfy { $0.energy?.joules == 10.25 && $0.durationSeconds == 1 && $0.busyCPUSeconds == 0.5 })
        #expect(a[120].energy?.joules == 7 && a[120].busyCPUSeconds == 0.25)
        let b = stored.filter { $0.zone == "intel-rapl:0:0" }
        #expect(b.filter { $0.status == "uncertain" }.count == 12 && b.filter { $0.status == "uncertain" }.allSatisfy { $0.energy == nil })
        let est = stored.filter { $0.zone == "cpu-estimate" }
        #expect(est.count == 2)
        #expect(est[0].startAt == t0.addingTimeInterval(120) && est[0].endAt == t0.addingTimeInterval(121.5))
        #expect(est[0].durationSeconds == 1.5 && est[0].busyCPUSeconds == 0.75 && est[0].energy?.joules == 3.5 && est[0].zoneName == "linear-v1")
        #expect(est[1].source == .unavailable && est[1].status == "missing" && est[1].energy == nil && est[1].durationSeconds == 0.5)
        // Roll-ups read the converted rows: minute 0 of zone A = 60 × 10.25 J; zone B = 54 × 2.125 J, 6 s missing.
        try db.rollUp()
        let sums = try db.zoneSums(from: t0, to: t0.addingTimeInterval(60))
        #expect(sums.map(\.zone) == ["intel-rapl:0", "intel-rapl:0:0"])
        #expect(sums[0].energyJoules == 615 && sums[0].okSeconds == 60 && sums[0].missingSeconds == 0)
        #expect(sums[1].energyJoules == 114.75 && sums[1].okSeconds == 54 && sums[1].missingSeconds == 6)
        // The same sample for a (zone, start) already stored is ignored, as the v2 unique key did; a
        // different one of that zone and start (a wall-clock step back, docs/measurement.md) is stored
        // 1 ms later, not dropped; a new zone joins the tick.
        try db.append(samples: [EnergySampleRecord(zone: "intel-rapl:0", zoneName: "package-0", source: .measured, startAt: t0,
                                                   endAt: t0.addingTimeInterval(1), durationSeconds: 1, energy: EnergyJoules(99), busyCPUSeconds: 0.5),
                                EnergySampleRecord(zone: "intel-rapl:1", zoneName: "package-1", source: .measured, startAt: t0,
                                                   endAt: t0.addingTimeInterval(1), durationSeconds: 1, energy: EnergyJoules(4), busyCPUSeconds: 0.5),
                                EnergySampleRecord(zone: "intel-rapl:0", zoneName: "package-0", source: .measured, startAt: t0,
                                                   endAt: t0.addingTimeInterval(1), durationSeconds: 1, energy: EnergyJoules(10.25), busyCPUSeconds: 0.5)],
                      intervals: [], meta: [:])
        let first = try db.samples(from: t0, to: t0.addingTimeInterval(0.5))
        #expect(first.map(\.zone) == ["intel-rapl:0", "intel-rapl:0:0", "intel-rapl:1", "intel-rapl:0"])
        #expect(first.map { $0.energy?.joules } == [10.25, 2.125, 4, 99])
        #expect(first.map { (($0.startAt.timeIntervalSince(t0)) * 1000).rounded() } == [0, 0, 0, 1])
        #expect(try db.integrityCheck() == ["ok"])
    }

    @Test func theTickBlobRoundTripsEdgeValues() {
        let tick = VerdantDatabase.TickTiming(spanMs: 1000, durationUs: 1_000_000, busyUs: 2_000_000)
        let entries = [
            VerdantDatabase.TickEntry(zoneID: 1, source: 0, status: 0, energyMicrojoules: 0, timing: tick, ownTiming: false),
            VerdantDatabase.TickEntry(zoneID: 300, source: 4, status: 3, energyMicrojoules: nil, timing: tick, ownTiming: false),
            VerdantDatabase.TickEntry(zoneID: 2, source: 1, status: 1, energyMicrojoules: -5, timing: tick, ownTiming: false),
            VerdantDatabase.TickEntry(zoneID: 3, source: 2, status: 2, energyMicrojoules: Int64.max,
                                      timing: .init(spanMs: -1, durationUs: 0, busyUs: Int64.min), ownTiming: true),
        ]
        let data = VerdantDatabase.encode(entries, tick: tick)
        // 1 format byte; zone 1: 1 + 1 + 1; zone 300: 2 + 1; zone 2: 1 + 1 + 1; zone 3: 1 + 1 + 10 + 1 + 1 + 10.
        #expect(data.count == 1 + 3 + 3 + 3 + 24)
        let back = VerdantDatabase.decode(data, tick: tick)
        #expect(back.map(\.zoneID) == [1, 300, 2, 3])
        #expect(back.map(\.energyMicrojoules) == [0, nil, -5, Int64.max])
        #expect(back.map(\.source) == [0, 4, 1, 2] && back.map(\.status) == [0, 3, 1, 2])
        #expect(back[3].timing == .init(spanMs: -1, durationUs: 0, busyUs: Int64.min) && back[0].timing == tick)
        // A truncated blob yields the complete entries only.
        #expect(VerdantDatabase.decode(data.prefix(7), tick: tick).count == 2)
    }
}
