import Foundation
import Logging
import VerdantAPI
import VerdantCore
import VerdantStore

/// The runtime's planning state (issue 6): the last plan of every queued job, the run-interval control
/// of every running interruptible job, and whether the queue must be re-planned.
struct DaemonScheduling: Sendable {
    /// The last plan of each queued job, by id (kept across re-plans: the no-churn rule compares with it).
    var plans: [Int64: SlotPlan] = [:]
    /// Running interruptible jobs that are paused and resumed through their run intervals.
    var controls: [Int64: RunIntervalControl] = [:]
    /// Checkpoint-mode jobs stopped at their checkpoint, waiting for their next run interval (no process).
    var suspended: [Int64: JobRuntime.RunningJob] = [:]
    /// Set by a submission, a job's end, a forecast change or a policy reload; the scheduler re-plans
    /// the whole queue at its next tick.
    var replanNeeded = true
    /// A digest of the intensity selection last planned with (a change triggers a re-plan).
    var forecastDigest: Int?
    /// Queued checkpoint-mode jobs resuming from a shutdown checkpoint: the duration (s) they are
    /// planned for (`ResumedWork`), refreshed at each re-plan.
    var resumedRemaining: [Int64: Double] = [:]
    /// Such jobs once running again: their resume plus that duration (capacity is reserved until then).
    var resumedPredictedEnd: [Int64: Date] = [:]
}

// MARK: Planning the queue with the multi-job carbon planner (issue 6).

extension JobRuntime {
    /// The planning grid's step (s): 5 minutes, as the planner benchmark (docs/scheduling.md).
    static let planningSlotSeconds: Double = 300
    /// The farthest the planning grid reaches (s): 14 days. A job whose deadline lies further is
    /// planned inside the grid, or at its latest start when no data covers it.
    static let planningHorizonSeconds: Double = 14 * 86400

