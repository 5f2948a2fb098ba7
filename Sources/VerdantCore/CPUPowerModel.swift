import Foundation

/// The estimate used where no energy counter can be read: the host's CPU power (packages + DRAM, as
/// `HostEnergy.cpuTotal`) as a function of the busy fraction u of all CPUs and, where cpufreq gives it,
/// the mean frequency ratio q = f / f_max:
///
///     P(u, q) = P_idle + P_dyn × u^c × q^k
///
/// - P_idle: the static floor every CPU draws when idle (the TDP × load baseline has none, which is
///   why it is worst at low load);
/// - P_dyn × u^c: the dynamic part, concave (c < 1) on CPUs that turbo on few cores and saturate
///   (measured on CodeCarbon's load profiles, see `PowerModelEvaluation`);
/// - q^k: dynamic CMOS power per busy cycle grows with the clock, P ≈ C·V²·f with the voltage
///   following the frequency (Weste & Harris, *CMOS VLSI Design*, §5.1), so k is up to 3; k = 0 when
///   the model does not use frequency, and q is taken as 1 when unknown.
///
/// `init(idlePower:maxPower:name:)` gives the linear model P = P_idle + (P_max − P_idle) × u
/// (CodeCarbon's TDP × load when P_idle = 0). Learned curves come from `PowerCurveFit`.
public struct CPUPowerModel: Hashable, Sendable, Codable {
    /// Power with every CPU idle (P_idle).
    public var idlePower: PowerWatts
    /// P_dyn: the utilisation term's weight (W at u = 1).
    public var dynamicWatts: Double
    /// c: the utilisation exponent (1 = linear).
    public var exponent: Double
    /// k: the exponent of f / f_max (0 = frequency not used).
    public var frequencyExponent: Double
    /// A short name stored with each estimate, so a report can say which model produced it.
    public var name: String
    /// Incremented at each recalibration of a learned model; 0 for fixed models.
    public var version: Int
    /// Mean absolute percentage error of the model on the samples it was fitted on (learned models).
    public var fitMAPE: Double?

    /// The linear model P = P_idle + (P_max − P_idle) × u.
    public init(idlePower: PowerWatts, maxPower: PowerWatts, name: String) {
        self.init(idlePower: idlePower, dynamicWatts: maxPower.watts - idlePower.watts, exponent: 1, frequencyExponent: 0, name: name)
    }

    public init(idlePower: PowerWatts, dynamicWatts: Double, exponent: Double, frequencyExponent: Double, name: String,
                version: Int = 0, fitMAPE: Double? = nil) {
        self.idlePower = idlePower
        self.dynamicWatts = dynamicWatts
        self.exponent = exponent
        self.frequencyExponent = frequencyExponent
        self.name = name
        self.version = version
        self.fitMAPE = fitMAPE
    }

    /// The TDP curve for a host that never had counters: P = TDP × (0.1004 + 0.7289 × u^1.05).
    ///
    /// The three constants are `PowerCurveFit` (without frequency) on the five CPUs of CodeCarbon's
    /// load profiles in TDP fractions (`PowerModelEvaluation`, `tdpCurveConstantsMatchTheFit`): every
    /// CPU there draws 6–24 % of its TDP at idle, and 55–135 % at full load. Its error on a CPU it
    /// was not fitted on is about that of TDP × load (docs/measurement.md); a host with counters
    /// learns its own curve instead.
    public static func tdpCurve(tdp: PowerWatts, label: String) -> CPUPowerModel {
        CPUPowerModel(idlePower: PowerWatts(tdpCurveIdleFraction * tdp.watts), dynamicWatts: tdpCurveDynamicFraction * tdp.watts,
                      exponent: tdpCurveExponent, frequencyExponent: 0, name: "tdp-curve-v1 \(label)")
    }

    /// P_idle / TDP of `tdpCurve`.
    public static let tdpCurveIdleFraction = 0.1004
    /// P_dyn / TDP of `tdpCurve`.
    public static let tdpCurveDynamicFraction = 0.7289
    /// c of `tdpCurve`.
    public static let tdpCurveExponent = 1.05

    /// The static power to set aside before sharing an interval's energy by CPU time
    /// (`Attribution.split`): the learned model's P_idle when there is one; else, for a measured
    /// interval, 0 W unless the estimate is the configured linear model (`estimate-idle-watts`) — the
    /// TDP curve's 10 % of TDP is a guess for other CPUs, not this host's floor; for an estimated
    /// interval, the estimating model's own P_idle.
    public static func attributionIdlePower(source: EnergySource, learned: CPUPowerModel?, model: CPUPowerModel) -> PowerWatts {
        if let learned { return learned.idlePower }
        if source == .measured && model.name.hasPrefix("tdp-curve") { return PowerWatts(0) }
        return model.idlePower
    }

