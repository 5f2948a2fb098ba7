import Foundation
import VerdantCore
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

/// Reads node CPU time from `/proc/stat` (proc(5)) and the CPU model from `/proc/cpuinfo`.
public struct ProcStatReader: Sendable {
    /// The procfs root, `/proc` on a real machine.
    public let procRoot: String
    /// USER_HZ, from `sysconf(_SC_CLK_TCK)`.
    public let ticksPerSecond: Double

    /// `/proc/stat`, opened once and re-read with `pread` at every tick (`KeptOpenFile`).
    private let stat: KeptOpenFile

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
        self.ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        stat = KeptOpenFile(path: procRoot + "/stat")
    }

    /// Node CPU time now.
    /// - Throws: `SensorError` when `/proc/stat` cannot be read or parsed.
    public func read() throws -> CPUTimes {
        let ticks = ticksPerSecond
        let parsed = stat.withContents { bytes -> Result<CPUTimes, Error> in
            Result { try CPUTimes.parse(procStat: String(decoding: bytes, as: UTF8.self), ticksPerSecond: ticks) }
        }
        switch parsed {
        case .failure(let e):
            throw SensorError(path: e.path, errno: e.errno, message: String(cString: strerror(e.errno)))
        case .success(.failure(let e)):
            throw SensorError(path: stat.path, errno: 0, message: "\(e)")
        case .success(.success(let times)):
            return times
        }
    }

    /// The first `model name` in `/proc/cpuinfo`, or `nil`.
    public func cpuModelName() -> String? { cpuinfo("model name") }

    /// The first `vendor_id` in `/proc/cpuinfo` (`GenuineIntel`, `AuthenticAMD`), or `nil`.
    public func cpuVendor() -> String? { cpuinfo("vendor_id") }

    private func cpuinfo(_ key: String) -> String? {
        guard let text = try? SysfsFile.read(procRoot + "/cpuinfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock every interval is measured on.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
