import Foundation

/// A forecast on a regular grid of slots, as the carbon-aware planner reads it.
///
/// Slot `k` covers [origin + k·slotSeconds, origin + (k+1)·slotSeconds). A `nil` value is a slot with
/// no forecast: it is never chosen to run in, and a window containing one is "not covered by data".
/// `upper` is the upper bound of the forecast's interval (same units), used to hedge (see
/// `PlannerSettings.hedge`); `nil` when the forecast has no interval.
public struct ForecastGrid: Sendable {
    /// Start of slot 0, UTC.
    public let origin: Date
    /// Slot length (s), > 0.
    public let slotSeconds: Double
    /// Point forecast per slot (gCO2eq/kWh).
    public let intensityGramsPerKWh: [Double?]
    /// Upper bound of the interval per slot (gCO2eq/kWh), or nil.
    public let upperGramsPerKWh: [Double?]?

    public init(origin: Date, slotSeconds: Double, intensityGramsPerKWh: [Double?], upperGramsPerKWh: [Double?]? = nil) {
        precondition(slotSeconds > 0, "slotSeconds must be positive")
        self.origin = origin
        self.slotSeconds = slotSeconds
        self.intensityGramsPerKWh = intensityGramsPerKWh
        self.upperGramsPerKWh = upperGramsPerKWh
    }

    /// Number of slots.
    public var count: Int { intensityGramsPerKWh.count }
    /// End of the last slot.
    public var end: Date { time(ofSlot: count) }
    /// Start of slot `k`.
    public func time(ofSlot k: Int) -> Date { origin.addingTimeInterval(Double(k) * slotSeconds) }
    /// (t − origin) / slotSeconds, in slots (fractional).
    func position(_ t: Date) -> Double { t.timeIntervalSince(origin) / slotSeconds }
}

/// Capacity of the node, from the configuration. Every instant of a plan stays within it.
public struct NodeCapacity: Hashable, Sendable {
    /// CPU cores (may be fractional, as cgroup CPU quotas are).
    public var cores: Double
    /// Memory (bytes).
    public var memoryBytes: Double
    /// GPUs.
    public var gpus: Int
    /// The most jobs running at once.
    public var maxConcurrentJobs: Int

    public init(cores: Double, memoryBytes: Double, gpus: Int, maxConcurrentJobs: Int) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.gpus = gpus
        self.maxConcurrentJobs = maxConcurrentJobs
    }

    /// No limit at all (the Let's Wait Awhile simulation assumes none).
    public static let unlimited = NodeCapacity(cores: .infinity, memoryBytes: .infinity, gpus: .max / 2, maxConcurrentJobs: .max / 2)

    /// Whether any limit is finite.
    public var isLimited: Bool {
        cores.isFinite || memoryBytes.isFinite || gpus < Int.max / 2 || maxConcurrentJobs < Int.max / 2
    }
}

/// What one job takes from the node while it runs.
public struct JobDemand: Hashable, Sendable {
    public var cores: Double
    public var memoryBytes: Double
    public var gpus: Int

    public init(cores: Double = 1, memoryBytes: Double = 0, gpus: Int = 0) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.gpus = gpus
    }
}

/// A job as the planner sees it. Times UTC; durations in seconds; power in watts.
public struct PlannerJob: Hashable, Sendable {
    public var id: Int64
    /// The job may not start before this (its submission, or now when re-planning).
    public var earliestStart: Date
    /// When it must have finished; nil: no deadline (it must then run inside the forecast's data).
    public var deadline: Date?
    /// Predicted (remaining) run time (s), > 0.
    public var durationSeconds: Double
    /// Standard deviation of the predicted duration (s), 0 when unknown.
    public var durationUncertaintySeconds: Double
    /// Predicted mean power (W); the objective is energy × intensity, so a constant power only scales it.
    public var powerWatts: Double
    /// Whether the job may be paused and resumed (run in any set of whole slots).
    public var interruptible: Bool
    /// What it takes from the node.
    public var demand: JobDemand
    /// The policy's maximum delay from `earliestStart` (s), nil for none. 0 runs it at once.
    public var maxDelaySeconds: Double?
    /// The policy's `min-saving` as a fraction of the run-now carbon (0…1): the job is deferred only
    /// when its best plan saves at least this much against starting at `earliestStart`. 0: any saving.
    public var minimumSavingFraction: Double
    /// The policy's `min-saving` in grams CO2eq (same rule, absolute). 0: any saving.
    public var minimumSavingGrams: Double

