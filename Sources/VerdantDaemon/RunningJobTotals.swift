import Foundation
import VerdantCore

/// What a running job's per-tick intervals add up to, kept as running sums instead of the intervals
/// themselves (issue 10, bounded resources): a job sampled at 10 Hz adds 864,000 intervals a day, and
/// the daemon kept every one in memory until the job ended. The intervals themselves are written to the
/// database at each flush; only these sums, the distinct sources and the last interval stay in memory.
///
/// Sums are taken in the order the intervals come, exactly as `reduce(.zero, +)` over the array did.
struct RunningJobTotals: Sendable {
    /// Intervals added.
    private(set) var count = 0
    /// Sum of the intervals' energy.
    private(set) var energy: EnergyJoules = .zero
    /// Sum of the intervals' carbon.
    private(set) var carbon: CarbonGrams = .zero
    /// The distinct sources seen, in first-seen order (at most `EnergySource.allCases.count`).
    private(set) var sources: [EnergySource] = []
    /// Seconds covered by measured, estimated, and unavailable/partial/not-measured intervals: the split
    /// the report summary stores (`JobEnergySummaryRecord`).
    private(set) var measuredSeconds = 0.0
    private(set) var estimatedSeconds = 0.0
    private(set) var missingSeconds = 0.0
    /// The newest interval (written with the job's end).
    private(set) var last: JobEnergyInterval?

    var isEmpty: Bool { count == 0 }

    /// `EnergySource.combined` of every interval's source (order and repeats do not change it).
    var combinedSource: EnergySource { EnergySource.combined(sources) }

    mutating func add(_ i: JobEnergyInterval) {
        count += 1
        energy = energy + i.energy
        carbon = carbon + i.carbon
        if !sources.contains(i.source) { sources.append(i.source) }
        let s = max(0, i.end.timeIntervalSince(i.start))
        switch i.source {
        case .measured: measuredSeconds += s
        case .estimated: estimatedSeconds += s
        case .unavailable, .partial, .notMeasured: missingSeconds += s
        }
        last = i
    }

    /// Adds an interval an earlier run of the job already stored (a checkpoint-mode job resumed after a
    /// daemon restart): counted in the sums, but not as `last`, which is written again at the job's end.
    mutating func addStored(_ i: JobEnergyInterval) {
        let keep = last
        add(i)
        last = keep
    }

    /// Missing seconds of a run of `runSeconds`: time covered by no-number intervals plus time covered by
    /// no interval at all (as `JobEnergySummaryRecord.init(jobID:intervals:runSeconds:…)` counts it).
    func missingSeconds(runSeconds: Double) -> Double {
        missingSeconds + max(0, runSeconds - (measuredSeconds + estimatedSeconds + missingSeconds))
    }
}
