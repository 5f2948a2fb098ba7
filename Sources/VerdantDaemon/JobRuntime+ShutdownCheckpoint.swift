import Foundation
import Logging
import VerdantCore
import VerdantSensors
import VerdantStore
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoint-mode jobs (`--checkpoint-signal`) across a clean daemon shutdown (issue 6): they are not
/// recorded `lost`. A running one gets its checkpoint signal instead of SIGTERM and its grace period
/// (capped by the shutdown's own grace, then SIGTERM; SIGKILL when the shutdown's grace is over); once
/// it has exited it is set aside like at the end of a run interval (`suspendAtCheckpoint`). Every job
/// set aside is then written back `queued`, with its first start, CPU time, energy and carbon so far
/// (its intervals are stored); after the restart the queue is re-planned and the job is launched again
/// with `VERDANT_RESTART_COUNT` one higher, its earlier intervals counted in its totals.
extension JobRuntime {
    /// Signals every running checkpoint-mode job and waits until they have exited or `graceSeconds`
    /// (real time) has passed; SIGTERM follows the checkpoint signal after min(the job's grace,
    /// `graceSeconds` − 2 s, at least half of it). Jobs that do not exit are left to `shutdown`'s SIGKILL.
    func checkpointAtShutdown(graceSeconds: Double) async {
        let ids = running.filter { $0.value.job.checkpointSignal != nil && $0.value.stopping == nil }.map(\.key)
        guard !ids.isEmpty else { return }
        var signalled: [Int64] = []
        for id in ids {
            if running[id]?.checkpointSignalledNanos != nil || sendCheckpointSignal(id: id) { signalled.append(id) }
        }
        let started = monotonicNanos()
        let termAfter = max(graceSeconds - 2, graceSeconds / 2)
        var terminated = Set<Int64>()
        while signalled.contains(where: { running[$0] != nil }) {
            let elapsed = Double(monotonicNanos() &- started) / 1e9
            if elapsed >= graceSeconds { break }
            for id in signalled where !terminated.contains(id) {
                guard let r = running[id] else { continue }
                let grace = min(r.job.checkpointGraceSeconds ?? CheckpointSignal.defaultGraceSeconds, termAfter)
                if elapsed >= grace {
                    parts.executor.stop(r.handle, mode: .terminate)
                    terminated.insert(id)
                    log.warning("job did not exit within its checkpoint grace period at shutdown; SIGTERM", metadata: ["job.id": "\(id)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether `job`, leaving the queue, is a checkpoint-mode job that ran before a daemon shutdown
    /// (`requeueSuspendedAtShutdown` keeps its first start): it is resumed, not started afresh.
    func resumesFromShutdownCheckpoint(_ job: Job) -> Bool {
        job.checkpointSignal != nil && job.startedAt != nil && job.state == .queued
    }

    /// A resumed job's totals and CPU time start from what its earlier processes were charged (its
    /// stored intervals), so its final energy and carbon cover the whole run.
    func seedResumedRun(id: Int64) {
        guard var r = running[id] else { return }
        do {
            for i in try parts.database.intervals(jobID: id) {
                r.totals.addStored(JobEnergyInterval(start: i.startAt, end: i.endAt, energy: i.energy, source: i.source,
                                                     cpuSeconds: i.cpuSeconds, intensity: i.intensity))
            }
        } catch {
            log.error("cannot read a resumed job's earlier intervals; its totals start from now", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
        r.cpuSecondsBefore = r.job.cpuSeconds ?? 0
        running[id] = r
        log.info("job resumed from the checkpoint it took at a daemon shutdown",
                 metadata: ["job.id": "\(id)", "restart_count": "\(r.job.restartCount)"])
    }

    /// Writes every job set aside at its checkpoint back to the queue with its run so far: state
    /// `queued`, first start kept, CPU time, energy and carbon so far (the intervals go out with the
    /// shutdown's flush). The next daemon plans and resumes it.
    func requeueSuspendedAtShutdown() {
        for (id, r) in scheduling.suspended {
            var job = r.job
            job.state = .queued
            job.pid = nil
            job.cpuSeconds = r.cpuSecondsBefore
            if !r.totals.isEmpty {
                job.energySource = r.totals.combinedSource
                let known = job.energySource?.hasValue ?? false
                job.energy = known ? r.totals.energy : nil
                job.carbon = known ? r.totals.carbon : nil
            }
            job.reason = "stopped at its checkpoint when verdantd shut down; it resumes (VERDANT_RESTART_COUNT=\(job.restartCount + 1)) when verdantd is back"
            do {
                try parts.database.update(job)
                log.notice("checkpointed job queued again at shutdown", metadata: ["job.id": "\(id)"])
            } catch {
                log.error("cannot queue a checkpointed job again at shutdown; it is recorded lost at the next start",
                          metadata: ["job.id": "\(id)", "error": "\(error)"])
            }
            scheduling.controls[id] = nil
        }
        scheduling.suspended = [:]
    }
}