    public init(id: Int64, earliestStart: Date, deadline: Date?, durationSeconds: Double,
                durationUncertaintySeconds: Double = 0, powerWatts: Double, interruptible: Bool = false,
                demand: JobDemand = JobDemand(), maxDelaySeconds: Double? = nil,
                minimumSavingFraction: Double = 0, minimumSavingGrams: Double = 0) {
        self.minimumSavingFraction = minimumSavingFraction
        self.minimumSavingGrams = minimumSavingGrams
        self.id = id
        self.earliestStart = earliestStart
        self.deadline = deadline
        self.durationSeconds = durationSeconds
        self.durationUncertaintySeconds = durationUncertaintySeconds
        self.powerWatts = powerWatts
        self.interruptible = interruptible
        self.demand = demand
        self.maxDelaySeconds = maxDelaySeconds
    }
}

/// Why a plan is what it is (the `reason` of `verdant plan`).
public enum PlanReason: String, Sendable, Codable, CaseIterable {
    /// The cheapest window (or slot set) the forecast offers before the latest start.
    case cheapest
    /// The deadline left no choice: no slack, or no window of the data meets it (then: latest start).
    case deadlineBound = "deadline-bound"
    /// A cheaper window existed but the node had no room in it.
    case capacityBound = "capacity-bound"
    /// No forecast covers a whole run before the latest start: the job runs at its latest start.
    case noForecast = "no-forecast"
    /// The best window saved less than the policy's `min-saving` against running now: it runs now
    /// (`SlotPlan.forgoneSavingGrams` is what deferring would have saved).
    case belowMinimumSaving = "below-min-saving"
}

/// What the planner decided for one job.
public struct SlotPlan: Hashable, Sendable {
    public var jobID: Int64
    /// When it starts (first run interval's start), UTC.
    public var start: Date
    /// Run intervals, in order; one for a non-interruptible job. Their lengths add up to the duration.
    public var runs: [DateInterval]
    /// deadline − duration − margin (or the data's end − duration without a deadline); never exceeded.
    public var latestStart: Date
    /// Predicted carbon of the plan (g) under the forecast; nil when a slot of it has no forecast.
    public var predictedCarbonGrams: Double?
    /// Predicted carbon (g) of starting at `earliestStart` and running straight through; nil when unknown.
    public var runNowCarbonGrams: Double?
    public var reason: PlanReason
    /// True when the plan breaks a limit it could not keep: the node's capacity (deadline first).
    public var overCapacity: Bool
    /// True when no window inside the data meets the deadline (the job then runs at its latest start).
    public var outsideData: Bool
    /// Reason `below-min-saving`: the carbon (g) the best window would have saved against running now,
    /// which was less than the policy's `min-saving`; nil otherwise.
    public var forgoneSavingGrams: Double? = nil
}

/// Tunables of the planner, set by the policy.
public struct PlannerSettings: Hashable, Sendable {
    /// Margin before a deadline, in standard deviations of the predicted duration. 2σ: a normally
    /// distributed duration overruns it in about 2.3 % of runs (one-sided normal tail).
    public var marginSigmas: Double
    /// Re-planning keeps the previous plan unless the new one saves at least this fraction of its
    /// predicted carbon (no churn). Default 2 %.
    public var minimumReplanSaving: Double
    /// Hedging weight λ ∈ [−1, 1]: a slot is priced at max(0, point + λ·(upper − point)), upper the
    /// upper bound of the forecast's interval (gCO2eq/kWh; a slot without one is priced at its point).
    /// λ = 0 uses the point forecast; λ > 0 avoids slots whose forecast is uncertain (far ahead, or
    /// volatile); λ < 0 is optimistic: it prices an uncertain slot *below* its point, by |λ| times the
    /// interval's upper half-width (the grid carries no lower bound, so the upper half-width, from the
    /// forecaster's 90 % residual quantile, stands for the spread on both sides), which favours deferring a job that will be
    /// re-planned as the forecast refreshes (docs/scheduling.md, "Optimistic hedging under
    /// re-planning"). Only the choice uses the hedged price: a plan's predicted carbon, the re-planning
    /// churn test and `min-saving` always use the point forecast.
    public var hedge: Double
    /// λ used for a job's first plan (at its submission) when it differs from `hedge`; nil: `hedge`.
    /// Read by `ScenarioSimulation.runReplanning` only (an experiment: optimism while re-planning only).
    public var submissionHedge: Double?
    /// e-folding horizon (hours) of the learned model's weight in the planning forecast
    /// (`ClimatologyShrinkForecaster.decayHours`: weight exp(−h / this) on the model, the rest on the
    /// weekly climatology). Default 24 h, chosen for planning once at submission; the `max-savings`
    /// policy uses 36 h with re-planning (docs/scheduling.md, "75 % reached"). Both chosen on the
    /// Germany 2020 replay, not from a paper.
    public var forecastDecayHours: Double

