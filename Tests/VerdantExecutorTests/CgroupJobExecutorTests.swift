import Foundation
import Testing
import VerdantCore
@testable import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup executor through the `JobExecutor` port, on this machine's real cgroups (root needed;
/// skipped otherwise): launch, CPU time, pause/resume with the freezer, stop, end.
@Suite(.serialized) struct CgroupJobExecutorTests {
    static let layout = CgroupLayout.detect()
    static var usable: Bool { geteuid() == 0 && layout != nil }

    private func request(_ id: Int64, _ command: [String], log: String) -> JobLaunchRequest {
        JobLaunchRequest(jobID: id, command: command, workingDirectory: "/tmp",
                         environment: ["PATH=/usr/bin:/bin"], uid: 0, gid: 0, logPath: log)
    }

    @Test(.enabled(if: usable)) func exitStatusAndCPUTimeComeThroughThePort() async throws {
        let executor: any JobExecutor = ProcessExecutor(layout: Self.layout, instance: "executor-test-\(getpid())")
        let log = NSTemporaryDirectory() + "verdant-exec-\(getpid()).log"
        defer { unlink(log) }
        let h = try executor.launch(request(9001, ["sh", "-c", "echo hi; exit 3"], log: log))
        #expect(executor.name == "cgroup")
        #expect(h.executor == "cgroup")
        #expect(h.cgroupPath?.hasSuffix("/job-9001-\((executor as! ProcessExecutor).instanceTag)") == true)
        let end = await executor.waitForEnd(h)
        #expect(end.exitCode == 3)
        #expect(end.signal == nil)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "hi\n")
        // The cgroup is removed once the job has ended.
        #expect(!FileManager.default.fileExists(atPath: h.cgroupPath!))
    }

    @Test(.enabled(if: usable && CgroupFreezerAvailable.value)) func pausedJobUsesNoCPUUntilResumed() async throws {
        let executor = ProcessExecutor(layout: Self.layout, instance: "executor-test-\(getpid())")
        let log = NSTemporaryDirectory() + "verdant-exec-pause-\(getpid()).log"
        defer { unlink(log) }
        // A busy loop: about 1 CPU-second per second while it runs.
        let h = try executor.launch(request(9002, ["sh", "-c", "while :; do :; done"], log: log))
        // Polled, not slept: on a loaded machine the loop may get a fraction of a core, late.
        func cpuSeconds(reaching condition: (Double) -> Bool, within seconds: Double = 20) async throws -> Double? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let s = executor.cpuSeconds(h), condition(s) { return s }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
        let before = try await cpuSeconds(reaching: { $0 > 0.05 })
        #expect(before != nil, "the loop got no CPU time in 20 s")
        try executor.pause(h)
        // Freezing is asynchronous (v1 FREEZING, then FROZEN; v2 cgroup.events frozen 1): wait until
        // the loop stops using CPU (no CPU time over 100 ms), then check it stays stopped.
        var last = try #require(executor.cpuSeconds(h))
        var frozenAt: Double?
        for _ in 0..<100 where frozenAt == nil {
            try await Task.sleep(for: .milliseconds(100))
            let now = try #require(executor.cpuSeconds(h))
            if now - last < 0.0005 { frozenAt = now }
            last = now
        }
        let frozen = try #require(frozenAt, "the loop kept using CPU for 10 s after pause")
        try await Task.sleep(for: .milliseconds(500))
        let frozenLater = try #require(executor.cpuSeconds(h))
        // Frozen: no CPU time at all in half a second (a running loop would add up to 0.5 s).
        #expect(frozenLater - frozen < 0.005)
        try executor.resume(h)
        let resumed = try #require(try await cpuSeconds(reaching: { $0 - frozenLater > 0.1 }), "no CPU time after resume in 20 s")
        // Stop while paused works too: SIGTERM is delivered once thawed.
        try executor.pause(h)
        executor.stop(h, mode: .terminate)
        let end = await executor.waitForEnd(h)
        #expect(end.signal == SIGTERM)
        #expect(end.exitCode == nil)
        #expect((end.cpuSeconds ?? 0) >= resumed)
    }

    @Test(.enabled(if: usable)) func adoptingALeftoverJobKillsItsProcesses() async throws {
        let executor = ProcessExecutor(layout: Self.layout, instance: "executor-test-adopt-\(getpid())")
        let log = NSTemporaryDirectory() + "verdant-exec-adopt-\(getpid()).log"
        defer { unlink(log) }
        let h = try executor.launch(request(9003, ["sleep", "30"], log: log))
        let waiter = Task { await executor.waitForEnd(h) }
        // As a restarted daemon sees it: only the stored handle.
        let stored = JobExecutorHandle(executor: h.executor, reference: h.reference, pid: h.pid, cgroupPath: h.cgroupPath)
        #expect(executor.adopt(stored) == .abandoned(killedProcesses: 1))
        let end = await waiter.value
        #expect(end.signal == SIGKILL)
    }
}

enum CgroupFreezerAvailable {
    /// v2 (`cgroup.freeze` exists in every non-root cgroup) or a mounted v1 freezer.
    static let value: Bool = {
        switch CgroupLayout.detect() {
        case .v2: return true
        case .v1: return FileManager.default.fileExists(atPath: CgroupFreezer.v1FreezerMount + "/freezer.state")
                || FileManager.default.fileExists(atPath: CgroupFreezer.v1FreezerMount + "/cgroup.procs")
        case nil: return false
        }
    }()
}