    /// The forecast grid from now to `until` (capped by `planningHorizonSeconds`): the chain's
    /// selection, else the trace; slots without data are `nil` (never chosen).
    func planningGrid(now: Date, until: Date) -> ForecastGrid {
        let to = min(max(until, now.addingTimeInterval(Self.planningSlotSeconds)), now.addingTimeInterval(Self.planningHorizonSeconds))
        if isStaticIntensity {
            // Only the static value: a flat forecast, so every window costs the same and jobs start at once.
            let n = max(1, Int((to.timeIntervalSince(now) / Self.planningSlotSeconds).rounded(.up)) + 1)
            let origin = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / Self.planningSlotSeconds).rounded(.down) * Self.planningSlotSeconds)
            return ForecastGrid(origin: origin, slotSeconds: Self.planningSlotSeconds,
                                intensityGramsPerKWh: Array(repeating: activeSeries.fallback.gramsPerKWh, count: n))
        }
        if let selection { return .covering(selection.slots, from: now, to: to, slotSeconds: Self.planningSlotSeconds) }
        // A trace: outside it the configured static value is in force (docs/configuration.md), so every
        // slot has a value; a run outside the trace gets the reason `no-forecast` (`apply`).
        let origin = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / Self.planningSlotSeconds).rounded(.down) * Self.planningSlotSeconds)
        let n = max(1, Int((to.timeIntervalSince(origin) / Self.planningSlotSeconds).rounded(.up)))
        let series = parts.series
        return ForecastGrid(origin: origin, slotSeconds: Self.planningSlotSeconds, intensityGramsPerKWh: (0..<n).map { k in
            let a = origin.addingTimeInterval(Double(k) * Self.planningSlotSeconds)
            return series.meanIntensity(from: a, to: a.addingTimeInterval(Self.planningSlotSeconds)).gramsPerKWh
        })
    }

    /// Whether a planned run lies inside real intensity data (not the static value).
    func coveredByData(_ plan: SlotPlan) -> Bool {
        if isStaticIntensity { return false }
        if selection != nil { return !plan.outsideData && plan.predictedCarbonGrams != nil }
        guard let end = plan.runs.last?.end else { return false }
        return parts.series.isCovered(at: plan.start) && parts.series.isCovered(at: end.addingTimeInterval(-1e-3))
    }

    /// Whether the only intensity is the static value (no trace point, no provider slot): it is then
    /// taken as a flat forecast (jobs run at once, reason `no-forecast`) rather than as "no data", which
    /// would hold every job until its latest start for no saving.
    var isStaticIntensity: Bool { selection.map { $0.slots.slots.isEmpty } ?? parts.series.points.isEmpty }

    /// What a job takes from the node.
    func demand(of job: Job) -> JobDemand { JobDemand(cores: Double(job.cores), memoryBytes: Double(job.memoryBytes), gpus: job.gpus) }

    /// A queued job as the planner sees it at `now`: it may start from now (or its submission), must
    /// finish by its deadline, runs its predicted duration (a job resuming from a shutdown checkpoint:
    /// the work it has left, `plannedDurationSeconds`) at its predicted mean power, and is
    /// interruptible and delayed at most as its kind's policy says (`max-delay` counts from submission).
    func plannerJob(_ job: Job, now: Date) -> PlannerJob? {
        guard let id = job.id else { return nil }
        let kind = parts.policy.defaults(for: job.kind)
        let full = max(job.expectedDurationSeconds, 1)
        let d = max(plannedDurationSeconds(job), 1)
        let earliest = max(now, job.submittedAt)
        let maxDelay = kind.maxDelaySeconds.map { max(0, job.submittedAt.addingTimeInterval($0).timeIntervalSince(earliest)) }
        return PlannerJob(id: id, earliestStart: earliest, deadline: job.deadline, durationSeconds: d,
                          durationUncertaintySeconds: job.expectedDurationUncertaintySeconds ?? 0,
                          powerWatts: job.expectedEnergy.joules / full, interruptible: isInterruptible(job),
                          demand: demand(of: job), maxDelaySeconds: maxDelay,
                          minimumSavingFraction: kind.minimumSavingFraction, minimumSavingGrams: kind.minimumSavingGrams)
    }

    /// Re-plans every queued job with `CarbonPlanner` against the forecast in force and the capacity
    /// left by the running jobs (reserved until their predicted end, or their last run interval).
    /// A job keeps its previous plan unless the new one saves at least the policy's
    /// `min-replan-saving`; no plan starts after the job's latest start. Changed plans are saved.
    /// - Parameter at: now (a submission passes its own now, so the new job may start at its submission).
    func replanQueue(at: Date? = nil) {
        scheduling.replanNeeded = false
        let now = at ?? parts.clock.now()
        let queued: [Job]
        do {
            queued = try parts.database.jobs(states: [.queued])
        } catch {
            log.error("reading the queue to re-plan failed; retrying", metadata: ["error": "\(error)"])
            scheduling.replanNeeded = true
            return
        }
        scheduling.resumedRemaining = resumedRemainingSeconds(queued: queued)
        // Started interruptible jobs (running, frozen, or stopped at a checkpoint) have their remaining
        // work re-planned too (`replanStartedWork`), even when nothing is queued.
        let startedDeadlines = scheduling.controls.keys.compactMap { running[$0]?.job.deadline ?? scheduling.suspended[$0]?.job.deadline }
        guard !queued.isEmpty || !startedDeadlines.isEmpty else { scheduling.plans = [:]; return }
        let grid = planningGrid(now: now, until: (queued.map(\.deadline) + startedDeadlines).max()!)
        var planner = CarbonPlanner(grid: grid, capacity: parts.policy.available(of: parts.capacity), settings: parts.policy.planner)
        for (id, r) in running where scheduling.controls[id] == nil {
            let end = scheduling.resumedPredictedEnd[id] ?? (r.job.startedAt ?? now).addingTimeInterval(r.job.expectedDurationSeconds)
            planner.reserveRunning(jobID: id, from: now, until: max(end, now.addingTimeInterval(grid.slotSeconds)), demand: demand(of: r.job))
        }
        for (id, r) in scheduling.suspended where scheduling.controls[id] == nil {
            let end = scheduling.controls[id]?.runs.last?.end ?? now
            planner.reserveRunning(jobID: id, from: now, until: max(end, now.addingTimeInterval(grid.slotSeconds)), demand: demand(of: r.job))
        }
        // A job whose planned start has come is started at this tick, not re-planned: its plan holds.
        var kept: [Int64: SlotPlan] = [:]
        var toPlan: [PlannerJob] = []
        for job in queued {
            guard let pj = plannerJob(job, now: now) else { continue }
            if let p = scheduling.plans[pj.id], p.start <= now, let end = p.runs.last?.end {
                planner.reserveRunning(jobID: pj.id, from: now, until: max(end, now.addingTimeInterval(grid.slotSeconds)), demand: pj.demand)
                kept[pj.id] = p
            } else {
                toPlan.append(pj)
            }
        }
        replanStartedWork(&planner, now: now)
        guard !queued.isEmpty else { scheduling.plans = [:]; nextDue = nil; return }
        let decided = minimumSavingDecided(queued: toPlan, previous: scheduling.plans)
        let plans = planner.replan(toPlan, previous: scheduling.plans, minimumSavingDecided: decided)
        recordMinimumSavingDecisions(plans, decided: decided, previous: scheduling.plans, at: now)
        let byID = Dictionary(uniqueKeysWithValues: queued.compactMap { j in j.id.map { ($0, j) } })
        for plan in plans {
            kept[plan.jobID] = plan
            guard var job = byID[plan.jobID] else { continue }
            let before = job
            apply(plan, to: &job)
            if job != before { persist(planned: job) }
        }
        scheduling.plans = kept
        nextDue = nil
    }

    /// Writes a plan into the stored job: start, latest start (only ever earlier; for a job resuming
    /// from a shutdown checkpoint, the one of its remaining work), predicted carbon and intensity (the
    /// static value where the forecast has no data), and the reason code.
    func apply(_ plan: SlotPlan, to job: inout Job) {
        let d = plannedDurationSeconds(job)
        let resumed = d != job.expectedDurationSeconds
        // The energy of the run planned: all of it, or the remaining share for a resumed job.
        let kWh = job.expectedEnergy.joules / 3_600_000 * (resumed && job.expectedDurationSeconds > 0 ? d / job.expectedDurationSeconds : 1)
        let series = activeSeries
        let fallback = { (s: Date) in series.meanIntensity(from: s, to: s.addingTimeInterval(d)).gramsPerKWh * kWh }
        job.plannedStart = plan.start
        // A resumed job has less work left than at its submission: its latest start is that of the
        // remaining work (deadline − remaining − margin), which the planner computed.
        job.latestStart = resumed ? plan.latestStart : min(job.latestStart, plan.latestStart)
        let predicted = plan.predictedCarbonGrams ?? fallback(plan.start)
        job.predictedCarbon = CarbonGrams(predicted)
        job.runNowCarbon = CarbonGrams(plan.runNowCarbonGrams ?? fallback(max(parts.clock.now(), job.submittedAt)))
        job.plannedIntensity = IntensityGramsPerKWh(kWh > 0 ? predicted / kWh : 0)
        job.planReason = !coveredByData(plan) && plan.reason != .capacityBound ? PlanReason.noForecast.rawValue : plan.reason.rawValue
        if isStaticIntensity {   // exactly the static value (no rounding through grams and back)
            job.plannedIntensity = activeSeries.fallback
            job.predictedCarbon = CarbonGrams(activeSeries.fallback.gramsPerKWh * kWh)
        }
    }

    private func persist(planned job: Job) {
        do {
            try parts.database.update(job)
        } catch {
            log.error("saving a re-planned job failed", metadata: ["job.id": "\(job.id ?? -1)", "error": "\(error)"])
        }
    }

    /// Whether `job` fits on the node beside the running jobs now (the policy's reservation kept free).
    func fitsNow(_ job: Job) -> Bool {
        let cap = parts.policy.available(of: parts.capacity)
        guard cap.isLimited else { return true }
        var cores = Double(job.cores), gpus = job.gpus, memory = Double(job.memoryBytes)
        for r in running.values { cores += Double(r.job.cores); gpus += r.job.gpus; memory += Double(r.job.memoryBytes) }
        return cores <= cap.cores + 1e-9 && gpus <= cap.gpus && memory <= cap.memoryBytes + 0.5
            && running.count + 1 <= cap.maxConcurrentJobs
    }

    /// Called when a job has been started: an interruptible plan with run intervals is followed from now on.
    func beginRunIntervals(id: Int64, startedAt: Date) {
        if let remaining = scheduling.resumedRemaining.removeValue(forKey: id) {
            scheduling.resumedPredictedEnd[id] = startedAt.addingTimeInterval(remaining)
        }
        let duration = scheduling.resumedPredictedEnd[id].map { $0.timeIntervalSince(startedAt) } ?? running[id]?.job.expectedDurationSeconds ?? 0
        // Every interruptible job follows its runs (a single run too: a re-plan of its remaining work
        // may split it later, `replanStartedWork`).
        guard let plan = scheduling.plans.removeValue(forKey: id), !plan.runs.isEmpty,
              let job = running[id]?.job, isInterruptible(job) else { return }
        // The scheduler wakes at least every 100 ms of real time: that much trace time (plus 1 s) of lateness is tolerated.
        let slack = 1 + 0.1 * (parts.clock.replay?.speed ?? 1)
        scheduling.controls[id] = RunIntervalControl(runs: plan.runs, expectedDurationSeconds: duration,
                                                     startedAt: startedAt, slackSeconds: slack)
        saveRunIntervals(id: id, runs: plan.runs, at: startedAt)
        log.info("interruptible job follows its run intervals", metadata: ["job.id": "\(id)", "runs": "\(plan.runs.count)"])
    }

    /// Called when a job has ended: its capacity is free, so the queue is re-planned.
    func planningJobEnded(id: Int64) {
        scheduling.controls[id] = nil
        scheduling.suspended[id] = nil
        scheduling.resumedPredictedEnd[id] = nil
        scheduling.resumedRemaining[id] = nil
        scheduling.replanNeeded = true
    }

    /// Pauses and resumes running interruptible jobs through the executor's freezer as their run
    /// intervals say. - Returns: real seconds until the next interval boundary, or nil.
    func driveRunIntervals() -> Double? {
        guard !scheduling.controls.isEmpty else { return nil }
        let now = parts.clock.now()
        var next: Date?
        let escalation = escalateCheckpointStops()
        for (id, var c) in scheduling.controls {
            if scheduling.suspended[id] != nil {
                // Stopped at its checkpoint: started again when its next run interval begins.
                if c.decide(at: now) == .resume {
                    guard restartFromCheckpoint(id: id) else { continue }
                    c.didResume(at: now)
                }
                scheduling.controls[id] = c
                if let b = c.nextBoundary(after: now) { next = min(next ?? b, b) }
                continue
            }
            guard let r = running[id] else { scheduling.controls[id] = nil; continue }
            if r.stopping != nil || r.checkpointSignalledNanos != nil { continue }
            switch c.decide(at: now) {
            case .none: break
            case .pause where r.job.checkpointSignal != nil:
                guard sendCheckpointSignal(id: id) else { scheduling.controls[id] = nil; continue }
                c.didPause(at: now)
            case .pause:
                do {
                    try parts.executor.pause(r.handle)
                    c.didPause(at: now)
                    log.info("interruptible job paused until its next run interval", metadata: ["job.id": "\(id)"])
                } catch {
                    // No freezer: the job runs straight through (never later than its plan).
                    log.warning("cannot pause an interruptible job; it runs through", metadata: ["job.id": "\(id)", "error": "\(error)"])
                    scheduling.controls[id] = nil
                    continue
                }
            case .resume:
                do {
                    try parts.executor.resume(r.handle)
                    c.didResume(at: now)
                    log.info("interruptible job resumed", metadata: ["job.id": "\(id)"])
                } catch {
                    log.error("cannot resume a paused job; retrying", metadata: ["job.id": "\(id)", "error": "\(error)"])
                }
            }
            scheduling.controls[id] = c
            if let b = c.nextBoundary(after: now) { next = min(next ?? b, b) }
        }
        let wait = next.map { parts.clock.realSeconds(until: $0) }
        guard let escalation else { return wait }
        return min(wait ?? escalation, escalation)
    }

    /// Whether a running job is frozen now (shown by `verdant plan`).
    func isPaused(id: Int64) -> Bool { scheduling.controls[id]?.isPaused ?? false }

    /// Notes the intensity selection in force; a change (new forecast, new source) triggers a re-plan.
    func noteForecast() {
        var h = Hasher()
        if let s = selection {
            h.combine(s.source)
            h.combine(s.slots.slots.count)
            for slot in s.slots.slots { h.combine(slot.start); h.combine(slot.value) }
        }
        let digest = h.finalize()
        if digest != scheduling.forecastDigest {
            scheduling.forecastDigest = digest
            scheduling.replanNeeded = true
        }
    }

    /// The best carbon (g) the job could have had with a perfect forecast: its cheapest window (or slot
    /// set, when interruptible) in [submission, deadline] priced with the actual intensities; nil until
    /// actual data covers that whole span (without a provider chain, the trace is the actual).
    func oracleCarbonGrams(_ job: Job) -> Double? {
        guard let id = job.id else { return nil }
        let from = job.submittedAt, to = job.deadline
        guard to > from else { return nil }
        let grid: ForecastGrid
        if parts.intensityChain != nil {
            guard let actual = try? parts.database.slots(zone: parts.intensityZone, from: from, to: to, forecasts: false) else { return nil }
            grid = .covering(IntensitySlotSeries(slots: actual, fallback: activeSeries.fallback), from: from, to: to, slotSeconds: Self.planningSlotSeconds)
        } else {
            grid = .covering(parts.series, from: from, to: to, slotSeconds: Self.planningSlotSeconds)
        }
        // Slots before the submission instant (the grid is floored) do not matter.
        let first = Int((from.timeIntervalSince(grid.origin) / grid.slotSeconds).rounded(.down))
        guard grid.intensityGramsPerKWh[max(first, 0)...].allSatisfy({ $0 != nil }) else { return nil }
        var planner = CarbonPlanner(grid: grid, settings: PlannerSettings(marginSigmas: 0, minimumReplanSaving: 0, hedge: 0))
        let d = max(job.expectedDurationSeconds, 1)
        let plan = planner.add(PlannerJob(id: id, earliestStart: from, deadline: to, durationSeconds: d,
                                          powerWatts: job.expectedEnergy.joules / d, interruptible: isInterruptible(job)))
        return plan.outsideData ? nil : plan.predictedCarbonGrams
    }

    /// The plan view of a queued or running job: its run intervals (interruptible jobs), the oracle's carbon, and whether it is paused.
    func planView(_ j: Job, base: JobView) -> JobView {
        var v = base
        guard let id = j.id else { return v }
        if let p = scheduling.plans[id] {
            v.planRuns = p.runs.map { PlanRunView(start: $0.start, end: $0.end) }
            v.planOverCapacity = p.overCapacity
            v.planOutsideData = p.outsideData
        } else if let c = scheduling.controls[id] {
            v.planRuns = c.runs.map { PlanRunView(start: $0.start, end: $0.end) }
        }
        if j.state == .running { v.paused = isPaused(id: id) }
        v.oracleCarbonGrams = oracleCarbonGrams(j)
        return v
    }
}
