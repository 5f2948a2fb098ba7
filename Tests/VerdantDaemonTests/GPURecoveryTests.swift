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

/// GPUs after a daemon restart without a clean shutdown: a job still running keeps its GPUs, so the
/// new daemon holds them for it (from `job_gpu_indices`) and gives queued jobs only the others.
/// Fake GPUs (`FakeGPUs`, there is none here), real processes in real cgroups under an executor whose
/// jobs outlive the daemon (`OutlivingCgroupExecutor`), a real SQLite file.
/// The cgroup executor with jobs that outlive the daemon, as the systemd executor's units do (the
/// executor that re-adopts jobs after a restart; PID 1 is not systemd here): real processes in real
/// cgroups; `adopt` finds a job whose cgroup still holds processes, and its end is when the cgroup is empty.
struct OutlivingCgroupExecutor: JobExecutor {
    let inner: ProcessExecutor
    let layout: CgroupLayout
    var name: String { inner.name }
    var detail: String { "test: cgroup executor whose jobs outlive the daemon" }
    var jobsOutliveDaemon: Bool { true }
    func launch(_ request: JobLaunchRequest) throws -> JobExecutorHandle { try inner.launch(request) }
    func waitForEnd(_ handle: JobExecutorHandle) async -> JobEnd {
        guard let path = handle.cgroupPath else { return await inner.waitForEnd(handle) }
        let cg = JobCgroup(layout: layout, path: path)
        while !cg.pids().isEmpty { try? await Task.sleep(for: .milliseconds(20)) }
        return JobEnd(exitCode: 0, signal: nil, cpuSeconds: nil)
    }
    func cpuSeconds(_ handle: JobExecutorHandle) -> Double? { inner.cpuSeconds(handle) }
    func stop(_ handle: JobExecutorHandle, mode: JobStopMode) { inner.stop(handle, mode: mode) }
    func pause(_ handle: JobExecutorHandle) throws { try inner.pause(handle) }
    func resume(_ handle: JobExecutorHandle) throws { try inner.resume(handle) }
    func adopt(_ handle: JobExecutorHandle) -> JobAdoption {
        guard let path = handle.cgroupPath, !JobCgroup(layout: layout, path: path).pids().isEmpty else { return .ended(nil) }
        return .adopted(handle)
    }
}

@Suite(.serialized) struct GPURecoveryTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    @Test func holdRecoveredTakesTheRecordedIndicesElseTheLowestFree() {
        var a = GPUAllocator(count: 4)
        #expect(a.holdRecovered(job: 1, recorded: [2, 1], count: 2) == [1, 2])
        #expect(a.free == [0, 3])
        // No record (a job from an older daemon): the lowest free, so the count in use stays right.
        #expect(a.holdRecovered(job: 2, recorded: nil, count: 1) == [0])
        // A record that clashes with a held GPU, or is out of range, or has the wrong count: the lowest free.
        #expect(a.holdRecovered(job: 3, recorded: [1], count: 1) == [3])
        var b = GPUAllocator(count: 2)
        #expect(b.holdRecovered(job: 1, recorded: [5], count: 1) == [0])
        #expect(b.holdRecovered(job: 2, recorded: [0, 1], count: 1) == [1])
        // More asked than free: what is free.
        var c = GPUAllocator(count: 2)
        #expect(c.holdRecovered(job: 1, recorded: nil, count: 3) == [0, 1])
        #expect(c.holdRecovered(job: 2, recorded: nil, count: 0) == [])
    }

    func runtime(_ db: VerdantDatabase, dir: String, gpus: FakeGPUs, instance: String) throws -> JobRuntime {
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n", file: "t.yaml")
        return JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: OutlivingCgroupExecutor(inner: ProcessExecutor(layout: CgroupLayout.detect(), instance: instance),
                                                            layout: CgroupLayout.detect()!),
            clock: DaemonClock(replay: nil),
            series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(100)), intensitySource: "static", intensityZone: "static",
            policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), gpus: gpus))
    }

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func aReadoptedJobKeepsItsGPUs() async throws {
        let dir = NSTemporaryDirectory() + "verdant-gpu-recovery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let path = dir + "/verdant.sqlite", instance = "gpurec-\(getpid())"
        func request(_ name: String, gpus: Int, sleep: String) -> SubmitRequest {
            SubmitRequest(name: name, kind: "batch", deadline: "1h", expectedDuration: "1s",
                          command: ["/bin/sh", "-c", "echo \"$CUDA_VISIBLE_DEVICES\" > \(dir)/\(name).gpus; sleep \(sleep)"],
                          workingDirectory: dir, environment: [], gpus: gpus)
        }
        func gpusSeen(_ name: String) -> String? { try? String(contentsOfFile: "\(dir)/\(name).gpus", encoding: .utf8) }
        func tick(_ rt: JobRuntime, until done: () async throws -> Bool) async throws -> Bool {
            for _ in 0..<300 {
                _ = await rt.startDueJobs()
                if try await done() { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        // First daemon: A gets GPU 0 of 2 and runs for a while; then the daemon is gone without a shutdown.
        let db1 = try VerdantDatabase(path: path)
        let rt1 = try runtime(db1, dir: dir, gpus: FakeGPUs(count: 2), instance: instance)
        let a = try await rt1.submit(request("a", gpus: 1, sleep: "4"), caller: me)
        #expect(try await tick(rt1) { gpusSeen("a") != nil })
        #expect(gpusSeen("a") == "0\n")
        #expect(try db1.gpuIndices(jobID: a.id) == [0])

        // Second daemon on the same file and cgroups: A is re-adopted with its GPU.
        let db2 = try VerdantDatabase(path: path)
        let rt2 = try runtime(db2, dir: dir, gpus: FakeGPUs(count: 2), instance: instance)
        try await rt2.recoverAfterRestart()
        #expect(try await rt2.job(id: a.id, caller: me).state == "running")
        // B asks for one GPU: it gets GPU 1, not A's GPU 0.
        let b = try await rt2.submit(request("b", gpus: 1, sleep: "0"), caller: me)
        #expect(try await tick(rt2) { try await rt2.job(id: b.id, caller: me).state == "succeeded" })
        #expect(gpusSeen("b") == "1\n")
        // C asks for both: it waits while A runs, then gets 0 and 1 once A has ended.
        let c = try await rt2.submit(request("c", gpus: 2, sleep: "0"), caller: me)
        _ = await rt2.startDueJobs()
        let aRunning = try await rt2.job(id: a.id, caller: me).state == "running"
        if aRunning { #expect(try await rt2.job(id: c.id, caller: me).state == "queued") }
        #expect(try await tick(rt2) { try await rt2.job(id: c.id, caller: me).state == "succeeded" })
        #expect(gpusSeen("c") == "0,1\n")
        #expect(try await rt2.job(id: a.id, caller: me).state != "running")
        await rt2.shutdown(graceSeconds: 1)
        try? db1.close()
        try? db2.close()
    }
}
