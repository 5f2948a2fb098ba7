import Foundation

/// What `verdant simulate` reports. JSON keys are the issue's, exactly.
public struct SimulationResult: Hashable, Sendable, Codable {
    /// Σ carbon (g) if every job started at its submission and ran straight through.
    public var runNowCarbonGrams: Double
    /// Σ carbon (g) of our plans, priced with what the grid actually emitted.
    public var plannedCarbonGrams: Double
    /// Σ carbon (g) of the plans a perfect forecast (the trace itself) gives.
    public var oracleCarbonGrams: Double
    /// 1 − planned / run-now, in %.
    public var savingsPct: Double
    /// 1 − oracle / run-now, in %.
    public var oracleSavingsPct: Double
    /// Jobs whose plan ends after their deadline (must be 0).
    public var deadlineMisses: Int
    /// Jobs simulated.
    public var jobs: Int
    /// Time spent inside the planner (s), forecasting excluded.
    public var planningSeconds: Double
    /// With `simulate --replan` only: times a re-plan moved a job's plan (nil, and absent from the
    /// JSON, otherwise).
    public var replanMoves: Int? = nil

    enum CodingKeys: String, CodingKey {
        case runNowCarbonGrams = "run_now_carbon_g"
        case plannedCarbonGrams = "planned_carbon_g"
        case oracleCarbonGrams = "oracle_carbon_g"
        case savingsPct = "savings_pct"
        case oracleSavingsPct = "oracle_savings_pct"
        case deadlineMisses = "deadline_misses"
        case jobs
        case planningSeconds = "planning_seconds"
        case replanMoves = "replan_moves"
    }
}

/// The forecast a simulated decision sees: point values (and optionally an upper bound) for
/// `horizonSlots` slots from the decision's slot.
public struct SimulatedForecast: Sendable {
    public var intensityGramsPerKWh: [Double?]
    public var upperGramsPerKWh: [Double?]?
    public init(intensityGramsPerKWh: [Double?], upperGramsPerKWh: [Double?]? = nil) {
        self.intensityGramsPerKWh = intensityGramsPerKWh
        self.upperGramsPerKWh = upperGramsPerKWh
    }
}

/// Replays a job-arrival scenario over a real intensity trace (Let's Wait Awhile's simulation,
/// Wiesner et al., Middleware 2021, §5): each job is planned once, at its submission, with the
/// forecast available then; carbon = Σ slot intensity × slot energy with the trace's values;
/// saving = 1 − Σ planned / Σ run-now over all jobs. Nothing runs; no capacity limit.
public struct ScenarioSimulation {
    /// The trace on its slot grid (nil = the source did not report that slot).
    public let trace: [Double?]
    public let origin: Date
    public let slotSeconds: Double
    /// The trace with gaps interpolated: what the grid emitted, for pricing.
    public let actual: [Double]
    /// Slots during which the intensity provider is down: decisions then get no forecast, and later
    /// decisions see no history for them.
    public var outage: Range<Int>?
    /// The policy's maximum delay from submission (s) for every job (`simulate --policy`); nil: none.
    public var maxDelaySeconds: Double?
    /// The policy's `min-saving` for every job (`simulate --policy`): fraction of run-now carbon, grams.
    public var minimumSavingFraction: Double = 0
    public var minimumSavingGrams: Double = 0
    public var settings: PlannerSettings

    public init(trace: [Double?], origin: Date, slotSeconds: Double, outage: Range<Int>? = nil,
                settings: PlannerSettings = PlannerSettings()) {
        self.trace = trace
        self.origin = origin
        self.slotSeconds = slotSeconds
        self.actual = SlotResampling.interpolated(trace)
        self.outage = outage
        self.settings = settings
    }

    /// The slot containing `t`.
    public func slot(of t: Date) -> Int { Int((t.timeIntervalSince(origin) / slotSeconds).rounded(.down)) }

    /// Whether a job's [submission, deadline] lies inside the trace.
    public func covers(_ job: ScenarioJob) -> Bool {
        slot(of: job.submittedAt) >= 0 && job.deadline.timeIntervalSince(origin) <= Double(trace.count) * slotSeconds
    }

    /// The trace as history at decision slot `s0`: slots before it, with the outage removed.
    public func history(before s0: Int) -> ArraySlice<Double?> {
        guard let outage, outage.lowerBound < s0 else { return trace[0..<max(0, min(s0, trace.count))] }
        var h = Array(trace[0..<min(s0, trace.count)])
        for k in outage where k < h.count { h[k] = nil }
        return h[...]
    }

    /// Carbon (g) of `runs` at `powerWatts` with what the grid actually emitted.
    public func actualCarbonGrams(_ runs: [DateInterval], powerWatts: Double) -> Double {
        var sum = 0.0
        for r in runs {
            var a = r.start.timeIntervalSince(origin) / slotSeconds
            let b = r.end.timeIntervalSince(origin) / slotSeconds
            while a < b - 1e-12 {
                let k = Int(a.rounded(.down))
                let e = min(Double(k + 1), b)
                sum += actual[min(max(k, 0), actual.count - 1)] * (e - a)
                a = e
            }
        }
        return sum * slotSeconds * powerWatts / 3_600_000
    }

    /// Plans one job at its submission with `forecast` (for the slots from its submission slot).
    public func plan(_ job: ScenarioJob, interruptible: Bool, forecast: SimulatedForecast) -> SlotPlan {
        let s0 = slot(of: job.submittedAt)
        let grid = ForecastGrid(origin: origin.addingTimeInterval(Double(s0) * slotSeconds), slotSeconds: slotSeconds,
                                intensityGramsPerKWh: forecast.intensityGramsPerKWh, upperGramsPerKWh: forecast.upperGramsPerKWh)
        var planner = CarbonPlanner(grid: grid, settings: settings)
        return planner.add(PlannerJob(id: 0, earliestStart: job.submittedAt, deadline: job.deadline,
                                      durationSeconds: job.durationSeconds, powerWatts: job.powerWatts,
                                      interruptible: interruptible, maxDelaySeconds: maxDelaySeconds,
                                      minimumSavingFraction: minimumSavingFraction, minimumSavingGrams: minimumSavingGrams))
    }

