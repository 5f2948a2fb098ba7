/// Why a zone's interval has no number, or why it has one that must be read with care.
public enum ZoneIntervalStatus: String, Sendable, Codable, Hashable {
    /// The delta is the energy of the interval.
    case ok
    /// The gap between the two readings is longer than half the shortest wrap time at the zone's
    /// maximum power, so a second wrap may be hidden: no number is stored.
    case uncertain
    /// The readings cannot come from a healthy counter (a value above `max_energy_range_uj`).
    case inconsistent
    /// The zone was not read at one end of the interval.
    case missing
}

/// One zone over one interval.
public struct ZoneInterval: Sendable, Hashable {
    public let id: PowercapZoneID
    public let name: String
    /// The energy, or `nil` unless `status == .ok`.
    public let energy: EnergyJoules?
    /// The mean power, or `nil` when there is no energy or the interval is under 10 ms.
    public let power: PowerWatts?
    public let status: ZoneIntervalStatus
}

/// Counter arithmetic over an interval: per-zone energy with wrap correction and the check that no
/// second wrap can hide in the gap, and the host's energy by domain.
public enum IntervalArithmetic {
    /// Intervals shorter than this contribute energy but no power sample: a power computed over a few
    /// milliseconds mostly measures the counter's update granularity (RAPL updates about every 1 ms,
    /// Intel SDM Vol. 3B §15.10.3).
    public static let minimumPowerIntervalSeconds = 0.010

    /// The upper bound on a zone's power used for the wrap check when the zone gives none
    /// (`constraint_0_max_power_uw` absent or 0): 400 W, above the TDP of every CPU package in
    /// CodeCarbon's cpu_power.csv (max 400 W, 2026-04-13).
    public static let defaultMaximumPower = PowerWatts(400)

    /// The longest gap between two readings that cannot hide a second wrap: half the time the counter
    /// takes to go once round its range at maximum power, max_energy_range_uj / P_max / 2.
    /// - Returns: seconds.
    public static func longestSafeInterval(maxEnergyRangeMicrojoules: UInt64, maximumPower: PowerWatts) -> Double {
        // Range 0 = a counter that does not wrap in practice (perf_event's 64-bit counts).
        guard maximumPower.watts > 0, maxEnergyRangeMicrojoules > 0 else { return .infinity }
        return Double(maxEnergyRangeMicrojoules) / 1e6 / maximumPower.watts / 2
    }

    /// Every zone of `new` over the interval since `old`.
    /// - Parameters:
    ///   - elapsedSeconds: interval length from the monotonic clock.
    ///   - maximumPower: per-zone power bound (from `constraint_0_max_power_uw`); zones not in it use
    ///     `defaultMaximumPower`.
    public static func zoneIntervals(from old: [PowercapZoneReading], to new: [PowercapZoneReading], elapsedSeconds: Double,
                                     maximumPower: [PowercapZoneID: PowerWatts] = [:]) -> [ZoneInterval] {
        let before = Dictionary(old.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return new.map { r in
            guard let o = before[r.id] else {
                return ZoneInterval(id: r.id, name: r.name, energy: nil, power: nil, status: .missing)
            }
            let bound = maximumPower[r.id] ?? defaultMaximumPower
            if elapsedSeconds > longestSafeInterval(maxEnergyRangeMicrojoules: r.maxEnergyRangeMicrojoules, maximumPower: bound) {
                return ZoneInterval(id: r.id, name: r.name, energy: nil, power: nil, status: .uncertain)
            }
            guard let d = EnergyCounter.deltaMicrojoules(old: o.energyMicrojoules, new: r.energyMicrojoules,
                                                         maxRange: r.maxEnergyRangeMicrojoules) else {
                return ZoneInterval(id: r.id, name: r.name, energy: nil, power: nil, status: .inconsistent)
            }
            let e = EnergyJoules(microjoules: d)
            return ZoneInterval(id: r.id, name: r.name, energy: e, power: power(e, elapsedSeconds), status: .ok)
        }
    }

    /// Mean power of `energy` over `seconds`, or `nil` under `minimumPowerIntervalSeconds`.
    public static func power(_ energy: EnergyJoules, _ seconds: Double) -> PowerWatts? {
        seconds >= minimumPowerIntervalSeconds ? PowerWatts(energy.joules / seconds) : nil
    }
}

/// The host's energy over one interval, by domain. `nil` means not measured, never 0.
public struct HostEnergy: Sendable, Hashable {
    /// All CPU packages, each counted once (see `HostEnergyRule`).
    public var cpuPackage: EnergyJoules?
    /// DRAM zones, outside the packages.
    public var dram: EnergyJoules?
    /// The platform (`psys`) zone, reported on its own and never added to the others.
    public var platform: EnergyJoules?
    /// GPUs (NVML).
    public var gpu: EnergyJoules?
    /// The worst status among the zones that make up `cpuPackage` and `dram`.
    public var status: ZoneIntervalStatus

