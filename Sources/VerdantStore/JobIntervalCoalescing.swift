import Foundation
import VerdantCore

extension JobIntervalRecord {
    /// Merges each job's back-to-back records into one row before they are written: a record that
    /// starts where the same job's previous one ended, with the same source, extends it. The merged
    /// row spans both; its energy, CPU time and carbon are the sums; its intensity is the
    /// energy-weighted mean (carbon / energy, so carbon = energy × intensity still holds), or the
    /// time-weighted mean when it has no energy.
    ///
    /// Why: the sampler charges every running job at every tick, and writing one row per job per tick
    /// was the largest part of the flush (50 jobs at 1 Hz: 250 inserts per 5 s flush; perf,
    /// docs/performance.md). With merging, a flush writes one row per job and source. Totals, the time
    /// per source (`Rollups`) and the carbon are unchanged; only the rows' granularity becomes the
    /// flush interval instead of the tick.
    /// - Returns: the merged records, each job's in order, jobs in order of first appearance.
    public static func coalesced(_ records: [JobIntervalRecord]) -> [JobIntervalRecord] {
        guard records.count > 1 else { return records }
        var out: [JobIntervalRecord] = []
        out.reserveCapacity(records.count)
        var lastIndex: [Int64: Int] = [:]
        for r in records {
            if let i = lastIndex[r.jobID], out[i].endAt == r.startAt, out[i].source == r.source {
                out[i].absorb(r)
            } else {
                lastIndex[r.jobID] = out.count
                out.append(r)
            }
        }
        return out
    }

    /// Extends this record by `next`, which starts where this one ends.
    private mutating func absorb(_ next: JobIntervalRecord) {
        let seconds = endAt.timeIntervalSince(startAt), nextSeconds = next.endAt.timeIntervalSince(next.startAt)
        let energySum = energy.joules + next.energy.joules
        let carbonSum = carbon.grams + next.carbon.grams
        if energySum > 0 {
            intensity = IntensityGramsPerKWh(carbonSum / EnergyJoules(energySum).kilowattHours)
        } else if seconds + nextSeconds > 0 {
            intensity = IntensityGramsPerKWh((intensity.gramsPerKWh * seconds + next.intensity.gramsPerKWh * nextSeconds) / (seconds + nextSeconds))
        }
        endAt = next.endAt
        energy = EnergyJoules(energySum)
        cpuSeconds += next.cpuSeconds
        carbon = CarbonGrams(carbonSum)
    }
}
