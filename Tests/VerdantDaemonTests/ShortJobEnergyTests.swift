import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantExecutor
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
#if canImport(Glibc)
import Glibc
#endif

/// A real short job (`/bin/true` in its own cgroup) on the estimated source, with a `/proc/stat` that
/// sees no busy tick during its life (the case of `echo` on an idle machine): its cgroup CPU time is
/// the node's busy time, so it is charged > 0 J, exactly the estimate's dynamic energy for that time.
@Suite(.serialized) struct ShortJobEnergyTests {
    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func aJobShorterThanATickIsChargedItsCPUTime() async throws {
        let dir = NSTemporaryDirectory() + "verdant-shortjob-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/proc", withIntermediateDirectories: true)
        // A /proc/stat frozen in time: 4 CPUs, no busy tick between any two readings.
        let stat = "cpu  1000 0 500 90000 10 0 5 0 0 0\n" + (0..<4).map { "cpu\($0) 250 0 125 22500 2 0 1 0 0 0\n" }.joined()
        try stat.write(toFile: dir + "/proc/stat", atomically: true, encoding: .utf8)
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n", file: "t.yaml")
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: dir + "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: "shortjob-\(getpid())"),
            clock: DaemonClock(replay: nil),
            series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(100)), intensitySource: "static", intensityZone: "static",
            policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test")))
        let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())
        let v = try await runtime.submit(SubmitRequest(name: "true", kind: "batch", deadline: "1h", expectedDuration: "1s",
                                                       command: ["/bin/true"], workingDirectory: dir, environment: []), caller: me)
        _ = await runtime.startDueJobs()
        var job = try await runtime.job(id: v.id, caller: me)
        // Up to 30 s: starting a process in a cgroup can take seconds on a loaded machine (was 5 s).
        for _ in 0..<600 where job.state != "succeeded" {
            try await Task.sleep(for: .milliseconds(50))
            job = try await runtime.job(id: v.id, caller: me)
        }
        #expect(job.state == "succeeded")
        #expect(job.energySource == "estimated")
        let cpu = try #require(job.cpuSeconds)
        #expect(cpu > 0)
        // One interval (start → end): busy = max(0 ticks, cpu), u = cpu / (Δt × 4), P = 85 W × u,
        // E = 85 × cpu / 4 J, all of it dynamic and all of it the job's (idle 0 W, no other work).
        let energy = try #require(job.energyJoules)
        #expect(energy > 0)
        #expect(abs(energy - 85 * cpu / 4) <= 1e-9 * max(energy, 1e-12) + 1e-12)
    }
}
