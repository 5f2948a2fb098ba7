import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A sysfs or procfs file could not be read.
public struct SensorError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// errno from the failing call, 0 when the content was the problem.
    public let errno: Int32
    /// What went wrong and what to do.
    public let message: String

    public var description: String { "\(path): \(message)" }

    /// Permission errors on `energy_uj`: readable by root only since the CVE-2020-8694 fix (Linux 5.10).
    public var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
}

/// Reads pseudo-files whole with `read(2)` on one descriptor, as their contents are generated per open.
enum SysfsFile {
    /// The file's text without the trailing newline.
    /// - Throws: `SensorError` with the errno of `open` or `read`.
    static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            let hint = (e == EACCES || e == EPERM)
                ? "permission denied (energy_uj is root-only since the CVE-2020-8694 fix): run verdantd as root"
                : String(cString: strerror(e))
            throw SensorError(path: path, errno: e, message: hint)
        }
        defer { close(fd) }
        // Most pseudo-files (energy_uj, /proc/stat on small machines) fit in 4 KiB; grow only when full,
        // so the sampler tick does not zero 64 KiB per counter read.
        var buffer = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            if total == buffer.count {
                guard buffer.count < 1 << 20 else { break }   // 1 MiB: no pseudo-file we read is larger
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
            let n = buffer.withUnsafeMutableBytes { ptr in
                Glibc.read(fd, ptr.baseAddress! + total, ptr.count - total)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                throw SensorError(path: path, errno: e, message: String(cString: strerror(e)))
            }
            if n == 0 { break }
            total += n
        }
        var s = String(decoding: buffer[0..<total], as: UTF8.self)
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }

    /// The file's content as an unsigned integer.
    /// - Throws: `SensorError` when it cannot be read, is empty or is not a number.
    static func readUInt64(_ path: String) throws -> UInt64 {
        let s = try read(path).trimmingCharacters(in: .whitespaces)
        guard let v = UInt64(s) else {
            throw SensorError(path: path, errno: 0, message: s.isEmpty ? "empty file: no value" : "'\(s)' is not an unsigned integer")
        }
        return v
    }
}
