import Foundation

/// What `Planner.plan(…slots:…)` decided, with the facts about the data behind it.
public struct CoveredPlan: Hashable, Sendable {
    /// The plan itself (start, intensities, predicted carbon, reason).
    public let plan: JobPlan
    /// Whether the planned run lies wholly inside known slots. `false` when no window before the
    /// latest start was fully covered (the job then starts now, and no later than its latest start).
    public let coveredByData: Bool
    /// Seconds of the planned run that the fill rule or the static value prices.
    public let filledSeconds: Double
}

extension Planner {
    /// Plans one job over slots that may have missing values and may stop before the deadline.
    ///
    /// Candidate starts are those of `plan(now:…series:)` (now, latest, each step time t and t − d)
    /// restricted to windows [s, s + d) that are fully covered by slots with a value: a missing slot
    /// is never chosen as the cleanest, and a forecast shorter than promised only offers the windows
    /// it covers. When no window is covered, the job starts now (so always by its latest start) and
    /// is priced by the fill rule (`IntensitySlotSeries`) and the static value.
    /// - Throws: `PlanError` when the deadline is past or shorter than the duration.
    public static func plan(now: Date, deadline: Date, expectedDurationSeconds d: Double,
                            expectedEnergy: EnergyJoules, slots: IntensitySlotSeries) throws -> CoveredPlan {
        let latest = try latestStart(now: now, deadline: deadline, expectedDurationSeconds: d)
        let series = slots.filledSeries()
        var candidates = Set([now, latest])
        var steps = series.stepTimes(in: now, latest.addingTimeInterval(d))
        for s in slots.slots(from: now, to: latest.addingTimeInterval(d)) { steps.append(s.start); steps.append(s.end) }
        for t in steps {
            if t >= now && t <= latest { candidates.insert(t) }
            let u = t.addingTimeInterval(-d)
            if u >= now && u <= latest { candidates.insert(u) }
        }
        let covered = candidates.filter { slots.isFullyCovered(from: $0, to: $0.addingTimeInterval(d)) }.sorted()
        let runNow = series.meanIntensity(from: now, to: now.addingTimeInterval(d))
        var best = now
        var bestMean = runNow
        if let first = covered.first {
            best = first
            bestMean = series.meanIntensity(from: first, to: first.addingTimeInterval(d))
            for s in covered.dropFirst() {
                let m = series.meanIntensity(from: s, to: s.addingTimeInterval(d))
                if m.gramsPerKWh < bestMean.gramsPerKWh - 1e-9 {
                    best = s
                    bestMean = m
                }
            }
        }
        let reason: String
        if covered.isEmpty {
            reason = "no intensity data covers a whole run before the latest start: starting now, priced by the fill rule and the static value"
        } else if best == now {
            reason = "no feasible start before the latest start is cleaner than starting now"
        } else if !slots.isFullyCovered(from: now, to: now.addingTimeInterval(d)) {
            reason = "the run-now window has missing intensity slots: starting at the cleanest window fully covered by data"
        } else {
            let saved = (1 - bestMean.gramsPerKWh / max(runNow.gramsPerKWh, 1e-12)) * 100
            reason = String(format: "delayed to the cleanest window before the latest start: %.1f%% lower mean intensity than now", saved)
        }
        let plan = JobPlan(plannedStart: best, latestStart: latest, plannedIntensity: bestMean, runNowIntensity: runNow,
                           predictedCarbon: CarbonGrams(energy: expectedEnergy, intensity: bestMean),
                           runNowCarbon: CarbonGrams(energy: expectedEnergy, intensity: runNow), reason: reason)
        return CoveredPlan(plan: plan, coveredByData: !covered.isEmpty,
                           filledSeconds: slots.filledSeconds(from: best, to: best.addingTimeInterval(d)))
    }
}

/// Capped exponential backoff with jitter for provider errors.
///
/// The n-th consecutive failure (n ≥ 1) waits `min(cap, base × 2^(n−1))` scaled by a jitter factor in
/// [0.5, 1): "equal jitter" from Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog,
/// 2015 — spreads retries without ever retrying at once. Defaults: base 30 s, cap 30 min (a provider
/// that is down is asked at most twice an hour).
public struct BackoffSchedule: Hashable, Sendable {
    /// First delay (s) before jitter.
    public var baseSeconds: Double
    /// Largest delay (s) before jitter.
    public var capSeconds: Double

    /// - Parameters: first and largest delay (s) before jitter; defaults 30 s and 30 min (see above).
    public init(baseSeconds: Double = 30, capSeconds: Double = 1800) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// The delay (s) after `failures` consecutive failures.
    /// - Parameters:
    ///   - failures: ≥ 1; 0 gives 0.
    ///   - jitter: a uniform random number in [0, 1) (passed in so the schedule is a pure function).
    public func delaySeconds(afterFailures failures: Int, jitter: Double) -> Double {
        guard failures > 0 else { return 0 }
        let exp = min(Double(failures - 1), 40)
        let raw = min(capSeconds, baseSeconds * pow(2, exp))
        return raw * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }
}
