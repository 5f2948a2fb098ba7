#if canImport(Glibc)
import Glibc
#endif

/// Reads a small cgroup accounting file (`cpuacct.usage`, `cpu.stat`) with `open`/`read`/`close` into a
/// stack buffer: the sampler reads one per running job per tick, and `String(contentsOfFile:)` added an
/// `fstat`, a Foundation `Data` and a decoding pass per read (docs/performance.md, "Where the CPU went").
enum CgroupCounterFile {
    /// `cpuacct.usage` as nanoseconds, or `nil` when it cannot be read or is not a number.
    static func readUnsigned(_ path: String) -> UInt64? {
        withContents(path, parseUnsigned) ?? nil
    }

    /// The value of `key` in a flat-keyed file such as `cpu.stat` (`usage_usec 8210530646`), or `nil`.
    static func readKeyed(_ path: String, key: String) -> UInt64? {
        withContents(path) { parseKeyed($0, key: key) } ?? nil
    }

    /// A decimal number (`cpuacct.usage`'s text), or `nil` when it is not one.
    static func parseUnsigned(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for b in bytes {
            if b >= 0x30 && b <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
                if o1 || o2 { return nil }
                value = s
                digits += 1
            } else if b == 0x0A || b == 0x20 {
                if digits > 0 { break }
            } else {
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    /// The value of `key` in flat-keyed text (`usage_usec 8210530646`), or `nil`.
    static func parseKeyed(_ bytes: UnsafeRawBufferPointer, key: String) -> UInt64? {
        let text = String(decoding: bytes, as: UTF8.self)
        let prefix = key + " "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            return UInt64(line.dropFirst(prefix.count))
        }
        return nil
    }

    /// Calls `body` with the file's bytes (at most 4 KiB: both files are far smaller), or returns `nil`
    /// when it cannot be opened or read.
    private static func withContents<T>(_ path: String, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer -> T? in
            var total = 0
            while total < buffer.count {
                let n = read(fd, buffer.baseAddress! + total, buffer.count - total)
                if n < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                if n == 0 { break }
                total += n
            }
            return body(UnsafeRawBufferPointer(rebasing: buffer[0..<total]))
        }
    }
}
