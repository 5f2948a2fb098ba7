#if canImport(Glibc)
import Glibc
#endif

/// Reads small kernel pseudo-files (cgroup `cgroup.procs`, `cpu.stat`, `cpuacct.usage`, files under
/// `/proc`) with `open`/`read`/`close`.
///
/// Why not `String(contentsOfFile:)`: in this toolchain's Foundation (swift-foundation
/// `readBytesFromFile`), reading a file whose `st_size` is 0, which every cgroup and proc file reports,
/// leaks about 4 KiB per call. heaptrack attached to verdantd during a soak (issue 10, 2026-11-29)
/// found 2.3 MB of the heap growth in 6 minutes on `JobCgroup.pids()` alone; a sampler reading one such
/// file per running job per tick at 10 Hz would leak megabytes a minute.
public enum KernelFile {
    /// The whole file as UTF-8 text (invalid bytes replaced), or `nil` when it cannot be opened or read
    /// (the cgroup is gone, no permission). Any size: read in 4 KiB steps until end of file.
    public static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let chunk = 4096
        while true {
            let before = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + before, chunk) }
            if n < 0 {
                bytes.removeLast(chunk)
                if errno == EINTR { continue }
                return nil
            }
            bytes.removeLast(chunk - n)
            if n == 0 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
