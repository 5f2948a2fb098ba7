import Foundation

/// The state of one running job at one instant: its cgroup's CPU time and the node reading taken with it.
public struct JobReading: Sendable {
    /// The node reading taken at the same instant.
    public let node: NodeReading
    /// The daemon's wall time at the reading (trace time in replay mode), UTC.
    public let time: Date
    /// CPU-seconds used by the job's cgroup since it started.
    public let jobCPUSeconds: Double

    public init(node: NodeReading, time: Date, jobCPUSeconds: Double) {
        self.node = node
        self.time = time
        self.jobCPUSeconds = jobCPUSeconds
    }
}

/// The energy and carbon charged to a job over one interval between two readings.
public struct JobEnergyInterval: Sendable, Hashable {
    public let start: Date
    public let end: Date
    /// Job energy: node energy × the job's share of busy CPU time.
    public let energy: EnergyJoules
    public let source: EnergySource
    /// CPU-seconds of the job in the interval.
    public let cpuSeconds: Double
    /// Mean grid intensity over [start, end].
    public let intensity: IntensityGramsPerKWh
    /// energy × intensity.
    public let carbon: CarbonGrams

    /// An interval of `energy` charged at the mean `intensity`; carbon = energy × intensity.
    public init(start: Date, end: Date, energy: EnergyJoules, source: EnergySource, cpuSeconds: Double,
                intensity: IntensityGramsPerKWh) {
        self.start = start
        self.end = end
        self.energy = energy
        self.source = source
        self.cpuSeconds = cpuSeconds
        self.intensity = intensity
        self.carbon = CarbonGrams(energy: energy, intensity: intensity)
    }
}

/// How one interval's node energy divides between idle, each job and the rest of the system.
public struct EnergySplit: Sendable, Hashable {
    /// Energy per job id.
    public let jobs: [Int64: EnergyJoules]
    /// The dynamic energy of everything that is not a job (the daemon, the OS, other users' work).
    public let system: EnergyJoules
    /// The static part: idle power × interval length, capped at the node's energy.
    public let idle: EnergyJoules

    /// jobs + system + idle; equals the node's energy (the invariant `Attribution.split` checks).
    public var total: EnergyJoules { jobs.values.reduce(.zero, +) + system + idle }
}

/// Attribution of node energy to jobs.
///
/// Each interval's node energy is split into a static part (idle power × Δt) and a dynamic part
/// shared by CPU time among the jobs and `system` (everything not a job): Kepler's ratio model
/// (sustainable-computing-io/kepler, "power attribution": idle power divided separately, dynamic power
/// by the ratio of a workload's CPU time to the node's). Job CPU time comes from its cgroup, node busy
/// time from `/proc/stat`. Their resolutions differ (ns vs 10 ms ticks), so the denominator is
/// max(node busy, Σ jobs): no job is ever charged more than the node's dynamic energy, and
/// jobs + system + idle = node exactly. For an estimated interval the same floor enters the estimate
/// itself (`NodeEnergyAccounting.interval(…jobsCPUSeconds:)`), so a job with CPU time always has
/// dynamic energy to share even when `/proc/stat` saw no busy tick.
public enum Attribution {
    /// The job's share of the node's busy CPU time between two readings, in [0, 1].
    public static func cpuShare(jobCPUSeconds: Double, nodeBusyCPUSeconds: Double) -> Double {
        guard jobCPUSeconds > 0 else { return 0 }
        guard nodeBusyCPUSeconds > 0 else { return 1 }
        return min(1, jobCPUSeconds / nodeBusyCPUSeconds)
    }

    /// Splits one interval's node energy.
    /// - Parameters:
    ///   - node: the node's energy over the interval.
    ///   - elapsedSeconds: the interval's length (monotonic clock).
    ///   - idlePower: the node's static power.
    ///   - jobCPUSeconds: CPU-seconds of each job in the interval.
    ///   - nodeBusyCPUSeconds: busy CPU-seconds of the whole node in the interval.
    /// - Returns: the split; `total` equals `node` (checked with a precondition-free invariant: any
    ///   rounding residue goes to `system`).
    public static func split(node: EnergyJoules, elapsedSeconds: Double, idlePower: PowerWatts,
                             jobCPUSeconds: [Int64: Double], nodeBusyCPUSeconds: Double) -> EnergySplit {
        let idle = EnergyJoules(min(max(0, idlePower.watts * elapsedSeconds), max(0, node.joules)))
        let dynamic = node - idle
        let jobsTotal = jobCPUSeconds.values.map { max(0, $0) }.reduce(0, +)
        let denominator = max(nodeBusyCPUSeconds, jobsTotal)
        var jobs: [Int64: EnergyJoules] = [:]
        for (id, cpu) in jobCPUSeconds {
            jobs[id] = denominator > 0 ? dynamic * (max(0, cpu) / denominator) : .zero
        }
        let system = dynamic - jobs.values.reduce(.zero, +)
        return EnergySplit(jobs: jobs, system: system, idle: idle)
    }

    /// The interval between two readings of one job: (node energy − idle) × the job's CPU share,
    /// × the mean intensity over the interval.
    /// - Parameters:
    ///   - old: the earlier reading.
    ///   - new: the later reading.
    ///   - model: the power model (its idle power is the static part; used for the whole estimate when
    ///     the node has no counters).
    ///   - series: grid intensity, looked up over [old.time, new.time].
    ///   - profile: the node's vendor and zone power bounds.
    ///   - learned: the model learned on this host's counters, if any (see `NodeEnergyAccounting`).
    public static func interval(from old: JobReading, to new: JobReading, model: CPUPowerModel,
                                series: IntensitySeries, profile: NodeProfile = NodeProfile(),
                                learned: CPUPowerModel? = nil) -> JobEnergyInterval {
        let jobCPU = max(0, new.jobCPUSeconds - old.jobCPUSeconds)
        // The job's cgroup CPU time is a floor on the node's busy time (ns vs 10 ms ticks), so a job
        // shorter than a tick still gets a share of the dynamic energy (`NodeEnergyAccounting`).
        let node = NodeEnergyAccounting.interval(from: old.node, to: new.node, model: model, profile: profile,
                                                 learned: learned, jobsCPUSeconds: jobCPU)
        let source = node.source
        let energy: EnergyJoules
        if source == .unavailable {
            energy = .zero
        } else {
            let s = split(node: node.energy ?? .zero, elapsedSeconds: node.seconds, idlePower: CPUPowerModel.attributionIdlePower(source: source, learned: learned, model: model),
                          jobCPUSeconds: [0: jobCPU], nodeBusyCPUSeconds: node.busyCPUSeconds)
            energy = s.jobs[0] ?? .zero
        }
        return JobEnergyInterval(start: old.time, end: new.time, energy: energy, source: source,
                                 cpuSeconds: jobCPU, intensity: series.meanIntensity(from: old.time, to: new.time))
    }
}
