import Foundation
import VerdantAPI
import VerdantCore

extension Tables {
    /// `verdant plan`: per job its chosen window (the run intervals of an interruptible job), the
    /// predicted carbon of that window, of running now, of the best window with a perfect forecast
    /// (`-` until the actual intensities are known), and the reason code.
    static func plan(_ jobs: [JobView]) -> String {
        if jobs.isEmpty { return "no queued or running jobs" }
        return render(["ID", "NAME", "STATE", "WINDOW", "PLANNED g", "NOW g", "ORACLE g", "REASON"],
                      jobs.map { j in
                          [String(j.id), cell(j.name, max: 16), j.state + (j.paused == true ? " (paused)" : ""), window(j),
                           number(j.predictedCarbonGrams, digits: 2), number(j.runNowCarbonGrams, digits: 2),
                           j.oracleCarbonGrams.map { number($0, digits: 2) } ?? "-",
                           j.planReason + (j.planOverCapacity == true ? " (over capacity)" : "") + (j.planOutsideData == true ? " (outside data)" : "")]
                      }, numeric: [0, 4, 5, 6])
    }

    /// `start – end` in the local zone (`TimeDisplay.range`), or `start – end (n runs)` for an interruptible plan with several run intervals.
    static func window(_ j: JobView) -> String {
        guard let runs = j.planRuns, let first = runs.first, let last = runs.last else {
            return TimeDisplay.local.range(j.plannedStart, j.plannedStart.addingTimeInterval(j.expectedDurationSeconds))
        }
        return TimeDisplay.local.range(first.start, last.end) + (runs.count > 1 ? " (\(runs.count) runs)" : "")
    }
}
