import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads node CPU time from `/proc/stat` (proc(5)) and the CPU model from `/proc/cpuinfo`.
public struct ProcStatReader: Sendable {
    /// The procfs root, `/proc` on a real machine.
    public let procRoot: String
    /// USER_HZ, from `sysconf(_SC_CLK_TCK)`.
    public let ticksPerSecond: Double

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
        self.ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Node CPU time now.
    /// - Throws: `SensorError` when `/proc/stat` cannot be read or parsed.
    public func read() throws -> CPUTimes {
        let path = procRoot + "/stat"
        let text = try SysfsFile.read(path)
        do {
            return try CPUTimes.parse(procStat: text, ticksPerSecond: ticksPerSecond)
        } catch {
            throw SensorError(path: path, errno: 0, message: "\(error)")
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
