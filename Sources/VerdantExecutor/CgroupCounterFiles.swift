import Synchronization
import VerdantKernelFiles

/// The CPU accounting file of each running job's cgroup (v1 `cpuacct.usage`, v2 `cpu.stat`), kept open
/// between sampler ticks and read with `pread` (`KeptOpenFile`): one `pread` per job per tick instead
/// of `open` + `read` + `close` (docs/performance.md). A job's file is closed when the job ends
/// (`forget`), before its cgroup is removed.
final class CgroupCounterFiles: Sendable {
    private let files = Mutex<[String: KeptOpenFile]>([:])

    /// CPU-seconds used by every process that ever ran in the cgroup, or `nil` when its accounting
    /// file cannot be read (the cgroup is gone: never 0).
    func cpuSeconds(_ cgroup: JobCgroup) -> Double? {
        let path = cgroup.cpuAccountingFile
        let file = files.withLock { files -> KeptOpenFile in
            if let f = files[path] { return f }
            let f = KeptOpenFile(path: path)
            files[path] = f
            return f
        }
        let value: UInt64?
        switch cgroup.layout {
        case .v1:
            value = (try? file.withContents(CgroupCounterFile.parseUnsigned).get()) ?? nil
            return value.map { Double($0) / 1e9 }
        case .v2:
            value = (try? file.withContents { CgroupCounterFile.parseKeyed($0, key: "usage_usec") }.get()) ?? nil
            return value.map { Double($0) / 1e6 }
        }
    }

    /// Closes the cgroup's file (the job ended).
    func forget(_ cgroup: JobCgroup) {
        let f = files.withLock { $0.removeValue(forKey: cgroup.cpuAccountingFile) }
        f?.close()
    }

    /// Files kept open now.
    var count: Int { files.withLock { $0.count } }
}