    /// `forecastDecayHours` from its written form (policy `planner.forecast-decay`, `verdant simulate
    /// --forecast-decay`): a duration in `DurationSyntax` (`36h`, `2d`, `PT36H`) from 1 h to 14 d (the
    /// daemon's planning grid reaches 14 days), in hours; nil for anything else.
    public static func forecastDecayHours(parsing text: String) -> Double? {
        guard let s = DurationSyntax.parseSeconds(text), s >= 3600, s <= 14 * 86400 else { return nil }
        return s / 3600
    }

    public init(marginSigmas: Double = 2, minimumReplanSaving: Double = 0.02, hedge: Double = 0, submissionHedge: Double? = nil,
                forecastDecayHours: Double = 24) {
        self.marginSigmas = marginSigmas
        self.minimumReplanSaving = minimumReplanSaving
        self.hedge = hedge
        self.submissionHedge = submissionHedge
        self.forecastDecayHours = forecastDecayHours
    }
}

/// Per-slot use of the node by the jobs planned so far.
public struct CapacityLedger: Sendable {
    public let capacity: NodeCapacity
    public private(set) var cores: [Double]
    public private(set) var memoryBytes: [Double]
    public private(set) var gpus: [Int]
    public private(set) var jobs: [Int]

    public init(capacity: NodeCapacity, slots: Int) {
        self.capacity = capacity
        cores = Array(repeating: 0, count: slots)
        memoryBytes = Array(repeating: 0, count: slots)
        gpus = Array(repeating: 0, count: slots)
        jobs = Array(repeating: 0, count: slots)
    }

    /// Whether `d` fits in slot `k` (slots outside the ledger always fit: nothing is planned there).
    @inline(__always)
    public func fits(_ d: JobDemand, slot k: Int) -> Bool {
        guard k >= 0 && k < jobs.count else { return true }
        return cores[k] + d.cores <= capacity.cores + 1e-9
            && memoryBytes[k] + d.memoryBytes <= capacity.memoryBytes + 0.5
            && gpus[k] + d.gpus <= capacity.gpus
            && jobs[k] + 1 <= capacity.maxConcurrentJobs
    }

    /// Raw views of the four per-slot arrays (cores, memory bytes, GPUs, jobs) for the planner's hot
    /// loops, which test `fits` once per candidate window without bounds checks.
    @inline(__always)
    func withSlotUse<R>(_ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>,
                                 UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> R) -> R {
        cores.withUnsafeBufferPointer { c in
            memoryBytes.withUnsafeBufferPointer { m in
                gpus.withUnsafeBufferPointer { g in jobs.withUnsafeBufferPointer { j in body(c, m, g, j) } }
            }
        }
    }

    /// Adds (sign +1) or removes (−1) a demand over slots.
    public mutating func apply(_ d: JobDemand, slots: Range<Int>, sign: Int) {
        let lo = max(slots.lowerBound, 0), hi = min(slots.upperBound, jobs.count)
        guard lo < hi else { return }
        for k in lo..<hi {
            cores[k] += Double(sign) * d.cores
            memoryBytes[k] += Double(sign) * d.memoryBytes
            gpus[k] += sign * d.gpus
            jobs[k] += sign
        }
    }
}

