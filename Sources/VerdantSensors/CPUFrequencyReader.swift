import Foundation
import VerdantCore

/// Reads the CPUs' mean frequency ratio for the power model: Σ `scaling_cur_freq` / Σ
/// `cpuinfo_max_freq` over the cpufreq policies (`/sys/devices/system/cpu/cpufreq/policy*`, kHz;
/// Documentation/admin-guide/pm/cpufreq.rst). One policy covers the CPUs that share a clock; on hosts
/// with one policy per CPU at most `maximumPolicies` evenly spread policies are read (a sampled mean),
/// so a tick costs at most 8 small reads. Absent on VMs and kernels without cpufreq: then `nil`.
public struct CPUFrequencyReader: Sendable {
    /// `scaling_cur_freq` of each policy.
    let currentFiles: [String]
    /// Σ `cpuinfo_max_freq` (kHz), read once: it cannot change while the system runs.
    let maximumKHz: Double

    /// Finds the policies under `root` (default `/sys/devices/system/cpu/cpufreq`); `nil` when there is
    /// none with readable `cpuinfo_max_freq` and `scaling_cur_freq`.
    public init?(root: String = "/sys/devices/system/cpu/cpufreq", maximumPolicies: Int = 8) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        var files: [String] = []
        var maxKHz = 0.0
        let policies = names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("policy"), let i = Int(n.dropFirst("policy".count)) else { return nil }
            return (i, n)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        let step = max(1, (policies.count + maximumPolicies - 1) / max(maximumPolicies, 1))
        for n in stride(from: 0, to: policies.count, by: step).map({ policies[$0] }) {
            let dir = root + "/" + n
            guard let m = try? SysfsFile.readUInt64(dir + "/cpuinfo_max_freq"), m > 0,
                  (try? SysfsFile.readUInt64(dir + "/scaling_cur_freq")) != nil else { continue }
            files.append(dir + "/scaling_cur_freq")
            maxKHz += Double(m)
        }
        guard !files.isEmpty else { return nil }
        currentFiles = files
        maximumKHz = maxKHz
    }

    /// The policies found.
    public var policyCount: Int { currentFiles.count }

    /// Σ current / Σ maximum now, or `nil` when a file cannot be read.
    public func ratio() -> Double? {
        var sum = 0.0
        for f in currentFiles {
            guard let v = try? SysfsFile.readUInt64(f) else { return nil }
            sum += Double(v)
        }
        return sum / maximumKHz
    }
}
