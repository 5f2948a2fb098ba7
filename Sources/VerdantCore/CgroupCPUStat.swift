import Foundation

/// Parsers for a cgroup's CPU accounting files (pure; the executor reads the files).
public enum CgroupCPUStat {
    /// cgroup v1 `cpuacct.usage`: total CPU time of the cgroup in nanoseconds
    /// (Documentation/admin-guide/cgroup-v1/cpuacct.rst).
    /// - Returns: seconds, or `nil` when the text is not a number.
    public static func secondsFromV1Usage(_ text: String) -> Double? {
        guard let ns = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return Double(ns) / 1e9
    }

    /// cgroup v2 `cpu.stat`: `key value` lines; `usage_usec` is total CPU time in microseconds
    /// (Documentation/admin-guide/cgroup-v2.rst, "cpu.stat"). Parsed by key, not by position.
    /// - Returns: seconds, or `nil` when there is no `usage_usec` line.
    public static func secondsFromV2CPUStat(_ text: String) -> Double? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == "usage_usec", let us = UInt64(f[1]) { return Double(us) / 1e6 }
        }
        return nil
    }
}
