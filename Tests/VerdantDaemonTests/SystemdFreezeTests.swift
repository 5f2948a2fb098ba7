import Foundation
import Logging
import Testing
import VerdantCore
@testable import VerdantDaemon
import VerdantSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Pause and resume of a job unit against a real systemd: run by scripts/test-systemd-integration
/// inside its harness (VERDANT_SYSTEMD_ITEST=1), where sd_booted is true and the system bus is
/// systemd's. The executor is the daemon's own choice (`Daemon.chooseExecutor`), with the cgroup
/// freezer it injects as the fallback where systemd cannot freeze units (cgroup v1 or hybrid hosts).
@Suite(.serialized) struct SystemdFreezeTests {
    static let enabled = ProcessInfo.processInfo.environment["VERDANT_SYSTEMD_ITEST"] == "1"

    /// The job's heartbeat: the value its loop last wrote (nil before the first).
    func tick(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: enabled, "runs inside scripts/test-systemd-integration's systemd"))
    func pausedJobUnitStopsAndResumes() async throws {
        var c = DaemonConfiguration()
        c.executor = "systemd"
        // Inside a unit with verdantd.service's sandbox (PrivateTmp=, ProtectSystem=strict) its
        // RuntimeDirectory= is the folder both it and the job unit can write.
        let base = ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let dir = base.appendingPathComponent("verdant-freeze-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let executor = try Daemon.chooseExecutor(configuration: c, stateDirectory: dir.path, logger: Logger(label: "test"))
        let systemd = try #require(executor as? SystemdJobExecutor)
        let beat = dir.appendingPathComponent("tick").path
        let jobID = Int64(900_000 + getpid() % 10_000)
        let handle = try executor.launch(JobLaunchRequest(
            jobID: jobID, command: ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > '\(beat)'; sleep 0.05; done"],
            workingDirectory: "/", environment: ["PATH=/usr/bin:/bin"], uid: 0, gid: 0, logPath: dir.appendingPathComponent("log").path))
        defer { executor.stop(handle, mode: .kill) }
        var started = false
        for _ in 0..<100 where !started {
            started = tick(beat) != nil
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(started, "the job never wrote its heartbeat")

        try executor.pause(handle)
        // Freezing is asynchronous (the kernel's freezer walks the tasks; `FreezeUnit` returns before
        // the unit is frozen): wait until the heartbeat holds still for 300 ms (a write in flight
        // lands), up to 10 s on a loaded machine, then check that it stays still for a whole second.
        var frozen = tick(beat)
        for _ in 0..<33 {
            try await Task.sleep(for: .milliseconds(300))
            let now = tick(beat)
            if now == frozen { break }
            frozen = now
        }
        try await Task.sleep(for: .seconds(1))
        #expect(tick(beat) == frozen, "the heartbeat advanced while paused (\(frozen ?? "-") -> \(tick(beat) ?? "-"))")
        let used = try #require(systemd.lastFreezer)
        print("freeze: \(used)")
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            #expect(used == "FreezeUnit", "a unified-hierarchy host should freeze through systemd: \(used)")
        } else {
            // cgroup v1/hybrid: systemd refuses FreezeUnit and the v1 freezer holds the unit's processes.
            #expect(used.hasPrefix("cgroup freezer (FreezeUnit refused"), "\(used)")
            let state = try String(contentsOfFile: "/sys/fs/cgroup/freezer/verdant/\(handle.reference)/freezer.state", encoding: .utf8)
            #expect(state.hasPrefix("FROZEN"), "freezer.state: \(state)")
        }

        try executor.resume(handle)
        let thawedFrom = tick(beat)
        var advanced = false
        for _ in 0..<100 where !advanced {   // up to 10 s on a loaded machine
            try await Task.sleep(for: .milliseconds(100))
            advanced = tick(beat) != thawedFrom
        }
        #expect(advanced, "the heartbeat did not advance after resume")

        executor.stop(handle, mode: .kill)
        let end = await executor.waitForEnd(handle)
        #expect(end.signal == SIGKILL || end.exitCode != 0, "\(end)")
        rmdir("/sys/fs/cgroup/freezer/verdant/\(handle.reference)")
    }
}
