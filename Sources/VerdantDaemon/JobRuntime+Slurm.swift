import Foundation
import Logging
import VerdantAPI
import VerdantCore
import VerdantStore

// MARK: Executor `slurm` (issue 9)
//
// A job is planned as usual, then handed to Slurm at once with its planned start as `--begin`
// (the way CATS submits), and followed with `squeue`/`sacct` until it ends. While Slurm cannot be
// reached a job waits in Verdant's queue (`slurm_jobs.slurm_state = UNSUBMITTED`) and is submitted
// at the next poll that reaches it: none is lost.

/// How the last exchange with the batch scheduler went, for `verdant status`.
struct BatchHealth: Sendable {
    /// Set while the scheduler cannot be reached: since when (real time) and why.
    var unreachableSince: Date?
    var lastError: String?
}

extension JobRuntime {
    /// The cluster's seconds for a daemon-time span (real time; in replay mode a trace span / speed).
    func realSpanSeconds(_ daemonSeconds: Double) -> Double {
        daemonSeconds / (parts.clock.replay?.speed ?? 1)
    }

    /// The deadline the planner uses for a Slurm job: Slurm starts a job only while its whole time
    /// limit still fits before `--deadline` (sbatch(1), "--deadline"; a job past that point ends in
    /// state `DEADLINE`), and only at a scheduling pass, so the latest start is the deadline minus the
    /// time limit minus `batchSchedulingSlackSeconds`, not minus the expected duration.
    func batchPlanningDeadline(_ deadline: Date, expectedSeconds: Double) -> Date {
        let speed = parts.clock.replay?.speed ?? 1
        let limitSeconds = Double(BatchTimeLimit.minutes(expectedSeconds: realSpanSeconds(expectedSeconds)) * 60)
        let reserve = (limitSeconds + Self.batchSchedulingSlackSeconds) * speed
        return deadline.addingTimeInterval(-max(0, reserve - expectedSeconds))
    }

    /// Real seconds kept between a Slurm job's latest begin and the last moment Slurm may start it:
    /// slurmctld's main scheduler runs every `sched_interval` (default 60 s, slurm.conf(5)), so a job
    /// eligible at its begin time may start up to that much later.
    static let batchSchedulingSlackSeconds = 60.0

    /// Uses another intensity series for plans from now on (a forecast that changed outside the
    /// provider chain, e.g. a reloaded trace); with executor slurm, pending jobs are re-planned.
    func useSeries(_ series: IntensitySeries, source: String) async {
        parts.series = series
        parts.intensitySource = source
        await replanBatchJobs()
    }

    /// The cluster resources of a submission, checked.
    /// - Throws: `APIError.badRequest` naming the field and what to give.
    func batchResources(_ r: SubmitRequest) throws -> BatchResources {
        var res = BatchResources(partition: r.partition, cpusPerTask: r.cores, gpus: r.gpus)
        if let p = r.partition, p.isEmpty || p.contains(where: { $0.isWhitespace || $0 == "," }) {
            throw APIError.badRequest("--partition '\(p)' is not a partition name: give one name, e.g. --partition gpu")
        }
        if let c = r.cores, c < 1 { throw APIError.badRequest("--cores \(c) must be at least 1") }
        if let g = r.gpus, g < 0 { throw APIError.badRequest("--gpus \(g) must not be negative") }
        if let m = r.memory {
            guard let mib = BatchResources.mebibytes(parsing: m) else {
                throw APIError.badRequest("--mem '\(m)' is not a memory size: use Slurm's syntax, e.g. 500M, 4G or 512 (MiB)")
            }
            res.memoryMebibytes = mib
        }
        return res
    }

    /// Hands a new job to the batch scheduler (stores it first, so a failed hand-over loses nothing).
    func handOver(_ job: Job, resources: BatchResources) async throws -> Job {
        guard let batch = parts.batch else { return job }
        let cluster = await batch.clusterName
        let limit = BatchTimeLimit.minutes(expectedSeconds: realSpanSeconds(job.expectedDurationSeconds))
        var job = job
        job.executor = "slurm"
        let (stored, record) = try parts.database.insert(job) { id in
            SlurmJobRecord(jobID: id, cluster: cluster, resources: resources, timeLimitMinutes: limit)
        }
        let (after, _) = await submitToBatch(stored, record)
        return after
    }

