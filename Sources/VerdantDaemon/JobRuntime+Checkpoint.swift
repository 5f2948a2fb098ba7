import Foundation
import Logging
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoint-and-restart for interruptible jobs that declare it (issue 6): instead of being frozen
/// between run intervals, the job gets its checkpoint signal at the end of a run interval, has its
/// grace period to save its progress and exit (then SIGTERM, and SIGKILL 5 s later), and is started
/// again with the same command at its next run interval, with `VERDANT_RESTART_COUNT` = restarts so far.
/// The job stays `running` in the store throughout; its energy and CPU time add up over its processes.
extension JobRuntime {
    /// Seconds between the SIGTERM that ends a grace period and the SIGKILL.
    static let checkpointKillAfterSeconds: Double = 5

    /// Reads a submission's `interruptible`, `checkpoint_signal` and `checkpoint_grace` into the job.
    /// A checkpoint signal makes the job interruptible.
    /// - Throws: `APIError.badRequest` naming the flag for a signal that cannot be caught, a bad
    ///   duration, or a grace period without a signal.
    func applyCheckpointRequest(_ r: SubmitRequest, to job: inout Job) throws {
        if let s = r.checkpointSignal {
            guard let n = CheckpointSignal.parse(s) else {
                throw APIError.badRequest("--checkpoint-signal '\(s)' is not a signal a job can catch: use e.g. SIGUSR1, SIGUSR2, SIGINT or SIGTERM")
            }
            job.checkpointSignal = n
        }
        if let g = r.checkpointGrace {
            guard job.checkpointSignal != nil else {
                throw APIError.badRequest("--checkpoint-grace needs --checkpoint-signal: the grace period follows the checkpoint signal")
            }
            guard let seconds = DurationSyntax.parseSeconds(g), seconds >= 0, seconds <= 3600 else {
                throw APIError.badRequest("--checkpoint-grace '\(g)' is not a duration of at most 1h: use e.g. 30s or 2m")
            }
            job.checkpointGraceSeconds = seconds
        }
        if let i = r.interruptible { job.interruptible = i }
        if job.checkpointSignal != nil {
            if job.interruptible == false {
                throw APIError.badRequest("--checkpoint-signal is for interruptible jobs: drop 'interruptible: false' or the signal")
            }
            job.interruptible = true
        }
    }

    /// Whether a job may be paused: its own `--interruptible` / `--checkpoint-signal`, else its kind's policy.
    func isInterruptible(_ job: Job) -> Bool {
        job.interruptible ?? parts.policy.defaults(for: job.kind).interruptible
    }

    /// A launch environment with `VERDANT_RESTART_COUNT` for checkpoint-mode jobs (unchanged otherwise).
    static func checkpointEnvironment(_ environment: [String], job: Job) -> [String] {
        guard job.checkpointSignal != nil else { return environment }
        let name = CheckpointSignal.restartCountVariable
        return environment.filter { !$0.hasPrefix(name + "=") } + ["\(name)=\(job.restartCount)"]
    }

    /// At the end of a run interval: sends the job its checkpoint signal and starts its grace period.
    /// - Returns: false when the executor cannot deliver it (the job then runs through).
    func sendCheckpointSignal(id: Int64) -> Bool {
        guard var r = running[id], let sig = r.job.checkpointSignal else { return false }
        do {
            try parts.executor.signal(r.handle, sig)
        } catch {
            log.warning("cannot send the checkpoint signal; the job runs through", metadata: ["job.id": "\(id)", "error": "\(error)"])
            return false
        }
        r.checkpointSignalledNanos = monotonicNanos()
        r.checkpointStopsSent = 0
        running[id] = r
        log.info("checkpoint signal sent at the end of a run interval",
                 metadata: ["job.id": "\(id)", "signal": "\(CheckpointSignal.name(sig))",
                            "grace_s": "\(r.job.checkpointGraceSeconds ?? CheckpointSignal.defaultGraceSeconds)"])
        return true
    }

    /// Stops jobs still running after their grace period (SIGTERM, then SIGKILL).
    /// - Returns: real seconds until the next such step, or nil when none is pending.
    func escalateCheckpointStops() -> Double? {
        var next: Double?
        let now = monotonicNanos()
        for (id, r) in running {
            guard let since = r.checkpointSignalledNanos else { continue }
            let grace = r.job.checkpointGraceSeconds ?? CheckpointSignal.defaultGraceSeconds
            let elapsed = Double(now &- since) / 1e9
            let due = r.checkpointStopsSent == 0 ? grace : grace + Self.checkpointKillAfterSeconds
            guard r.checkpointStopsSent < 2 else { continue }
            if elapsed >= due {
                parts.executor.stop(r.handle, mode: r.checkpointStopsSent == 0 ? .terminate : .kill)
                running[id]?.checkpointStopsSent += 1
                log.warning("job did not exit within its checkpoint grace period; stopping it",
                            metadata: ["job.id": "\(id)", "signal": r.checkpointStopsSent == 0 ? "SIGTERM" : "SIGKILL"])
                next = min(next ?? Self.checkpointKillAfterSeconds, Self.checkpointKillAfterSeconds)
            } else {
                next = min(next ?? (due - elapsed), due - elapsed)
            }
        }
        return next
    }

