import Foundation

/// What the energy arithmetic needs to know about the node, fixed for the daemon's life.
public struct NodeProfile: Sendable, Hashable {
    /// `vendor_id` in `/proc/cpuinfo` is `AuthenticAMD` (for `HostEnergyRule`'s per-die rule).
    public var cpuVendorIsAMD: Bool
    /// Per-zone power bound from `constraint_0_max_power_uw`, for the wrap check.
    public var zoneMaximumPower: [PowercapZoneID: PowerWatts]

    public init(cpuVendorIsAMD: Bool = false, zoneMaximumPower: [PowercapZoneID: PowerWatts] = [:]) {
        self.cpuVendorIsAMD = cpuVendorIsAMD
        self.zoneMaximumPower = zoneMaximumPower
    }
}

/// The state of one energy source (powercap, perf `power` PMU, NVML, estimate), for `verdant status`
/// and `verdant sensors`.
public struct SourceStatus: Sendable, Hashable, Codable {
    /// `perf-power`, `powercap`, `nvml`, `estimate`.
    public var name: String
    /// `in use`, `available`, or `unavailable: <reason>` (e.g. `unavailable: permission`).
    public var status: String
    /// What was found, or what to do about it.
    public var detail: String

    public init(name: String, status: String, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// Parsers for the perf_event `power` PMU's sysfs files (Documentation/ABI/testing/sysfs-bus-event_source-devices-events).
public enum PerfPowerSysfs {
    /// The `config` of an event file such as `event=0x02`.
    /// - Returns: the value, or `nil` when the text has no `event=` term.
    public static func eventConfig(_ text: String) -> UInt64? {
        for term in text.split(separator: ",") {
            let kv = term.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespacesAndNewlines) == "event" else { continue }
            let v = kv[1].trimmingCharacters(in: .whitespacesAndNewlines)
            if v.hasPrefix("0x") { return UInt64(v.dropFirst(2), radix: 16) }
            return UInt64(v)
        }
        return nil
    }

    /// A `cpumask` such as `0`, `0,16` or `0-3`: the CPUs to open the events on, one per package.
    public static func cpuList(_ text: String) -> [Int] {
        var out: [Int] = []
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let r = part.split(separator: "-")
            if r.count == 2, let a = Int(r[0]), let b = Int(r[1]), a <= b { out += Array(a...b) }
            else if let v = Int(part) { out.append(v) }
        }
        return out
    }
}