    /// Power with every CPU busy at the highest frequency (u = q = 1).
    public var maxPower: PowerWatts { PowerWatts(idlePower.watts + dynamicWatts) }

    /// The power at busy fraction `utilisation` (clamped to 0…1) and frequency ratio `frequencyRatio`
    /// (f / f_max, clamped to 0…1.5; `nil` = unknown, taken as 1). Never negative.
    public func power(utilisation: Double, frequencyRatio: Double? = nil) -> PowerWatts {
        let u = min(max(utilisation, 0), 1)
        let q = min(max(frequencyRatio ?? 1, 0), 1.5)
        let p = idlePower.watts + dynamicWatts * Self.pow(u, exponent) * (frequencyExponent == 0 ? 1 : Self.pow(q, frequencyExponent))
        return PowerWatts(max(p, 0))
    }

    /// The node energy over an interval: P(ū) × Δt with ū the mean busy fraction over the interval
    /// (exact for the linear model; for c ≠ 1 it assumes the load was steady within the interval).
    /// - Parameters:
    ///   - elapsedSeconds: wall time of the interval (s, from a monotonic clock).
    ///   - busyCPUSeconds: busy CPU-seconds of the whole node during it.
    ///   - cpuCount: CPUs accounted for in `busyCPUSeconds`.
    ///   - frequencyRatio: mean f / f_max over the interval, or `nil`.
    /// - Returns: joules; never negative.
    public func energy(elapsedSeconds: Double, busyCPUSeconds: Double, cpuCount: Int, frequencyRatio: Double? = nil) -> EnergyJoules {
        let dt = max(elapsedSeconds, 0)
        guard dt > 0 else { return .zero }
        let u = max(busyCPUSeconds, 0) / (dt * Double(max(cpuCount, 1)))
        return EnergyJoules(power(utilisation: u, frequencyRatio: frequencyRatio).watts * dt)
    }