/// The carbon-aware planner: chooses a start (non-interruptible) or a set of whole slots
/// (interruptible) for every pending job, minimising predicted energy × forecast intensity, within
/// the node's capacity at every slot, never later than each job's latest start.
///
/// Algorithm. Jobs are placed one at a time, least slack first (earliest latest start), each on the
/// cheapest window the remaining capacity allows: for a non-interruptible job of n slots, every
/// aligned start k in [⌈earliest⌉, ⌊latest⌋] (plus the exact earliest instant) is priced with prefix
/// sums in O(1) and the lowest cost wins, ties to the earliest; an interruptible job takes the n
/// cheapest free slots before deadline − margin (Let's Wait Awhile, Wiesner et al., Middleware 2021,
/// §4). Without capacity limits this is the exact optimum of each job (the jobs do not interact);
/// with limits it is the greedy least-slack-first heuristic. Cost O(Σ window slots).
///
/// Energy is constant power × time; the last slot of a job that does not fill it counts pro rata.
public struct CarbonPlanner: Sendable {
    public let grid: ForecastGrid
    public let settings: PlannerSettings
    public private(set) var ledger: CapacityLedger
    /// The plan of every job placed so far, by id.
    public private(set) var plans: [Int64: SlotPlan] = [:]
    private var demands: [Int64: (JobDemand, [Range<Int>])] = [:]
    /// Slot prices: max(0, point + hedge·(upper − point)); nil slots priced 0 and excluded via `missingPrefix`.
    private let price: [Double]
    private let pointPrefix: [Double]
    private let pricePrefix: [Double]
    private let missingPrefix: [Int32]
    /// Slot indexes with a forecast, cheapest first (ties: earlier first): interruptible jobs walk it.
    private let cheapestFirst: [Int32]

    public init(grid: ForecastGrid, capacity: NodeCapacity = .unlimited, settings: PlannerSettings = PlannerSettings()) {
        self.grid = grid
        self.settings = settings
        ledger = CapacityLedger(capacity: capacity, slots: grid.count)
        var price = [Double](repeating: 0, count: grid.count)
        var pp = [Double](repeating: 0, count: grid.count + 1)
        var qp = [Double](repeating: 0, count: grid.count + 1)
        var mp = [Int32](repeating: 0, count: grid.count + 1)
        for k in 0..<grid.count {
            let v = grid.intensityGramsPerKWh[k]
            var p = v ?? 0
            if let v, settings.hedge != 0, let u = grid.upperGramsPerKWh?[k] {
                p = v + settings.hedge * max(u - v, 0)
                if settings.hedge < 0 { p = max(p, 0) }   // optimism never prices a slot below zero
            }
            price[k] = p
            pp[k + 1] = pp[k] + (v ?? 0)
            qp[k + 1] = qp[k] + p
            mp[k + 1] = mp[k] + (v == nil ? 1 : 0)
        }
        self.price = price
        pointPrefix = pp
        pricePrefix = qp
        missingPrefix = mp
        cheapestFirst = (0..<grid.count).filter { grid.intensityGramsPerKWh[$0] != nil }
            .sorted { price[$0] < price[$1] || (price[$0] == price[$1] && $0 < $1) }.map { Int32($0) }
    }

    // MARK: - Timing

    /// The latest start of `job`: deadline − duration − marginSigmas·σ, capped by the policy's maximum
    /// delay; without a deadline, the last start whose run ends inside the data. Never before the
    /// earliest start (a job whose deadline is already too close starts at once).
    public func latestStart(of job: PlannerJob) -> Date {
        var latest: Date
        if let deadline = job.deadline {
            latest = deadline.addingTimeInterval(-job.durationSeconds - settings.marginSigmas * max(job.durationUncertaintySeconds, 0))
        } else {
            latest = grid.end.addingTimeInterval(-job.durationSeconds)
        }
        if let m = job.maxDelaySeconds { latest = min(latest, job.earliestStart.addingTimeInterval(max(m, 0))) }
        return max(latest, job.earliestStart)
    }

    // MARK: - Placing

    /// Plans every job in `jobs` from scratch (previous plans are dropped), least slack first.
    /// - Returns: the plans, in the order of `jobs`.
    public mutating func planAll(_ jobs: [PlannerJob]) -> [SlotPlan] {
        for id in Array(plans.keys) { remove(jobID: id) }
        let order = leastSlackFirst(jobs)
        for i in order { _ = add(jobs[i]) }
        return jobs.map { plans[$0.id]! }
    }

    /// Places one more job on the remaining capacity (an arrival): O(its window).
    @discardableResult
    public mutating func add(_ job: PlannerJob) -> SlotPlan {
        if plans[job.id] != nil { remove(jobID: job.id) }
        let (plan, slots) = choose(job)
        commit(plan, demand: job.demand, slots: slots)
        return plan
    }

    /// Reserves capacity for a job that is already running (fixed; not re-planned).
    public mutating func reserveRunning(jobID: Int64, from: Date, until: Date, demand: JobDemand) {
        let a = Int(grid.position(from).rounded(.down)), b = Int(grid.position(until).rounded(.up))
        let r = a..<max(a, b)
        let plan = SlotPlan(jobID: jobID, start: from, runs: [DateInterval(start: from, end: max(from, until))],
                            latestStart: from, predictedCarbonGrams: nil, runNowCarbonGrams: nil, reason: .cheapest,
                            overCapacity: false, outsideData: false)
        commit(plan, demand: demand, slots: [r])
    }

