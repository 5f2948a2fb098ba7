/// The estimate used where no energy counter can be read: node power as a linear function of CPU
/// utilisation, P(u) = P_idle + (P_max − P_idle) × u, with u the busy fraction of all CPUs.
///
/// Source: CodeCarbon's CPU-load estimation (power = TDP × load). Measurements of RAPL package power
/// against CPU load on five real CPUs (CodeCarbon's `cpu-load-profiling` data, 2025-01-14, staged in
/// `Tests/VerdantCoreTests/Fixtures/README.md`) rise roughly linearly from below 1.5 W at idle, which
/// is why the default `P_idle` is 0 W and `P_max` is the CPU's TDP (from CodeCarbon's `cpu_power.csv`
/// when the model name matches, else CodeCarbon's default of 85 W).
///
/// Because the model is linear, the energy between two instants depends only on the elapsed time and
/// the busy CPU-seconds between them: E = P_idle × Δt + (P_max − P_idle) × Δbusy / nCPU.
public struct LinearCPUPowerModel: Hashable, Sendable, Codable {
    /// Node power with every CPU idle.
    public var idlePower: PowerWatts
    /// Node power with every CPU busy (the TDP by default).
    public var maxPower: PowerWatts
    /// A short name stored with each estimate, so a report can say which model produced it.
    public var name: String

    public init(idlePower: PowerWatts, maxPower: PowerWatts, name: String) {
        self.idlePower = idlePower
        self.maxPower = maxPower
        self.name = name
    }

    /// The node energy over an interval.
    /// - Parameters:
    ///   - elapsedSeconds: wall time of the interval (s, from a monotonic clock).
    ///   - busyCPUSeconds: busy CPU-seconds of the whole node during it.
    ///   - cpuCount: CPUs accounted for in `busyCPUSeconds`.
    /// - Returns: joules; never negative.
    public func energy(elapsedSeconds: Double, busyCPUSeconds: Double, cpuCount: Int) -> EnergyJoules {
        let dt = max(elapsedSeconds, 0)
        let busy = min(max(busyCPUSeconds, 0), dt * Double(max(cpuCount, 1)))
        let j = idlePower.watts * dt + (maxPower.watts - idlePower.watts) * busy / Double(max(cpuCount, 1))
        return EnergyJoules(j)
    }
}

/// One reading of everything the node-energy accounting needs, taken at one instant.
public struct NodeReading: Sendable {
    /// CLOCK_MONOTONIC at the reading, in nanoseconds.
    public let monotonicNanos: UInt64
    /// Node CPU time from `/proc/stat`.
    public let cpu: CPUTimes
    /// Powercap counters; empty when the node has none readable.
    public let zones: [PowercapZoneReading]

    public init(monotonicNanos: UInt64, cpu: CPUTimes, zones: [PowercapZoneReading]) {
        self.monotonicNanos = monotonicNanos
        self.cpu = cpu
        self.zones = zones
    }

    /// Seconds from `earlier` to this reading on the monotonic clock.
    public func seconds(since earlier: NodeReading) -> Double {
        monotonicNanos >= earlier.monotonicNanos ? Double(monotonicNanos - earlier.monotonicNanos) / 1e9 : 0
    }
}

/// The node's energy between two readings: measured from powercap when both readings have counters,
/// else estimated with the power model.
public enum NodeEnergyAccounting {
    /// - Parameter profile: the vendor (for `HostEnergyRule`'s per-die rule) and zone power bounds.
    /// - Returns: the host CPU total (`HostEnergy.cpuTotal`: packages + DRAM) and its source;
    ///   `.unavailable` (with 0 J that must not be shown as a value) when the counters of the interval
    ///   cannot be differenced or a second wrap may hide in it.
    public static func energy(from old: NodeReading, to new: NodeReading, model: LinearCPUPowerModel,
                              profile: NodeProfile = NodeProfile()) -> (energy: EnergyJoules, source: EnergySource) {
        if !new.zones.isEmpty {
            guard !old.zones.isEmpty else { return (.zero, .unavailable) }
            let zones = IntervalArithmetic.zoneIntervals(from: old.zones, to: new.zones, elapsedSeconds: new.seconds(since: old),
                                                         maximumPower: profile.zoneMaximumPower)
            guard let e = HostEnergyRule.hostEnergy(zones, cpuVendorIsAMD: profile.cpuVendorIsAMD).cpuTotal else {
                return (.zero, .unavailable)
            }
            return (e, .measured)
        }
        let e = model.energy(elapsedSeconds: new.seconds(since: old),
                             busyCPUSeconds: new.cpu.busySeconds - old.cpu.busySeconds,
                             cpuCount: new.cpu.cpuCount)
        return (e, .estimated)
    }
}