    /// Called first when a job's process ends: a checkpoint-mode job that ended after its checkpoint
    /// signal (exit 0, or killed by that signal, SIGTERM or SIGKILL) is set aside until its next run
    /// interval instead of finishing; any other end (a failure) finishes it as usual.
    /// - Returns: whether the job was set aside.
    func suspendAtCheckpoint(id: Int64, exit: JobEnd) -> Bool {
        // At shutdown a job without run intervals (one contiguous run) is checkpointed too.
        guard var r = running[id], r.checkpointSignalledNanos != nil, scheduling.controls[id] != nil || shuttingDown else { return false }
        let sig = r.job.checkpointSignal
        guard exit.exitCode == 0 || exit.signal == sig || exit.signal == SIGTERM || exit.signal == SIGKILL else { return false }
        running[id] = nil
        let cpu = exit.cpuSeconds ?? r.last.jobCPUSeconds
        if let reading = try? parts.sensor.read() {
            let time = parts.clock.time(atMonotonicNanos: reading.monotonicNanos)
            let interval = Attribution.interval(from: r.last, to: JobReading(node: reading, time: time, jobCPUSeconds: cpu),
                                                model: parts.model, series: activeSeries, profile: parts.sensor.profile,
                                                learned: learnedModel)
            r.totals.add(interval)
            pendingIntervals.append(JobIntervalRecord(jobID: id, interval: interval))
            r.last = JobReading(node: reading, time: time, jobCPUSeconds: 0)
        }
        r.cpuSecondsBefore += cpu
        r.checkpointSignalledNanos = nil
        r.checkpointStopsSent = 0
        scheduling.suspended[id] = r
        log.info("job stopped at its checkpoint; it restarts at its next run interval",
                 metadata: ["job.id": "\(id)", "exit_code": "\(exit.exitCode ?? -1)", "signal": "\(exit.signal ?? 0)"])
        return true
    }

    /// At its next run interval: starts a job set aside at its checkpoint again, same command, with
    /// `VERDANT_RESTART_COUNT` one higher. A launch failure finishes the job as failed.
    /// - Returns: whether it runs again (false also when the node could not be read: retried next tick).
    func restartFromCheckpoint(id: Int64) -> Bool {
        guard var r = scheduling.suspended[id] else { return false }
        guard let reading = try? parts.sensor.read() else { return false }
        scheduling.suspended[id] = nil
        r.job.restartCount += 1
        let base = r.gpuIndices.isEmpty ? r.job.environment : GPUAllocator.environment(r.job.environment, withGPUs: r.gpuIndices)
        let logPath = r.job.logPath ?? (parts.stateDirectory as NSString).appendingPathComponent("logs/job-\(id).log")
        let request = JobLaunchRequest(jobID: id, command: r.job.command, workingDirectory: r.job.workingDirectory,
                                       environment: Self.checkpointEnvironment(base, job: r.job), uid: r.job.uid, gid: r.job.gid,
                                       logPath: logPath, memoryMaxBytes: r.job.memoryBytes > 0 ? UInt64(r.job.memoryBytes) : nil)
        r.last = JobReading(node: reading, time: parts.clock.time(atMonotonicNanos: reading.monotonicNanos), jobCPUSeconds: 0)
        do {
            r.handle = try parts.executor.launch(request)
        } catch {
            r.stopping = (.failed, "could not restart after its checkpoint: \(error)")
            running[id] = r
            jobExited(id: id, exit: JobEnd(exitCode: nil, signal: nil, cpuSeconds: 0))
            return false
        }
        r.job.pid = r.handle.pid
        r.job.cgroupPath = r.handle.cgroupPath
        r.job.executorReference = r.handle.reference
        running[id] = r
        do { try parts.database.update(r.job) } catch {
            log.error("saving a restarted job failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
        follow(id: id, handle: r.handle)
        log.info("job restarted from its checkpoint", metadata: ["job.id": "\(id)", "restart_count": "\(r.job.restartCount)"])
        return true
    }

    /// Finishes a job set aside at its checkpoint (cancelled, or the daemon shuts down) with `state`.
    func finishSuspended(id: Int64, state: JobState, reason: String) {
        guard var r = scheduling.suspended.removeValue(forKey: id) else { return }
        r.stopping = (state, reason)
        running[id] = r
        jobExited(id: id, exit: JobEnd(exitCode: nil, signal: nil, cpuSeconds: 0))
    }

    /// `verdant cancel` of a job set aside at its checkpoint: finished as cancelled at once.
    func cancelSuspended(id: Int64, caller: Caller) -> Bool {
        guard scheduling.suspended[id] != nil else { return false }
        finishSuspended(id: id, state: .cancelled, reason: "cancelled by uid \(caller.uid) while stopped at a checkpoint between run intervals")
        return true
    }

}