    /// Slots a job's decision needs a forecast for: from its submission slot to its deadline.
    public func horizonSlots(_ job: ScenarioJob) -> Int {
        Int((job.deadline.timeIntervalSince(origin) / slotSeconds - 1e-9).rounded(.up)) - slot(of: job.submittedAt)
    }

    /// Runs the whole scenario.
    /// - Parameters:
    ///   - jobs: jobs inside the trace (see `covers`).
    ///   - interruptible: for jobs whose file does not say.
    ///   - forecast: the forecast at a decision: (decision slot, horizon in slots) → values. Not
    ///     called during an outage (the decision then has no forecast).
    ///   - progress: called after each job with (done, total).
    public func run(jobs: [ScenarioJob], interruptible: Bool,
                    forecast: (Int, Int) -> SimulatedForecast,
                    progress: (Int, Int) -> Void = { _, _ in }) -> SimulationResult {
        var runNow = 0.0, planned = 0.0, oracle = 0.0
        var misses = 0
        var planning: Duration = .zero
        let clock = ContinuousClock()
        let oracleTrace = actual.map { Optional($0) }
        for (i, job) in jobs.enumerated() {
            let s0 = slot(of: job.submittedAt)
            let h = horizonSlots(job)
            let inter = job.interruptible ?? interruptible
            let f: SimulatedForecast
            if let outage, outage.contains(s0) {
                f = SimulatedForecast(intensityGramsPerKWh: Array(repeating: nil, count: h))
            } else {
                f = forecast(s0, h)
            }
            var p: SlotPlan!
            planning += clock.measure { p = plan(job, interruptible: inter, forecast: f) }
            let o = plan(job, interruptible: inter, forecast: SimulatedForecast(intensityGramsPerKWh: Array(oracleTrace[s0..<min(s0 + h, oracleTrace.count)])))
            if let end = p.runs.last?.end, end > job.deadline.addingTimeInterval(1e-6) { misses += 1 }
            planned += actualCarbonGrams(p.runs, powerWatts: job.powerWatts)
            oracle += actualCarbonGrams(o.runs, powerWatts: job.powerWatts)
            runNow += actualCarbonGrams([DateInterval(start: job.submittedAt, duration: job.durationSeconds)], powerWatts: job.powerWatts)
            progress(i + 1, jobs.count)
        }
        let c = planning.components
        return SimulationResult(runNowCarbonGrams: runNow, plannedCarbonGrams: planned, oracleCarbonGrams: oracle,
                                savingsPct: runNow > 0 ? (1 - planned / runNow) * 100 : 0,
                                oracleSavingsPct: runNow > 0 ? (1 - oracle / runNow) * 100 : 0,
                                deadlineMisses: misses, jobs: jobs.count,
                                planningSeconds: Double(c.seconds) + Double(c.attoseconds) * 1e-18)
    }

    /// The perfect forecast: the trace itself (gaps stay gaps).
    public func oracleForecast(_ s0: Int, _ h: Int) -> SimulatedForecast {
        SimulatedForecast(intensityGramsPerKWh: (s0..<(s0 + h)).map { $0 < trace.count ? trace[$0] : nil })
    }

    /// The trace plus Gaussian noise of standard deviation `fraction` × the trace's mean intensity,
    /// drawn afresh for every decision (the error model of Let's Wait Awhile, §5.1).
    /// - Parameter seed: seeds `SeededGenerator`; the same seed gives the same forecasts.
    public func noisyForecast(fraction: Double, seed: UInt64) -> (Int, Int) -> SimulatedForecast {
        let known = trace.compactMap { $0 }
        let sigma = fraction * known.reduce(0, +) / Double(max(known.count, 1))
        let trace = self.trace
        let box = NoiseBox(generator: SeededGenerator(seed: seed))
        return { s0, h in
            SimulatedForecast(intensityGramsPerKWh: (s0..<(s0 + h)).map { k in
                guard k < trace.count, let v = trace[k] else { return nil }
                return max(0, v + sigma * box.generator.nextGaussian())
            })
        }
    }
}

/// Holds the noise generator across forecast calls.
final class NoiseBox {
    var generator: SeededGenerator
    init(generator: SeededGenerator) { self.generator = generator }
}

/// Moving a scenario to another trace's year.
public enum ScenarioReplay {
    /// The whole-week shift that puts the first submission at or after `traceStart` (0 when it
    /// already is inside the trace): weekdays and hours of day are kept, so jobs submitted on working
    /// days stay on working days. Public holidays do not move with them.
    public static func weekShiftSeconds(firstSubmission: Date, traceStart: Date, traceEnd: Date) -> Double {
        if firstSubmission >= traceStart && firstSubmission < traceEnd { return 0 }
        let week = 7 * 86400.0
        let weeks = (traceStart.timeIntervalSince(firstSubmission) / week).rounded(.up)
        return weeks * week
    }

    /// The jobs shifted by `seconds`.
    public static func shift(_ jobs: [ScenarioJob], by seconds: Double) -> [ScenarioJob] {
        jobs.map { j in
            var j = j
            j.submittedAt = j.submittedAt.addingTimeInterval(seconds)
            j.deadline = j.deadline.addingTimeInterval(seconds)
            return j
        }
    }
}
