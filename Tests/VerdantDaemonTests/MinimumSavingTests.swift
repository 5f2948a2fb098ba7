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

/// A policy's `min-saving` (issue 6): a job whose best window saves less than it against running now
/// runs now, with the reason `below-min-saving`; a saving at or above it defers the job.
@Suite struct MinimumSavingTests {
    let origin = ISO8601.parse("2024-03-04T10:00:00Z")!

    /// Half-hour slots: the first two (run now) at 200 g/kWh, slots 10–11 (15:00–16:00) at `cheap`,
    /// the rest at 300. A 1 h job at 1000 W uses 1 kWh: run now = 200 g, deferred = `cheap` g.
    func grid(cheap: Double) -> ForecastGrid {
        ForecastGrid(origin: origin, slotSeconds: 1800, intensityGramsPerKWh: (0..<24).map { k in
            k < 2 ? 200 : ((10..<12).contains(k) ? cheap : 300)
        })
    }

    func plan(cheap: Double, policy: KindPolicy) -> SlotPlan {
        var planner = CarbonPlanner(grid: grid(cheap: cheap))
        return planner.add(PlannerJob(id: 1, earliestStart: origin, deadline: origin.addingTimeInterval(12 * 3600),
                                      durationSeconds: 3600, powerWatts: 1000,
                                      minimumSavingFraction: policy.minimumSavingFraction,
                                      minimumSavingGrams: policy.minimumSavingGrams))
    }

    func shipped(_ name: String) throws -> SchedulingPolicy {
        let path = repoRoot.appendingPathComponent("Policies/\(name).yaml").path
        return try PolicyFile.load(path: path).policy
    }

    @Test func strictDeadlinePolicyDefersOnlyForAtLeastFivePercent() throws {
        let batch = try shipped("strict-deadline").defaults(for: .batch)   // min-saving: 5%
        #expect(batch.minimumSavingFraction == 0.05)
        // 190.2: saves 9.8 g of 200 = 4.9 % < 5 %: runs now.
        let below = plan(cheap: 190.2, policy: batch)
        #expect(below.start == origin)
        #expect(below.reason == .belowMinimumSaving)
        #expect(abs(below.predictedCarbonGrams! - 200) < 1e-9)
        #expect(abs(below.forgoneSavingGrams! - 9.8) < 1e-9)
        // 189.8: saves 10.2 g = 5.1 %: deferred to the cheap hour, 15:00Z.
        let above = plan(cheap: 189.8, policy: batch)
        #expect(above.start == ISO8601.parse("2024-03-04T15:00:00Z")!)
        #expect(above.reason == .cheapest)
        #expect(abs(above.predictedCarbonGrams! - 189.8) < 1e-9)
        #expect(above.forgoneSavingGrams == nil)
        // Exactly 5 % (10 g): deferred (the saving meets the minimum).
        #expect(plan(cheap: 190, policy: batch).start == ISO8601.parse("2024-03-04T15:00:00Z")!)
        // The default policy has no minimum: 0.1 % is worth deferring for.
        let def = try shipped("default").defaults(for: .batch)
        #expect(plan(cheap: 199.8, policy: def).reason == .cheapest)
    }

    @Test func minimumSavingInGrams() throws {
        let text = "name: g\nkinds:\n  batch:\n    expected-duration: 1h\n    min-saving: 10g\n"
        let batch = try PolicyFile.parse(text, file: "g.yaml").policy.defaults(for: .batch)
        #expect(batch.minimumSavingGrams == 10)
        #expect(batch.minimumSavingFraction == 0)
        #expect(plan(cheap: 190.2, policy: batch).reason == .belowMinimumSaving)    // 9.8 g
        #expect(plan(cheap: 189.8, policy: batch).reason == .cheapest)              // 10.2 g
    }