    /// x^y for x ≥ 0 without Foundation (0^y = 0 for y > 0).
    static func pow(_ x: Double, _ y: Double) -> Double {
        if x <= 0 { return 0 }
        if y == 1 { return x }
        return exp(y * log(x))
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
    /// Mean current frequency of the CPUs over their maximum (`scaling_cur_freq` / `cpuinfo_max_freq`
    /// in `/sys/devices/system/cpu/cpu*/cpufreq`), or `nil` where cpufreq is absent.
    public let frequencyRatio: Double?
    /// The node has energy counters but they could not be read this time (`zones` is empty).
    public let countersUnreadable: Bool

    public init(monotonicNanos: UInt64, cpu: CPUTimes, zones: [PowercapZoneReading], frequencyRatio: Double? = nil,
                countersUnreadable: Bool = false) {
        self.monotonicNanos = monotonicNanos
        self.cpu = cpu
        self.zones = zones
        self.frequencyRatio = frequencyRatio
        self.countersUnreadable = countersUnreadable
    }

    /// The mean frequency ratio of the interval from `earlier`: the mean of both ends, else either.
    public func frequencyRatio(since earlier: NodeReading) -> Double? {
        switch (earlier.frequencyRatio, frequencyRatio) {
        case let (a?, b?): return (a + b) / 2
        case let (a, b): return a ?? b
        }
    }

    /// Seconds from `earlier` to this reading on the monotonic clock.
    public func seconds(since earlier: NodeReading) -> Double {
        monotonicNanos >= earlier.monotonicNanos ? Double(monotonicNanos - earlier.monotonicNanos) / 1e9 : 0
    }
}

/// The node over one interval between two readings: per-zone counter arithmetic (computed once),
/// the host's energy by domain, and the CPU total with its source.
public struct NodeInterval: Sendable {
    /// Seconds between the readings (monotonic clock).
    public let seconds: Double
    /// Busy CPU-seconds of the node over the interval: `/proc/stat`'s busy time, raised to the jobs'
    /// cgroup CPU time when that is larger (`NodeEnergyAccounting.interval(…jobsCPUSeconds:)`).
    public let busyCPUSeconds: Double
    /// Busy fraction of all CPUs over the interval, 0…1 (from `busyCPUSeconds`).
    public let utilisation: Double
    /// Mean f / f_max over the interval, or `nil`.
    public let frequencyRatio: Double?
    /// Every zone of the later reading over the interval; empty when either reading has no counters.
    public let zones: [ZoneInterval]
    /// The host by domain when both readings have counters.
    public let host: HostEnergy?
    /// The host CPU total (packages + DRAM); `nil` when not measured and not estimated (never 0).
    public let energy: EnergyJoules?
    /// `measured`, `estimated` (the power model), or `unavailable` (`energy` is `nil`).
    public let source: EnergySource
}

/// The node's energy between two readings:
/// - both readings have counters: measured (or `unavailable` when they cannot be differenced or a
///   second wrap may hide in the gap; such an interval is never filled in by a model, so a counter
///   fault stays visible);
/// - the node has counters but one reading could not read them: estimated with the model learned on
///   this host (`learned`), else `unavailable` (a TDP guess is not mixed into a measured host's data);
/// - the node has no counters: estimated with `learned` when a model was learned here earlier (e.g.
///   before the daemon lost the right to read them), else with `model` (the TDP curve).
///
/// The node's busy CPU time over the interval is max(`/proc/stat` busy, Σ jobs' cgroup CPU time):
/// `/proc/stat` counts whole ticks (USER_HZ, 10 ms; proc(5)) while the cgroup counters have ns
/// (v1 `cpuacct.usage`) or µs (v2 `usage_usec`) resolution, so a job of a few ms of CPU can fall
/// between two busy ticks. Without this floor the estimate saw u = 0, charged the interval as pure
/// idle, and a job with CPU time got 0 J. The CPUs the jobs used were busy at least that long, so the
/// floor never overstates the node's work; on measured intervals it only affects the utilisation fed
/// to the learned model, not the energy.
public enum NodeEnergyAccounting {
    /// - Parameters:
    ///   - model: the estimate for a node without counters (TDP curve or configured).
    ///   - profile: the vendor (for `HostEnergyRule`'s per-die rule) and zone power bounds.
    ///   - learned: the model fitted on this host's counters (`OnlinePowerModel`), if any.
    ///   - jobsCPUSeconds: CPU-seconds of the jobs' cgroups within the same interval (0 when none);
    ///     the node's busy time is at least this (see the type's note).
    public static func interval(from old: NodeReading, to new: NodeReading, model: CPUPowerModel,
                                profile: NodeProfile = NodeProfile(), learned: CPUPowerModel? = nil,
                                jobsCPUSeconds: Double = 0) -> NodeInterval {
        let dt = new.seconds(since: old)
        let busy = max(new.cpu.busySeconds - old.cpu.busySeconds, jobsCPUSeconds, 0)
        let u = dt > 0 ? min(max(busy / (dt * Double(max(new.cpu.cpuCount, 1))), 0), 1) : 0
        let q = new.frequencyRatio(since: old)
        if !new.zones.isEmpty && !old.zones.isEmpty {
            let zones = IntervalArithmetic.zoneIntervals(from: old.zones, to: new.zones, elapsedSeconds: dt,
                                                         maximumPower: profile.zoneMaximumPower)
            let host = HostEnergyRule.hostEnergy(zones, cpuVendorIsAMD: profile.cpuVendorIsAMD)
            let e = host.cpuTotal
            return NodeInterval(seconds: dt, busyCPUSeconds: busy, utilisation: u, frequencyRatio: q, zones: zones, host: host,
                                energy: e, source: e == nil ? .unavailable : .measured)
        }
        let hasCounters = !new.zones.isEmpty || !old.zones.isEmpty || new.countersUnreadable || old.countersUnreadable
        guard let m = learned ?? (hasCounters ? nil : model) else {
            return NodeInterval(seconds: dt, busyCPUSeconds: busy, utilisation: u, frequencyRatio: q, zones: [], host: nil, energy: nil, source: .unavailable)
        }
        let e = m.energy(elapsedSeconds: dt, busyCPUSeconds: busy, cpuCount: new.cpu.cpuCount, frequencyRatio: q)
        return NodeInterval(seconds: dt, busyCPUSeconds: busy, utilisation: u, frequencyRatio: q, zones: [], host: nil, energy: e, source: .estimated)
    }

    /// `interval(from:to:model:profile:)`'s energy and source; `.unavailable` comes with 0 J that must
    /// not be shown as a value.
    public static func energy(from old: NodeReading, to new: NodeReading, model: CPUPowerModel,
                              profile: NodeProfile = NodeProfile(), learned: CPUPowerModel? = nil,
                              jobsCPUSeconds: Double = 0) -> (energy: EnergyJoules, source: EnergySource) {
        let i = interval(from: old, to: new, model: model, profile: profile, learned: learned, jobsCPUSeconds: jobsCPUSeconds)
        return (i.energy ?? .zero, i.source)
    }
}
