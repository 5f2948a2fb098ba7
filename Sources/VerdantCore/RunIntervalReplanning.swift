import Foundation

/// Re-planning the remaining work of a started interruptible job (issue 6; docs/scheduling.md, "In the
/// daemon"): what `verdant simulate --replan` calls `--replan-scope remaining`. At a re-plan the run
/// in progress is kept up to the next slot boundary (the daemon cannot re-decide a slot it is already
/// running in), and the work left after it is planned afresh by `CarbonPlanner.replan` as an
/// interruptible job of that duration, whose latest start is deadline − work left − margin; its old
/// runs, cut to exactly that work, are the previous plan the no-churn rule compares with. Pure.
extension RunIntervalControl {
    /// The remaining work of a started job at a re-plan.
    public struct RemainingWork: Hashable, Sendable {
        /// Until when the run in progress is kept: min(its end, the next slot boundary) when `now`
        /// lies inside a run interval (whether the job is running or about to be resumed), else `now`.
        public var committedUntil: Date
        /// Predicted work (s) left after `committedUntil` (expected duration − run time so far − the kept part).
        public var seconds: Double
        /// The planned runs after `committedUntil`, cut or stretched at the end to hold exactly
        /// `seconds` (the job ran a few ticks more or less than its plan); nil when there are none or
        /// the difference exceeds a slot (the old plan then no longer describes the work left).
        public var previousRuns: [DateInterval]?

        /// `previousRuns` as the previous plan `CarbonPlanner.replan` keeps unless a new one saves
        /// more than `min-replan-saving` (it re-prices it); nil without them.
        public func previousPlan(jobID: Int64) -> SlotPlan? {
            guard let runs = previousRuns, let first = runs.first else { return nil }
            return SlotPlan(jobID: jobID, start: first.start, runs: runs, latestStart: committedUntil,
                            predictedCarbonGrams: nil, runNowCarbonGrams: nil, reason: .cheapest,
                            overCapacity: false, outsideData: false)
        }
    }

    /// The remaining work at `now` on a grid of `slotSeconds` slots aligned on the Unix epoch (the
    /// daemon's planning grid, `JobRuntime.planningSlotSeconds`).
    public func remainingWork(at now: Date, slotSeconds: Double) -> RemainingWork {
        let left = max(0, expectedDurationSeconds - activeSeconds(at: now))
        var committed = now
        if let r = runs.first(where: { $0.start <= now && now < $0.end }) {
            let boundary = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / slotSeconds).rounded(.up) * slotSeconds)
            committed = min(r.end, boundary)
        }
        let kept = min(left, committed.timeIntervalSince(now))
        committed = now.addingTimeInterval(kept)
        let seconds = max(0, left - kept)
        var after = runs.compactMap { r -> DateInterval? in
            r.end > committed ? DateInterval(start: max(r.start, committed), end: r.end) : nil
        }
        let total = after.reduce(0) { $0 + $1.duration }
        var diff = seconds - total
        var previous: [DateInterval]?
        if !after.isEmpty && abs(diff) <= slotSeconds {
            if diff >= 0 {
                let last = after.removeLast()
                after.append(DateInterval(start: last.start, end: last.end.addingTimeInterval(diff)))
            } else {
                while diff < -1e-9, let last = after.last {
                    after.removeLast()
                    if last.duration > -diff + 1e-9 {
                        after.append(DateInterval(start: last.start, end: last.end.addingTimeInterval(diff)))
                        diff = 0
                    } else {
                        diff += last.duration
                    }
                }
            }
            previous = after.isEmpty ? nil : after
        }
        return RemainingWork(committedUntil: committed, seconds: seconds, previousRuns: previous)
    }

    /// Replaces the runs after `instant` with `newRuns` (sorted, all at or after it): the runs before
    /// it are kept (cut at it), so the part in progress and the history stay; touching runs are merged.
    public mutating func replaceRuns(after instant: Date, with newRuns: [DateInterval]) {
        var out: [DateInterval] = runs.compactMap { r in
            r.start < instant ? DateInterval(start: r.start, end: min(r.end, instant)) : nil
        }
        for r in newRuns.sorted(by: { $0.start < $1.start }) where r.duration > 0 {
            if let last = out.last, abs(last.end.timeIntervalSince(r.start)) < 1e-6 {
                out[out.count - 1] = DateInterval(start: last.start, end: max(last.end, r.end))
            } else {
                out.append(r)
            }
        }
        runs = out
    }

    /// A control rebuilt after a daemon restart (a re-adopted job): its run time so far is taken as
    /// the part of `runs` between `startedAt` and `now` (the job followed its plan while the daemon
    /// ran), and it counts as running from `now` (the restarted daemon thaws it first).
    public init(restoring runs: [DateInterval], expectedDurationSeconds: Double, startedAt: Date, now: Date, slackSeconds: Double = 1) {
        self.init(runs: runs, expectedDurationSeconds: expectedDurationSeconds, startedAt: now, slackSeconds: slackSeconds)
        activeSeconds = runs.reduce(0) { $0 + max(0, min($1.end, now).timeIntervalSince(max($1.start, startedAt))) }
    }
}