    @Test func badMinimumSavingNamesTheLine() {
        for bad in ["-5g", "tens", "120%"] {
            let text = "name: g\nkinds:\n  batch:\n    expected-duration: 1h\n    min-saving: \(bad)\n"
            do {
                _ = try PolicyFile.parse(text, file: "g.yaml")
                Issue.record("min-saving \(bad) accepted")
            } catch let e as ConfigurationError {
                #expect(e.line == 5)
                #expect("\(e)".contains("min-saving"))
            } catch { Issue.record("\(error)") }
        }
    }

    @Test func runNowWithoutRoomKeepsTheDeferredPlan() {
        // The node is full for the first hour: running now is impossible, so the small saving defers.
        var planner = CarbonPlanner(grid: grid(cheap: 190.2), capacity: NodeCapacity(cores: 2, memoryBytes: .infinity, gpus: 0, maxConcurrentJobs: 10))
        planner.reserveRunning(jobID: 9, from: origin, until: origin.addingTimeInterval(3600), demand: JobDemand(cores: 2))
        let p = planner.add(PlannerJob(id: 1, earliestStart: origin, deadline: origin.addingTimeInterval(12 * 3600),
                                       durationSeconds: 3600, powerWatts: 1000, minimumSavingFraction: 0.05))
        #expect(p.start == ISO8601.parse("2024-03-04T15:00:00Z")!)
        #expect(p.reason != .belowMinimumSaving)
    }

    @Test func reachingTheWindowDoesNotPullADeferredJobBack() {
        // Planned at 10:00 for 15:00 (5.1 %); re-planned at 14:30 the run-now window 14:30–15:30 saves
        // little against 15:00–16:00, but the job keeps its window.
        var planner = CarbonPlanner(grid: grid(cheap: 189.8))
        var job = PlannerJob(id: 1, earliestStart: origin, deadline: origin.addingTimeInterval(12 * 3600),
                             durationSeconds: 3600, powerWatts: 1000, minimumSavingFraction: 0.05)
        let first = planner.add(job)
        job.earliestStart = ISO8601.parse("2024-03-04T14:30:00Z")!
        let again = planner.replan([job], previous: [1: first])[0]
        #expect(again.start == first.start)
    }

    /// Through the daemon: the real strict-deadline policy file, a replayed trace, `verdant plan`'s view.
    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func planShowsTheReason() async throws {
        for (cheap, reason) in [(190.2, "below-min-saving"), (189.8, "cheapest")] {
            let dir = NSTemporaryDirectory() + "verdant-minsave-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
            // 5-min slots: 00:00–00:10 at 200, 00:10–00:20 at `cheap`, then 300 until 03:00.
            let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
            let values: [Double] = [200, 200, cheap, cheap] + Array(repeating: 300, count: 32)
            let series = IntensitySeries(points: values.enumerated().map { IntensityPoint(time: t0.addingTimeInterval(Double($0.offset) * 300), intensity: IntensityGramsPerKWh($0.element)) },
                                         fallback: IntensityGramsPerKWh(300), coverageEnd: t0.addingTimeInterval(3 * 3600))
            let clock = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 1))
            let p = try PolicyFile.load(path: repoRoot.appendingPathComponent("Policies/strict-deadline.yaml").path)
            let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
            let rt = JobRuntime(parts: .init(
                database: try VerdantDatabase(path: dir + "/verdant.sqlite"),
                sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
                model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: "minsave-\(getpid())"), clock: clock,
                series: series, intensitySource: "trace:test", intensityZone: "test",
                policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
                logger: Logger(label: "test"), capacity: .unlimited))
            let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())
            let v = try await rt.submit(SubmitRequest(name: "report-x", kind: "batch", deadline: "2h", expectedDuration: "10m",
                                                      command: ["/bin/true"], workingDirectory: dir, environment: []), caller: me)
            let view = try #require(try await rt.plan(caller: me).first { $0.id == v.id })
            #expect(view.planReason == reason)
            if reason == "cheapest" {
                #expect(view.plannedStart == t0.addingTimeInterval(600))
            } else {
                #expect(view.plannedStart.timeIntervalSince(view.submittedAt) < 5)
                #expect(abs(view.predictedCarbonGrams - view.runNowCarbonGrams) < 1e-9)
            }
        }
    }
}
