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

/// Issue 6: a checkpoint-mode job resumed after a clean daemon shutdown is planned for the work it has
/// left (its predicted duration less the run time of its stored intervals, `ResumedWork`), not for its
/// whole predicted duration again. The pattern of `CheckpointShutdownTests`: real processes in real
/// cgroups, a real SQLite file, a shell job that saves its step on SIGUSR1 and resumes from it.
@Suite(.serialized) struct CheckpointResumePlanTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    func runtime(dir: String, database: VerdantDatabase, clock: DaemonClock, series: IntensitySeries, instance: String) throws -> JobRuntime {
        let p = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 30m\n    deadline: 3h\n    power-watts: 36\n", file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        return JobRuntime(parts: .init(
            database: database,
            sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: instance), clock: clock,
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: .unlimited))
    }

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func resumedJobIsPlannedForItsRemainingWork() async throws {
        let dir = NSTemporaryDirectory() + "verdant-ckpt-remaining-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
        let path = dir + "/verdant.sqlite"
        // 100 steps of 0.1 s. On SIGUSR1 it saves the last step done and exits 0; at a start it resumes after it.
        let script = """
            cd \(dir)
            i=$(cat progress 2>/dev/null || echo 0)
            echo "start $VERDANT_RESTART_COUNT $i" >> starts
            trap 'wc -l < out > progress; exit 0' USR1
            while [ $i -lt 100 ]; do i=$((i+1)); echo $i >> out; sleep 0.1; done
            echo end >> out
            """
        var request = SubmitRequest(name: "ckpt-remaining", kind: "batch", deadline: "3h", expectedDuration: "30m",
                                    command: ["/bin/sh", "-c", script], workingDirectory: dir, environment: [])
        request.checkpointSignal = "SIGUSR1"
        request.checkpointGrace = "3s"

        // First daemon, replaying from t0 at 100×: a flat 100 g/kWh, so the job runs at once; it is
        // shut down after at least 25 steps (≥ 2.5 s real = 250 s of trace time; more on a loaded machine).
        let flat = IntensitySeries(points: (0..<48).map { IntensityPoint(time: t0.addingTimeInterval(Double($0) * 300), intensity: IntensityGramsPerKWh(100)) },
                                   fallback: IntensityGramsPerKWh(480), coverageEnd: t0.addingTimeInterval(4 * 3600))
        let clock1 = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(dir: dir, database: db1, clock: clock1, series: flat, instance: "ckpt-rem1-\(getpid())")
        let submitted = try await rt1.submit(request, caller: me)
        var steps = 0
        for _ in 0..<1000 where steps < 25 {
            _ = await rt1.startDueJobs()
            steps = ((try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "").split(separator: "\n").count
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(steps >= 25)
        await rt1.shutdown()
        let saved = Int(((try? String(contentsOfFile: dir + "/progress", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(saved >= 25 && saved < 100)
        #expect(try db1.job(id: submitted.id)?.state == .queued)
        try db1.close()

        // Second daemon an hour later (t1 = t0 + 1 h), on a new forecast: 300 g/kWh except the 5-minute
        // slots 4…9 after t1, at 24, 25, …, 29 g/kWh (cheapest first in time).
        let t1 = t0.addingTimeInterval(3600)
        func price(_ k: Int) -> Double { (4...9).contains(k) ? 20 + Double(k) : 300 }
        let series = IntensitySeries(points: (0..<36).map { IntensityPoint(time: t1.addingTimeInterval(Double($0) * 300), intensity: IntensityGramsPerKWh(price($0))) },
                                     fallback: IntensityGramsPerKWh(480), coverageEnd: t1.addingTimeInterval(3 * 3600))
        let clock2 = DaemonClock(replay: ReplayClock(anchor: t1, anchorMonotonicNanos: monotonicNanos(), speed: 300))
        let db2 = try VerdantDatabase(path: path)
        let rt2 = try runtime(dir: dir, database: db2, clock: clock2, series: series, instance: "ckpt-rem2-\(getpid())")
        try await rt2.recoverAfterRestart()
        let queued = try #require(try db2.job(id: submitted.id))
        #expect(queued.state == .queued)

        // By hand: the run time done is the stored intervals' span; the work left is 30 min less that,
        // at least the floor (10 % of 30 min = 180 s).
        let done = try db2.intervals(jobID: submitted.id).reduce(0.0) { $0 + $1.endAt.timeIntervalSince($1.startAt) }
        // At least 25 steps of 0.1 s ran (≥ 250 s of trace time); the stored span starts at the job's
        // first reading, which can lag its start by a few tens of real milliseconds (×100 here).
        #expect(done >= 200 && done < 1800, "done \(done) s")
        let remaining = max(1800 - done, 180)
        #expect(remaining < 1800)
        print("checkpoint-resume test: run time done \(done) s, planned for the remaining \(remaining) s")
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 1800, doneSeconds: done) == remaining)

        _ = await rt2.startDueJobs()   // the first tick plans the queue
        let plan = try #require(await rt2.scheduling.plans[submitted.id])
        // The ⌈remaining / 5 min⌉ cheapest slots: from slot 4 on, one run of exactly the remaining time
        // (the whole prediction would have taken all six cheap slots, 30 min).
        #expect(abs(plan.runs.reduce(0) { $0 + $1.duration } - remaining) < 1e-6)
        #expect(plan.runs.first?.start == t1.addingTimeInterval(1200))
        #expect(abs((plan.runs.last?.end.timeIntervalSince(t1) ?? 0) - (1200 + remaining)) < 1e-6)
        // Predicted carbon: 36 W over the remaining seconds, priced slot by slot.
        var grams = 0.0, left = remaining, k = 4
        while left > 0 { let s = min(300, left); grams += 36 * s / 3_600_000 * price(k); left -= s; k += 1 }
        #expect(abs((plan.predictedCarbonGrams ?? -1) - grams) < 1e-9)
        // Latest start: deadline − remaining − 2σ (the policy's margin; σ of a policy default is 0).
        let sigma = queued.expectedDurationUncertaintySeconds ?? 0
        let deadline = queued.deadline   // 3 h after its submission (a moment after t0 on the replayed clock)
        #expect(abs(plan.latestStart.timeIntervalSince(deadline) + remaining + 2 * sigma) < 1e-6)
        let planned = try #require(try db2.job(id: submitted.id))
        #expect(planned.plannedStart == t1.addingTimeInterval(1200))
        #expect(abs(planned.latestStart.timeIntervalSince(plan.latestStart)) < 0.001)   // stored to the millisecond
        #expect(abs(planned.predictedCarbon.grams - grams) < 1e-9)

        // It resumes at its planned start, not before, and ends with the output of an uninterrupted run.
        var finished = false
        let waitUntil = Date().addingTimeInterval(90)
        while !finished && Date() < waitUntil {
            _ = await rt2.startDueJobs()
            finished = try await rt2.job(id: submitted.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(finished)
        let expected = (1...100).map { "\($0)\n" }.joined() + "end\n"
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == expected)
        let starts = try String(contentsOfFile: dir + "/starts", encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(starts == [["start", "0", "0"], ["start", "1", "\(saved)"]])
        let second = try db2.intervals(jobID: submitted.id).filter { $0.startAt >= t1 }
        #expect((second.first?.startAt ?? .distantPast) >= t1.addingTimeInterval(1200))
        let job = try #require(try db2.job(id: submitted.id))
        #expect(job.restartCount == 1)
        #expect((job.endedAt ?? .distantFuture) <= deadline)
        try? db2.close()
    }
}
