import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// `ProcessExecutor` as the runtime's `JobExecutor` port: the `cgroup` executor, used when the host
/// does not run systemd (or when configured so). Each job is a child process of the daemon in its own
/// cgroup; its end comes from `wait4`, its CPU time from the cgroup (else rusage).
extension ProcessExecutor: JobExecutor {
    public var name: String { "cgroup" }

    public var detail: String { layout?.description ?? "none (CPU time from wait4 rusage)" }

    public func launch(_ request: JobLaunchRequest) throws -> JobExecutorHandle {
        let p = try launch(LaunchRequest(jobID: request.jobID, command: request.command,
                                         workingDirectory: request.workingDirectory, environment: request.environment,
                                         uid: request.uid, gid: request.gid, logPath: request.logPath,
                                         memoryMaxBytes: request.memoryMaxBytes))
        return JobExecutorHandle(executor: name, reference: p.cgroup?.path ?? "", pid: p.pid, cgroupPath: p.cgroup?.path)
    }

    /// Waits for the main process (`wait4`), reads the cgroup's CPU time (rusage when there is no
    /// cgroup), then kills what is left in the cgroup and removes it.
    public func waitForEnd(_ handle: JobExecutorHandle) async -> JobEnd {
        guard let pid = handle.pid else { return JobEnd(exitCode: nil, signal: nil, cpuSeconds: nil) }
        let exit = await waitForExit(pid: pid)
        let cgroup = self.cgroup(handle)
        let cpu = cgroup.flatMap(counterFiles.cpuSeconds) ?? exit.rusageCPUSeconds
        if let cgroup { counterFiles.forget(cgroup) }
        // Read before the cgroups go: whether the kernel's OOM killer acted on its memory limit.
        let oom = cgroup.flatMap { CgroupMemoryLimit.oomKillReason($0) }
        cgroup?.remove()
        if let cgroup { CgroupFreezer.removeV1(cgroup); CgroupMemoryLimit.remove(cgroup) }
        var end = JobEnd(exitCode: exit.exitCode, signal: exit.signal, cpuSeconds: cpu)
        end.reason = oom
        return end
    }

    /// From the cgroup's accounting file, kept open between calls (`CgroupCounterFiles`).
    public func cpuSeconds(_ handle: JobExecutorHandle) -> Double? {
        cgroup(handle).flatMap(counterFiles.cpuSeconds)
    }

    /// SIGTERM or SIGKILL to every process in the job's cgroup and to the process group its main
    /// process leads (it called setsid).
    public func stop(_ handle: JobExecutorHandle, mode: JobStopMode) {
        let sig = mode == .kill ? SIGKILL : SIGTERM
        let cg = cgroup(handle)
        cg?.signalAll(sig)
        if let pid = handle.pid { kill(-pid, sig) }
        // A frozen process keeps the signal pending until thawed.
        if let cg { CgroupFreezer.thawIfFrozen(cg) }
    }

    /// `signal` to every process in the job's cgroup, else to the process group its main process leads
    /// (once each: a handler must not run twice).
    public func signal(_ handle: JobExecutorHandle, _ signal: Int32) throws {
        if let cg = cgroup(handle) {
            cg.signalAll(signal)
        } else if let pid = handle.pid {
            guard kill(-pid, signal) == 0 else { throw JobExecutorError("cannot signal job process group \(pid): \(String(cString: strerror(errno)))") }
        } else {
            throw JobExecutorError("job has neither a cgroup nor a process to signal")
        }
    }

    public func pause(_ handle: JobExecutorHandle) throws {
        guard let cg = cgroup(handle) else {
            throw JobExecutorError("job has no cgroup, so it cannot be frozen: verdantd needs a cgroup hierarchy (see docs/operations.md)")
        }
        try CgroupFreezer.freeze(cg)
    }

    public func resume(_ handle: JobExecutorHandle) throws {
        guard let cg = cgroup(handle) else { throw JobExecutorError("job has no cgroup, so it was not frozen") }
        try CgroupFreezer.thaw(cg)
    }

    /// A process that is not our child cannot be waited for: what a previous instance left is killed
    /// (its cgroup's processes, else the process group its main process led).
    public func adopt(_ handle: JobExecutorHandle) -> JobAdoption {
        if let cg = cgroup(handle), FileManager.default.fileExists(atPath: cg.path) {
            let killed = cg.pids().count
            CgroupFreezer.thawIfFrozen(cg)
            cg.remove()
            CgroupMemoryLimit.remove(cg)
            return .abandoned(killedProcesses: killed)
        }
        if let pid = handle.pid, kill(pid, 0) == 0 {
            kill(-pid, SIGKILL)
            return .abandoned(killedProcesses: 1)
        }
        return .abandoned(killedProcesses: 0)
    }

    private func cgroup(_ handle: JobExecutorHandle) -> JobCgroup? {
        guard let path = handle.cgroupPath, !path.isEmpty, let layout else { return nil }
        return JobCgroup(layout: layout, path: path)
    }
}

