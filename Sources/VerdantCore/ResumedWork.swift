import Foundation

/// The work left to a checkpoint-mode job that is resumed after a daemon shutdown (issue 6): its
/// predicted duration less the run time its earlier processes already had, never below a floor.
///
/// Run time done = the length of the union of the job's stored energy intervals (each covers a stretch
/// its processes were alive: between a launch and an exit at a checkpoint; a checkpoint-mode job is
/// never frozen, so no frozen time is counted). Jobs report no progress of their own to Verdant, so
/// the intervals are the measure.
///
/// Floor: `max(floorFraction × predicted, floorSeconds)`, at most the predicted duration. A job
/// resumed from a checkpoint redoes the work since that checkpoint and pays its restart (loading the
/// checkpoint), and its predicted duration is a prediction: planning it for less than a tenth of it
/// (or a minute) would put its latest start too close to the deadline. The 10 % and 60 s are an
/// engineering choice (no paper gives them); the deadline keeps the full job's margin as well
/// (`margin-sigmas` × σ of the predicted duration, see `CarbonPlanner`).
public enum ResumedWork {
    /// Smallest share of the predicted duration a resumed job is planned for.
    public static let floorFraction = 0.1
    /// Smallest remaining duration (s) a resumed job is planned for (unless its whole prediction is shorter).
    public static let floorSeconds: Double = 60

    /// Seconds covered by `intervals` (overlaps counted once; empty or reversed intervals count 0).
    public static func runSeconds(_ intervals: [(start: Date, end: Date)]) -> Double {
        let sorted = intervals.filter { $0.end > $0.start }.sorted { $0.start < $1.start }
        var total = 0.0
        var current: (start: Date, end: Date)?
        for i in sorted {
            if let c = current, i.start <= c.end {
                current = (c.start, max(c.end, i.end))
            } else {
                if let c = current { total += c.end.timeIntervalSince(c.start) }
                current = i
            }
        }
        if let c = current { total += c.end.timeIntervalSince(c.start) }
        return total
    }

    /// The duration (s) to plan a resumed job for: `predicted − done`, at least the floor
    /// (`max(floorFraction × predicted, floorSeconds)`, capped at `predicted`).
    /// - Parameters: predicted duration and run time done, seconds (negative values count as 0).
    public static func remainingSeconds(predictedSeconds: Double, doneSeconds: Double) -> Double {
        let predicted = max(0, predictedSeconds)
        let floor = min(predicted, max(floorFraction * predicted, floorSeconds))
        return max(predicted - max(0, doneSeconds), floor)
    }
}
