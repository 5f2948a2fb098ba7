import Foundation

/// Runs an interruptible job through its planned run intervals (Let's Wait Awhile, Wiesner et al.,
/// Middleware 2021, §4): decides, at each scheduler tick, whether to pause (freeze) or resume (thaw)
/// it. Pure: the daemon feeds it the clock and carries out the action through the `JobExecutor` port.
///
/// Rules (the deadline comes first):
/// - the job is paused only outside its run intervals, and only while the run time left in its
///   future intervals still holds the predicted work left (`remaining ≤ future + slackSeconds`);
/// - it is resumed as soon as an interval begins, or when the future intervals no longer hold the
///   work left (it started late, or runs slower than predicted): it then runs straight to its end,
///   so it is never later than running through from that instant;
/// - after the last interval it is never paused again.
public struct RunIntervalControl: Hashable, Sendable {
    /// What to do now.
    public enum Action: Hashable, Sendable { case none, pause, resume }

    /// The planned run intervals, in order (UTC); a re-plan of the remaining work replaces the future
    /// ones (`replaceRuns(after:with:)`, RunIntervalReplanning.swift).
    public internal(set) var runs: [DateInterval]
    /// The predicted run time (s).
    public let expectedDurationSeconds: Double
    /// Tolerance (s) for the scheduler's tick granularity: a job started or paused up to this late
    /// may still be paused.
    public let slackSeconds: Double
    /// Seconds it has run (not frozen) up to `since`.
    public internal(set) var activeSeconds: Double = 0
    /// Whether it is frozen now.
    public internal(set) var isPaused = false
    /// Since when `activeSeconds` has not been counted (the last start, pause or resume).
    var since: Date

    /// - Parameter startedAt: when the job was started (it runs from then).
    public init(runs: [DateInterval], expectedDurationSeconds: Double, startedAt: Date, slackSeconds: Double = 1) {
        self.runs = runs
        self.expectedDurationSeconds = expectedDurationSeconds
        self.slackSeconds = slackSeconds
        self.since = startedAt
    }

    /// Seconds run up to `now`.
    public func activeSeconds(at now: Date) -> Double {
        isPaused ? activeSeconds : activeSeconds + max(0, now.timeIntervalSince(since))
    }

    /// Run time (s) the intervals still offer from `now` on.
    public func futureRunSeconds(at now: Date) -> Double {
        runs.reduce(0) { $0 + max(0, $1.end.timeIntervalSince(max($1.start, now))) }
    }

    /// What to do at `now`.
    public func decide(at now: Date) -> Action {
        let remaining = max(0, expectedDurationSeconds - activeSeconds(at: now))
        let inRun = runs.contains { $0.start <= now && now < $0.end }
        let holds = remaining <= futureRunSeconds(at: now) + slackSeconds
        if isPaused { return (inRun || !holds) ? .resume : .none }
        return (!inRun && holds && remaining > 0 && runs.contains { $0.start > now }) ? .pause : .none
    }

    /// Records that the job was frozen at `now`.
    public mutating func didPause(at now: Date) {
        guard !isPaused else { return }
        activeSeconds += max(0, now.timeIntervalSince(since))
        isPaused = true
        since = now
    }

    /// Records that the job was thawed at `now`.
    public mutating func didResume(at now: Date) {
        guard isPaused else { return }
        isPaused = false
        since = now
    }

    /// The next instant a decision may change after `now` (the next interval start or end), or nil.
    public func nextBoundary(after now: Date) -> Date? {
        runs.flatMap { [$0.start, $0.end] }.filter { $0 > now }.min()
    }
}
