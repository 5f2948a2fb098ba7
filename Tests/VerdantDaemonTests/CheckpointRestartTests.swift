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

/// Checkpoint-and-restart (issue 6): an interruptible job submitted with `--checkpoint-signal SIGUSR1`
/// gets the signal at the end of its first run interval, writes its progress and exits; it is started
/// again at its next interval with `VERDANT_RESTART_COUNT=1`, resumes from its progress file and
/// finishes with exactly the output of an uninterrupted run. Real processes in real cgroups.
@Suite(.serialized) struct CheckpointRestartTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    @Test func signalNames() {
        #expect(CheckpointSignal.parse("SIGUSR1") == SIGUSR1)
        #expect(CheckpointSignal.parse("usr2") == SIGUSR2)
        #expect(CheckpointSignal.parse("15") == SIGTERM)
        #expect(CheckpointSignal.parse("SIGKILL") == nil)
        #expect(CheckpointSignal.parse("9") == nil)
        #expect(CheckpointSignal.parse("nope") == nil)
        #expect(CheckpointSignal.name(SIGUSR1) == "SIGUSR1")
    }

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func jobCheckpointsAndRestartsWithTheRightOutput() async throws {
        let fx = try CheckpointFixture(prefix: "verdant-ckpt")
        defer { fx.remove() }
        let dir = fx.dir
        // Trace (5-min slots): 500, 100, 500, 100, then 500 until 01:00. Replay at 150×: a slot is 2 s, so
        // the job's first line comes within its first run slot on a loaded machine (at 300× it had 1 s).
        let t0 = CheckpointFixture.t0
        let values: [Double] = [500, 100, 500, 100] + Array(repeating: 500, count: 8)
        let series = IntensitySeries(points: values.enumerated().map { IntensityPoint(time: t0.addingTimeInterval(Double($0.offset) * 300), intensity: IntensityGramsPerKWh($0.element)) },
                                     fallback: IntensityGramsPerKWh(480), coverageEnd: t0.addingTimeInterval(3600))
        let clock = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 150))
        // The batch policy is not interruptible: the job is, by its own --checkpoint-signal.
        let rt = try fx.runtime(database: try VerdantDatabase(path: fx.databasePath), clock: clock, series: series,
                                instance: "ckpt-\(getpid())", expectedDuration: "10m", deadline: "40m")
        // 40 steps of 0.1 s (≈ 4 s, the 10 min predicted at 150×). On SIGUSR1 it saves the last step
        // done and exits 0; at a start it resumes after the saved step.
        let request = fx.request(name: "ckpt", steps: 40, deadline: "40m", expectedDuration: "10m", grace: "5s")
        let submitted = try await rt.submit(request, caller: me)
        #expect(submitted.checkpointSignal == "SIGUSR1")
        let plan = try #require(try await rt.plan(caller: me).first { $0.id == submitted.id })
        #expect(plan.planRuns == [PlanRunView(start: t0.addingTimeInterval(300), end: t0.addingTimeInterval(600)),
                                  PlanRunView(start: t0.addingTimeInterval(900), end: t0.addingTimeInterval(1200))])
        var sawStopped = false, done = false
        for _ in 0..<4000 where !done {
            _ = await rt.startDueJobs()
            if !sawStopped, let v = try await rt.plan(caller: me).first(where: { $0.id == submitted.id }), v.paused == true,
               !((try? String(contentsOfFile: dir + "/progress", encoding: .utf8)) ?? "").isEmpty {
                sawStopped = true
            }
            done = try await rt.job(id: submitted.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(sawStopped)
        #expect(done)
        #expect(try fx.output() == CheckpointFixture.uninterruptedOutput(steps: 40))
        // Two starts: the first from 0, the restart (VERDANT_RESTART_COUNT=1) from the saved step.
        let starts = try fx.starts()
        #expect(starts.count == 2)
        #expect(starts.first == ["start", "0", "0"])
        let saved = Int(starts.last?.last ?? "") ?? -1
        #expect(starts.last?[1] == "1")
        #expect(saved > 0 && saved < 40)
        let job = try await rt.job(id: submitted.id, caller: me)
        #expect(job.restartCount == 1)
        #expect(job.startedAt! >= t0.addingTimeInterval(300))
        #expect(job.endedAt! <= job.deadline)
        #expect(job.exitCode == 0)
    }
}
