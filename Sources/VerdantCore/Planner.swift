import Foundation

/// What the planner decided for one job.
public struct JobPlan: Hashable, Sendable {
    /// The chosen start, UTC (trace time in replay mode).
    public let plannedStart: Date
    /// The latest start that still meets the deadline: deadline − expected duration.
    public let latestStart: Date
    /// Mean forecast intensity over [plannedStart, plannedStart + duration].
    public let plannedIntensity: IntensityGramsPerKWh
    /// Mean forecast intensity if the job started at submission.
    public let runNowIntensity: IntensityGramsPerKWh
    /// Expected energy × `plannedIntensity`.
    public let predictedCarbon: CarbonGrams
    /// Expected energy × `runNowIntensity`.
    public let runNowCarbon: CarbonGrams
    /// A sentence a person can read: why this start.
    public let reason: String

    public init(plannedStart: Date, latestStart: Date, plannedIntensity: IntensityGramsPerKWh,
                runNowIntensity: IntensityGramsPerKWh, predictedCarbon: CarbonGrams, runNowCarbon: CarbonGrams,
                reason: String) {
        self.plannedStart = plannedStart
        self.latestStart = latestStart
        self.plannedIntensity = plannedIntensity
        self.runNowIntensity = runNowIntensity
        self.predictedCarbon = predictedCarbon
        self.runNowCarbon = runNowCarbon
        self.reason = reason
    }
}

/// Why a job cannot be planned. Each case says what to change.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case deadlineInPast(deadline: Date, now: Date)
    case deadlineTooShort(deadline: Date, expectedDurationSeconds: Double, now: Date)
    case nonPositiveDuration(Double)
    case deadlineTooFar(deadline: Date, now: Date)

    public var description: String {
        switch self {
        case let .deadlineInPast(d, now):
            return "deadline \(ISO8601.string(d)) is in the past (now is \(ISO8601.string(now))): give a later --deadline"
        case let .deadlineTooShort(d, secs, now):
            return "deadline \(ISO8601.string(d)) leaves less than the expected duration (\(DurationSyntax.format(seconds: secs))) after now (\(ISO8601.string(now))): give a later --deadline or a shorter --expected-duration"
        case let .nonPositiveDuration(s):
            return "expected duration must be positive, got \(s) s"
        case let .deadlineTooFar(d, now):
            return "deadline \(ISO8601.string(d)) is more than \(Int(Planner.maximumHorizonSeconds / 86400)) days after now (\(ISO8601.string(now))): give a nearer --deadline"
        }
    }
}

/// Planner v1: one job at a time, the carbon-cheapest start in [now, deadline − duration].
///
/// Objective: predicted carbon = expected energy × mean forecast intensity over [s, s + d]. For a
/// step-function intensity the window mean is piecewise linear in s between instants where s or
/// s + d crosses a step, so its minimum over [now, latest] is attained at one of: now, latest, a step
/// time tᵢ, or tᵢ − d. The planner evaluates exactly those candidates; ties go to the earliest start
/// (less waiting for the same carbon).
public enum Planner {
    /// The farthest deadline accepted, 400 days after now: no forecast or trace reaches further, and it
    /// keeps every stored instant inside the four-digit years SQLite's date functions handle.
    public static let maximumHorizonSeconds: Double = 400 * 86400

    /// Checks a job's timing and returns its latest start, deadline − duration.
    /// - Throws: `PlanError` when the duration is not positive, or the deadline is past, more than
    ///   `maximumHorizonSeconds` away, or shorter than the duration.
    public static func latestStart(now: Date, deadline: Date, expectedDurationSeconds d: Double) throws -> Date {
        guard d > 0, d.isFinite else { throw PlanError.nonPositiveDuration(d) }
        guard d <= maximumHorizonSeconds else { throw PlanError.deadlineTooFar(deadline: now.addingTimeInterval(d), now: now) }
        guard deadline > now else { throw PlanError.deadlineInPast(deadline: deadline, now: now) }
        guard deadline.timeIntervalSince(now) <= maximumHorizonSeconds else {
            throw PlanError.deadlineTooFar(deadline: deadline, now: now)
        }
        let latest = deadline.addingTimeInterval(-d)
        guard latest >= now else {
            throw PlanError.deadlineTooShort(deadline: deadline, expectedDurationSeconds: d, now: now)
        }
        return latest
    }

    /// Plans one job.
    /// - Parameters:
    ///   - now: the daemon's current time.
    ///   - deadline: when the job must have finished.
    ///   - expectedDurationSeconds: how long it is expected to run (s).
    ///   - expectedEnergy: its expected energy.
    ///   - series: forecast intensity.
    /// - Throws: `PlanError` when the deadline is past or shorter than the duration.
    public static func plan(now: Date, deadline: Date, expectedDurationSeconds d: Double,
                            expectedEnergy: EnergyJoules, series: IntensitySeries) throws -> JobPlan {
        let latest = try latestStart(now: now, deadline: deadline, expectedDurationSeconds: d)
        var candidates = Set([now, latest])
        for t in series.stepTimes(in: now, latest.addingTimeInterval(d)) {
            if t >= now && t <= latest { candidates.insert(t) }
            let u = t.addingTimeInterval(-d)
            if u >= now && u <= latest { candidates.insert(u) }
        }
        var best = now
        var bestMean = series.meanIntensity(from: now, to: now.addingTimeInterval(d))
        let runNow = bestMean
        for s in candidates.sorted() {
            let m = series.meanIntensity(from: s, to: s.addingTimeInterval(d))
            // Strictly lower (beyond rounding noise) wins; otherwise the earlier start stays.
            if m.gramsPerKWh < bestMean.gramsPerKWh - 1e-9 {
                best = s
                bestMean = m
            }
        }
        let reason: String
        if best == now {
            reason = "no feasible start before the latest start is cleaner than starting now"
        } else {
            let saved = (1 - bestMean.gramsPerKWh / max(runNow.gramsPerKWh, 1e-12)) * 100
            reason = String(format: "delayed to the cleanest window before the latest start: %.1f%% lower mean intensity than now", saved)
        }
        return JobPlan(plannedStart: best, latestStart: latest, plannedIntensity: bestMean,
                       runNowIntensity: runNow,
                       predictedCarbon: CarbonGrams(energy: expectedEnergy, intensity: bestMean),
                       runNowCarbon: CarbonGrams(energy: expectedEnergy, intensity: runNow),
                       reason: reason)
    }
}
