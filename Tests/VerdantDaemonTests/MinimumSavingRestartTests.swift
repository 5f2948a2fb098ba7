import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `min-saving` is decided at a job's first plan only (issue 6), and that decision survives a daemon
/// restart (`job_min_saving_decisions`): a job deferred by the first daemon is not pulled back to "now"
/// by the second daemon's first plan, although the saving against "now" has shrunk below the minimum.
@Suite(.serialized) struct MinimumSavingRestartTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    @Test func plannerSkipsTheTestForJobsDecidedEarlier() {
        // Half-hour slots: 10:00–10:30 at 200, 10:30–11:30 at 189.8, then 300. A 1 h job at 1 kW from
        // 10:30 is 189.8 g; from 10:00 (run now) 194.9 g: 2.6 % < 5 % saving.
        let origin = ISO8601.parse("2024-03-04T10:00:00Z")!
        let grid = ForecastGrid(origin: origin, slotSeconds: 1800, intensityGramsPerKWh: (0..<12).map { $0 == 0 ? 200 : ($0 < 3 ? 189.8 : 300) })
        let job = PlannerJob(id: 1, earliestStart: origin, deadline: origin.addingTimeInterval(6 * 3600),
                             durationSeconds: 3600, powerWatts: 1000, minimumSavingFraction: 0.05)
        var fresh = CarbonPlanner(grid: grid)
        let first = fresh.replan([job], previous: [:])[0]
        #expect(first.reason == .belowMinimumSaving)
        #expect(first.start == origin)
        #expect(abs(first.forgoneSavingGrams! - 5.1) < 1e-9)
        var decided = CarbonPlanner(grid: grid)
        let kept = decided.replan([job], previous: [:], minimumSavingDecided: [1])[0]
        #expect(kept.reason == .cheapest)
        #expect(kept.start == origin.addingTimeInterval(1800))
        #expect(abs(kept.predictedCarbonGrams! - 189.8) < 1e-9)
    }

    func runtime(dir: String, database: VerdantDatabase, anchor: Date) throws -> JobRuntime {
        // 5-min slots: 00:00–00:10 at 200, 00:10–00:20 at 189.8, then 300 until 03:00.
        let values: [Double] = [200, 200, 189.8, 189.8] + Array(repeating: 300, count: 32)
        let series = IntensitySeries(points: values.enumerated().map { IntensityPoint(time: t0.addingTimeInterval(Double($0.offset) * 300), intensity: IntensityGramsPerKWh($0.element)) },
                                     fallback: IntensityGramsPerKWh(300), coverageEnd: t0.addingTimeInterval(3 * 3600))
        let p = try PolicyFile.load(path: repoRoot.appendingPathComponent("Policies/strict-deadline.yaml").path)   // batch min-saving 5 %
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        return JobRuntime(parts: .init(
            database: database,
            sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: "minsave-restart-\(getpid())"),
            clock: DaemonClock(replay: ReplayClock(anchor: anchor, anchorMonotonicNanos: monotonicNanos(), speed: 1)),
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: .unlimited))
    }

    @Test func aDeferredJobStaysDeferredAfterARestart() async throws {
        let dir = NSTemporaryDirectory() + "verdant-minsave-restart-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let path = dir + "/verdant.sqlite"
        func submit(_ rt: JobRuntime) async throws -> Int64 {
            try await rt.submit(SubmitRequest(name: "report-x", kind: "batch", deadline: "2h", expectedDuration: "10m",
                                              command: ["/bin/true"], workingDirectory: dir, environment: []), caller: me).id
        }
        // First daemon at 00:00: 00:10–00:20 (189.8) saves 5.1 % against now (200): deferred.
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(dir: dir, database: db1, anchor: t0)
        let id = try await submit(rt1)
        let first = try #require(try await rt1.plan(caller: me).first { $0.id == id })
        #expect(first.planReason == "cheapest")
        #expect(first.plannedStart == t0.addingTimeInterval(600))
        await rt1.shutdown()
        try db1.close()

        // Second daemon at 00:08: running now (2 min at 200, 8 at 189.8: 191.84 g/kWh) would save only
        // 1.1 % against 00:10, below the 5 %: a first plan runs now, but this job was decided already.
        let db2 = try VerdantDatabase(path: path)
        let rt2 = try runtime(dir: dir, database: db2, anchor: t0.addingTimeInterval(480))
        let again = try #require(try await rt2.plan(caller: me).first { $0.id == id })
        #expect(again.planReason == "cheapest")
        #expect(again.plannedStart == t0.addingTimeInterval(600))
        // The same job submitted now, for the first time, runs now: the rule itself is in force.
        let newcomer = try await submit(rt2)
        let fresh = try #require(try await rt2.plan(caller: me).first { $0.id == newcomer })
        #expect(fresh.planReason == "below-min-saving")
        #expect(fresh.plannedStart.timeIntervalSince(t0.addingTimeInterval(480)) < 5)
        try? db2.close()
    }
}
