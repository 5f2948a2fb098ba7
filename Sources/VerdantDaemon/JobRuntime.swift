import Foundation
import Logging
import VerdantAPI
import VerdantCore
import VerdantExecutor
import VerdantMetrics
import VerdantStore
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's state and behaviour: samples the node, plans and starts jobs, follows them, and
/// answers the API. One actor, so every change to a job happens in one place and in order.
public actor JobRuntime: VerdantAPIHandler {
    /// Everything the runtime is built from; the composition root (`Daemon`) fills it in.
    public struct Parts: Sendable {
        public var database: VerdantDatabase
        public var sensor: any NodeReadingSource
        public var model: CPUPowerModel
        public var executor: any JobExecutor
        public var clock: DaemonClock
        public var series: IntensitySeries
        public var intensitySource: String
        public var intensityZone: String
        public var policy: SchedulingPolicy
        public var defaultDeadlines: [JobKind: Double]
        public var stateDirectory: String
        public var flushIntervalSeconds: Double
        public var logger: Logger
        /// Predicts each submitted job's duration and energy from its earlier runs (issue 5).
        public var predictor = JobEnergyPredictor()
        /// The grid-intensity provider chain (issue 4); `nil` = the trace or static `series` only.
        public var intensityChain: IntensityChain? = nil
        /// The intensity forecaster (issue 5); `nil` = none (tests that do not need it).
        public var forecasts: IntensityForecastManager? = nil
        /// Held for the runtime's life: one daemon per state folder.
        public var stateLock: StateFolderLock? = nil
        /// Who sees which jobs, and the per-user limits (issue 10).
        public var access = AccessPolicy()
        /// The power model learned on this host in an earlier run (from the store), if any.
        public var learnedModel: CPUPowerModel? = nil
        /// The node's GPUs (NVML), if any.
        public var gpus: (any GPUSource)? = nil
        /// The node's capacity for the planner (`CapacityConfiguration`); unlimited by default.
        public var capacity: NodeCapacity = .unlimited
        /// Prometheus metrics (issue 8); `nil` = not exported.
        public var metrics: VerdantMetrics? = nil
        /// Executor `slurm` (issue 9): jobs are handed to this batch scheduler at submission;
        /// `nil` = the local executor.
        public var batch: (any BatchScheduler)? = nil
        /// Per-job energy of Slurm jobs on this compute node (`slurm-node-energy`): the cgroup root
        /// their cgroups are found under; `nil` = off.
        public var slurmCgroupRoot: String? = nil
    }

    struct RunningJob {
        var job: Job
        var handle: JobExecutorHandle
        var last: JobReading
        /// Sums of its intervals so far (the intervals themselves go to the database at each flush).
        var totals = RunningJobTotals()
        /// Set when the job is being stopped on purpose: the state and reason to record at exit.
        var stopping: (state: JobState, reason: String)?
        /// The GPUs it holds and their cumulative energy at its start.
        var gpuIndices: [Int] = []
        var gpuStart: [Int: EnergyJoules] = [:]
        /// CLOCK_MONOTONIC at its start, when this process started it (not for a re-adopted job):
        /// its run time survives a wall-clock step.
        var startMonotonicNanos: UInt64? = nil
        /// Checkpoint-and-restart (`JobRuntime+Checkpoint`): when the checkpoint signal was sent
        /// (CLOCK_MONOTONIC), the stops sent since (SIGTERM, SIGKILL), and the CPU-seconds of its
        /// earlier processes.
        var checkpointSignalledNanos: UInt64? = nil
        var checkpointStopsSent = 0
        var cpuSecondsBefore: Double = 0
    }

    var parts: Parts
    /// What the chain selected last (issue 4); `nil` without a chain.
    var selection: IntensitySelection?
    /// The intensity step function in force: the chain's selection, else the trace/static series.
    var activeSeries: IntensitySeries { selection?.series ?? parts.series }
    /// Name of the intensity source in force.
    var activeIntensitySource: String { selection?.source ?? parts.intensitySource }
    var log: Logger { parts.logger }
    private var lastReading: NodeReading?
    /// The power model learned online from this host's counters (issue 3).
    private var learner: OnlinePowerModel
    /// Which job holds which GPU.
    private var gpuAllocator: GPUAllocator
    private var pendingSamples: [EnergySampleRecord] = []
    var pendingIntervals: [JobIntervalRecord] = []
    private var lastFlushNanos: UInt64 = 0
    private var lastCheckpointNanos: UInt64 = 0
    private var lastMemoryReleaseNanos: UInt64 = 0
    /// How often the flush also releases the database's memory (`VerdantDatabase.releaseMemory()`): 60 s.
    static let memoryReleaseIntervalNanos: UInt64 = 60_000_000_000
    var running: [Int64: RunningJob] = [:]
    /// Plans, run-interval controls and the re-plan flag (issue 6; JobRuntime+Planning.swift).
    var scheduling = DaemonScheduling()
    private(set) var shuttingDown = false
    /// The earliest due time among queued jobs: `nil` = unknown (read the queue), `.distantFuture` = none.
    var nextDue: Date?
    /// Rung when the queue's earliest due time may have moved; `SchedulerService` waits on it.
    public nonisolated let schedulerDoorbell = SchedulerDoorbell()
    /// Samples taken since start.
    public private(set) var ticks = 0
    /// Executor `slurm`: whether the cluster answered last time (JobRuntime+Slurm.swift).
    var batchHealth = BatchHealth()
    var slurmNode = SlurmNodeTracker()

    public init(parts: Parts) {
        self.parts = parts
        self.learner = OnlinePowerModel(model: parts.learnedModel)
        self.gpuAllocator = GPUAllocator(count: parts.gpus?.gpuCount ?? 0)
    }

    /// The power model learned on this host, if any.
    public var learnedModel: CPUPowerModel? { learner.model }

    // MARK: Start-up and shutdown

    /// Settles jobs a previous instance left `running` (it died without a clean shutdown): their
    /// leftover processes are killed and each is recorded as `lost` with the reason and the energy of
    /// the intervals stored before the crash. Never silently dropped.
    public func recoverAfterRestart() throws {
        for var job in try parts.database.jobs(states: [.running]) {
            // Slurm runs its jobs without us: the follow loop picks them up again (JobRuntime+Slurm.swift).
            guard let id = job.id, job.executor != "slurm" else { continue }
            let handle = Self.handle(of: job)
            let killed: Int
            switch handle.executor == parts.executor.name ? parts.executor.adopt(handle) : .abandoned(killedProcesses: 0) {
            case let .adopted(h):
                readopt(job, handle: h)
                continue
            case let .ended(end):
                try recordEndedWhileAway(job, end: end)
                continue
            case let .abandoned(n):
                killed = n
            }
            let intervals = try parts.database.intervals(jobID: id)
            job.state = .lost
            // The real end is unknown: record when it was last seen running (its last stored interval).
            let lastSeen = intervals.last?.endAt ?? job.startedAt ?? parts.clock.now()
            job.endedAt = lastSeen
            job.reason = "verdantd stopped while the job ran without a clean shutdown (last seen running at \(ISO8601.string(lastSeen))); " +
                (killed > 0 ? "its \(killed) leftover process(es) were killed at restart" : "no process of it was left at restart")
                + (handle.executor == parts.executor.name ? "" : " (it ran under the '\(handle.executor)' executor; this daemon uses '\(parts.executor.name)')")
            if !intervals.isEmpty {
                job.energySource = Self.combinedSource(intervals.map(\.source))
                let known = job.energySource?.hasValue ?? false
                job.energy = known ? intervals.map(\.energy).reduce(.zero, +) : nil
                job.carbon = known ? intervals.map(\.carbon).reduce(.zero, +) : nil
                job.cpuSeconds = intervals.map(\.cpuSeconds).reduce(0, +)
            } else {
                job.energySource = .notMeasured
            }
            job.recordPredictionErrors()
            try parts.database.update(job)
            log.warning("job recorded as lost after restart", metadata: ["job.id": "\(id)", "reason": "\(job.reason ?? "")"])
        }
    }

    /// The executor handle stored with a job; jobs from before executors were recorded ran under `cgroup`.
    static func handle(of job: Job) -> JobExecutorHandle {
        JobExecutorHandle(executor: job.executor ?? "cgroup", reference: job.executorReference ?? job.cgroupPath ?? "",
                          pid: job.pid, cgroupPath: job.cgroupPath)
    }

    /// Follows a job that still runs under the executor after a restart: its energy is charged again
    /// from the next tick on (the time the daemon was away is not charged: no reading covers it).
    private func readopt(_ job: Job, handle: JobExecutorHandle) {
        guard let id = job.id else { return }
        guard let reading = try? parts.sensor.read() else {
            log.error("cannot read the node to re-adopt a job; it stays recorded as running", metadata: ["job.id": "\(id)"])
            return
        }
        let time = parts.clock.time(atMonotonicNanos: reading.monotonicNanos)
        let cpu = parts.executor.cpuSeconds(handle) ?? 0
        var j = job
        j.pid = handle.pid ?? j.pid
        j.cgroupPath = handle.cgroupPath ?? j.cgroupPath
        // It still holds its GPUs: held for it again before any queued job is given one; their energy
        // is charged from now on, as its CPU energy is.
        var gpuIndices: [Int] = []
        if j.gpus > 0 {
            let recorded = try? parts.database.gpuIndices(jobID: id)
            gpuIndices = gpuAllocator.holdRecovered(job: id, recorded: recorded, count: j.gpus)
            if gpuIndices != recorded {
                log.warning("re-adopted job's GPUs not known; holding the lowest free ones", metadata: [
                    "job.id": "\(id)", "gpus": "\(j.gpus)", "held": "\(gpuIndices)", "recorded": "\(recorded.map { "\($0)" } ?? "none")"])
            }
        }
        running[id] = RunningJob(job: j, handle: handle, last: JobReading(node: reading, time: time, jobCPUSeconds: cpu),
                                 stopping: nil, gpuIndices: gpuIndices,
                                 gpuStart: gpuIndices.isEmpty ? [:] : parts.gpus?.cumulativeEnergy() ?? [:])
        log.info("job re-adopted after restart", metadata: ["job.id": "\(id)", "executor": "\(handle.executor)", "unit": "\(handle.reference)"])
        restoreRunIntervals(j, handle: handle, now: time)   // an interruptible job follows its stored runs
        follow(id: id, handle: handle)
    }

    /// Records the end of a job that ended while the daemon was away (the executor kept its end).
    private func recordEndedWhileAway(_ job: Job, end: JobEnd?) throws {
        guard let id = job.id else { return }
        var j = job
        let intervals = try parts.database.intervals(jobID: id)
        j.endedAt = intervals.last?.endAt ?? j.startedAt ?? parts.clock.now()
        if !intervals.isEmpty {
            j.energy = intervals.map(\.energy).reduce(.zero, +)
            j.carbon = intervals.map(\.carbon).reduce(.zero, +)
            j.energySource = Self.combinedSource(intervals.map(\.source))
        }
        j.cpuSeconds = end?.cpuSeconds ?? intervals.map(\.cpuSeconds).reduce(0, +)
        j.exitCode = end?.exitCode
        j.signal = end?.signal
        if let end, end.exitCode == 0 {
            j.state = .succeeded
            j.reason = "ended while verdantd was away; energy charged up to \(ISO8601.string(j.endedAt!))"
        } else {
            j.state = end == nil ? .lost : .failed
            j.reason = end == nil ? "ended while verdantd was away; its exit status is unknown"
                : (end!.signal.map { "killed by signal \($0) while verdantd was away" } ?? "exited with status \(end!.exitCode ?? -1) while verdantd was away")
        }
        try parts.database.update(j)
        log.warning("job ended while verdantd was away", metadata: ["job.id": "\(id)", "state": "\(j.state.rawValue)"])
    }

    /// Stops every running job (SIGTERM to its cgroup, SIGKILL after `graceSeconds`), records each
    /// as `lost` with the reason, and writes everything buffered. Called on SIGTERM/SIGINT.
    /// Checkpoint-mode jobs are not lost: they get their checkpoint signal instead of SIGTERM, and
    /// end up queued with their run so far (`checkpointAtShutdown`, JobRuntime+ShutdownCheckpoint.swift).
    public func shutdown(graceSeconds: Double = 5) async {
        shuttingDown = true
        let deadline = monotonicNanosNow() + UInt64(graceSeconds * 1e9)
        if !parts.executor.jobsOutliveDaemon {
            await checkpointAtShutdown(graceSeconds: graceSeconds)
        }
        requeueSuspendedAtShutdown()
        if parts.executor.jobsOutliveDaemon {
            // Units (or batch jobs) keep running and stay recorded as running; the next start re-adopts them.
            if !running.isEmpty {
                log.notice("jobs keep running under the executor; the next start re-adopts them",
                           metadata: ["executor": "\(parts.executor.name)", "jobs": "\(running.keys.sorted())"])
            }
            flush(force: true)
            return
        }
        for (id, var r) in running {
            r.stopping = (.lost, "verdantd shut down (SIGTERM/SIGINT) while the job ran; the job was terminated")
            running[id] = r
            signalJob(r, SIGTERM)
        }
        while !running.isEmpty && monotonicNanosNow() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for r in running.values { signalJob(r, SIGKILL) }
        let killDeadline = monotonicNanosNow() + 3_000_000_000
        while !running.isEmpty && monotonicNanosNow() < killDeadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        requeueSuspendedAtShutdown()   // checkpoint-mode jobs that exited only on SIGTERM/SIGKILL
        flush(force: true)
    }

    private func signalJob(_ r: RunningJob, _ sig: Int32) {
        parts.executor.stop(r.handle, mode: sig == SIGKILL ? .kill : .terminate)
    }

    // MARK: Sampling

    /// Takes one node reading, stores per-zone energy since the previous one, charges running jobs,
    /// and writes buffered rows when the flush interval has passed.
    /// - Returns: `true` when a reading was taken (the sampler made progress).
    @discardableResult
    public func sample() -> Bool {
        let reading: NodeReading
        do {
            reading = try parts.sensor.read()
        } catch {
            log.error("sampling failed", metadata: ["error": "\(error)"])
            parts.metrics?.samplerError()
            return false
        }
        let time = parts.clock.time(atMonotonicNanos: reading.monotonicNanos)
        let previous = lastReading
        // The jobs' CPU time is read first: it is a floor on the node's busy time over the tick
        // (cgroup counters have ns resolution, /proc/stat 10 ms ticks), so a job of a few ms of CPU
        // still gets a share of an estimated interval's dynamic energy (`NodeEnergyAccounting`).
        let jobsCPU = readRunningJobsCPU(previous: previous)
        let slurmCPU = parts.slurmCgroupRoot != nil ? scanSlurmNodeJobs() : nil
        let floorCPU = max(jobsCPU.aligned.values.reduce(0, +), slurmCPU.map(slurmDeltasTotal) ?? 0)
        // The node's interval (zone arithmetic and host total) is computed once per tick and shared
        // by the stored samples, the power model and the jobs' charges.
        var node: NodeInterval?
        if let prev = previous {
            let prevTime = parts.clock.time(atMonotonicNanos: prev.monotonicNanos)
            let interval = NodeEnergyAccounting.interval(from: prev, to: reading, model: parts.model,
                                                         profile: parts.sensor.profile, learned: learner.model,
                                                         jobsCPUSeconds: floorCPU)
            node = interval
            let new = samples(interval, from: prev, at: prevTime, to: reading, at: time)
            for s in new {
                parts.metrics?.recordZoneInterval(zone: s.zone, source: s.source.rawValue, energyJoules: s.energy?.joules, seconds: s.durationSeconds)
            }
            pendingSamples += new
            learn(from: interval, at: time)
        }
        lastReading = reading
        chargeRunningJobs(reading: reading, at: time, previous: previous, node: node, cpu: jobsCPU)
        if let slurmCPU {
            chargeSlurmNodeJobs(slurmCPU, node: node, nodeBusyCPUSeconds: node?.busyCPUSeconds ?? 0,
                                start: previous.map { parts.clock.time(atMonotonicNanos: $0.monotonicNanos) }, time: time,
                                monotonicNanos: reading.monotonicNanos)
        }
        parts.metrics?.sampleTaken(at: time)
        ticks += 1
        flush(force: false)
        return true
    }

    /// Feeds a measured interval to the online power model; a (re)fit is stored with its version and error.
    private func learn(from interval: NodeInterval, at time: Date) {
        guard interval.source == .measured, let m = learner.observe(interval) else { return }
        do {
            try parts.database.savePowerModel(m, samples: learner.samples.count, at: time)
        } catch {
            log.error("saving the learned power model failed", metadata: ["error": "\(error)"])
        }
        log.info("power model fitted", metadata: ["model": "\(m.name)", "mape_pct": "\((m.fitMAPE ?? 0) * 100)",
                                                  "idle_w": "\(m.idlePower.watts)", "exponent": "\(m.exponent)"])
    }

    /// Charges every running job for the interval since its last reading. Jobs whose last reading is
    /// the previous tick share that interval's node energy in one `Attribution.split`, so jobs + system
    /// + idle = node (checked here, within 0.5 %); a job that started since the tick gets its own
    /// partial interval.
    /// Each running job's cgroup CPU time now (`now`), and the CPU-seconds since the previous tick of
    /// the jobs whose last reading is that tick (`aligned`).
    private func readRunningJobsCPU(previous: NodeReading?) -> (now: [Int64: Double], aligned: [Int64: Double]) {
        guard !running.isEmpty else { return ([:], [:]) }
        // One pass over `running` by index, reading only the fields needed (`for (id, r) in running`
        // copied each job's whole entry, retaining and releasing every field, each tick).
        var cpuNow: [Int64: Double] = Dictionary(minimumCapacity: running.count)
        var aligned: [Int64: Double] = Dictionary(minimumCapacity: running.count)
        var i = running.startIndex
        while i != running.endIndex {
            defer { running.formIndex(after: &i) }
            guard let cpu = parts.executor.cpuSeconds(running.values[i].handle) else { continue }
            let id = running.keys[i]
            cpuNow[id] = cpu
            let last = running.values[i].last
            if let previous, last.node.monotonicNanos == previous.monotonicNanos {
                aligned[id] = max(0, cpu - last.jobCPUSeconds)
            }
        }
        return (cpuNow, aligned)
    }

    private func chargeRunningJobs(reading: NodeReading, at time: Date, previous: NodeReading?, node: NodeInterval?,
                                   cpu: (now: [Int64: Double], aligned: [Int64: Double])) {
        guard !running.isEmpty else { return }
        rebaseLastReadings()
        let cpuNow = cpu.now, aligned = cpu.aligned
        // Sized once: grown from empty it was rehashed about six times a tick with 50 jobs (perf, 2026-11-30).
        var shared: [Int64: JobEnergyInterval] = Dictionary(minimumCapacity: aligned.count)
        if previous != nil, let node, !aligned.isEmpty, let firstTime = running[aligned.keys.first!]?.last.time {
            let energy = node.energy ?? .zero
            let split = Attribution.split(node: energy, elapsedSeconds: node.seconds,
                                          idlePower: CPUPowerModel.attributionIdlePower(source: node.source, learned: learner.model, model: parts.model),
                                          jobCPUSeconds: aligned, nodeBusyCPUSeconds: node.busyCPUSeconds)
            if abs(split.total.joules - energy.joules) > 0.005 * max(energy.joules, 1e-9) {
                log.error("energy attribution does not add up", metadata: ["node_j": "\(energy.joules)", "split_j": "\(split.total.joules)"])
            }
            let intensity = activeSeries.meanIntensity(from: firstTime, to: time)
            for (id, cpu) in aligned {
                // An interval without a number keeps 0 J in its row with source `unavailable`; job totals
                // over it are NULL (`EnergySource.combined`).
                shared[id] = JobEnergyInterval(start: firstTime, end: time,
                                               energy: node.energy == nil ? .zero : split.jobs[id] ?? .zero,
                                               source: node.source, cpuSeconds: cpu, intensity: intensity)
            }
        }
        // Each job's entry is updated in place in `running`, walked by index: a copy of the entry held
        // across the append (`for (id, var r) in running … running[id] = r`) made its buffers shared,
        // so every tick copied the job's whole history (copy-on-write); reading it by key
        // (`running[id].map { … }`, `running[id]?.last = …`) still copied the whole entry and hashed
        // the key three times per job per tick (12.6 % of the sampler's CPU, docs/performance.md).
        // `running.values[i]` reads only the fields named and mutates through the dictionary's
        // `_modify` accessor; no job is added or removed in this loop, so the indices stay valid.
        var i = running.startIndex
        while i != running.endIndex {
            defer { running.formIndex(after: &i) }
            let id = running.keys[i]
            guard let cpu = cpuNow[id] else { continue }
            let last = running.values[i].last
            let jr = JobReading(node: reading, time: time, jobCPUSeconds: cpu)
            let interval = shared[id] ?? Attribution.interval(from: last, to: jr, model: parts.model,
                                                              series: activeSeries, profile: parts.sensor.profile, learned: learner.model)
            running.values[i].totals.add(interval)
            running.values[i].last = jr
            pendingIntervals.append(JobIntervalRecord(jobID: id, interval: interval))
            if let metrics = parts.metrics {
                metrics.jobInterval(id: id, name: running.values[i].job.name, kind: running.values[i].job.kind.rawValue,
                                    energyJoules: interval.energy.joules, carbonGrams: interval.carbon.grams)
            }
        }
    }

    /// Re-expresses each running job's last reading time in the wall clock's current frame (from its
    /// monotonic instant), so that an interval spans exactly its monotonic duration even when the
    /// wall clock stepped since the last tick: never a negative or hour-long interval (issue 10).
    ///
    /// Only a real step moves a reading (more than `rebaseToleranceSeconds`): recomputing a past
    /// instant reads the two clocks again, so it differs from the stored time by a few µs every tick,
    /// and rewriting every job's entry each tick (iterating `running` while assigning into it copied the
    /// whole dictionary) cost about 7 % of the sampler's CPU (docs/performance.md).
    private func rebaseLastReadings() {
        // Walked by index, reading only `last` (reading `running[id]?.last` by key copied the whole entry).
        var i = running.startIndex
        while i != running.endIndex {
            defer { running.formIndex(after: &i) }
            let last = running.values[i].last
            let t = parts.clock.time(atMonotonicNanos: last.node.monotonicNanos)
            guard abs(t.timeIntervalSince(last.time)) > Self.rebaseToleranceSeconds else { continue }
            running.values[i].last = JobReading(node: last.node, time: t, jobCPUSeconds: last.jobCPUSeconds)
        }
    }

    /// A wall-clock step smaller than this (s) is left alone by `rebaseLastReadings`: 1 ms, far above
    /// the jitter of reading the wall and monotonic clocks one after the other (µs) and far below
    /// anything that changes an interval's energy or intensity.
    static let rebaseToleranceSeconds = 0.001

    private func samples(_ node: NodeInterval, from old: NodeReading, at t0: Date, to new: NodeReading, at t1: Date) -> [EnergySampleRecord] {
        let busy = node.busyCPUSeconds
        if node.zones.isEmpty {
            let name = node.source == .estimated ? (learner.model ?? parts.model).name : "counters unreadable"
            return [EnergySampleRecord(zone: "cpu-estimate", zoneName: name, source: node.source,
                                       startAt: t0, endAt: t1, durationSeconds: node.seconds, energy: node.energy, busyCPUSeconds: busy,
                                       status: node.source == .unavailable ? "missing" : "ok")]
        }
        return node.zones.map { z in
            EnergySampleRecord(zone: z.id.description, zoneName: z.name, source: .measured, startAt: t0, endAt: t1,
                               durationSeconds: node.seconds, energy: z.energy, busyCPUSeconds: busy, status: z.status.rawValue)
        }
    }

    private func flush(force: Bool) {
        let now = monotonicNanosNow()
        guard force || Double(now - lastFlushNanos) / 1e9 >= parts.flushIntervalSeconds else { return }
        guard !pendingSamples.isEmpty || !pendingIntervals.isEmpty || force else { return }
        var meta: [String: String] = [:]
        if parts.clock.replay != nil {
            meta["replay.trace_time"] = ISO8601.string(parts.clock.now())
            meta["replay.source"] = parts.intensitySource
        }
        do {
            // One row per job (and source) per flush, not per tick (`JobIntervalRecord.coalesced`).
            try parts.database.append(samples: pendingSamples, intervals: JobIntervalRecord.coalesced(pendingIntervals), meta: meta)
            pendingSamples.removeAll(keepingCapacity: true)
            pendingIntervals.removeAll(keepingCapacity: true)
            lastFlushNanos = now
            // Empty the WAL now and then; skipped (and retried) while a report reader is mid-read.
            if now - lastCheckpointNanos >= 30_000_000_000, parts.database.checkpointIfIdle() { lastCheckpointNanos = now }
            // Bounded memory (issue 10): give the connections' caches and freed heap back every minute.
            if now - lastMemoryReleaseNanos >= Self.memoryReleaseIntervalNanos {
                parts.database.releaseMemory()
                lastMemoryReleaseNanos = now
            }
        } catch {
            // Kept in memory and retried at the next flush: nothing is dropped.
            log.error("writing samples failed; will retry", metadata: ["error": "\(error)", "buffered": "\(pendingSamples.count)"])
        }
    }

    // MARK: Scheduling

    /// Starts every queued job whose planned start (or latest start) has come.
    /// - Returns: real seconds until the next queued job is due, or `nil` when none is queued.
    public func startDueJobs() -> Double? {
        // Executor slurm: Slurm starts the jobs (followBatchJobs follows them).
        guard !shuttingDown, parts.batch == nil else { return nil }
        if scheduling.replanNeeded { replanQueue() }
        let intervalWait = driveRunIntervals()
        let now = parts.clock.now()
        // The queue is read from SQLite only when something may be due: between submissions the
        // earliest due time is known, so the scheduler's frequent wake-ups cost no database read.
        if let due = nextDue {
            if due == .distantFuture { return intervalWait }
            if due > now { return min(parts.clock.realSeconds(until: due), intervalWait ?? .infinity) }
        }
        let queued: [Job]
        do {
            queued = try parts.database.jobs(states: [.queued])
        } catch {
            log.error("reading the queue failed", metadata: ["error": "\(error)"])
            return 1
        }
        var next: Double?
        var earliest = Date.distantFuture
        for job in queued {
            let due = min(job.plannedStart, job.latestStart)
            if due <= now {
                // Capacity is kept at every instant; at its latest start the deadline comes first.
                if now < job.latestStart, !fitsNow(job) {
                    scheduling.replanNeeded = true
                    earliest = min(earliest, now.addingTimeInterval(Self.planningSlotSeconds))
                    continue
                }
                if !start(job) { earliest = now }   // not started (sensor read failed): retry at once
            } else {
                earliest = min(earliest, due)
                let wait = parts.clock.realSeconds(until: due)
                next = min(next ?? wait, wait)
            }
        }
        nextDue = earliest
        // A job that could not start now (sensor read failed) is retried 100 ms later.
        let wait: Double? = earliest <= now ? 0.1 : next
        if let w = intervalWait { return min(wait ?? w, w) }
        return wait
    }

    /// Starts one job; returns whether it left the queue (running, or failed to start).
    @discardableResult
    private func start(_ queued: Job) -> Bool {
        guard let id = queued.id else { return true }
        var job = queued
        let logPath = (parts.stateDirectory as NSString).appendingPathComponent("logs/job-\(id).log")
        let before: NodeReading
        do {
            before = try parts.sensor.read()
        } catch {
            log.error("cannot read the node before starting a job; retrying", metadata: ["job.id": "\(id)", "error": "\(error)"])
            return false
        }
        // GPUs: the lowest free indices; when too few are free the job stays queued until a GPU job ends.
        var gpuIndices: [Int] = []
        if job.gpus > 0 {
            guard let assigned = gpuAllocator.assign(job: id, count: job.gpus) else {
                log.debug("job waits for GPUs", metadata: ["job.id": "\(id)", "gpus": "\(job.gpus)", "free": "\(gpuAllocator.free.count)"])
                return true   // not started; rechecked when a GPU is released
            }
            gpuIndices = assigned
            // Recorded before the job is: a daemon restarted while it runs holds the same GPUs for it.
            do {
                try parts.database.recordGPUIndices(jobID: id, indices: assigned)
            } catch {
                gpuAllocator.release(job: id)
                log.error("cannot record a job's GPUs; retrying", metadata: ["job.id": "\(id)", "error": "\(error)"])
                return false
            }
        }
        let gpuStart = gpuIndices.isEmpty ? [:] : parts.gpus?.cumulativeEnergy() ?? [:]
        // A checkpoint-mode job queued again at a daemon shutdown resumes: same first start, next restart count.
        let resumed = resumesFromShutdownCheckpoint(job)
        if resumed { job.restartCount += 1; job.reason = nil } else { job.startedAt = parts.clock.time(atMonotonicNanos: before.monotonicNanos) }
        job.logPath = logPath
        // Write-ahead: the job leaves the queue on disk before it is launched, so a daemon killed
        // between the launch and the next write never launches it a second time after a restart
        // (recovery records it as lost instead). Not written = not launched; retried at the next tick.
        job.state = .running
        do {
            try parts.database.update(job)
        } catch {
            gpuAllocator.release(job: id)
            log.error("cannot record a job as starting; retrying", metadata: ["job.id": "\(id)", "error": "\(error)"])
            return false
        }
        let environment = Self.checkpointEnvironment(gpuIndices.isEmpty ? job.environment : GPUAllocator.environment(job.environment, withGPUs: gpuIndices), job: job)
        let request = JobLaunchRequest(jobID: id, command: job.command, workingDirectory: job.workingDirectory,
                                       environment: environment, uid: job.uid, gid: job.gid, logPath: logPath,
                                       memoryMaxBytes: job.memoryBytes > 0 ? UInt64(job.memoryBytes) : nil)
        let handle: JobExecutorHandle
        do {
            handle = try parts.executor.launch(request)
        } catch {
            job.state = .failed
            if resumed {
                job.endedAt = parts.clock.time(atMonotonicNanos: before.monotonicNanos)   // it ran before its checkpoint
            } else {
                job.endedAt = job.startedAt
                job.startedAt = nil   // it never ran: not a report row
            }
            job.reason = "could not start: \(error)"
            job.energySource = .unavailable
            gpuAllocator.release(job: id)
            persist(job)
            log.error("job could not start", metadata: ["job.id": "\(id)", "error": "\(error)"])
            return true
        }
        job.state = .running
        if !resumed { parts.metrics?.jobStarted(delaySeconds: job.startedAt!.timeIntervalSince(job.submittedAt)) }
        job.pid = handle.pid
        job.cgroupPath = handle.cgroupPath
        job.executor = handle.executor
        job.executorReference = handle.reference
        persist(job)
        log.info("job started", metadata: ["job.id": "\(id)", "job.name": "\(job.name)", "pid": "\(handle.pid ?? -1)",
                                           "executor": "\(handle.executor)", "unit": "\(handle.reference)"])
        running[id] = RunningJob(job: job, handle: handle,
                                 last: JobReading(node: before, time: parts.clock.time(atMonotonicNanos: before.monotonicNanos), jobCPUSeconds: 0),
                                 stopping: nil, gpuIndices: gpuIndices, gpuStart: gpuStart,
                                 startMonotonicNanos: resumed ? nil : before.monotonicNanos)
        if resumed { seedResumedRun(id: id) }
        follow(id: id, handle: handle)
        beginRunIntervals(id: id, startedAt: parts.clock.time(atMonotonicNanos: before.monotonicNanos))
        return true
    }

    /// Waits for the job's end through the executor, then records it.
    func follow(id: Int64, handle: JobExecutorHandle) {
        let executor = parts.executor
        Task {
            let end = await executor.waitForEnd(handle)
            self.jobExited(id: id, exit: end)
        }
    }

    func jobExited(id: Int64, exit: JobEnd) {
        if suspendAtCheckpoint(id: id, exit: exit) { return }
        guard var r = running[id] else { return }
        rebaseLastReadings()
        r.last = running.removeValue(forKey: id)!.last
        planningJobEnded(id: id)
        var job = r.job
        let cpu = exit.cpuSeconds ?? r.last.jobCPUSeconds
        var endReadFailed = false
        var endMonotonicNanos = monotonicNanosNow()
        if let reading = try? parts.sensor.read() {
            endMonotonicNanos = reading.monotonicNanos
            let time = parts.clock.time(atMonotonicNanos: reading.monotonicNanos)
            let jr = JobReading(node: reading, time: time, jobCPUSeconds: cpu)
            let interval = Attribution.interval(from: r.last, to: jr, model: parts.model, series: activeSeries,
                                                profile: parts.sensor.profile, learned: learner.model)
            r.totals.add(interval)
            job.endedAt = time
        } else {
            // The end reading failed: the last partial interval is unknown, so the total is too.
            endReadFailed = true
            job.endedAt = parts.clock.now()
        }
        // The wall clock stepped while the job ran: its end is given in the frame of its recorded start
        // (start + monotonic run time), so its duration and mean power stay true (issue 10).
        if let startMono = r.startMonotonicNanos, let started = job.startedAt, let ended = job.endedAt,
           parts.clock.replay == nil, endMonotonicNanos >= startMono {
            let runSeconds = Double(endMonotonicNanos - startMono) / 1e9
            let step = ended.timeIntervalSince(started) - runSeconds
            if abs(step) > 1 {
                job.endedAt = started.addingTimeInterval(runSeconds)
                log.warning("the wall clock stepped while the job ran; its end is recorded as start + monotonic run time",
                            metadata: ["job.id": "\(id)", "step_s": "\(step)", "run_s": "\(runSeconds)"])
            }
        }
        // GPU energy: per-GPU counter deltas over the job's life, then the GPUs are free again.
        var gpuMissing = false
        if !r.gpuIndices.isEmpty {
            let end = parts.gpus?.cumulativeEnergy() ?? [:]
            job.gpuEnergy = GPUEnergyAccounting.energy(start: r.gpuStart, end: end, indices: r.gpuIndices)
            gpuMissing = job.gpuEnergy == nil
            gpuAllocator.release(job: id)
            nextDue = nil   // a queued GPU job may start now
            schedulerDoorbell.ring()
        }
        job.exitCode = exit.exitCode
        job.signal = exit.signal
        job.cpuSeconds = cpu + r.cpuSecondsBefore
        let sources = r.totals.sources
        job.energySource = endReadFailed ? .notMeasured : Self.combinedSource(sources + (gpuMissing ? [.unavailable] : []))
        if !(job.energySource?.hasValue ?? false) {
            job.energy = nil
            job.carbon = nil
        } else {
            job.energy = r.totals.energy + (job.gpuEnergy ?? .zero)
            job.carbon = r.totals.carbon
            if let g = job.gpuEnergy, let t0 = job.startedAt, let t1 = job.endedAt {
                job.carbon = (job.carbon ?? .zero) + CarbonGrams(energy: g, intensity: activeSeries.meanIntensity(from: t0, to: t1))
            }
        }
        if let stopping = r.stopping {
            job.state = stopping.state
            job.reason = stopping.reason + (exit.signal == SIGKILL ? "; it did not exit on SIGTERM and was killed with SIGKILL" : "")
        } else if exit.exitCode == 0 {
            job.state = .succeeded
        } else {
            job.state = .failed
            job.reason = exit.reason ?? exit.signal.map { "killed by signal \($0)" } ?? "exited with status \(exit.exitCode ?? -1)"
        }
        job.recordPredictionErrors()
        recordFilledSeconds(jobID: id, from: job.startedAt, to: job.endedAt)
        recordReportSummary(job, totals: r.totals)
        // The last interval is written with the final state; earlier ones may still be buffered.
        let unflushed = pendingIntervals.filter { $0.jobID == id }
        pendingIntervals.removeAll { $0.jobID == id }
        let last = r.totals.last.map { [JobIntervalRecord(jobID: id, interval: $0)] } ?? []
        do {
            try parts.database.finish(job, intervals: JobIntervalRecord.coalesced(unflushed + last))
        } catch {
            log.error("recording a finished job failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
        log.info("job ended", metadata: ["job.id": "\(id)", "state": "\(job.state.rawValue)",
                                         "energy_j": "\(job.energy?.joules ?? -1)", "carbon_g": "\(job.carbon?.grams ?? -1)"])
    }

    /// The source of a sum of intervals (`EnergySource.combined`).
    static func combinedSource(_ sources: [EnergySource]) -> EnergySource { EnergySource.combined(sources) }

    private func persist(_ job: Job) {
        do {
            try parts.database.update(job)
        } catch {
            log.error("saving job failed", metadata: ["job.id": "\(job.id ?? -1)", "error": "\(error)"])
        }
    }

    // MARK: API

    public func submit(_ r: SubmitRequest, caller: Caller) async throws -> JobView {
        guard !shuttingDown else { throw APIError(status: 503, "verdantd is shutting down; submit again once it is back") }
        guard let exe = r.command.first, !exe.isEmpty else {
            throw APIError.badRequest("no command: give the job's command after '--', e.g. verdant submit -- python3 train.py")
        }
        let kind: JobKind
        if let k = r.kind {
            guard let parsed = JobKind(rawValue: k) else {
                throw APIError.badRequest("unknown kind '\(k)': use one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        } else {
            kind = .batch
        }
        let name = r.name ?? URL(fileURLWithPath: exe).lastPathComponent
        guard !name.isEmpty, name.count <= 200 else { throw APIError.badRequest("--name must be 1 to 200 characters, got \(name.count): give a shorter --name") }
        var given: Double?
        if let d = r.expectedDuration {
            guard let s = DurationSyntax.parseSeconds(d) else {
                throw APIError.badRequest("--expected-duration '\(d)' is not a duration: use e.g. 90s, 30m, 2h or PT2H")
            }
            given = s
        }
        let now = parts.clock.now()
        let deadline: Date
        if let d = r.deadline {
            guard let resolved = DurationSyntax.resolveDeadline(d, now: now) else {
                throw APIError.badRequest("--deadline '\(d)' is neither a duration (6h, PT6H) nor an ISO-8601 instant (2020-06-02T12:00:00Z)")
            }
            deadline = resolved
        } else {
            deadline = now.addingTimeInterval(parts.defaultDeadlines[kind] ?? 86400)
        }
        let queuedByCaller = try parts.database.jobs(states: [.queued]).filter { $0.uid == caller.uid }.count
        try parts.access.check(r, caller: caller, deadline: deadline, now: now, queuedByCaller: queuedByCaller)
        // After the per-user limits, so a request over a limit is refused naming that limit.
        // Executor slurm: the cluster's nodes hold the GPUs (sbatch --gres), not this one.
        if parts.batch == nil, let g = r.gpus, !gpuAllocator.canEverSatisfy(g) {
            throw APIError.badRequest(g < 0 ? "--gpus must be 0 or more"
                : "the job asks for \(g) GPU(s) but this node has \(gpuAllocator.count)" + (parts.gpus == nil ? " (no NVIDIA GPU found through NVML)" : ""))
        }
        let sizes = r.sizes ?? [:]
        do {
            try JobSizeSyntax.validate(sizes)
        } catch let e as JobSizeError {
            throw APIError.badRequest(e.description)
        }
        let memoryBytes = try declaredMemoryBytes(r)
        let policy = parts.policy.defaults(for: kind)
        let history = try parts.database.finishedRuns(name: name).compactMap(PredictorRun.init(job:))
        let prediction = parts.predictor.predict(signature: JobSignature(name: name, kind: kind, command: r.command, sizes: sizes),
                                                 sizes: sizes, declaredDurationSeconds: given, policy: policy, history: history)
        let duration = (seconds: prediction.durationSeconds, source: prediction.durationSource)
        let energy = prediction.energy
        let plan: JobPlan
        let provenance: (source: String, kind: IntensitySignalKind, onData: Bool)
        // Executor slurm: Slurm starts a job only if its whole time limit fits before --deadline.
        let planDeadline = parts.batch == nil ? deadline : batchPlanningDeadline(deadline, expectedSeconds: duration.seconds)
        do {
            if let selection {
                let covered = try Planner.plan(now: now, deadline: planDeadline, expectedDurationSeconds: duration.seconds,
                                               expectedEnergy: energy, slots: selection.slots)
                plan = covered.plan
                provenance = (selection.source, selection.kind, covered.coveredByData)
            } else {
                plan = try Planner.plan(now: now, deadline: planDeadline, expectedDurationSeconds: duration.seconds,
                                        expectedEnergy: energy, series: parts.series)
                provenance = (parts.intensitySource, .average,
                              parts.series.isCovered(at: plan.plannedStart)
                                && parts.series.isCovered(at: plan.plannedStart.addingTimeInterval(duration.seconds - 1e-3)))
            }
        } catch let e as PlanError {
            if planDeadline != deadline {
                throw APIError.badRequest("\(e.description) (executor slurm: the job's Slurm time limit of "
                    + "\(BatchTimeLimit.minutes(expectedSeconds: realSpanSeconds(duration.seconds))) min must fit between its start and --deadline)")
            }
            throw APIError.badRequest(e.description)
        }
        var job = Job(name: name, kind: kind, command: r.command, workingDirectory: r.workingDirectory,
                      environment: r.environment, uid: caller.uid, gid: caller.gid, submittedAt: now,
                      deadline: deadline, expectedDurationSeconds: duration.seconds, durationSource: duration.source,
                      expectedEnergy: energy, plan: plan)
        job.sizes = sizes
        job.apply(prediction)
        job.gpus = r.gpus ?? 0
        job.cores = r.cores ?? 1
        job.memoryBytes = memoryBytes
        try applyCheckpointRequest(r, to: &job)
        var stored: Job
        if parts.batch != nil {
            stored = try await handOver(job, resources: try batchResources(r))
        } else {
            stored = try parts.database.insert(job)
            // The whole queue is re-planned with the multi-job planner (capacity, interruptible jobs).
            replanQueue(at: now)
            if let id = stored.id, let replanned = try parts.database.job(id: id) { stored = replanned }
        }
        let due = min(stored.plannedStart, stored.latestStart)
        if let n = nextDue { nextDue = min(n, due) }   // nil (unknown): the scheduler reads the whole queue
        schedulerDoorbell.ring()
        if let id = stored.id {
            let onData = scheduling.plans[id].map { !$0.outsideData && $0.predictedCarbonGrams != nil } ?? provenance.onData
            try parts.database.save(JobIntensityRecord(jobID: id, planSource: provenance.source, kind: provenance.kind.rawValue,
                                                       plannedOnData: onData, filledSeconds: nil))
        }
        log.info("job submitted", metadata: ["job.id": "\(stored.id ?? -1)", "job.name": "\(name)",
                                             "planned_start": "\(ISO8601.string(stored.plannedStart))"])
        return view(stored)
    }

    /// Root, the admin group, and the job's own user (`AccessPolicy`); the group is looked up once.
    func visibility(for caller: Caller) -> (Job) -> Bool {
        let admin = parts.access.isAdmin(caller)
        return { admin || $0.uid == caller.uid }
    }

    private func visible(_ job: Job, to caller: Caller) -> Bool { visibility(for: caller)(job) }

    public func jobs(caller: Caller) async throws -> [JobView] {
        try parts.database.jobs().filter(visibility(for: caller)).map { view($0) }
    }

    public func job(id: Int64, caller: Caller) async throws -> JobView {
        guard let j = try parts.database.job(id: id), visible(j, to: caller) else {
            throw APIError.notFound("no job \(id): see 'verdant jobs' for your jobs")
        }
        return view(j)
    }

    /// A running job's view carries the energy and carbon charged so far.
    private func view(_ j: Job) -> JobView {
        guard let id = j.id, let r = running[id] else {
            return withSlurm(withIntensity(JobView(j)), j.id.flatMap { try? parts.database.slurmJob(jobID: $0) })
        }
        var live = r.job
        if !r.totals.isEmpty {
            live.energySource = r.totals.combinedSource
            let known = live.energySource?.hasValue ?? false
            live.energy = known ? r.totals.energy : nil
            live.carbon = known ? r.totals.carbon : nil
            live.cpuSeconds = r.last.jobCPUSeconds
        }
        return withIntensity(JobView(live))
    }

    public func cancel(id: Int64, caller: Caller) async throws -> JobView {
        guard var j = try parts.database.job(id: id), visible(j, to: caller) else {
            throw APIError.notFound("no job \(id): see 'verdant jobs' for your jobs")
        }
        if let v = try await cancelBatch(j, caller: caller) { return v }
        switch j.state {
        case .queued:
            j.state = .cancelled
            j.endedAt = parts.clock.now()
            j.reason = "cancelled by uid \(caller.uid) before it started"
            j.energySource = .unavailable
            try parts.database.update(j)
            return JobView(j)
        case .running:
            if cancelSuspended(id: id, caller: caller), let done = try parts.database.job(id: id) { return view(done) }
            guard var r = running[id] else { throw APIError.conflict("job \(id) is being recorded; try again") }
            r.stopping = (.cancelled, "cancelled by uid \(caller.uid) while running; terminated with SIGTERM")
            running[id] = r
            signalJob(r, SIGTERM)
            Task {
                try? await Task.sleep(for: .seconds(10))
                self.killIfStillRunning(id: id)
            }
            return view(j)
        default:
            throw APIError.conflict("job \(id) has already ended (\(j.state.rawValue)); nothing to cancel")
        }
    }

    public func logs(id: Int64, caller: Caller) async throws -> JobLogView {
        guard let j = try parts.database.job(id: id), visible(j, to: caller) else {
            throw APIError.notFound("no job \(id): see 'verdant jobs' for your jobs")
        }
        let limit = 1 << 20
        if j.executor == parts.executor.name, j.executorReference != nil,
           let out = parts.executor.output(Self.handle(of: j), maxBytes: limit) {
            return JobLogView(id: id, source: out.source, text: out.text)
        }
        guard let path = j.logPath else {
            throw APIError.conflict("job \(id) has not started yet (\(j.state.rawValue)); no output")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError.notFound("job \(id)'s log \(path) is gone (deleted or moved); its state, energy and carbon are still in 'verdant show \(id)'")
        }
        return JobLogView(id: id, source: "file:\(path)", text: String(decoding: data.suffix(limit), as: UTF8.self))
    }

    /// SIGKILL for a cancelled job that ignored SIGTERM; nothing when it has ended (its pid may be reused).
    private func killIfStillRunning(id: Int64) {
        guard let r = running[id] else { return }
        signalJob(r, SIGKILL)
    }

    public func plan(caller: Caller) async throws -> [JobView] {
        if scheduling.replanNeeded { replanQueue() }
        return try parts.database.jobs(states: [.queued, .running]).filter(visibility(for: caller))
            .sorted { $0.plannedStart < $1.plannedStart }.map { planView($0, base: view($0)) }
    }

    public func status() async throws -> StatusView {
        let executorLine = await batchStatus()
        let now = parts.clock.now()
        let counts = try parts.database.jobs(states: [.queued, .running])
        // Outside the trace's (or chain's) data the static value is in force: say so, not the trace.
        let covered = activeSeries.isCovered(at: now)
        let source = covered || activeIntensitySource.hasPrefix("static")
            ? activeIntensitySource
            : "static \(activeSeries.fallback.gramsPerKWh) gCO2eq/kWh (no point of \(activeIntensitySource) covers now)"
        var view = StatusView(
            now: now, replaySpeed: parts.clock.replay?.speed, version: VerdantVersion.string,
            stateDirectory: parts.stateDirectory, sensors: parts.sensor.sensorNames,
            energySource: parts.sensor.energySource.rawValue, intensitySource: source,
            intensityZone: parts.intensityZone, intensity: activeSeries.intensity(at: now).gramsPerKWh,
            intensityIsFallback: !activeSeries.isCovered(at: now),
            queued: counts.filter { $0.state == .queued }.count, running: running.count,
            samples: (try? parts.database.sampleCount()) ?? 0, sources: parts.sensor.sourceStatuses,
            cgroup: parts.executor.detail, executor: parts.executor.name,
            intensityKind: (selection?.kind ?? .average).rawValue)
        if parts.batch != nil { view.executor = "slurm" }
        view.executorStatus = executorLine
        return view
    }

    /// Uses a new scheduling policy for submissions from now on (SIGHUP reload).
    public func replacePolicy(_ policy: SchedulingPolicy, defaultDeadlines: [JobKind: Double]) {
        parts.policy = policy
        parts.defaultDeadlines = defaultDeadlines
        parts.forecasts?.planningDecayHours.withLock { $0 = policy.planner.forecastDecayHours }
        scheduling.replanNeeded = true   // the queue is kept and re-planned under the new policy
    }

    /// A one-line summary for `systemctl status`.
    public func statusLine() -> String {
        let now = parts.clock.now()
        let i = activeSeries.intensity(at: now).gramsPerKWh
        return "\(parts.sensor.sensorNames.count) sensor(s) \(parts.sensor.energySource.rawValue); "
            + "\(running.count) running; intensity \(Int(i.rounded())) gCO2eq/kWh (\(activeIntensitySource)) at \(ISO8601.string(now))"
    }
}

private func monotonicNanosNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Verdant's version, shown by `status` and `--version`.
public enum VerdantVersion {
    public static let string = "0.1.0"
}
