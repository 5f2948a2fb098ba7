import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor

/// Issue 3, scenario 6: the wall clock stepped back one hour and then forward between samples two
/// monotonic seconds apart, 60 J each: 30 W, 30 W, no negative, no spike, and no sample lost, in the
/// stored samples and in the energy a report reads. A recorded-shape powercap tree (one package zone)
/// whose counter the test advances, the daemon's sampler, a real SQLite file with its roll-ups.
@Suite(.serialized) struct WallClockStepSampleTests {
    @Test func anHourBackThenForwardBetweenSamplesLosesNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-stepsample-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let zone = dir + "/powercap/intel-rapl:0"
        try FileManager.default.createDirectory(atPath: zone, withIntermediateDirectories: true)
        try "package-0\n".write(toFile: zone + "/name", atomically: true, encoding: .utf8)
        try "262143328850\n".write(toFile: zone + "/max_energy_range_uj", atomically: true, encoding: .utf8)
        func counter(_ microjoules: Int) throws { try "\(microjoules)\n".write(toFile: zone + "/energy_uj", atomically: true, encoding: .utf8) }
        try counter(1_000_000_000)
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n", file: "t.yaml")
        let wall = SteppedWallClock()
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: dir + "/powercap", perfPowerRoot: nil, procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: nil, instance: dir), clock: DaemonClock(replay: nil, wall: wall),
            series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(100)), intensitySource: "static", intensityZone: "static",
            policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test")))
        let w0 = wall.now()
        #expect(await runtime.sample())                       // the first reading: no interval yet
        try await Task.sleep(for: .seconds(2))
        try counter(1_060_000_000)                            // +60 J
        #expect(await runtime.sample())                       // A
        // A roll-up now: the minute watermark passes a point an hour before A.
        try db.rollUp()
        wall.step(by: -3600)
        try await Task.sleep(for: .seconds(2))
        try counter(1_120_000_000)
        #expect(await runtime.sample())                       // B, stored an hour back
        wall.step(by: 3600)
        try await Task.sleep(for: .seconds(2))
        try counter(1_180_000_000)
        #expect(await runtime.sample())                       // C
        await runtime.shutdown(graceSeconds: 1)
        try db.rollUp()

        let samples = try db.samples().filter { $0.zone == "intel-rapl:0" }
        #expect(samples.count == 3)
        for s in samples {
            // 60 J over its monotonic duration (2 s of sleep plus scheduling delay): 30 W, a little less under load.
            #expect(s.energy?.joules == 60)
            #expect(s.durationSeconds >= 2 && s.durationSeconds < 3, "\(s.durationSeconds) s")
            let watts = 60 / s.durationSeconds
            #expect(watts > 20 && watts <= 30, "\(watts) W")
            #expect(abs(s.endAt.timeIntervalSince(s.startAt) - s.durationSeconds) < 0.002)
        }
        // B lies an hour before A's end (the wall clock's frame when it was taken), C after A.
        let byStart = samples.sorted { $0.startAt < $1.startAt }
        #expect(byStart[0].startAt < w0.addingTimeInterval(-3500))
        // (A's start is re-derived from its monotonic instant and stored to the ms: within 10 ms of w0.)
        #expect(byStart[1].startAt >= w0.addingTimeInterval(-0.01) && byStart[2].startAt > byStart[1].startAt)
        // Nothing lost in what reports read (roll-ups below the watermark, raw samples above): 180 J.
        let pieces = try db.energyPieces(from: w0.addingTimeInterval(-7200), to: w0.addingTimeInterval(7200))
        let joules = pieces.filter { $0.zone == "intel-rapl:0" }.compactMap(\.energyJoules).reduce(0, +)
        #expect(abs(joules - 180) < 1e-6, "\(joules) J")
    }
}