    /// Drops a job (it ended, was cancelled, or is re-planned), freeing its capacity.
    public mutating func remove(jobID: Int64) {
        guard let (d, slots) = demands.removeValue(forKey: jobID) else { return }
        for r in slots { ledger.apply(d, slots: r, sign: -1) }
        plans[jobID] = nil
    }

    /// Re-plans `jobs` (pending, with their current earliest start) against this planner's forecast,
    /// keeping each job's `previous` plan unless the new one saves at least
    /// `settings.minimumReplanSaving` of its predicted carbon (no churn), or starts earlier for no more
    /// carbon (capacity was freed, a job ended early). A previous plan is kept only
    /// while it still starts no earlier than the job's earliest start, no later than its latest start,
    /// and fits the capacity; a new plan never starts past the latest start. Running jobs must be
    /// reserved first with `reserveRunning`.
    /// - Parameter minimumSavingDecided: jobs without a `previous` plan whose `min-saving` test was
    ///   already made at their first plan (by an earlier daemon, kept in the store): not made again.
    public mutating func replan(_ jobs: [PlannerJob], previous: [Int64: SlotPlan],
                                minimumSavingDecided: Set<Int64> = []) -> [SlotPlan] {
        for j in jobs { remove(jobID: j.id) }
        let order = leastSlackFirst(jobs)
        for i in order {
            let job = jobs[i]
            // `min-saving` is decided when a job is first planned: a deferred job is not pulled back to
            // "now" as its window comes closer and the saving against "now" shrinks.
            let firstPlan = previous[job.id].map { $0.reason == .belowMinimumSaving } ?? !minimumSavingDecided.contains(job.id)
            let (fresh, freshSlots) = choose(job, minimumSaving: firstPlan)
            if let old = previous[job.id], let kept = revalidate(old, job: job),
               let oldCost = kept.plan.predictedCarbonGrams {
                let newCost = fresh.predictedCarbonGrams ?? .infinity
                // Moving earlier for no more carbon is not churn (capacity freed up, a job ended early).
                let earlierForNoMore = fresh.start < kept.plan.start && newCost <= oldCost + 1e-9
                if !(newCost < oldCost * (1 - settings.minimumReplanSaving)) && !earlierForNoMore {
                    commit(kept.plan, demand: job.demand, slots: kept.slots)
                    continue
                }
            }
            commit(fresh, demand: job.demand, slots: freshSlots)
        }
        return jobs.map { plans[$0.id]! }
    }

    /// Prices a run of `durationSeconds` from `start` at `powerWatts` under the point forecast (g);
    /// nil when a slot it touches has no forecast or lies outside the grid.
    public func carbonGrams(start: Date, durationSeconds: Double, powerWatts: Double) -> Double? {
        let a = grid.position(start), b = grid.position(start.addingTimeInterval(durationSeconds))
        guard a >= 0, b <= Double(grid.count) + 1e-9, b > a else { return b > a ? nil : 0 }
        var sum = 0.0
        var k = Int(a.rounded(.down))
        while Double(k) < b - 1e-12 {
            guard k < grid.count, let v = grid.intensityGramsPerKWh[k] else { return nil }
            let overlap = min(Double(k + 1), b) - max(Double(k), a)
            sum += v * overlap
            k += 1
        }
        return sum * grid.slotSeconds * powerWatts / 3_600_000
    }

    // MARK: - Internals

    /// Indexes of `jobs` by latest start, then by position.
    private func leastSlackFirst(_ jobs: [PlannerJob]) -> [Int] {
        let keys = jobs.map { latestStart(of: $0).timeIntervalSinceReferenceDate }
        return jobs.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
    }

    private mutating func commit(_ plan: SlotPlan, demand: JobDemand, slots: [Range<Int>]) {
        for r in slots { ledger.apply(demand, slots: r, sign: 1) }
        plans[plan.jobID] = plan
        demands[plan.jobID] = (demand, slots)
    }

    /// Slots a run [start, end) occupies (every slot it touches).
    private func slotRange(_ run: DateInterval) -> Range<Int> {
        let a = Int(grid.position(run.start).rounded(.down))
        let b = Int((grid.position(run.end) - 1e-9).rounded(.up))
        return a..<max(a + 1, b)
    }

    private func fitsEverywhere(_ d: JobDemand, _ r: Range<Int>) -> Bool {
        guard ledger.capacity.isLimited else { return true }
        for k in r where !ledger.fits(d, slot: k) { return false }
        return true
    }

