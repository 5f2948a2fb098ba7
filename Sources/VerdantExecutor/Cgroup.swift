import Foundation
import VerdantCore
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

/// Which cgroup hierarchy jobs are placed in.
///
/// cgroup v2 (Documentation/admin-guide/cgroup-v2.rst) where a v2 hierarchy has the `cpu`
/// controller available; else the v1 `cpuacct` hierarchy (Documentation/admin-guide/cgroup-v1/cpuacct.rst).
public enum CgroupLayout: Sendable, Hashable, CustomStringConvertible {
    /// A v2 hierarchy mounted at the path; CPU time from `cpu.stat` `usage_usec`.
    case v2(mount: String)
    /// The v1 `cpuacct` hierarchy mounted at the path; CPU time from `cpuacct.usage` (ns).
    case v1(cpuacctMount: String)

    /// Detects the layout under `root` (default `/sys/fs/cgroup`).
    /// - Returns: `nil` when neither is usable.
    public static func detect(root: String = "/sys/fs/cgroup") -> CgroupLayout? {
        for mount in [root, root + "/unified"] {
            if let c = try? String(contentsOfFile: mount + "/cgroup.controllers", encoding: .utf8),
               c.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("cpu") {
                return .v2(mount: mount)
            }
        }
        for name in ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"] {
            let m = root + "/" + name
            if FileManager.default.fileExists(atPath: m + "/cpuacct.usage") { return .v1(cpuacctMount: m) }
        }
        return nil
    }

    public var description: String {
        switch self {
        case let .v2(m): return "cgroup v2 at \(m)"
        case let .v1(m): return "cgroup v1 cpuacct at \(m)"
        }
    }

    /// The directory Verdant's job cgroups live under.
    public var parentDirectory: String {
        switch self {
        case let .v2(m): return m + "/verdant.slice"
        case let .v1(m): return m + "/verdant"
        }
    }
}

/// One job's cgroup.
public struct JobCgroup: Sendable, Hashable {
    public let layout: CgroupLayout
    /// The cgroup directory.
    public let path: String

    /// An existing cgroup directory (e.g. one a previous daemon instance left behind).
    public init(layout: CgroupLayout, path: String) {
        self.layout = layout
        self.path = path
    }

    /// The file a process writes its pid to in order to join.
    public var procsFile: String { path + "/cgroup.procs" }

    /// Creates the job's cgroup `name` (and Verdant's parent when missing).
    /// - Throws: `ExecutorError.cgroup` naming the directory and errno.
    public static func create(layout: CgroupLayout, name: String) throws -> JobCgroup {
        let parent = layout.parentDirectory
        try makeDirectory(parent)
        if case .v2 = layout {
            // Let the job cgroups account CPU with the cpu controller; failure only loses cpu.max control.
            try? "+cpu".write(toFile: parent + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
        }
        let path = parent + "/" + name
        try makeDirectory(path)
        return JobCgroup(layout: layout, path: path)
    }

    private static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            let e = errno
            throw ExecutorError.cgroup(path: path, message: "mkdir failed: \(String(cString: strerror(e))); verdantd needs root to create job cgroups")
        }
    }

    /// The CPU accounting file: v1 `cpuacct.usage` (ns), v2 `cpu.stat` (`usage_usec`).
    public var cpuAccountingFile: String {
        switch layout {
        case .v1: return path + "/cpuacct.usage"
        case .v2: return path + "/cpu.stat"
        }
    }

    /// CPU-seconds used by every process that ever ran in the cgroup.
    /// - Returns: `nil` when the accounting file cannot be read (no data, never 0).
    public func cpuSeconds() -> Double? {
        switch layout {
        case .v1:
            guard let ns = CgroupCounterFile.readUnsigned(path + "/cpuacct.usage") else { return nil }
            return Double(ns) / 1e9
        case .v2:
            guard let us = CgroupCounterFile.readKeyed(path + "/cpu.stat", key: "usage_usec") else { return nil }
            return Double(us) / 1e6
        }
    }

    /// Pids still in the cgroup.
    public func pids() -> [Int32] {
        guard let s = KernelFile.readText(procsFile) else { return [] }
        return s.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Sends `signal` to every process in the cgroup.
    public func signalAll(_ signal: Int32) {
        for pid in pids() { kill(pid, signal) }
    }

    /// Kills what is left and removes the directory. Returns whether it is gone.
    @discardableResult
    public func remove() -> Bool {
        for _ in 0..<50 {
            let left = pids()
            if left.isEmpty { break }
            for p in left { kill(p, SIGKILL) }
            usleep(20_000)
        }
        return rmdir(path) == 0 || errno == ENOENT
    }
}
