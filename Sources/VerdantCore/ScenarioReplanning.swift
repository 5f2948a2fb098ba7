import Foundation

/// How `ScenarioSimulation.runReplanning` treats an interruptible job once it has run.
public enum ReplanScope: Sendable {
    /// Every slot boundary re-decides the remaining slots of a started interruptible job too
    /// (`verdant simulate --replan`).
    case remainingWork
    /// A started interruptible job follows the run intervals it had when it first ran, as the daemon
    /// did before it re-planned started jobs' remaining work (`RunIntervalReplanning`); only jobs
    /// that have not started are re-planned.
    case queuedOnly
}

/// What a re-planning replay adds to `SimulationResult`.
public struct ReplanReplayFigures: Hashable, Sendable {
    /// Times a re-plan changed a job's plan (a move that saved more than `min-replan-saving`).
    public var moves: Int
    /// Slot origins forecast (one forecast per origin, shared by every job pending then).
    public var forecasts: Int
}

extension ScenarioSimulation {
    /// Runs the scenario replaying the daemon's re-planning (docs/scheduling.md, "Re-planning in the
    /// simulation"): each job is first planned at its submission exactly as in `run`; then, at every
    /// slot boundary, one forecast is issued from that slot (with the history before it) and
    /// `CarbonPlanner.replan` re-plans every job that is still pending, as `verdantd` re-plans its queue
    /// when the forecast changes: a job keeps its previous plan unless the new one saves more than
    /// `settings.minimumReplanSaving` of its predicted carbon (no churn), and never starts after its
    /// latest start. A non-interruptible job whose planned start has come starts and is fixed. An
    /// interruptible job runs the parts of its plan inside each slot; with `.remainingWork` its remaining
    /// work is re-planned at every boundary (deadline − remaining work is its latest start, so it
    /// always keeps at least as many slots before the deadline as it has work left), with `.queuedOnly`
    /// its plan is fixed once it has first run. During an outage the previous plans are kept (no new
    /// forecast, so nothing to re-plan on); jobs submitted then get no forecast, as in `run`.
    /// Carbon of the work actually done is priced with the trace; the oracle is `run`'s (the optimum).
    /// `settings.hedge` prices every plan; `settings.submissionHedge`, when set, prices a job's first
    /// plan instead (optimism while re-planning only, docs/scheduling.md).
    /// - Parameters:
    ///   - horizonSlots: slots each forecast covers (at least the longest submission-to-deadline window).
    ///   - forecast: (origin slot, horizon in slots) → values; called once per slot origin, in order.
    /// - Returns: the result and the re-planning figures.
    public func runReplanning(jobs: [ScenarioJob], interruptible: Bool, scope: ReplanScope = .remainingWork,
                              horizonSlots: Int, forecast: (Int, Int) -> SimulatedForecast,
                              progress: (Int, Int) -> Void = { _, _ in }) -> (SimulationResult, ReplanReplayFigures) {
        struct State {
            var plan: SlotPlan
            var remainingSeconds: Double
            var executed: [DateInterval] = []
        }
        let clock = ContinuousClock()
        var planning: Duration = .zero
        var runNow = 0.0, oracle = 0.0, planned = 0.0
        var misses = 0, moves = 0, forecasts = 0, finished = 0
        let oracleTrace = actual.map { Optional($0) }
        let order = jobs.indices.sorted { jobs[$0].submittedAt < jobs[$1].submittedAt || (jobs[$0].submittedAt == jobs[$1].submittedAt && $0 < $1) }
        var states: [Int: State] = [:]
        var next = 0
        let h = max(1, horizonSlots)
        var s = order.first.map { slot(of: jobs[$0].submittedAt) } ?? 0
        let lastSlot = trace.count + h
        func isInterruptible(_ i: Int) -> Bool { jobs[i].interruptible ?? interruptible }
        func plannerJob(_ i: Int, from t: Date, remaining: Double) -> PlannerJob {
            let job = jobs[i]
            // `max-delay` counts from submission, as in the daemon (`JobRuntime.plannerJob`).
            let maxDelay = maxDelaySeconds.map { max(0, job.submittedAt.addingTimeInterval($0).timeIntervalSince(t)) }
            return PlannerJob(id: Int64(i), earliestStart: t, deadline: job.deadline, durationSeconds: remaining,
                              powerWatts: job.powerWatts, interruptible: isInterruptible(i), maxDelaySeconds: maxDelay,
                              minimumSavingFraction: minimumSavingFraction, minimumSavingGrams: minimumSavingGrams)
        }
        func finish(_ i: Int, _ st: State) {
            let job = jobs[i]
            if st.remainingSeconds > 1e-6 { misses += 1 }
            else if let end = st.executed.map(\.end).max(), end > job.deadline.addingTimeInterval(1e-6) { misses += 1 }
            planned += actualCarbonGrams(st.executed, powerWatts: job.powerWatts)
            finished += 1
            progress(finished, jobs.count)
        }
        while (next < order.count || !states.isEmpty) && s <= lastSlot {
            let t = origin.addingTimeInterval(Double(s) * slotSeconds), tNext = t.addingTimeInterval(slotSeconds)
            var arriving: [Int] = []
            while next < order.count && jobs[order[next]].submittedAt < tNext { arriving.append(order[next]); next += 1 }
            let pending = states.keys.sorted()
            if !arriving.isEmpty || !pending.isEmpty {
                let down = outage?.contains(s) ?? false
                let f: SimulatedForecast
                if down { f = SimulatedForecast(intensityGramsPerKWh: Array(repeating: nil, count: h)) }
                else { f = forecast(s, h); forecasts += 1 }
                let grid = ForecastGrid(origin: t, slotSeconds: slotSeconds, intensityGramsPerKWh: f.intensityGramsPerKWh,
                                        upperGramsPerKWh: f.upperGramsPerKWh)
                var planner = CarbonPlanner(grid: grid, settings: settings)
                // Arrivals priced with `submissionHedge` when set (optimism while re-planning only);
                // the simulation has no capacity limit, so a second planner changes no other plan.
                var arrivalPlanner: CarbonPlanner? = nil
                if let h0 = settings.submissionHedge, h0 != settings.hedge, !arriving.isEmpty {
                    var s0 = settings
                    s0.hedge = h0
                    arrivalPlanner = CarbonPlanner(grid: grid, settings: s0)
                }
                if !pending.isEmpty && !down {
                    let pjs = pending.map { plannerJob($0, from: t, remaining: states[$0]!.remainingSeconds) }
                    var previous: [Int64: SlotPlan] = [:]
                    for i in pending {
                        var p = states[i]!.plan
                        p.runs = p.runs.compactMap { r in r.end > t ? DateInterval(start: max(r.start, t), end: r.end) : nil }
                        if let first = p.runs.first { p.start = first.start }
                        previous[Int64(i)] = p
                    }
                    var plans: [SlotPlan] = []
                    planning += clock.measure { plans = planner.replan(pjs, previous: previous) }
                    for (i, p) in zip(pending, plans) {
                        if p.runs != previous[Int64(i)]!.runs { moves += 1 }
                        states[i]!.plan = p
                    }
                }
                for i in arriving {
                    let job = jobs[i]
                    var p: SlotPlan!
                    planning += clock.measure {
                        let pj = plannerJob(i, from: job.submittedAt, remaining: job.durationSeconds)
                        if arrivalPlanner != nil { p = arrivalPlanner!.add(pj) } else { p = planner.add(pj) }
                    }
                    states[i] = State(plan: p, remainingSeconds: job.durationSeconds)
                    // The optimum and run-now, as in `run`.
                    let s0 = slot(of: job.submittedAt)
                    let o = plan(job, interruptible: isInterruptible(i), forecast: SimulatedForecast(
                        intensityGramsPerKWh: Array(oracleTrace[s0..<min(s0 + self.horizonSlots(job), oracleTrace.count)])))
                    oracle += actualCarbonGrams(o.runs, powerWatts: job.powerWatts)
                    runNow += actualCarbonGrams([DateInterval(start: job.submittedAt, duration: job.durationSeconds)], powerWatts: job.powerWatts)
                }
            }
            // Execute the slot [t, tNext).
            for i in states.keys.sorted() {
                var st = states[i]!
                if !isInterruptible(i) || scope == .queuedOnly {
                    // Starts once its planned start has come (by the next boundary, where the daemon
                    // starts it rather than re-plan it); from then on its runs are fixed.
                    if st.plan.start <= tNext.addingTimeInterval(1e-6) {
                        st.executed = st.plan.runs
                        st.remainingSeconds = 0
                        states[i] = nil
                        finish(i, st)
                    }
                    continue
                }
                for r in st.plan.runs where r.start < tNext && r.end > t {
                    let piece = DateInterval(start: max(r.start, t), end: min(r.end, tNext))
                    if piece.duration > 0 {
                        st.executed.append(piece)
                        st.remainingSeconds -= piece.duration
                    }
                }
                if st.remainingSeconds <= 1e-6 {
                    st.remainingSeconds = 0
                    states[i] = nil
                    finish(i, st)
                } else if tNext >= jobs[i].deadline {
                    states[i] = nil
                    finish(i, st)   // work left at the deadline: a miss
                } else {
                    states[i] = st
                }
            }
            s += 1
        }
        for (i, st) in states { finish(i, st) }   // past the end of the trace (not expected)
        let c = planning.components
        let result = SimulationResult(runNowCarbonGrams: runNow, plannedCarbonGrams: planned, oracleCarbonGrams: oracle,
                                      savingsPct: runNow > 0 ? (1 - planned / runNow) * 100 : 0,
                                      oracleSavingsPct: runNow > 0 ? (1 - oracle / runNow) * 100 : 0,
                                      deadlineMisses: misses, jobs: jobs.count,
                                      planningSeconds: Double(c.seconds) + Double(c.attoseconds) * 1e-18)
        return (result, ReplanReplayFigures(moves: moves, forecasts: forecasts))
    }
}