    /// The previous plan under the current forecast and capacity, if it is still allowed.
    private func revalidate(_ old: SlotPlan, job: PlannerJob) -> (plan: SlotPlan, slots: [Range<Int>])? {
        let latest = latestStart(of: job)
        guard old.start >= job.earliestStart, old.start <= latest, let end = old.runs.last?.end else { return nil }
        if let deadline = job.deadline, end > deadline { return nil }
        let total = old.runs.reduce(0) { $0 + $1.duration }
        guard abs(total - job.durationSeconds) < 1e-6 else { return nil }
        let slots = old.runs.map(slotRange)
        for r in slots where !fitsEverywhere(job.demand, r) { return nil }
        var cost = 0.0
        for run in old.runs {
            guard let c = carbonGrams(start: run.start, durationSeconds: run.duration, powerWatts: job.powerWatts) else { return nil }
            cost += c
        }
        var p = old
        p.latestStart = latest
        p.predictedCarbonGrams = cost
        p.runNowCarbonGrams = carbonGrams(start: job.earliestStart, durationSeconds: job.durationSeconds, powerWatts: job.powerWatts)
        return (p, slots)
    }

    /// The plan of `job`; `minimumSaving`: whether the policy's `min-saving` may turn a deferral into a
    /// start now (only when a job is planned for the first time, see `replan`).
    private func choose(_ job: PlannerJob, minimumSaving: Bool = true) -> (SlotPlan, [Range<Int>]) {
        let latest = latestStart(of: job)
        var chosen: (SlotPlan, [Range<Int>])
        if job.interruptible, let slots = chooseSlots(job, latest: latest) { chosen = slots }
        else { chosen = chooseStart(job, latest: latest) }
        if minimumSaving, let now = runNowForSmallSaving(job, chosen.0, latest: latest) { chosen = now }
        return chosen
    }

    /// The policy's `min-saving`: when `deferred` starts after the job's earliest start and saves less
    /// than max(minimumSavingFraction × run-now carbon, minimumSavingGrams) against starting at once
    /// (both under the point forecast), the run-now plan (reason `below-min-saving`); nil when the
    /// saving is enough, the rule is off, either carbon is unknown, or running now has no room.
    /// A saving exactly at the threshold defers.
    private func runNowForSmallSaving(_ job: PlannerJob, _ deferred: SlotPlan, latest: Date) -> (SlotPlan, [Range<Int>])? {
        guard job.minimumSavingFraction > 0 || job.minimumSavingGrams > 0,
              deferred.start > job.earliestStart.addingTimeInterval(1e-6),
              let planned = deferred.predictedCarbonGrams, let runNow = deferred.runNowCarbonGrams else { return nil }
        let required = max(job.minimumSavingFraction * runNow, job.minimumSavingGrams)
        let saving = runNow - planned
        guard saving < required - 1e-9 else { return nil }
        let run = DateInterval(start: job.earliestStart, duration: job.durationSeconds)
        let r = slotRange(run)
        guard fitsEverywhere(job.demand, r) else { return nil }
        var p = plan(job, runs: [run], latest: latest, reason: .belowMinimumSaving)
        p.forgoneSavingGrams = saving
        return (p, [r])
    }

    private func plan(_ job: PlannerJob, runs: [DateInterval], latest: Date, reason: PlanReason,
                      overCapacity: Bool = false, outsideData: Bool = false) -> SlotPlan {
        var cost: Double? = 0
        for r in runs {
            if let c = carbonGrams(start: r.start, durationSeconds: r.duration, powerWatts: job.powerWatts), let s = cost { cost = s + c } else { cost = nil }
        }
        return SlotPlan(jobID: job.id, start: runs.first?.start ?? job.earliestStart, runs: runs, latestStart: latest,
                        predictedCarbonGrams: cost,
                        runNowCarbonGrams: carbonGrams(start: job.earliestStart, durationSeconds: job.durationSeconds, powerWatts: job.powerWatts),
                        reason: reason, overCapacity: overCapacity, outsideData: outsideData)
    }

