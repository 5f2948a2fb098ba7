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

/// The daemon's job runtime with the multi-job carbon planner (issue 6): real processes in real
/// cgroups (root and a cgroup hierarchy needed; skipped otherwise), node capacity, interruptible jobs
/// paused and resumed through the cgroup freezer, inference at once, the `verdant plan` view.
@Suite(.serialized) struct PlanningRuntimeTests {
    static let layout = CgroupLayout.detect()
    static var usable: Bool { geteuid() == 0 && layout != nil }
    static var freezer: Bool {
        switch layout {
        case .v2: return true
        case .v1: return FileManager.default.fileExists(atPath: CgroupFreezer.v1FreezerMount + "/cgroup.procs")
        case nil: return false
        }
    }
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    func runtime(dir: String, policy: String, series: IntensitySeries, clock: DaemonClock, capacity: NodeCapacity) throws -> JobRuntime {
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let p = try PolicyFile.parse(policy, file: "t.yaml")
        return JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: Self.layout, instance: "plan-test-\(getpid())"), clock: clock,
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: capacity))
    }

    @Test(.enabled(if: usable)) func threeTwoCoreJobsOnAFourCoreNodeNeverOverlapBeyondFourCores() async throws {
        let dir = NSTemporaryDirectory() + "verdant-plan-cap-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rt = try runtime(dir: dir, policy: "name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n",
                             series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(300)), clock: DaemonClock(replay: nil),
                             capacity: NodeCapacity(cores: 4, memoryBytes: .infinity, gpus: 0, maxConcurrentJobs: 10))
        var ids: [Int64] = []
        for i in 1...3 {
            let v = try await rt.submit(SubmitRequest(name: "cap", kind: "batch", deadline: "1h", expectedDuration: "1s",
                                                      command: ["/bin/sh", "-c", "sleep 0.4; echo done-\(i) > \(dir)/out-\(i)"],
                                                      workingDirectory: dir, environment: [], cores: 2), caller: me)
            ids.append(v.id)
        }
        // The plan: two jobs now; the third has no room until one ends (capacity-bound, 5 min later).
        let plan = try await rt.plan(caller: me)
        #expect(plan.count == 3)
        let third = try #require(plan.first { $0.id == ids[2] })
        #expect(third.planReason == "capacity-bound")
        #expect(third.plannedStart.timeIntervalSince(third.submittedAt) > 60)
        #expect(plan.filter { $0.id != ids[2] }.allSatisfy { $0.planReason == "no-forecast" && $0.plannedStart.timeIntervalSince($0.submittedAt) < 1 })
        // Run: never more than two 2-core jobs at once; the third starts as soon as one ends (re-plan).
        var maxRunning = 0
        var done = false
        for _ in 0..<1000 where !done {
            _ = await rt.startDueJobs()
            let states = try await rt.jobs(caller: me).map(\.state)
            maxRunning = max(maxRunning, states.filter { $0 == "running" }.count)
            done = states.allSatisfy { $0 == "succeeded" }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(done)
        #expect(maxRunning == 2)
        let jobs = try await rt.jobs(caller: me)
        let firstEnd = try #require(jobs.filter { $0.id != ids[2] }.compactMap(\.endedAt).min())
        let thirdStart = try #require(jobs.first { $0.id == ids[2] }?.startedAt)
        #expect(thirdStart >= firstEnd)
        #expect(thirdStart.timeIntervalSince(firstEnd) < 5)   // not the planned 5 min: re-planned when capacity freed
        for i in 1...3 { #expect(try String(contentsOfFile: "\(dir)/out-\(i)", encoding: .utf8) == "done-\(i)\n") }
    }

    @Test(.enabled(if: usable && freezer)) func interruptibleJobIsFrozenBetweenItsRunsAndFinishesWithTheRightOutput() async throws {
        let dir = NSTemporaryDirectory() + "verdant-plan-int-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Trace (5-min slots): 500, 100, 500, 100, then 500 until 01:00. Replay at 150×: a slot is 2 s, so
        // the job's first line comes within its first run slot on a loaded machine (at 300× it had 1 s).
        let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
        let values: [Double] = [500, 100, 500, 100] + Array(repeating: 500, count: 8)
        let series = IntensitySeries(points: values.enumerated().map { IntensityPoint(time: t0.addingTimeInterval(Double($0.offset) * 300), intensity: IntensityGramsPerKWh($0.element)) },
                                     fallback: IntensityGramsPerKWh(480), coverageEnd: t0.addingTimeInterval(3600))
        let clock = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 150))
        let policy = """
            name: t
            kinds:
              inference:
                expected-duration: 1m
                deadline: 1h
                power-watts: 10
                max-delay: 0
              training:
                expected-duration: 10m
                deadline: 40m
                power-watts: 36
                interruptible: true
            """
        let rt = try runtime(dir: dir, policy: policy, series: series, clock: clock, capacity: .unlimited)
        let out = dir + "/out"
        let training = try await rt.submit(SubmitRequest(name: "train", kind: "training", deadline: "40m", expectedDuration: "10m",
            command: ["/bin/sh", "-c", "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo $i >> \(out); sleep 0.1; done; echo end >> \(out)"],
            workingDirectory: dir, environment: []), caller: me)
        let inference = try await rt.submit(SubmitRequest(name: "infer", kind: "inference", deadline: "1h", expectedDuration: "1m",
            command: ["/bin/true"], workingDirectory: dir, environment: []), caller: me)
        // Inference runs at once (max-delay 0) although later slots are cleaner.
        let plan = try await rt.plan(caller: me)
        let inf = try #require(plan.first { $0.id == inference.id })
        // (Planned a few trace seconds after `submitted_at`: the re-plan's now; 150× replay.)
        #expect(inf.plannedStart == inf.latestStart)
        #expect(inf.plannedStart.timeIntervalSince(inf.submittedAt) < 60)
        #expect(inf.planReason == "deadline-bound")
        // Training: the two 100 g/kWh slots, 00:05–00:10 and 00:15–00:20 (whole slots after submission).
        let tr = try #require(plan.first { $0.id == training.id })
        #expect(tr.planRuns == [PlanRunView(start: t0.addingTimeInterval(300), end: t0.addingTimeInterval(600)),
                                PlanRunView(start: t0.addingTimeInterval(900), end: t0.addingTimeInterval(1200))])
        #expect(tr.planReason == "cheapest")
        // Energy E (J) at 100 g/kWh; run now: (300 − x)·500 + 300·100 + x·500 = 180,000 g·s/kWh over 600 s = mean 300;
        // the trace is the actual here, so the perfect-forecast window is the same two slots.
        let kWh = tr.expectedEnergyJoules / 3_600_000
        #expect(abs(tr.predictedCarbonGrams - kWh * 100) < 1e-9)
        #expect(abs(tr.runNowCarbonGrams - kWh * 300) < 1e-6)
        #expect(abs((tr.oracleCarbonGrams ?? -1) - kWh * 100) < 1e-9)
        // Run it: it is frozen at 00:10 and thawed at 00:15; nothing is written while frozen.
        var sawPaused = false, frozenStable = false, done = false
        for _ in 0..<3000 where !done {
            _ = await rt.startDueJobs()
            if !sawPaused, let v = try await rt.plan(caller: me).first(where: { $0.id == training.id }), v.paused == true {
                sawPaused = true
                let a = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                try await Task.sleep(for: .milliseconds(300))
                let still = try await rt.plan(caller: me).first { $0.id == training.id }?.paused == true
                let b = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                frozenStable = !still || (a == b && !a.isEmpty)
            }
            done = try await rt.job(id: training.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(sawPaused)
        #expect(frozenStable)
        #expect(done)
        let expected = (1...40).map { "\($0)\n" }.joined() + "end\n"
        #expect(try String(contentsOfFile: out, encoding: .utf8) == expected)
        let job = try await rt.job(id: training.id, caller: me)
        #expect(job.startedAt! >= t0.addingTimeInterval(300))
        #expect(job.endedAt! <= job.deadline)
        #expect(try await rt.job(id: inference.id, caller: me).state == "succeeded")
    }
}
