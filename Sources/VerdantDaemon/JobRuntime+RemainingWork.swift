import Foundation
import Logging
import VerdantCore
import VerdantStore

// MARK: Re-planning the remaining work of started interruptible jobs (issue 6; `--replan-scope remaining`).

extension JobRuntime {
    /// Re-plans the work left of every started interruptible job (running, frozen between its run
    /// intervals, or stopped at its checkpoint) as `verdant simulate --replan` does with its default
    /// `--replan-scope remaining`: the run in progress is kept up to the next slot boundary, and the
    /// work left after it (expected duration − run time so far) is planned again as an interruptible
    /// job whose latest start is deadline − work left − margin (`RunIntervalControl.remainingWork`).
    /// Its runs move only when the new plan saves more than `min-replan-saving` of its predicted
    /// carbon (`CarbonPlanner.replan`, the queue's no-churn rule), never onto slots without data; the
    /// new runs are followed at once (frozen outside them, thawed in them) and stored
    /// (`job_run_intervals`). Each job then holds the planner's capacity from now to its last run (a
    /// frozen job keeps its memory and GPUs), so the queue is planned around it.
    /// Called by `replanQueue` after the running jobs without intervals are reserved.
    /// - Returns: the ids handled here (reserved on `planner`).
    @discardableResult
    func replanStartedWork(_ planner: inout CarbonPlanner, now: Date) -> Set<Int64> {
        var jobs: [PlannerJob] = []
        var previous: [Int64: SlotPlan] = [:]
        var work: [Int64: RunIntervalControl.RemainingWork] = [:]
        var handled = Set<Int64>()
        var demands: [Int64: JobDemand] = [:]
        for (id, c) in scheduling.controls {
            let job: Job
            var replannable = true
            if let r = running[id] {
                job = r.job
                // Being stopped, or signalled to checkpoint: its runs are left as they are.
                replannable = r.stopping == nil && r.checkpointSignalledNanos == nil
            } else if let r = scheduling.suspended[id] {
                job = r.job
            } else {
                continue
            }
            handled.insert(id)
            let d = demand(of: job)
            demands[id] = d
            let w = c.remainingWork(at: now, slotSeconds: planner.grid.slotSeconds)
            guard replannable, w.seconds >= 1 else { continue }
            if w.committedUntil > now {
                // The run in progress, under its own key (−id) so re-planning the job keeps it reserved.
                planner.reserveRunning(jobID: -id, from: now, until: w.committedUntil, demand: d)
            }
            work[id] = w
            let full = max(job.expectedDurationSeconds, 1)
            jobs.append(PlannerJob(id: id, earliestStart: w.committedUntil, deadline: job.deadline, durationSeconds: w.seconds,
                                   durationUncertaintySeconds: job.expectedDurationUncertaintySeconds ?? 0,
                                   powerWatts: job.expectedEnergy.joules / full, interruptible: true, demand: d))
            previous[id] = w.previousPlan(jobID: id)
        }
        if !jobs.isEmpty {
            // `min-saving` (run now rather than defer) was decided when each job was first planned.
            let plans = planner.replan(jobs, previous: previous, minimumSavingDecided: Set(jobs.map(\.id)))
            for plan in plans {
                guard var c = scheduling.controls[plan.jobID], let w = work[plan.jobID] else { continue }
                if let old = w.previousRuns, plan.runs == old { continue }
                // A fresh plan that has no data behind it (the provider gone) does not replace the runs.
                guard !plan.outsideData, plan.predictedCarbonGrams != nil else { continue }
                let before = c.runs
                c.replaceRuns(after: w.committedUntil, with: plan.runs)
                guard c.runs != before else { continue }
                scheduling.controls[plan.jobID] = c
                saveRunIntervals(id: plan.jobID, runs: c.runs, at: now)
                log.info("started interruptible job's remaining work re-planned", metadata: [
                    "job.id": "\(plan.jobID)", "work_left_s": "\(Int(w.seconds.rounded()))",
                    "runs": "\(c.runs.filter { $0.end > now }.map { "\(ISO8601.string($0.start))–\(ISO8601.string($0.end))" })"])
            }
        }
        // Each started job holds its capacity from now to its last run.
        for id in handled {
            planner.remove(jobID: id)
            planner.remove(jobID: -id)
            guard let c = scheduling.controls[id], let d = demands[id] else { continue }
            var end = c.runs.last?.end ?? now
            if let r = running[id] {
                end = max(end, scheduling.resumedPredictedEnd[id] ?? (r.job.startedAt ?? now).addingTimeInterval(r.job.expectedDurationSeconds))
            }
            planner.reserveRunning(jobID: id, from: now, until: max(end, now.addingTimeInterval(planner.grid.slotSeconds)), demand: d)
        }
        return handled
    }

    /// Stores the run intervals a started job follows (`job_run_intervals`); a failed write is logged
    /// (the job follows them anyway; only a crash restart would miss them).
    func saveRunIntervals(id: Int64, runs: [DateInterval], at time: Date) {
        do {
            try parts.database.saveRunIntervals(jobID: id, runs: runs, at: time)
        } catch {
            log.error("saving a job's run intervals failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
    }

    /// A job re-adopted after a daemon restart follows the run intervals stored for it: it is thawed
    /// (it may have been frozen when the daemon died) and its control is rebuilt, its run time so
    /// far taken as the stored runs' part up to now; the queue is then re-planned, its remaining work
    /// included.
    func restoreRunIntervals(_ job: Job, handle: JobExecutorHandle, now: Date) {
        guard let id = job.id, isInterruptible(job) else { return }
        func thaw() {   // it may have been frozen when the daemon died
            do {
                try parts.executor.resume(handle)
            } catch {
                log.warning("cannot thaw a re-adopted job (it may not have been frozen)", metadata: ["job.id": "\(id)", "error": "\(error)"])
            }
        }
        let stored: [DateInterval]?
        do {
            stored = try parts.database.runIntervals(jobID: id)
        } catch {
            // Thawed and left to run (no intervals to follow: running never risks the deadline).
            log.error("cannot read a re-adopted job's stored run intervals; it is thawed and runs on",
                      metadata: ["job.id": "\(id)", "error": "\(error)"])
            thaw()
            return
        }
        guard let runs = stored, !runs.isEmpty else { return }
        thaw()
        let slack = 1 + 0.1 * (parts.clock.replay?.speed ?? 1)
        scheduling.controls[id] = RunIntervalControl(restoring: runs, expectedDurationSeconds: job.expectedDurationSeconds,
                                                     startedAt: job.startedAt ?? now, now: now, slackSeconds: slack)
        scheduling.replanNeeded = true
        log.info("re-adopted interruptible job follows its stored run intervals", metadata: ["job.id": "\(id)", "runs": "\(runs.count)"])
    }
}