    /// Non-interruptible: the cheapest start among the aligned starts in [⌈earliest⌉, ⌊latest⌋] and
    /// the earliest and latest instants themselves (ties to the earlier); falls back to the latest start when none is covered or fits.
    private func chooseStart(_ job: PlannerJob, latest: Date) -> (SlotPlan, [Range<Int>]) {
        let d = job.durationSeconds
        let n = d / grid.slotSeconds
        let nFull = max(1, Int((n - 1e-9).rounded(.up)))
        let lastWeight = n - Double(nFull - 1)
        let e = grid.position(job.earliestStart)
        let kE = max(0, Int((e - 1e-9).rounded(.up)))
        let kL = min(Int((grid.position(latest) + 1e-9).rounded(.down)), grid.count - nFull)
        let limited = ledger.capacity.isLimited
        var best = -1
        var bestCost = Double.infinity
        var blockedCheaper = false   // a covered window was cheaper but had no room
        var unconstrainedBest = Double.infinity
        var unconstrainedIndex = Int.max   // the choice without capacity (−1: the earliest instant)
        var candidates = 0
        // The earliest instant itself (run now), when it is not on a slot boundary.
        var nowCost: Double? = nil
        if abs(e - e.rounded()) > 1e-9, e >= 0 {
            let r = slotRange(DateInterval(start: job.earliestStart, duration: d))
            if r.upperBound <= grid.count, missingPrefix[r.upperBound] - missingPrefix[max(r.lowerBound, 0)] == 0 {
                let c = carbonGrams(start: job.earliestStart, durationSeconds: d, powerWatts: job.powerWatts)!
                candidates += 1
                unconstrainedBest = c
                unconstrainedIndex = -1
                if fitsEverywhere(job.demand, r) { nowCost = c } else { blockedCheaper = true }
            }
        }
        if kE <= kL {
            // The scan is the planner's cost (Σ window slots over the queue): it reads raw buffers,
            // tests the capacity of one slot per candidate (the one entering the window) and skips
            // the missing-data test on a grid without gaps. Same arithmetic as `ledger.fits`.
            let scale = grid.slotSeconds * job.powerWatts / 3_600_000
            let hasGaps = missingPrefix[grid.count] != 0
            let dc = job.demand.cores, dm = job.demand.memoryBytes, dg = job.demand.gpus
            let capC = ledger.capacity.cores + 1e-9, capM = ledger.capacity.memoryBytes + 0.5
            let capG = ledger.capacity.gpus, capJ = ledger.capacity.maxConcurrentJobs
            ledger.withSlotUse { useC, useM, useG, useJ in
                price.withUnsafeBufferPointer { pr in
                pricePrefix.withUnsafeBufferPointer { pp in
                missingPrefix.withUnsafeBufferPointer { mp in
                    let slotCount = useJ.count
                    @inline(__always) func blocked(_ k: Int) -> Bool {
                        k < slotCount && !(useC[k] + dc <= capC && useM[k] + dm <= capM && useG[k] + dg <= capG && useJ[k] + 1 <= capJ)
                    }
                    // Slots in [kE, kL + nFull) that cannot host the job: the last blocked index seen.
                    var lastBlocked = kE - 1
                    if limited {
                        for k in kE..<(kE + nFull - 1) where blocked(k) { lastBlocked = k }
                    }
                    for k in kE...kL {
                        let end = k + nFull
                        if limited, blocked(end - 1) { lastBlocked = end - 1 }
                        if hasGaps, mp[end] - mp[k] != 0 { continue }
                        candidates += 1
                        let c = (pp[end - 1] - pp[k] + lastWeight * pr[end - 1]) * scale
                        if c < unconstrainedBest - 1e-9 { unconstrainedBest = c; unconstrainedIndex = k }
                        if lastBlocked >= k { if c < bestCost - 1e-9 { blockedCheaper = true }; continue }
                        if c < bestCost - 1e-9 { best = k; bestCost = c }
                    }
                }}}
            }
        }
        // The latest start itself, when it is not on a slot boundary: over a piecewise-constant forecast
        // the cheapest start in [earliest, latest] lies on a slot boundary or at one of the two ends.
        var latestCost: Double? = nil
        let l = grid.position(latest)
        if abs(l - l.rounded()) > 1e-9, l >= 0, latest > job.earliestStart {
            let r = slotRange(DateInterval(start: latest, duration: d))
            if r.upperBound <= grid.count, missingPrefix[r.upperBound] - missingPrefix[max(r.lowerBound, 0)] == 0 {
                let c = carbonGrams(start: latest, durationSeconds: d, powerWatts: job.powerWatts)!
                candidates += 1
                if c < unconstrainedBest - 1e-9 { unconstrainedBest = c; unconstrainedIndex = -2 }
                if fitsEverywhere(job.demand, r) { latestCost = c } else if c < bestCost - 1e-9 { blockedCheaper = true }
            }
        }
        var start: Date?
        var chosenIndex = best
        if let nc = nowCost, nc <= bestCost + 1e-9 { start = job.earliestStart; bestCost = nc; chosenIndex = -1 }
        else if best >= 0 { start = grid.time(ofSlot: best) }
        if let lc = latestCost, lc < bestCost - 1e-9 { start = latest; bestCost = lc; chosenIndex = -2 }
        if let start {
            let reason: PlanReason
            // Capacity-bound: the window chosen without capacity limits (cheapest, ties earliest) had no room.
            if blockedCheaper && unconstrainedBest < bestCost - 1e-9 || unconstrainedIndex != chosenIndex { reason = .capacityBound }
            else if candidates <= 1 { reason = .deadlineBound }
            else { reason = .cheapest }
            let run = DateInterval(start: start, duration: d)
            return (plan(job, runs: [run], latest: latest, reason: reason), [slotRange(run)])
        }
        // Nothing covered that fits: run at the latest start (the deadline comes first).
        let run = DateInterval(start: latest, duration: d)
        let r = slotRange(run)
        let reason: PlanReason = candidates == 0 ? .noForecast : .capacityBound
        return (plan(job, runs: [run], latest: latest, reason: reason,
                     overCapacity: !fitsEverywhere(job.demand, r), outsideData: candidates == 0), [r])
    }

