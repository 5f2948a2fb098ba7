import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A kernel pseudo-file (`/proc/stat`, a cgroup's `cpuacct.usage` or `cpu.stat`) opened once and read
/// again from offset 0 with `pread(2)` at every use.
///
/// The sampler reads the same files every tick; `open` + `close` per read made path lookups in procfs
/// and kernfs (`lookup_fast`, `kernfs_dop_revalidate`) about 15 % of the release daemon's sampling CPU
/// (perf, docs/performance.md). Seq-file pseudo-files regenerate their text on a read at offset 0
/// (fs/seq_file.c, `seq_read_iter`: "if request is to read from zero offset, reset iterator"), so a
/// kept descriptor gives the current value. A read that fails (the cgroup was removed: `ENODEV`) closes
/// the descriptor and retries once with a fresh `open`, so a file that was recreated is found again.
/// Thread-safe (one lock per file).
public final class KeptOpenFile: Sendable {
    /// The file's path.
    public let path: String
    private let fd = Mutex<Int32>(-1)

    /// Opens nothing yet: the first `withContents` opens `path`.
    public init(path: String) { self.path = path }

    deinit {
        fd.withLock { if $0 >= 0 { Glibc.close($0) } }
    }

    /// Calls `body` with the file's whole contents (read in 4 KiB steps, at most 1 MiB).
    /// - Returns: `body`'s value, or the errno of the failed `open` or `pread` (after one retry).
    public func withContents<T: Sendable>(_ body: (UnsafeRawBufferPointer) -> T) -> Result<T, KeptOpenFileError> {
        fd.withLock { fd -> Result<T, KeptOpenFileError> in
            var lastError: Int32 = 0
            for _ in 0..<2 {
                if fd < 0 {
                    fd = open(path, O_RDONLY | O_CLOEXEC)
                    if fd < 0 { return .failure(KeptOpenFileError(path: path, errno: errno)) }
                }
                if let value = Self.readAll(fd, body) { return .success(value) }
                lastError = errno
                Glibc.close(fd)
                fd = -1
            }
            return .failure(KeptOpenFileError(path: path, errno: lastError))
        }
    }

    /// Closes the descriptor now (the next read opens the file again).
    public func close() {
        fd.withLock { if $0 >= 0 { Glibc.close($0); $0 = -1 } }
    }

    private static func readAll<T>(_ fd: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        // Small files (every cgroup counter, /proc/stat of a few dozen CPUs) stay in one stack buffer.
        let small = withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer -> (T?, Bool) in
            guard let n = pread(fd, buffer.baseAddress!, 4096, 0, retryingOnEINTR: true) else { return (nil, true) }
            if n < 4096 { return (body(UnsafeRawBufferPointer(rebasing: buffer[0..<n])), true) }
            return (nil, false)
        }
        if small.1 { return small.0 }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var total = 0
        while true {
            if total == bytes.count {
                guard bytes.count < 1 << 20 else { break }
                bytes += [UInt8](repeating: 0, count: bytes.count)
            }
            let got = bytes.withUnsafeMutableBytes { p in
                pread(fd, p.baseAddress! + total, p.count - total, off_t(total), retryingOnEINTR: true)
            }
            guard let n = got else { return nil }
            if n == 0 { break }
            total += n
        }
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
    }

    private static func pread(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t,
                              retryingOnEINTR: Bool) -> Int? {
        while true {
            let n = Glibc.pread(fd, p, count, offset)
            if n >= 0 { return n }
            if errno != EINTR { return nil }
        }
    }
}

/// A kept-open file could not be read.
public struct KeptOpenFileError: Error, Sendable, CustomStringConvertible {
    /// The file that could not be read.
    public let path: String
    /// The errno of the failed `open` or `pread`.
    public let errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
