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

    func runtime(dir: String, database: VerdantDatabase, clock: DaemonClock, series: IntensitySeries, instance: String) throws -> JobRuntime {
        let p = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 10m\n    deadline: 40m\n    power-watts: 36\n", file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        return JobRuntime(parts: .init(
            database: database,
            sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: instance), clock: clock,
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: .unlimited))
    }

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func checkpointedJobIsQueuedAtShutdownAndResumedAfterRestart() async throws {
        let dir = NSTemporaryDirectory() + "verdant-ckpt-shutdown-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        // A flat trace (100 g/kWh for 2 h): the job runs at once. Replay at 300×.
        let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
        let series = IntensitySeries(points: (0..<24).map { IntensityPoint(time: t0.addingTimeInterval(Double($0) * 300), intensity: IntensityGramsPerKWh(100)) },
                                     fallback: IntensityGramsPerKWh(480), coverageEnd: t0.addingTimeInterval(7200))
        let clock = DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 300))
        let path = dir + "/verdant.sqlite"
        // 30 steps of 0.1 s. On SIGUSR1 it saves the last step done and exits 0; at a start it resumes after it.
        let script = """
            cd \(dir)
            i=$(cat progress 2>/dev/null || echo 0)
            echo "start $VERDANT_RESTART_COUNT $i" >> starts
            trap 'wc -l < out > progress; exit 0' USR1
            while [ $i -lt 30 ]; do i=$((i+1)); echo $i >> out; sleep 0.1; done
            echo end >> out
            """
        var request = SubmitRequest(name: "ckpt-shutdown", kind: "batch", deadline: "40m", expectedDuration: "10m",
                                    command: ["/bin/sh", "-c", script], workingDirectory: dir, environment: [])
        request.checkpointSignal = "SIGUSR1"
        request.checkpointGrace = "3s"

        // First daemon: the job starts, runs a few steps, and the daemon shuts down cleanly.
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(dir: dir, database: db1, clock: clock, series: series, instance: "ckpt-sd1-\(getpid())")
        let submitted = try await rt1.submit(request, caller: me)
        var steps = 0
        for _ in 0..<1000 where steps < 5 {
            _ = await rt1.startDueJobs()
            steps = ((try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "").split(separator: "\n").count
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(steps >= 5)
        await rt1.shutdown()
        let saved = Int(((try? String(contentsOfFile: dir + "/progress", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
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
        let rt2 = try runtime(dir: dir, database: db2, clock: clock, series: series, instance: "ckpt-sd2-\(getpid())")
        try await rt2.recoverAfterRestart()
        #expect(try db2.job(id: submitted.id)?.state == .queued)
        var done = false
        for _ in 0..<2000 where !done {
            _ = await rt2.startDueJobs()
            done = try await rt2.job(id: submitted.id, caller: me).state == "succeeded"
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(done)
        let expected = (1...30).map { "\($0)\n" }.joined() + "end\n"
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == expected)
        let starts = try String(contentsOfFile: dir + "/starts", encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
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
