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
}

/// Attribution of node energy to jobs.
///
/// Job energy over an interval = node energy × (job CPU-seconds / node busy CPU-seconds), the
/// CPU-time-share model of Scaphandre and Kepler's ratio model. The share is clamped to [0, 1]: the
/// job's cgroup counter (ns) and `/proc/stat` (ticks of 10 ms) have different resolutions, and a job
/// can never use more than the node did.
public enum Attribution {
    /// The job's share of the node's busy CPU time between two readings, in [0, 1].
    public static func cpuShare(jobCPUSeconds: Double, nodeBusyCPUSeconds: Double) -> Double {
        guard jobCPUSeconds > 0 else { return 0 }
        guard nodeBusyCPUSeconds > 0 else { return 1 }
        return min(1, jobCPUSeconds / nodeBusyCPUSeconds)
    }

    /// The interval between two readings of one job.
    /// - Parameters:
    ///   - old: the earlier reading.
    ///   - new: the later reading.
    ///   - model: the power model used when the node has no counters.
    ///   - series: grid intensity, looked up over [old.time, new.time].
    public static func interval(from old: JobReading, to new: JobReading, model: LinearCPUPowerModel,
                                series: IntensitySeries) -> JobEnergyInterval {
        let (nodeEnergy, source) = NodeEnergyAccounting.energy(from: old.node, to: new.node, model: model)
        let jobCPU = max(0, new.jobCPUSeconds - old.jobCPUSeconds)
        let nodeBusy = new.node.cpu.busySeconds - old.node.cpu.busySeconds
        let share = cpuShare(jobCPUSeconds: jobCPU, nodeBusyCPUSeconds: nodeBusy)
        let energy = source == .unavailable ? .zero : nodeEnergy * share
        let intensity = series.meanIntensity(from: old.time, to: new.time)
        return JobEnergyInterval(start: old.time, end: new.time, energy: energy, source: source,
                                 cpuSeconds: jobCPU, intensity: intensity,
                                 carbon: CarbonGrams(energy: energy, intensity: intensity))
    }
}
