import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor

/// A fake GPU inventory (there is no GPU here): `count` GPUs whose cumulative energy counters advance
/// by (index + 1) × 100 J at every read.
final class FakeGPUs: GPUSource, @unchecked Sendable {
    let gpuCount: Int
    private let lock = NSLock()
    private var reads = 0
    init(count: Int) { gpuCount = count }
    func cumulativeEnergy() -> [Int: EnergyJoules] {
        lock.lock(); defer { lock.unlock() }
        reads += 1
        var out: [Int: EnergyJoules] = [:]
        for i in 0..<gpuCount { out[i] = EnergyJoules(1000 + Double(reads) * Double(i + 1) * 100) }
        return out
    }
}

@Suite(.serialized) struct GPUJobTests {
    @Test func allocatorAssignsLowestFreeIndicesAndReleases() {
        var a = GPUAllocator(count: 4)
        #expect(a.assign(job: 1, count: 2) == [0, 1])
        #expect(a.assign(job: 2, count: 1) == [2])
        #expect(a.assign(job: 3, count: 2) == nil)          // only GPU 3 is free
        #expect(a.free == [3])
        a.release(job: 1)
        #expect(a.assign(job: 3, count: 2) == [0, 1])
        #expect(a.indices(of: 3) == [0, 1])
        #expect(a.assign(job: 4, count: 0) == [])
        #expect(!a.canEverSatisfy(5) && a.canEverSatisfy(4))
        #expect(GPUAllocator.environment(["A=1", "CUDA_VISIBLE_DEVICES=7"], withGPUs: [0, 2]) == ["A=1", "CUDA_VISIBLE_DEVICES=0,2"])
        // Energy: GPU 0 100 → 350 J, GPU 2 1000 → 1400 J: 650 J; a missing reading gives no number.
        let s = [0: EnergyJoules(100), 2: EnergyJoules(1000)], e = [0: EnergyJoules(350), 2: EnergyJoules(1400)]
        #expect(GPUEnergyAccounting.energy(start: s, end: e, indices: [0, 2]) == EnergyJoules(650))
        #expect(GPUEnergyAccounting.energy(start: s, end: [0: EnergyJoules(350)], indices: [0, 2]) == nil)
        #expect(GPUEnergyAccounting.energy(start: s, end: [0: EnergyJoules(50), 2: EnergyJoules(1400)], indices: [0, 2]) == nil)
    }

    @Test func gpuJobSeesItsDevicesWaitsForFreeOnesAndIsChargedTheirEnergy() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-gpu-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1s\n    deadline: 1h\n    power-watts: 10\n", file: "t.yaml")
        let gpus = FakeGPUs(count: 3)
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: nil, instance: dir), clock: DaemonClock(replay: nil),
            series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(100)), intensitySource: "static", intensityZone: "static",
            policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), gpus: gpus))
        let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())
        func submit(_ n: Int?, _ out: String, sleep: String = "0") async throws -> JobView {
            try await runtime.submit(SubmitRequest(name: "gpu", kind: "batch", deadline: "1h", expectedDuration: "1s",
                                                   command: ["/bin/sh", "-c", "echo \"$CUDA_VISIBLE_DEVICES\" > \(dir)/\(out); sleep \(sleep)"],
                                                   workingDirectory: dir, environment: ["CUDA_VISIBLE_DEVICES=9"], gpus: n), caller: me)
        }
        // More GPUs than the node has: refused at submission, with the count.
        await #expect(throws: APIError.self) { _ = try await submit(4, "x") }
        let a = try await submit(2, "a", sleep: "1")
        let b = try await submit(2, "b")
        _ = await runtime.startDueJobs()
        // A holds GPUs 0 and 1; B needs 2 with only GPU 2 free: it stays queued.
        #expect(try await runtime.job(id: a.id, caller: me).state == "running")
        #expect(try await runtime.job(id: b.id, caller: me).state == "queued")
        var done = false
        for _ in 0..<100 where !done {
            try await Task.sleep(for: .milliseconds(100))
            _ = await runtime.startDueJobs()
            done = try await runtime.job(id: b.id, caller: me).state == "succeeded"
        }
        #expect(done)
        // Each process saw exactly the GPUs it held (the submitter's value was replaced).
        #expect(try String(contentsOfFile: dir + "/a", encoding: .utf8) == "0,1\n")
        #expect(try String(contentsOfFile: dir + "/b", encoding: .utf8) == "0,1\n")
        // A's GPUs: read 1 at its start, read 2 at its end: GPU 0 +100 J, GPU 1 +200 J = 300 J,
        // stored separately and included in its energy.
        let ja = try await runtime.job(id: a.id, caller: me)
        #expect(ja.gpus == 2)
        #expect(ja.gpuEnergyJoules == 300)
        #expect((ja.energyJoules ?? 0) >= 300)
        // B started after A ended (read 3) and ended at read 4: again 300 J.
        #expect(try await runtime.job(id: b.id, caller: me).gpuEnergyJoules == 300)
    }
}