/// Freezes and thaws a job's cgroup.
///
/// cgroup v2: `cgroup.freeze` in the job's cgroup (Documentation/admin-guide/cgroup-v2.rst, "cgroup.freeze").
/// cgroup v1: the `freezer` hierarchy (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst): the
/// job's processes are moved into `<freezer mount>/verdant/<job cgroup name>` and `FROZEN` is written to
/// its `freezer.state`; processes forked during the move are caught by repeating it until none is left.
public enum CgroupFreezer {
    /// Where the v1 freezer hierarchy is mounted.
    public static let v1FreezerMount = "/sys/fs/cgroup/freezer"

    /// - Throws: `JobExecutorError` naming the file when the freezer cannot be written.
    public static func freeze(_ cg: JobCgroup) throws {
        switch cg.layout {
        case .v2:
            try write("1", to: cg.path + "/cgroup.freeze")
        case .v1:
            let dir = try v1Directory(for: cg, create: true)
            for _ in 0..<10 {
                let left = cg.pids().filter { !pids(in: dir).contains($0) }
                if left.isEmpty { break }
                for p in left { try? write("\(p)", to: dir + "/cgroup.procs") }
            }
            try write("FROZEN", to: dir + "/freezer.state")
        }
    }

    /// - Throws: `JobExecutorError` naming the file when the freezer cannot be written.
    public static func thaw(_ cg: JobCgroup) throws {
        switch cg.layout {
        case .v2:
            try write("0", to: cg.path + "/cgroup.freeze")
        case .v1:
            let dir = try v1Directory(for: cg, create: false)
            try write("THAWED", to: dir + "/freezer.state")
        }
    }

    /// Freezes (or thaws) processes that live outside Verdant's job cgroups (a systemd unit on a cgroup
    /// v1 host, where systemd cannot freeze) in the v1 freezer cgroup `verdant/<name>`.
    /// - Throws: `JobExecutorError` when there is no v1 freezer or it cannot be written.
    public static func setFrozen(processes pids: [Int32], name: String, frozen: Bool) throws {
        let dir = v1FreezerMount + "/verdant/" + name
        if frozen {
            guard FileManager.default.fileExists(atPath: v1FreezerMount + "/cgroup.procs") else {
                throw JobExecutorError("no cgroup v1 freezer at \(v1FreezerMount) to freeze \(name)")
            }
            for d in [v1FreezerMount + "/verdant", dir] where mkdir(d, 0o755) != 0 && errno != EEXIST {
                throw JobExecutorError("cannot create freezer cgroup \(d): \(String(cString: strerror(errno)))")
            }
            for p in pids { try? write("\(p)", to: dir + "/cgroup.procs") }
            try write("FROZEN", to: dir + "/freezer.state")
        } else if FileManager.default.fileExists(atPath: dir) {
            try write("THAWED", to: dir + "/freezer.state")
        }
    }

    /// The freezer state: `true` when frozen (v2 `cgroup.freeze` is 1, v1 `freezer.state` is FROZEN or FREEZING).
    public static func isFrozen(_ cg: JobCgroup) -> Bool {
        switch cg.layout {
        case .v2:
            return (try? String(contentsOfFile: cg.path + "/cgroup.freeze", encoding: .utf8))?.hasPrefix("1") ?? false
        case .v1:
            let dir = v1FreezerMount + "/verdant/" + (cg.path as NSString).lastPathComponent
            let s = (try? String(contentsOfFile: dir + "/freezer.state", encoding: .utf8)) ?? ""
            return s.hasPrefix("FROZEN") || s.hasPrefix("FREEZING")
        }
    }

    /// Thaws (so that SIGKILL takes effect) and, on v1, removes the job's freezer cgroup once empty.
    public static func thawIfFrozen(_ cg: JobCgroup) {
        if isFrozen(cg) { try? thaw(cg) }
    }

    /// Removes the v1 freezer cgroup of a job that has ended (nothing on v2: the job cgroup is the one).
    public static func removeV1(_ cg: JobCgroup) {
        guard case .v1 = cg.layout else { return }
        let dir = v1FreezerMount + "/verdant/" + (cg.path as NSString).lastPathComponent
        try? write("THAWED", to: dir + "/freezer.state")
        rmdir(dir)
    }

    private static func v1Directory(for cg: JobCgroup, create: Bool) throws -> String {
        guard FileManager.default.fileExists(atPath: v1FreezerMount + "/freezer.state")
                || FileManager.default.fileExists(atPath: v1FreezerMount + "/cgroup.procs") else {
            throw JobExecutorError("no cgroup v1 freezer at \(v1FreezerMount): mount it (mount -t cgroup -o freezer freezer \(v1FreezerMount)) to pause jobs")
        }
        let parent = v1FreezerMount + "/verdant"
        let dir = parent + "/" + (cg.path as NSString).lastPathComponent
        if create {
            for d in [parent, dir] where mkdir(d, 0o755) != 0 && errno != EEXIST {
                throw JobExecutorError("cannot create freezer cgroup \(d): \(String(cString: strerror(errno)))")
            }
        }
        return dir
    }

    private static func pids(in dir: String) -> Set<Int32> {
        guard let s = try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8) else { return [] }
        return Set(s.split(separator: "\n").compactMap { Int32($0) })
    }

    private static func write(_ value: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JobExecutorError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        if n < 0 { throw JobExecutorError("writing '\(value)' to \(path) failed: \(String(cString: strerror(errno)))") }
    }
}