    /// The energy attributed to jobs: CPU packages plus DRAM (the RAPL domains a process's CPU time
    /// drives); `nil` when the packages are not measured.
    public var cpuTotal: EnergyJoules? {
        guard let p = cpuPackage else { return nil }
        return p + (dram ?? .zero)
    }
}

/// The one place where the host's CPU total is defined from powercap zones.
///
/// - A package's `core`, `uncore` (and `gpu` on client parts) sub-zones are inside the package and
///   never added to it (Intel SDM Vol. 3B §15.10.1: PP0/PP1 are sub-domains of PKG).
/// - `dram` is a separate domain and is reported separately (`HostEnergy.dram`).
/// - `psys` is the whole platform (SoC + more); reported on its own, never added.
/// - The same package seen through MSR (`intel-rapl:N`) and MMIO (`intel-rapl-mmio:N`) is counted once:
///   the MSR zone when present, else the MMIO one.
/// - AMD per-die zones (`package-N-die-M` on an AMD CPU) mirror one socket counter: each package N is
///   counted once, from its first die. On Intel, dies have their own counters and are summed.
public enum HostEnergyRule {
    /// The package number of a `package-N` or `package-N-die-M` zone name.
    static func packageNumber(_ name: String) -> Int? {
        let parts = name.split(separator: "-")
        guard parts.count >= 2, parts[0] == "package", let n = Int(parts[1]) else { return nil }
        return n
    }

    /// The host's energy from the zone intervals of one sampling interval.
    /// - Parameter cpuVendorIsAMD: from `/proc/cpuinfo` `vendor_id` (`AuthenticAMD`).
    public static func hostEnergy(_ zones: [ZoneInterval], cpuVendorIsAMD: Bool) -> HostEnergy {
        var packages: [Int: ZoneInterval] = [:]
        var packageOrder: [Int] = []
        var dram: [ZoneInterval] = []
        var platform: ZoneInterval?
        let hasMSR = zones.contains { $0.id.controlType == "intel-rapl" || $0.id.controlType == "amd-rapl" }
        for z in zones {
            if z.id.controlType == "intel-rapl-mmio" && hasMSR { continue }
            if z.name == "psys" { platform = z; continue }
            if z.name == "dram" { dram.append(z); continue }
            if z.id.parent != nil { continue }   // core, uncore, gpu sub-zones
            guard let n = packageNumber(z.name) ?? z.id.indices.first else { continue }
            let isDie = z.name.contains("-die-")
            if packages[n] == nil {
                packages[n] = z
                packageOrder.append(n)
            } else if isDie && !cpuVendorIsAMD {
                // Intel multi-die: separate counters, summed under a synthetic key.
                let key = 1_000_000 + packageOrder.count
                packages[key] = z
                packageOrder.append(key)
            }
        }
        let pkgZones = packageOrder.compactMap { packages[$0] }
        func sum(_ zs: [ZoneInterval]) -> EnergyJoules? {
            guard !zs.isEmpty, zs.allSatisfy({ $0.status == .ok }) else { return nil }
            return zs.compactMap(\.energy).reduce(.zero, +)
        }
        let considered = pkgZones + dram
        let worst: ZoneIntervalStatus = considered.isEmpty ? .missing
            : considered.first(where: { $0.status != .ok })?.status ?? .ok
        return HostEnergy(cpuPackage: sum(pkgZones), dram: dram.isEmpty ? nil : sum(dram),
                          platform: platform.flatMap { $0.status == .ok ? $0.energy : nil }, gpu: nil, status: worst)
    }
}
