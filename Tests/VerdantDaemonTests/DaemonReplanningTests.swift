import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCarbon
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The daemon re-plans when a new forecast arrives, as `verdant simulate --replan` does (issue 6;
/// docs/scheduling.md, "In the daemon"): a queued job moves to a slot that a forecast issued at the
/// next slot boundary makes cheaper by more than `min-replan-saving` (2 %), and not for less; a
/// started interruptible job's remaining work moves when a correction makes its next run dear, the
/// real process staying frozen through the old run and thawed in the new one.
///
/// Real parts: the runtime, a real SQLite file, the provider chain with a real file provider whose
/// CSV the test rewrites (the new forecast), real processes in real cgroups (root and a freezer needed;
/// skipped otherwise), a replayed clock at 100× (a 5-minute slot is 3 s of real time).
@Suite(.serialized) struct DaemonReplanningTests {
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    /// A scratch folder with a runtime on its own SQLite file whose intensity comes from the chain's
    /// file provider reading `dir/forecast.csv` (refetched at every refresh).
    struct Rig {
        let dir: String
        let runtime: JobRuntime
        let database: VerdantDatabase
        var forecastPath: String { dir + "/forecast.csv" }

        init(prefix: String, clock: DaemonClock, policy: String, capacity: NodeCapacity = .unlimited,
             executor: (any JobExecutor)? = nil, reusing existing: String? = nil) throws {
            dir = existing ?? NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
            database = try VerdantDatabase(path: dir + "/verdant.sqlite")
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            let chain = IntensityChain(providers: [FileIntensityProvider(path: dir + "/forecast.csv", format: .csv, kind: .average)],
                                       database: database, zone: "test", refreshSeconds: 1, ttlSeconds: 3600,
                                       backoff: BackoffSchedule(baseSeconds: 1, capSeconds: 1),
                                       staticValue: IntensityGramsPerKWh(480), staticLabel: "static 480 gCO2eq/kWh", logger: logger, jitter: { 0 })
            let p = try PolicyFile.parse(policy, file: "t.yaml")
            let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
            runtime = JobRuntime(parts: .init(
                database: database, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
                model: model, executor: executor ?? ProcessExecutor(layout: PlanningRuntimeTests.layout, instance: "replan-test-\(getpid())"), clock: clock,
                series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(480)), intensitySource: "static 480 gCO2eq/kWh",
                intensityZone: "test", policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir,
                flushIntervalSeconds: 0, logger: logger, intensityChain: chain, capacity: capacity))
        }

        /// Writes the forecast (5-minute slots from t0) and makes the runtime fetch it (a new forecast).
        func issue(_ values: [Double]) async throws {
            let rows = values.enumerated().map { "\(ISO8601.string(DaemonReplanningTests.t0.addingTimeInterval(Double($0.offset) * 300))),\($0.element)" }
            try (["time,intensity"] + rows).joined(separator: "\n").appending("\n").write(toFile: forecastPath, atomically: true, encoding: .utf8)
            await runtime.refreshIntensity()
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    static func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }

    /// The interruptible tests' first forecast, g/kWh per 5-minute slot from 00:00 (18 slots, to 01:30):
    /// 500 except 00:05 and 00:15 at 100 and 00:25 at 300.
    static let firstForecast: [Double] = {
        var a = Array(repeating: 500.0, count: 18)
        a[1] = 100; a[3] = 100; a[5] = 300
        return a
    }()
    /// The correction issued at 00:10: 00:15 → 450, 00:25 → 50, 00:30 → 60 (the rest as `firstForecast`).
    static let correctedForecast: [Double] = {
        var b = firstForecast
        b[3] = 450; b[5] = 50; b[6] = 60
        return b
    }()

    /// Submits the interruptible tests' 10-minute training job (deadline 45 min): a real shell that
    /// appends 1…40 to `rig.dir/out`, one line every 0.1 s, then `end`. Returns the job and that path.
    func submitCountingTraining(_ rig: Rig, cores: Int? = nil) async throws -> (job: JobView, out: String) {
        let out = rig.dir + "/out"
        let job = try await rig.runtime.submit(SubmitRequest(name: "train", kind: "training", deadline: "45m", expectedDuration: "10m",
            command: ["/bin/sh", "-c", "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo $i >> \(out); sleep 0.1; done; echo end >> \(out)"],
            workingDirectory: rig.dir, environment: [], cores: cores), caller: me)
        return (job, out)
    }

    /// A 5-minute batch job of 36 W (0.003 kWh). Forecast A (at 00:00): 400 g/kWh except 00:15–00:20
    /// at 100, so it is planned at 00:15 (0.003 × 100 = 0.3 g). Forecast B (issued at 00:05) keeps
    /// 00:15 at 100 and makes 00:20 90: 0.27 g, 10 % less than 0.3 g (over the 2 % threshold): the job
    /// moves and starts at 00:20. Forecast B′ makes 00:20 99 instead: 0.297 g, 1 % less: it stays at
    /// 00:15 and starts there. Both runtimes run side by side on the same replayed clock.
    @Test(.enabled(if: PlanningRuntimeTests.usable)) func aQueuedJobMovesForANewForecastOnlyAboveTheChurnThreshold() async throws {
        let clock = DaemonClock(replay: ReplayClock(anchor: Self.t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let policy = "name: t\nkinds:\n  batch:\n    expected-duration: 5m\n    deadline: 50m\n    power-watts: 36\n"
        let moved = try Rig(prefix: "verdant-replan-moved", clock: clock, policy: policy)
        let kept = try Rig(prefix: "verdant-replan-kept", clock: clock, policy: policy)
        defer { moved.remove(); kept.remove() }
        var a = Array(repeating: 400.0, count: 18)   // 00:00–01:30
        a[3] = 100                                  // 00:15
        var b = a, b2 = a
        b[4] = 90                                   // 00:20, 10 % cheaper than 00:15
        b2[4] = 99                                  // 00:20, 1 % cheaper
        var ids: [Int64] = []
        for rig in [moved, kept] {
            try await rig.issue(a)
            let v = try await rig.runtime.submit(SubmitRequest(name: "move", kind: "batch", deadline: "50m", expectedDuration: "5m",
                                                               command: ["/bin/sh", "-c", "echo ran > \(rig.dir)/out"],
                                                               workingDirectory: rig.dir, environment: []), caller: me)
            ids.append(v.id)
            let p = try #require(try await rig.runtime.plan(caller: me).first)
            #expect(p.plannedStart == Self.at(15))
            #expect(abs(p.predictedCarbonGrams - 0.3) < 1e-9)
            #expect(p.planReason == "cheapest")
        }
        var issued = false
        var done = false
        for _ in 0..<6000 where !done {
            _ = await moved.runtime.startDueJobs()
            _ = await kept.runtime.startDueJobs()
            if !issued && clock.now() >= Self.at(5) {
                issued = true
                try await moved.issue(b)
                try await kept.issue(b2)
                let pm = try #require(try await moved.runtime.plan(caller: me).first)
                #expect(pm.plannedStart == Self.at(20))
                #expect(abs(pm.predictedCarbonGrams - 0.27) < 1e-9)
                let pk = try #require(try await kept.runtime.plan(caller: me).first)
                #expect(pk.plannedStart == Self.at(15))
                #expect(abs(pk.predictedCarbonGrams - 0.3) < 1e-9)   // priced under B′: 00:15 is still 100
            }
            let sm = try await moved.runtime.job(id: ids[0], caller: me).state
            let sk = try await kept.runtime.job(id: ids[1], caller: me).state
            done = sm == "succeeded" && sk == "succeeded"
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(issued)
        #expect(done)
        // Started at its slot: the scheduler wakes every 100 ms of real time at most (10 s of trace);
        // 180 s of trace (1.8 s real) is the slack for a loaded machine (the slots are 300 s apart).
        let jm = try await moved.runtime.job(id: ids[0], caller: me)
        let startedMoved = try #require(jm.startedAt)
        #expect(startedMoved >= Self.at(20) && startedMoved < Self.at(20).addingTimeInterval(180))
        let jk = try await kept.runtime.job(id: ids[1], caller: me)
        let startedKept = try #require(jk.startedAt)
        #expect(startedKept >= Self.at(15) && startedKept < Self.at(15).addingTimeInterval(180))
        #expect(try String(contentsOfFile: moved.dir + "/out", encoding: .utf8) == "ran\n")
        #expect(try String(contentsOfFile: kept.dir + "/out", encoding: .utf8) == "ran\n")
    }

    /// An interruptible training job of 10 minutes (36 W, deadline 45 min; declared, so σ = 5 min and
    /// its slots must end by deadline − 2σ). Forecast A: 500 g/kWh except 00:05 and 00:15 at 100 and
    /// 00:25 at 300: runs 00:05–00:10 and 00:15–00:20. It starts at 00:05 and is frozen at 00:10. At
    /// 00:10 a correction makes 00:15 450, 00:25 50 and 00:30 60: the 5 minutes left (0.003 kWh) would
    /// cost 1.35 g at 00:15 and 0.15 g at 00:25 (00:20 is 500; the work left must start by
    /// 00:45 − 5 min − 2σ = 00:30, so the slots up to 00:30–00:35 count), so the second run moves to
    /// 00:25–00:30. (00:30 is cheap too so that a job that ran a few seconds short in its first run,
    /// its start delayed on a loaded machine, still moves: its work left then needs part of a second
    /// slot, which the planner cuts at the chronologically last one.) The real process stays
    /// frozen through 00:15–00:25 (its output does not grow), is thawed at 00:25 and ends with exactly
    /// its output; the new runs are stored.
    @Test(.enabled(if: PlanningRuntimeTests.usable && PlanningRuntimeTests.freezer))
    func aStartedInterruptibleJobsRemainingRunMovesAfterAForecastCorrection() async throws {
        let clock = DaemonClock(replay: ReplayClock(anchor: Self.t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let policy = "name: t\nkinds:\n  training:\n    expected-duration: 10m\n    deadline: 45m\n    power-watts: 36\n    interruptible: true\n"
        let rig = try Rig(prefix: "verdant-replan-int", clock: clock, policy: policy)
        defer { rig.remove() }
        let b = Self.correctedForecast
        try await rig.issue(Self.firstForecast)
        let (training, out) = try await submitCountingTraining(rig)
        let first = try #require(try await rig.runtime.plan(caller: me).first { $0.id == training.id })
        #expect(first.planRuns == [PlanRunView(start: Self.at(5), end: Self.at(10)), PlanRunView(start: Self.at(15), end: Self.at(20))])
        #expect(abs(first.predictedCarbonGrams - 0.006 * 100) < 1e-9)
        func lines() -> Int { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count }
        var corrected = false, done = false
        var linesAt16: Int?, linesAt22: Int?, pausedAt16 = false, pausedAt22 = false
        var runsAfter: [PlanRunView]?
        for _ in 0..<8000 where !done {
            _ = await rig.runtime.startDueJobs()
            let now = clock.now()
            if !corrected && now >= Self.at(10) {
                corrected = true
                try await rig.issue(b)
                _ = await rig.runtime.startDueJobs()   // re-plans at once
                runsAfter = try await rig.runtime.plan(caller: me).first { $0.id == training.id }?.planRuns
            }
            if linesAt16 == nil && now >= Self.at(16) {
                linesAt16 = lines()
                pausedAt16 = try await rig.runtime.plan(caller: me).first { $0.id == training.id }?.paused == true
            }
            if linesAt22 == nil && now >= Self.at(22) {
                linesAt22 = lines()
                pausedAt22 = try await rig.runtime.plan(caller: me).first { $0.id == training.id }?.paused == true
            }
            done = try await rig.runtime.job(id: training.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(corrected)
        #expect(done)
        // The remaining run moved from 00:15–00:20 to 00:25–00:30 (its end ± the trace seconds the job
        // ran more or less than planned in its first run: the scheduler's ticks, slow on a loaded machine).
        let runs = try #require(runsAfter)
        #expect(runs.count == 2)
        if runs.count == 2 {
            #expect(runs[0] == PlanRunView(start: Self.at(5), end: Self.at(10)))
            #expect(runs[1].start == Self.at(25))
            #expect(abs(runs[1].end.timeIntervalSince(Self.at(30))) < 90)
        }
        // Stored, so a daemon restarted after a crash follows the same runs.
        let stored = try #require(try rig.database.runIntervals(jobID: training.id))
        #expect(stored.count == runs.count)
        for (s, r) in zip(stored, runs) {
            #expect(abs(s.start.timeIntervalSince(r.start)) < 1e-3 && abs(s.end.timeIntervalSince(r.end)) < 1e-3)
        }
        // Frozen from 00:10 through 00:25, where the old plan would have thawed it at 00:15: no output
        // between 00:16 and 00:22 (3 minutes of trace, 1.8 s real, before its thaw: slack for a
        // loaded machine), some before (its first run), the rest after 00:25.
        #expect(pausedAt16 && pausedAt22)
        let l16 = try #require(linesAt16), l22 = try #require(linesAt22)
        #expect(l16 == l22)
        #expect(l16 > 0 && l16 < 41)
        let expected = (1...40).map { "\($0)\n" }.joined() + "end\n"
        #expect(try String(contentsOfFile: out, encoding: .utf8) == expected)
        let job = try await rig.runtime.job(id: training.id, caller: me)
        #expect(try #require(job.startedAt) >= Self.at(5))
        #expect(try #require(job.endedAt) > Self.at(25))
        #expect(try #require(job.endedAt) <= job.deadline)
    }

    /// Capacity with a started job re-planned: a node of 2 cores, the interruptible 2-core job of the
    /// test above moved to 00:25–00:30 by the correction at 00:10, and a 5-minute 2-core batch job
    /// submitted then (deadline 00:45: latest start 00:45 − 5 min − 2σ = 00:35). Its cheapest slots
    /// are 00:25 (50) and 00:30 (60), but the frozen job holds the node until its last run ends (its
    /// memory stays held while frozen), so the batch job is planned after that (`capacity-bound`) and
    /// starts only after the interruptible job has ended: never two 2-core jobs at once.
    @Test(.enabled(if: PlanningRuntimeTests.usable && PlanningRuntimeTests.freezer))
    func aReplannedStartedJobKeepsTheNodeCapacity() async throws {
        let clock = DaemonClock(replay: ReplayClock(anchor: Self.t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let policy = """
            name: t
            kinds:
              training:
                expected-duration: 10m
                deadline: 45m
                power-watts: 36
                interruptible: true
              batch:
                expected-duration: 5m
                deadline: 45m
                power-watts: 36
            """
        let rig = try Rig(prefix: "verdant-replan-cap", clock: clock, policy: policy,
                          capacity: NodeCapacity(cores: 2, memoryBytes: .infinity, gpus: 0, maxConcurrentJobs: 10))
        defer { rig.remove() }
        let b = Self.correctedForecast
        try await rig.issue(Self.firstForecast)
        let (training, out) = try await submitCountingTraining(rig, cores: 2)
        var batchID: Int64?
        var trainingLastEnd: Date?
        var batchPlan: JobView?
        var maxRunning = 0
        var done = false
        for _ in 0..<9000 where !done {
            _ = await rig.runtime.startDueJobs()
            if batchID == nil && clock.now() >= Self.at(10) {
                try await rig.issue(b)
                _ = await rig.runtime.startDueJobs()
                let v = try await rig.runtime.submit(SubmitRequest(name: "batch", kind: "batch", deadline: "45m", expectedDuration: "5m",
                                                                   command: ["/bin/sh", "-c", "echo ran > \(rig.dir)/batch"],
                                                                   workingDirectory: rig.dir, environment: [], cores: 2), caller: me)
                batchID = v.id
                let plan = try await rig.runtime.plan(caller: me)
                trainingLastEnd = plan.first { $0.id == training.id }?.planRuns?.last?.end
                batchPlan = plan.first { $0.id == v.id }
            }
            let states = try await rig.runtime.jobs(caller: me).map(\.state)
            maxRunning = max(maxRunning, states.filter { $0 == "running" }.count)
            done = states.count == 2 && states.allSatisfy { $0 == "succeeded" }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(done)
        #expect(maxRunning == 1)
        let lastEnd = try #require(trainingLastEnd)
        #expect(lastEnd > Self.at(29) && lastEnd < Self.at(32))   // the moved run 00:25–00:30 (± ticks)
        let bp = try #require(batchPlan)
        #expect(bp.plannedStart >= lastEnd)
        #expect(bp.planReason == "capacity-bound")
        let jobs = try await rig.runtime.jobs(caller: me)
        let trainingEnd = try #require(jobs.first { $0.id == training.id }?.endedAt)
        let batchStart = try #require(jobs.first { $0.id == batchID }?.startedAt)
        #expect(trainingEnd > Self.at(25))
        #expect(batchStart >= trainingEnd)
        #expect(try String(contentsOfFile: rig.dir + "/batch", encoding: .utf8) == "ran\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == (1...40).map { "\($0)\n" }.joined() + "end\n")
    }

    /// The cgroup executor as one whose jobs outlive the daemon (as systemd units do), to stand for a
    /// daemon killed with `kill -9` and restarted while its job runs on: `adopt` finds the real process
    /// still running in its real cgroup; `followsEnd` false: this "daemon" never sees the end (it died).
    struct SurvivingExecutor: JobExecutor {
        let base: ProcessExecutor
        let followsEnd: Bool
        var name: String { base.name }
        var detail: String { base.detail }
        var jobsOutliveDaemon: Bool { true }
        func launch(_ request: JobLaunchRequest) throws -> JobExecutorHandle { try base.launch(request) }
        func waitForEnd(_ handle: JobExecutorHandle) async -> JobEnd {
            if !followsEnd { try? await Task.sleep(for: .seconds(86400)) }
            return await base.waitForEnd(handle)
        }
        func cpuSeconds(_ handle: JobExecutorHandle) -> Double? { base.cpuSeconds(handle) }
        func stop(_ handle: JobExecutorHandle, mode: JobStopMode) { base.stop(handle, mode: mode) }
        func pause(_ handle: JobExecutorHandle) throws { try base.pause(handle) }
        func resume(_ handle: JobExecutorHandle) throws { try base.resume(handle) }
        func signal(_ handle: JobExecutorHandle, _ signal: Int32) throws { try base.signal(handle, signal) }
        func adopt(_ handle: JobExecutorHandle) -> JobAdoption {
            guard let pid = handle.pid, kill(pid, 0) == 0 else { return .ended(nil) }
            return .adopted(handle)
        }
        func output(_ handle: JobExecutorHandle, maxBytes: Int) -> (source: String, text: String)? { nil }
    }

    /// The stored run intervals across a crash: the interruptible job of the tests above has its second
    /// run moved to 00:25–00:30 by the correction at 00:10 and is frozen; the daemon then dies (its
    /// runtime is no longer driven and never sees the job end) at 00:12. A second daemon on the same
    /// SQLite file re-adopts the still-running real process, thaws it (it was frozen when the daemon
    /// died), rebuilds its run intervals from the store and freezes it again until 00:25 (not 00:15:
    /// the moved run), thaws it then, and the job ends with exactly its output. Without the stored
    /// runs the frozen job would stay frozen (or run through).
    @Test(.enabled(if: PlanningRuntimeTests.usable && PlanningRuntimeTests.freezer))
    func aRestartedDaemonFollowsTheStoredRunIntervals() async throws {
        let clock = DaemonClock(replay: ReplayClock(anchor: Self.t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let policy = "name: t\nkinds:\n  training:\n    expected-duration: 10m\n    deadline: 45m\n    power-watts: 36\n    interruptible: true\n"
        let base = ProcessExecutor(layout: PlanningRuntimeTests.layout, instance: "replan-crash-\(getpid())")
        let rig = try Rig(prefix: "verdant-replan-crash", clock: clock, policy: policy, executor: SurvivingExecutor(base: base, followsEnd: false))
        defer { rig.remove() }
        let b = Self.correctedForecast
        try await rig.issue(Self.firstForecast)
        let (training, out) = try await submitCountingTraining(rig)
        defer {
            // Never leave the real process behind (frozen) when an expectation fails.
            if let j = try? rig.database.job(id: training.id), j.state == .running { base.stop(JobRuntime.handle(of: j), mode: .kill) }
        }
        var corrected = false
        for _ in 0..<4000 where clock.now() < Self.at(12) {
            _ = await rig.runtime.startDueJobs()
            if !corrected && clock.now() >= Self.at(10) {
                corrected = true
                try await rig.issue(b)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(corrected)
        let stored = try #require(try rig.database.runIntervals(jobID: training.id))
        #expect(stored.count == 2 && stored.last?.start == Self.at(25))
        #expect(try await rig.runtime.plan(caller: me).first { $0.id == training.id }?.paused == true)
        // The daemon dies here (no more ticks; it never sees the end). A new one on the same files:
        let second = try Rig(prefix: "", clock: clock, policy: policy, executor: SurvivingExecutor(base: base, followsEnd: true), reusing: rig.dir)
        try await second.runtime.recoverAfterRestart()
        await second.runtime.refreshIntensity()
        func lines() -> Int { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").count }
        var linesAt14: Int?, linesAt22: Int?, pausedAt14 = false, pausedAt22 = false, runs: [PlanRunView]?
        var done = false
        for _ in 0..<6000 where !done {
            _ = await second.runtime.startDueJobs()
            let now = clock.now()
            if linesAt14 == nil && now >= Self.at(14) {
                linesAt14 = lines()
                let v = try await second.runtime.plan(caller: me).first { $0.id == training.id }
                pausedAt14 = v?.paused == true
                runs = v?.planRuns
            }
            if linesAt22 == nil && now >= Self.at(22) {
                linesAt22 = lines()
                pausedAt22 = try await second.runtime.plan(caller: me).first { $0.id == training.id }?.paused == true
            }
            done = try await second.runtime.job(id: training.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(done)
        #expect(pausedAt14 && pausedAt22)
        let l14 = try #require(linesAt14), l22 = try #require(linesAt22)
        #expect(l14 == l22 && l14 > 0 && l14 < 41)
        let r = try #require(runs)
        #expect(r.count == 2 && r.last?.start == Self.at(25))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == (1...40).map { "\($0)\n" }.joined() + "end\n")
        let job = try await second.runtime.job(id: training.id, caller: me)
        #expect(try #require(job.endedAt) > Self.at(25))
        #expect(try #require(job.endedAt) <= job.deadline)
    }
}