    /// One `sbatch` of a job that is not yet on the cluster; records the outcome.
    @discardableResult
    func submitToBatch(_ queued: Job, _ rec: SlurmJobRecord) async -> (Job, SlurmJobRecord) {
        guard let batch = parts.batch, let id = queued.id else { return (queued, rec) }
        var job = queued, r = rec
        let nowReal = Date()
        // A plan made before an outage may lie in the past: Slurm then starts the job when it can.
        let begin = max(parts.clock.realDate(of: job.plannedStart), nowReal).roundedUpToSecond
        let output = (job.workingDirectory as NSString).appendingPathComponent("verdant-\(id)-%j.out")
        let submission = BatchSubmission(jobName: "verdant-\(id)", command: job.command, workingDirectory: job.workingDirectory,
                                         environment: job.environment, uid: job.uid, gid: job.gid, begin: begin,
                                         deadline: parts.clock.realDate(of: job.deadline).roundedDownToSecond,
                                         timeLimitMinutes: r.timeLimitMinutes, resources: r.resources, outputPath: output)
        do {
            let slurmID = try await batch.submit(submission)
            r.slurmJobID = slurmID
            r.slurmState = "PENDING"
            job.executor = "slurm"
            job.executorReference = String(slurmID)
            r.beginAt = begin
            r.submittedAt = nowReal
            r.message = nil
            job.logPath = output.replacingOccurrences(of: "%j", with: String(slurmID))
            batchHealth = BatchHealth()
            log.info("job handed to Slurm", metadata: ["job.id": "\(id)", "slurm.job_id": "\(slurmID)", "cluster": "\(r.cluster)",
                                                       "begin": "\(SlurmTime.string(begin))"])
        } catch BatchSchedulerError.refused(let message) {
            r.slurmState = "REFUSED"
            r.message = message
            job.executor = "slurm"
            job.state = .failed
            job.endedAt = parts.clock.now()
            job.reason = "refused by Slurm: \(message)"
            job.energySource = .unavailable
            batchHealth = BatchHealth()
            log.warning("Slurm refused a job", metadata: ["job.id": "\(id)", "message": "\(message)"])
        } catch {
            let message = (error as? BatchSchedulerError)?.description ?? "\(error)"
            r.attempts += 1
            r.message = "waiting in Verdant's queue: Slurm \(message)"
            if batchHealth.unreachableSince == nil { batchHealth.unreachableSince = nowReal }
            batchHealth.lastError = message
            log.warning("Slurm unreachable; the job waits in Verdant's queue", metadata: ["job.id": "\(id)", "error": "\(message)"])
        }
        do {
            try parts.database.update(job, slurm: r)
        } catch {
            log.error("saving a Slurm job failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
        return (job, r)
    }

    /// One poll: submits jobs still waiting for Slurm, then reads the state of the others and records
    /// changes (start, end, elapsed, exit code, energy where accounting has it).
    public func followBatchJobs() async {
        guard let batch = parts.batch else { return }
        let open: [Job]
        let records: [Int64: SlurmJobRecord]
        do {
            open = try parts.database.jobs(states: [.queued, .running])
            records = try parts.database.slurmJobs(jobIDs: open.compactMap(\.id))
        } catch {
            log.error("reading Slurm jobs failed", metadata: ["error": "\(error)"])
            return
        }
        for job in open.sorted(by: { ($0.id ?? 0) < ($1.id ?? 0) }) {
            guard let id = job.id, let r = records[id], r.slurmJobID == nil else { continue }
            let (_, after) = await submitToBatch(job, r)
            if after.slurmJobID == nil { break }   // still unreachable: the rest wait for the next poll
        }
        let followed = open.compactMap { j -> (Job, SlurmJobRecord, Int64)? in
            guard let id = j.id, let r = records[id], let sid = r.slurmJobID else { return nil }
            return (j, r, sid)
        }
        guard !followed.isEmpty else { return }
        let statuses: [Int64: BatchJobStatus]
        do {
            statuses = try await batch.status(ids: followed.map(\.2))
        } catch {
            if batchHealth.unreachableSince == nil { batchHealth.unreachableSince = Date() }
            batchHealth.lastError = (error as? BatchSchedulerError)?.description ?? "\(error)"
            return
        }
        batchHealth = BatchHealth()
        for (job, rec, sid) in followed {
            guard let s = statuses[sid] else { continue }
            record(s, job: job, rec: rec)
        }
    }

    /// Applies one Slurm status to a job and its record, saving both when something changed.
    private func record(_ s: BatchJobStatus, job queued: Job, rec: SlurmJobRecord) {
        var job = queued, r = rec
        r.slurmState = s.state
        if let e = s.eligibleAt, s.phase == .pending { r.beginAt = e }
        // A job cancelled or refused while pending has Slurm start = end = that moment: it never ran.
        let ran = s.phase == .running || (s.phase.isFinal && ((s.elapsedSeconds ?? 0) > 0 || queued.state == .running))
        if ran, let start = s.startAt {
            r.startAt = start
            job.startedAt = parts.clock.daemonTime(ofReal: start)
        } else if s.phase.isFinal {
            r.startAt = nil
            job.startedAt = nil
        }
        job.state = s.phase.jobState
        if s.phase.isFinal {
            r.endAt = s.endAt
            r.elapsedSeconds = s.elapsedSeconds
            r.exitCode = s.exitCode?.description
            r.consumedEnergy = s.consumedEnergy
            job.endedAt = s.endAt.map { parts.clock.daemonTime(ofReal: $0) } ?? parts.clock.now()
            job.exitCode = s.exitCode.map { $0.signal == 0 ? $0.status : nil } ?? nil
            job.signal = s.exitCode.flatMap { $0.signal != 0 ? $0.signal : nil }
            if let sid = r.slurmJobID, let own = slurmNodeEnergy(slurmJobID: sid), job.startedAt != nil {
                // Per job: this node's energy split by the job's cgroup CPU time (slurm-node-energy).
                job.energy = own.energy
                job.energySource = own.source
                job.carbon = own.energy == nil ? nil : CarbonGrams(own.carbonGrams)
                job.cpuSeconds = own.cpuSeconds
            } else if let energy = s.consumedEnergy, let start = job.startedAt, let end = job.endedAt {
                // Node-level: the job's own only when it had its nodes exclusively (sacct(1)).
                job.energy = energy
                job.energySource = .measured
                let intensity = activeSeries.meanIntensity(from: start, to: max(end, start.addingTimeInterval(1e-3)))
                job.carbon = CarbonGrams(energy: energy, intensity: intensity)
            } else if job.energySource == nil {
                job.energySource = .unavailable
            }
            switch s.phase {
            case .failed:
                job.reason = job.reason ?? "Slurm: \(s.state)" + (s.reason.map { $0 == "None" ? "" : " (\($0))" } ?? "")
                    + (s.exitCode.map { ", exit code \($0)" } ?? "")
            case .cancelled:
                job.reason = job.reason ?? "cancelled in Slurm (\(s.state))"
            default:
                break
            }
        }
        guard job != queued || r != rec else { return }
        do {
            try parts.database.update(job, slurm: r)
        } catch {
            log.error("saving a Slurm job failed", metadata: ["job.id": "\(job.id ?? -1)", "error": "\(error)"])
        }
        if job.state != queued.state {
            log.info("Slurm job changed state", metadata: ["job.id": "\(job.id ?? -1)", "slurm.job_id": "\(r.slurmJobID ?? -1)",
                                                           "state": "\(job.state.rawValue)", "slurm.state": "\(s.state)"])
        }
    }

    /// Cancels a job of executor `slurm`: `scancel` when Slurm has it, else it leaves Verdant's queue.
    /// - Returns: `nil` when the job is not a Slurm job (the local executor handles it).
    /// - Throws: `APIError` 503 when Slurm has it but cannot be reached now.
    func cancelBatch(_ queued: Job, caller: Caller) async throws -> JobView? {
        guard let batch = parts.batch, let id = queued.id, var r = try parts.database.slurmJob(jobID: id) else { return nil }
        var job = queued
        guard !job.state.isFinal else {
            throw APIError.conflict("job \(id) has already ended (\(job.state.rawValue)); nothing to cancel")
        }
        if let sid = r.slurmJobID {
            do {
                try await batch.cancel(id: sid)
            } catch {
                throw APIError(status: 503, "Slurm could not cancel job \(sid) now (\(error)); try again once it answers")
            }
            job.reason = "cancelled by uid \(caller.uid) (scancel \(sid))"
            r.slurmState = "CANCELLED"
        } else {
            job.reason = "cancelled by uid \(caller.uid) while it waited in Verdant's queue for Slurm"
            r.slurmState = "CANCELLED"
        }
        job.state = .cancelled
        job.endedAt = parts.clock.now()
        if job.startedAt == nil { job.energySource = .unavailable }
        try parts.database.update(job, slurm: r)
        return withSlurm(withIntensity(JobView(job)), r)
    }

    /// Re-plans every job Slurm still holds pending over the intensity now in force (after a forecast
    /// change), and moves its `StartTime` where the plan moved by a second or more. A new start is
    /// never past the job's latest start.
    /// - Returns: the ids of the jobs moved.
    @discardableResult
    public func replanBatchJobs() async -> [Int64] {
        guard let batch = parts.batch else { return [] }
        var moved: [Int64] = []
        guard let queued = try? parts.database.jobs(states: [.queued]),
              let records = try? parts.database.slurmJobs(jobIDs: queued.compactMap(\.id)) else { return [] }
        let now = parts.clock.now()
        for var job in queued {
            guard let id = job.id, var r = records[id], let sid = r.slurmJobID, r.slurmState == "PENDING" else { continue }
            let planDeadline = batchPlanningDeadline(job.deadline, expectedSeconds: job.expectedDurationSeconds)
            guard let plan = try? planForJob(now: now, deadline: planDeadline, durationSeconds: job.expectedDurationSeconds,
                                             energy: job.expectedEnergy) else { continue }
            let start = min(plan.plannedStart, job.latestStart)
            let begin = max(parts.clock.realDate(of: start), Date()).roundedUpToSecond
            guard abs(begin.timeIntervalSince(r.beginAt ?? .distantPast)) >= 1 else { continue }
            do {
                try await batch.moveBegin(id: sid, to: begin)
            } catch {
                log.warning("moving a Slurm job's start failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
                continue
            }
            job.plannedStart = start
            job.plannedIntensity = plan.plannedIntensity
            job.predictedCarbon = plan.predictedCarbon
            job.planReason = "re-planned at \(ISO8601.string(now)) after a forecast change: \(plan.reason)"
            r.beginAt = begin
            try? parts.database.update(job, slurm: r)
            moved.append(id)
            log.info("Slurm job re-planned", metadata: ["job.id": "\(id)", "slurm.job_id": "\(sid)", "begin": "\(SlurmTime.string(begin))"])
        }
        return moved
    }

    /// The plan of a job from `now` over the intensity in force (the chain's slots, else the series),
    /// as `submit` makes it.
    func planForJob(now: Date, deadline: Date, durationSeconds: Double, energy: EnergyJoules) throws -> JobPlan {
        if let selection {
            return try Planner.plan(now: now, deadline: deadline, expectedDurationSeconds: durationSeconds,
                                    expectedEnergy: energy, slots: selection.slots).plan
        }
        return try Planner.plan(now: now, deadline: deadline, expectedDurationSeconds: durationSeconds,
                                expectedEnergy: energy, series: parts.series)
    }

    /// A job view with its Slurm side (cluster, Slurm job id and state, energy scope).
    func withSlurm(_ v: JobView, _ r: SlurmJobRecord?) -> JobView {
        guard let r else { return v }
        var out = v
        out.cluster = r.cluster
        out.slurmJobID = r.slurmJobID
        out.slurmState = r.slurmState
        if let sid = r.slurmJobID, v.energySource != EnergySource.unavailable.rawValue, slurmNodeEnergy(slurmJobID: sid) != nil {
            out.energyScope = "job: this node's energy split by the job's cgroup CPU time (slurm-node-energy)"
                + (r.consumedEnergy.map { "; Slurm's node-level ConsumedEnergyRaw: \(Int($0.joules.rounded())) J" } ?? "")
        } else if r.consumedEnergy != nil {
            out.energyScope = "node: Slurm ConsumedEnergyRaw, the job's own only if it had its nodes exclusively"
        }
        if out.reason == nil, r.slurmJobID == nil, let m = r.message { out.reason = m }
        return out
    }

    /// One line for `verdant status` about the executor, `nil` for the local one.
    func batchStatus() async -> String? {
        guard let batch = parts.batch else { return nil }
        let cluster = await batch.clusterName
        let waiting = ((try? parts.database.slurmJobs()) ?? [:]).values.filter { $0.slurmJobID == nil && $0.slurmState == "UNSUBMITTED" }.count
        if let since = batchHealth.unreachableSince {
            return "slurm cluster \(cluster): unreachable since \(ISO8601.string(since)) (\(batchHealth.lastError ?? "no answer")); "
                + "\(waiting) job(s) wait in Verdant's queue and are submitted once it answers"
        }
        return "slurm cluster \(cluster): reachable; \(waiting) job(s) wait in Verdant's queue"
    }
}

/// Time formatting for log lines about Slurm (Slurm's own format, local time).
enum SlurmTime {
    static func string(_ d: Date) -> String { ISO8601.string(d) }
}

extension Date {
    /// The next whole second (itself when whole): Slurm keeps whole seconds, and a begin time must
    /// not fall before the planned start.
    var roundedUpToSecond: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.up)) }
    /// The whole second at or before: a deadline must not move later.
    var roundedDownToSecond: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
