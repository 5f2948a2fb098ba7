import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor

/// A wall clock a test steps: the system's wall time plus an offset that `step(by:)` changes at once,
/// as `date -s` or an NTP step would.
final class SteppedWallClock: WallClock {
    private let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func step(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

/// Issue 10, clock changes: the wall clock stepped an hour back and an hour forward while jobs are
/// planned and running never gives a negative or spiking power, never moves a planned start into the
/// past and never runs a job twice. Real processes (ProcessExecutor), a real SQLite file, the node
/// estimated by a 0–85 W linear model from /proc/stat, so no interval may exceed 85 W.
@Suite(.serialized) struct WallClockStepTests {
    static let maxPowerWatts = 85.0

    @Test func anHourBackAndForwardWhileJobsArePlannedAndRunning() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-clockstep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(Self.maxPowerWatts), name: "test")
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n", file: "t.yaml")
        let wall = SteppedWallClock()
        let t0 = wall.now()
        // Intensity: 500 g/kWh until t0 + 20 min, 100 from then to t0 + 40 min, 500 after: a job with a
        // 3 h deadline is planned at t0 + 20 min; one with a 30 s deadline runs at once.
        let cheap = t0.addingTimeInterval(1200)
        let series = IntensitySeries(points: [
            IntensityPoint(time: t0.addingTimeInterval(-7200), intensity: IntensityGramsPerKWh(500)),
            IntensityPoint(time: cheap, intensity: IntensityGramsPerKWh(100)),
            IntensityPoint(time: t0.addingTimeInterval(2400), intensity: IntensityGramsPerKWh(500)),
            IntensityPoint(time: t0.addingTimeInterval(4 * 3600), intensity: IntensityGramsPerKWh(500)),
        ], fallback: IntensityGramsPerKWh(500))
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: nil, instance: dir), clock: DaemonClock(replay: nil, wall: wall),
            series: series, intensitySource: "test", intensityZone: "test",
            policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test")))
        let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())
        // Each job appends a line to its own marker file when it starts: two lines = run twice.
        func submit(_ tag: String, deadline: String, sleep: String) async throws -> JobView {
            try await runtime.submit(SubmitRequest(name: "step-\(tag)", kind: "batch", deadline: deadline, expectedDuration: "1s",
                                                   command: ["/bin/sh", "-c", "echo run >> \(dir)/\(tag).runs; sleep \(sleep)"],
                                                   workingDirectory: dir, environment: ["PATH=/usr/bin:/bin"]), caller: me)
        }
        // The daemon's two loops, at 20 Hz: sample and start what is due.
        let loop = Task {
            while !Task.isCancelled {
                await runtime.sample()
                _ = await runtime.startDueJobs()
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { loop.cancel() }
        func state(_ j: JobView) async throws -> String { try await runtime.job(id: j.id, caller: me).state }
        func waitFor(_ j: JobView, _ wanted: Set<String>) async throws {
            var last = ""
            for _ in 0..<400 {
                last = try await state(j)
                if wanted.contains(last) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(wanted.contains(last), "job \(j.name) never reached \(wanted) (last \(last))")
        }

        let a = try await submit("a", deadline: "30s", sleep: "1.5")   // runs across the step back
        let b = try await submit("b", deadline: "3h", sleep: "0.2")    // planned in 20 min
        // The planner works on a 5-minute grid (docs/scheduling.md) and `cheap` (real time + 20 min) is not
        // on it: B starts in the first slot wholly inside the cheap window, within 5 minutes of `cheap`.
        func inCheapWindow(_ j: JobView) -> Bool {
            j.plannedStart >= cheap.addingTimeInterval(-1) && j.plannedStart < cheap.addingTimeInterval(300)
        }
        #expect(inCheapWindow(b), "planned \(b.plannedStart), cheap from \(cheap)")
        try await waitFor(a, ["running"])
        try await Task.sleep(for: .milliseconds(400))

        // An hour back while A runs and B is planned.
        wall.step(by: -3600)
        let c = try await submit("c", deadline: "3h", sleep: "0.2")    // planned after the step back
        let nowAfterBack = wall.now()
        #expect(c.plannedStart >= c.submittedAt && c.submittedAt >= nowAfterBack.addingTimeInterval(-1))
        #expect(inCheapWindow(c), "planned \(c.plannedStart), cheap from \(cheap)")   // the same cheap window, not an hour earlier
        let d = try await submit("d", deadline: "30s", sleep: "1.5")   // runs across the step forward
        try await waitFor(a, ["succeeded"])
        try await waitFor(d, ["running"])
        // B and C are not started early: their planned start is still 80 min away on the stepped clock.
        #expect(try await state(b) == "queued")
        #expect(try await state(c) == "queued")
        #expect(abs(try await runtime.job(id: b.id, caller: me).plannedStart.timeIntervalSince(b.plannedStart)) < 0.002)
        try await Task.sleep(for: .milliseconds(400))

        // Two hours forward (an hour past the first clock) while D runs: B and C are now due.
        wall.step(by: 7200)
        for j in [b, c, d] { try await waitFor(j, ["succeeded"]) }
        try await Task.sleep(for: .milliseconds(200))
        loop.cancel()
        await runtime.shutdown(graceSeconds: 1)

        // Each job ran exactly once, after its planned start, for its monotonic run time.
        for (j, tag, minSeconds) in [(a, "a", 1.5), (b, "b", 0.2), (c, "c", 0.2), (d, "d", 1.5)] {
            let v = try await runtime.job(id: j.id, caller: me)
            #expect(try String(contentsOfFile: "\(dir)/\(tag).runs", encoding: .utf8) == "run\n", "job \(tag) ran more than once")
            let started = try #require(v.startedAt), ended = try #require(v.endedAt)
            #expect(started >= v.plannedStart.addingTimeInterval(-0.01), "job \(tag) started before its planned start")
            #expect(abs(v.plannedStart.timeIntervalSince(j.plannedStart)) < 0.002, "job \(tag)'s planned start moved")   // stored to the ms
            let seconds = ended.timeIntervalSince(started)
            #expect(seconds >= minSeconds - 0.01 && seconds < minSeconds + 5, "job \(tag) lasted \(seconds) s")
            let energy = try #require(v.energyJoules)
            #expect(energy >= 0 && energy / seconds <= Self.maxPowerWatts * 1.01, "job \(tag): \(energy) J in \(seconds) s")
            // Every stored interval: forward in time, no longer than a few ticks, power in 0…85 W.
            let intervals = try db.intervals(jobID: j.id)
            #expect(!intervals.isEmpty)
            for i in intervals {
                let s = i.endAt.timeIntervalSince(i.startAt)
                #expect(s >= 0 && s < 5, "job \(tag): an interval of \(s) s")
                if s > 0.005 { #expect(i.energy.joules >= 0 && i.energy.joules / s <= Self.maxPowerWatts * 1.05, "job \(tag): \(i.energy.joules) J in \(s) s") }
            }
        }
        #expect(try db.jobs().count == 4)
        // The node samples: each spans its monotonic duration (stored to the millisecond), power 0…85 W.
        func storedSamples() throws -> [EnergySampleRecord] { try db.samples() }   // from energy_ticks
        let samples = try storedSamples()
        #expect(samples.count > 20)
        for s in samples {
            let span = s.endAt.timeIntervalSince(s.startAt)
            #expect(abs(span - s.durationSeconds) < 0.002, "a sample of \(s.durationSeconds) s stored as \(span) s")
            if let e = s.energy?.joules, s.durationSeconds > 0.005 { #expect(e >= 0 && e / s.durationSeconds <= Self.maxPowerWatts * 1.01) }
        }
    }
}