    /// Interruptible: the n cheapest whole slots in [⌈earliest⌉, ⌊deadline − margin⌋) that have data
    /// and room, ties to the earlier slot; nil when there are not enough (then a contiguous start).
    private func chooseSlots(_ job: PlannerJob, latest: Date) -> (SlotPlan, [Range<Int>])? {
        let d = job.durationSeconds
        let n = d / grid.slotSeconds
        let nFull = max(1, Int((n - 1e-9).rounded(.up)))
        let kE = max(0, Int((grid.position(job.earliestStart) - 1e-9).rounded(.up)))
        let endLimit = latest.addingTimeInterval(d)
        let kEnd = min(Int((grid.position(endLimit) + 1e-9).rounded(.down)), grid.count)
        guard kEnd - kE >= nFull else { return nil }
        // Walk the slots cheapest first, keeping those in the job's range with room.
        var chosen: [Int] = []
        chosen.reserveCapacity(nFull)
        var unconstrained = 0.0, unconstrainedCount = 0, got = 0.0
        var blocked = false
        let dc = job.demand.cores, dm = job.demand.memoryBytes, dg = job.demand.gpus
        let capC = ledger.capacity.cores + 1e-9, capM = ledger.capacity.memoryBytes + 0.5
        let capG = ledger.capacity.gpus, capJ = ledger.capacity.maxConcurrentJobs
        ledger.withSlotUse { useC, useM, useG, useJ in
            price.withUnsafeBufferPointer { pr in
            cheapestFirst.withUnsafeBufferPointer { order in
                for k32 in order {
                    let k = Int(k32)
                    guard k >= kE && k < kEnd else { continue }
                    if unconstrainedCount < nFull { unconstrained += pr[k]; unconstrainedCount += 1 }
                    // `ledger.fits` (k is inside the ledger here).
                    if useC[k] + dc <= capC && useM[k] + dm <= capM && useG[k] + dg <= capG && useJ[k] + 1 <= capJ {
                        chosen.append(k)
                        got += pr[k]
                        if chosen.count == nFull { break }
                    } else {
                        blocked = true
                    }
                }
            }}
        }
        guard chosen.count == nFull else { return nil }
        chosen.sort()
        // Whole slots, the last chronologically cut to the remaining duration.
        var runs: [DateInterval] = []
        var ranges: [Range<Int>] = []
        var remaining = d
        var i = 0
        while i < chosen.count {
            var j = i
            while j + 1 < chosen.count && chosen[j + 1] == chosen[j] + 1 { j += 1 }
            let start = grid.time(ofSlot: chosen[i])
            let len = min(Double(j - i + 1) * grid.slotSeconds, remaining)
            runs.append(DateInterval(start: start, duration: len))
            ranges.append(chosen[i]..<(chosen[j] + 1))
            remaining -= len
            i = j + 1
        }
        var reason: PlanReason = (kEnd - kE == nFull) ? .deadlineBound : .cheapest
        if blocked && unconstrained < got - 1e-9 { reason = .capacityBound }
        return (plan(job, runs: runs, latest: latest, reason: reason), ranges)
    }
}
