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

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func resumedJobIsPlannedForItsRemainingWork() async throws {
        let fx = try CheckpointFixture(prefix: "verdant-ckpt-remaining")
        defer { fx.remove() }
        let t0 = CheckpointFixture.t0
        let path = fx.databasePath
        // 100 steps of 0.1 s. On SIGUSR1 it saves the last step done and exits 0; at a start it resumes after it.
        let request = fx.request(name: "ckpt-remaining", steps: 100, deadline: "3h", expectedDuration: "30m", grace: "3s")
        func runtime(database: VerdantDatabase, clock: DaemonClock, series: IntensitySeries, instance: String) throws -> JobRuntime {
            try fx.runtime(database: database, clock: clock, series: series, instance: instance, expectedDuration: "30m", deadline: "3h")
        }

        // First daemon, replaying from t0 at 100×: a flat 100 g/kWh, so the job runs at once; it is
        // shut down after at least 25 steps (≥ 2.5 s real = 250 s of trace time; more on a loaded machine).
        let flat = CheckpointFixture.flatSeries(from: t0, slots: 48, grams: 100)
        let clock1 = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 100))
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(database: db1, clock: clock1, series: flat, instance: "ckpt-rem1-\(getpid())")
        let submitted = try await rt1.submit(request, caller: me)
        let steps = try await fx.tick(rt1, untilStepsDone: 25)
        #expect(steps >= 25)
        await rt1.shutdown()
        let saved = fx.savedStep
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
        let rt2 = try runtime(database: db2, clock: clock2, series: series, instance: "ckpt-rem2-\(getpid())")
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
        #expect(try fx.output() == CheckpointFixture.uninterruptedOutput(steps: 100))
        let starts = try fx.starts()
        #expect(starts == [["start", "0", "0"], ["start", "1", "\(saved)"]])
        let second = try db2.intervals(jobID: submitted.id).filter { $0.startAt >= t1 }
        #expect((second.first?.startAt ?? .distantPast) >= t1.addingTimeInterval(1200))
        let job = try #require(try db2.job(id: submitted.id))
        #expect(job.restartCount == 1)
        #expect((job.endedAt ?? .distantFuture) <= deadline)
        try? db2.close()
    }
}
