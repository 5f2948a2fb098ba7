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

/// `--memory` is enforced by the cgroup executor (issue 6; `CgroupMemoryLimit`): cgroup v2
/// `memory.max`, or on this kind of host (cgroup v1, memory hierarchy at /sys/fs/cgroup/memory) a
/// memory cgroup with `memory.limit_in_bytes`. Real processes, real cgroups, a real SQLite file.
@Suite(.serialized) struct JobMemoryLimitTests {
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    /// Whether this host can enforce a memory limit in the cgroup executor.
    static var enforceable: Bool {
        guard geteuid() == 0, let layout = CgroupLayout.detect(), FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return false }
        switch layout {
        case .v1: return FileManager.default.fileExists(atPath: CgroupMemoryLimit.v1MemoryMount + "/memory.limit_in_bytes")
        case .v2: return (try? String(contentsOfFile: layout.parentDirectory + "/../cgroup.controllers", encoding: .utf8))?.contains("memory") ?? false
        }
    }

    @Test(.enabled(if: enforceable)) func aJobOverItsMemoryIsKilledAndOneUnderItFinishes() async throws {
        let dir = NSTemporaryDirectory() + "verdant-memlimit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
        // Flat 200 g/kWh: both jobs start at once.
        let series = IntensitySeries(points: (0..<36).map { IntensityPoint(time: t0.addingTimeInterval(Double($0) * 300), intensity: IntensityGramsPerKWh(200)) },
                                     fallback: IntensityGramsPerKWh(200), coverageEnd: t0.addingTimeInterval(3 * 3600))
        let p = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1m\n    deadline: 3h\n    power-watts: 10\n", file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let executor = ProcessExecutor(layout: CgroupLayout.detect(), instance: "memlimit-\(getpid())")
        let rt = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: executor,
            clock: DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 1)),
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: .unlimited))
        // 64 MiB limit: one job touches 256 MiB (a bytes object written in full), the other 16 MiB.
        func submit(_ name: String, mib: Int) async throws -> Int64 {
            let code = "import time; b = b'x' * (\(mib) << 20); time.sleep(0.5); print(len(b))"
            return try await rt.submit(SubmitRequest(name: name, kind: "batch", deadline: "3h", expectedDuration: "1m",
                                                     command: ["/usr/bin/python3", "-c", code], workingDirectory: dir,
                                                     environment: [], memory: "64M"), caller: me).id
        }
        let over = try await submit("over", mib: 256)
        let under = try await submit("under", mib: 16)
        var sawLimit = false
        for _ in 0..<1500 {
            _ = await rt.startDueJobs()
            // While it runs, the job's memory cgroup carries the limit: 64 MiB = 67108864 bytes.
            if !sawLimit, let j = try db.job(id: under), j.state == .running, let path = j.cgroupPath {
                let name = (path as NSString).lastPathComponent
                let file: String
                switch executor.layout! {
                case .v1: file = CgroupMemoryLimit.v1MemoryMount + "/verdant/" + name + "/memory.limit_in_bytes"
                case .v2: file = path + "/memory.max"
                }
                if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "67108864")
                    sawLimit = true
                }
            }
            let states = try [over, under].map { try db.job(id: $0)!.state }
            if states.allSatisfy({ $0 != .queued && $0 != .running }) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sawLimit)
        let o = try #require(try db.job(id: over))
        #expect(o.state == .failed)
        #expect(o.signal == SIGKILL)
        #expect(o.reason?.contains("OOM killer") == true)
        #expect(o.reason?.contains("--memory limit of 67108864 bytes") == true)
        let u = try #require(try db.job(id: under))
        #expect(u.state == .succeeded)
        #expect(u.exitCode == 0)
        let log = try String(contentsOfFile: try #require(u.logPath), encoding: .utf8)
        #expect(log.trimmingCharacters(in: .whitespacesAndNewlines) == "\(16 << 20)")
        // The v1 memory cgroups are removed with the jobs.
        if case .v1 = executor.layout!, let path = o.cgroupPath {
            #expect(!FileManager.default.fileExists(atPath: CgroupMemoryLimit.v1MemoryMount + "/verdant/" + (path as NSString).lastPathComponent))
        }
    }
}
