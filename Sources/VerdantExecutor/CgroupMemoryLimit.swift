import Foundation
import VerdantCore
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

/// Enforces a job's declared memory (`verdant submit --memory 4G`) in the `cgroup` executor, as the
/// systemd executor does with `MemoryMax=`: over it, the kernel reclaims and then OOM-kills inside
/// the job's cgroup only.
///
/// - cgroup v2 (the job cgroup is in the unified hierarchy): `memory.max` and `memory.swap.max = 0`
///   in the job cgroup, after enabling the `memory` controller for Verdant's parent
///   (Documentation/admin-guide/cgroup-v2.rst, "Memory Interface Files"). OOM kills are counted in
///   `memory.events` (`oom_kill`).
/// - cgroup v1 (CPU accounting in the `cpuacct` hierarchy): a cgroup of the same name in the `memory`
///   hierarchy at `/sys/fs/cgroup/memory/verdant/`, which the job's first process joins before exec,
///   with `memory.limit_in_bytes` and, where swap accounting exists, `memory.memsw.limit_in_bytes`
///   to the same value, so the job cannot spill into swap (Documentation/admin-guide/cgroup-v1/
///   memory.rst, §2.5 and §5.2). OOM kills are counted in `memory.oom_control` (`oom_kill`, Linux ≥ 4.13).
/// - Neither (a v1 host without the memory hierarchy mounted): the limit cannot be enforced; the job
///   runs without it (the planner still counts the memory against the node's capacity).
public enum CgroupMemoryLimit {
    /// Where the v1 memory hierarchy is mounted.
    public static let v1MemoryMount = "/sys/fs/cgroup/memory"

    /// Sets `bytes` as the job's memory limit.
    /// - Returns: the `cgroup.procs` file of the v1 memory cgroup the job must join (nil on v2, where
    ///   the job cgroup itself carries the limit, and where there is no memory controller).
    /// - Throws: `ExecutorError.cgroup` naming the file when the controller exists but the limit cannot be written.
    public static func apply(_ bytes: UInt64, to cg: JobCgroup) throws -> String? {
        switch cg.layout {
        case .v2:
            let parent = (cg.path as NSString).deletingLastPathComponent
            guard let controllers = KernelFile.readText(parent + "/cgroup.controllers"),
                  controllers.split(separator: " ").contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "memory" }) else {
                return nil
            }
            // The job cgroup exists already: its files appear once the parent enables the controller.
            try? write("+memory", to: parent + "/cgroup.subtree_control")
            try write(String(bytes), to: cg.path + "/memory.max")
            try? write("0", to: cg.path + "/memory.swap.max")
            return nil
        case .v1:
            guard FileManager.default.fileExists(atPath: v1MemoryMount + "/memory.limit_in_bytes") else { return nil }
            let dir = v1Directory(cg)
            for d in [(dir as NSString).deletingLastPathComponent, dir] where mkdir(d, 0o755) != 0 && errno != EEXIST {
                throw ExecutorError.cgroup(path: d, message: "mkdir failed: \(String(cString: strerror(errno))); the job's --memory cannot be enforced")
            }
            // A leftover of the same name may hold a larger memsw limit: the order keeps memsw ≥ limit.
            try write(String(bytes), to: dir + "/memory.limit_in_bytes")
            if FileManager.default.fileExists(atPath: dir + "/memory.memsw.limit_in_bytes") {
                try write(String(bytes), to: dir + "/memory.memsw.limit_in_bytes")
            }
            return dir + "/cgroup.procs"
        }
    }

    /// The reason to record when the kernel's OOM killer acted in the job's memory cgroup, else nil.
    public static func oomKillReason(_ cg: JobCgroup) -> String? {
        let dir: String, eventsFile: String, limitFile: String
        switch cg.layout {
        case .v2: dir = cg.path; eventsFile = "memory.events"; limitFile = "memory.max"
        case .v1: dir = v1Directory(cg); eventsFile = "memory.oom_control"; limitFile = "memory.limit_in_bytes"
        }
        guard let kills = CgroupCounterFile.readKeyed(dir + "/" + eventsFile, key: "oom_kill"), kills > 0 else { return nil }
        let limit = KernelFile.readText(dir + "/" + limitFile)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return "killed by the kernel's OOM killer (\(kills) process(es)): the job went over its --memory limit of \(limit) bytes; submit it with a larger --memory"
    }

    /// Removes the job's v1 memory cgroup (its leftover processes are killed first); nothing on v2.
    public static func remove(_ cg: JobCgroup) {
        guard case .v1 = cg.layout else { return }
        let dir = v1Directory(cg)
        guard FileManager.default.fileExists(atPath: dir) else { return }
        for _ in 0..<50 {
            let left = (KernelFile.readText(dir + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
            if left.isEmpty { break }
            for p in left { kill(p, SIGKILL) }
            usleep(20_000)
        }
        rmdir(dir)
    }

    static func v1Directory(_ cg: JobCgroup) -> String {
        v1MemoryMount + "/verdant/" + (cg.path as NSString).lastPathComponent
    }

    private static func write(_ value: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExecutorError.cgroup(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        if n < 0 { throw ExecutorError.cgroup(path: path, message: "writing '\(value)' failed: \(String(cString: strerror(errno)))") }
    }
}
