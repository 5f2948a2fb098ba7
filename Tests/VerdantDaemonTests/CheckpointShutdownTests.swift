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

/// A checkpoint-mode job (`--checkpoint-signal SIGUSR1`) across a clean daemon shutdown (issue 6): it
/// gets its checkpoint signal, saves its progress and exits; it is written back `queued` with its first
/// start and the energy charged so far (not `lost`); a new daemon on the same SQLite file resumes it
/// with `VERDANT_RESTART_COUNT=1`, and it ends with exactly the output of an uninterrupted run.
/// Real processes in real cgroups, a real SQLite file.
@Suite(.serialized) struct CheckpointShutdownTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func checkpointedJobIsQueuedAtShutdownAndResumedAfterRestart() async throws {
        let fx = try CheckpointFixture(prefix: "verdant-ckpt-shutdown")
        defer { fx.remove() }
        // A flat trace (100 g/kWh for 2 h): the job runs at once. Replay at 300×.
        let t0 = CheckpointFixture.t0
        let series = CheckpointFixture.flatSeries(from: t0, slots: 24, grams: 100)
        let clock = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 300))
        let path = fx.databasePath
        // 30 steps of 0.1 s. On SIGUSR1 it saves the last step done and exits 0; at a start it resumes after it.
        let request = fx.request(name: "ckpt-shutdown", steps: 30, deadline: "40m", expectedDuration: "10m", grace: "3s")
        func runtime(database: VerdantDatabase, instance: String) throws -> JobRuntime {
            try fx.runtime(database: database, clock: clock, series: series, instance: instance, expectedDuration: "10m", deadline: "40m")
        }

        // First daemon: the job starts, runs a few steps, and the daemon shuts down cleanly.
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(database: db1, instance: "ckpt-sd1-\(getpid())")
        let submitted = try await rt1.submit(request, caller: me)
        let steps = try await fx.tick(rt1, untilStepsDone: 5)
        #expect(steps >= 5)
        await rt1.shutdown()
        let saved = fx.savedStep
        #expect(saved >= 5 && saved < 30)
        let queued = try #require(try db1.job(id: submitted.id))
        #expect(queued.state == .queued)
        #expect(queued.startedAt != nil)
        #expect(queued.restartCount == 0)
        #expect(queued.reason?.contains("checkpoint") == true)
        let before = try db1.intervals(jobID: submitted.id)
        #expect(!before.isEmpty)
        let energyBefore = before.map(\.energy.joules).reduce(0, +)
        #expect(abs((queued.energy?.joules ?? -1) - energyBefore) < 1e-9)
        try db1.close()

        // Second daemon on the same file: nothing is lost at recovery; the job resumes from its checkpoint.
        let db2 = try VerdantDatabase(path: path)
        let rt2 = try runtime(database: db2, instance: "ckpt-sd2-\(getpid())")
        try await rt2.recoverAfterRestart()
        #expect(try db2.job(id: submitted.id)?.state == .queued)
        var done = false
        for _ in 0..<2000 where !done {
            _ = await rt2.startDueJobs()
            done = try await rt2.job(id: submitted.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(done)
        #expect(try fx.output() == CheckpointFixture.uninterruptedOutput(steps: 30))
        let starts = try fx.starts()
        #expect(starts == [["start", "0", "0"], ["start", "1", "\(saved)"]])
        let job = try #require(try db2.job(id: submitted.id))
        #expect(job.restartCount == 1)
        #expect(job.startedAt == queued.startedAt)
        #expect(job.exitCode == 0)
        #expect(job.reason == nil)
        // Its energy covers both runs: the intervals stored before the shutdown are counted.
        let all = try db2.intervals(jobID: submitted.id)
        #expect(all.count > before.count)
        #expect(abs((job.energy?.joules ?? -1) - all.map(\.energy.joules).reduce(0, +)) < 1e-6)
        #expect((job.energy?.joules ?? 0) >= energyBefore)
        try? db2.close()
    }
}
