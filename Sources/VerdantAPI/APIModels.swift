import Foundation
import VerdantCore

/// The HTTP API between `verdant` and `verdantd`, served on the Unix socket `<state-dir>/verdantd.sock`.
///
/// Routes (all JSON; errors are `{"error": "<message>"}` with a 4xx/5xx status):
/// - `POST /v1/jobs` body `SubmitRequest` → `JobView`
/// - `GET /v1/jobs` → `[JobView]`; `GET /v1/jobs/{id}` → `JobView`
/// - `POST /v1/jobs/{id}/cancel` → `JobView`
/// - `GET /v1/jobs/{id}/logs` → `JobLogView`
/// - `GET /v1/plan` → `[JobView]` of queued and running jobs
/// - `GET /v1/status` → `StatusView`
/// - `GET /v1/report?since=T&until=T&by=G&timeline=1` → `EnergyReport`
/// The JSON shapes are documented in docs/cli.md and are a public interface.
public enum APIRoutes {
    public static let jobs = "/v1/jobs"
    public static let plan = "/v1/plan"
    public static let status = "/v1/status"
    public static let report = "/v1/report"
    /// The socket's file name inside the state folder.
    public static let socketName = "verdantd.sock"
}

/// A job submission. `deadline` and `expected_duration` are as typed by the user and resolved by the
/// daemon against its own clock (trace time in replay mode).
public struct SubmitRequest: Codable, Sendable {
    public var name: String?
    public var kind: String?
    /// A duration from now (`6h`, `PT6H`) or an ISO-8601 instant; `nil` = the policy default.
    public var deadline: String?
    public var expectedDuration: String?
    public var command: [String]
    public var workingDirectory: String
    public var environment: [String]
    /// Cores and GPUs the job asks for (`--cores`, `--gpus`); checked against the per-job limits. GPUs are
    /// given to the job through `CUDA_VISIBLE_DEVICES`; `nil` = none. Executor `slurm`: `cores` is
    /// `sbatch --cpus-per-task`, `gpus` is `--gres=gpu:N`.
    public var cores: Int?
    public var gpus: Int?
    /// Never sent by `verdant`: the job's user is the caller's `SO_PEERCRED` identity. A request that
    /// names another uid or gid here is refused (403), not silently corrected.
    public var uid: UInt32?
    public var gid: UInt32?

    /// Declared size fields (`--size epochs=10`): name → number > 0; absent or `null` = none.
    public var sizes: [String: Double]?

    /// Cluster resources: `--partition` (executor `slurm`) and `--memory` (alias `--mem`), in Slurm's
    /// syntax: a whole number with an optional K/M/G/T suffix (binary units), M by default. Executor
    /// `slurm`: `sbatch --mem`; local executors: counted against the node's `capacity-memory-gib` by
    /// the planner, and `MemoryMax=` under systemd. Absent from older clients.
    public var partition: String?
    public var memory: String?
    /// `--interruptible` (nil: the kind's policy), `--checkpoint-signal` (`SIGUSR1`…: checkpoint and
    /// restart instead of the freezer; makes the job interruptible) and `--checkpoint-grace` (a duration).
    public var interruptible: Bool?
    public var checkpointSignal: String?
    public var checkpointGrace: String?

    enum CodingKeys: String, CodingKey {
        case name, kind, deadline, command, environment, cores, gpus, uid, gid, sizes, partition
        case memory = "mem"
        case interruptible
        case checkpointSignal = "checkpoint_signal"
        case checkpointGrace = "checkpoint_grace"
        case expectedDuration = "expected_duration"
        case workingDirectory = "working_directory"
    }

    public init(name: String?, kind: String?, deadline: String?, expectedDuration: String?, command: [String],
                workingDirectory: String, environment: [String], cores: Int? = nil, gpus: Int? = nil,
                sizes: [String: Double]? = nil, partition: String? = nil, memory: String? = nil) {
        self.cores = cores
        self.gpus = gpus
        self.sizes = sizes
        self.partition = partition
        self.memory = memory
        self.name = name
        self.kind = kind
        self.deadline = deadline
        self.expectedDuration = expectedDuration
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}

/// A job as `verdant jobs/plan/show --json` prints it. Every field is always present; fields with no
/// value are `null` (energy that was not measured is `null`, never 0).
/// Times ISO-8601 UTC; energy in J, carbon in gCO2eq, intensity in gCO2eq/kWh, durations in s.
public struct JobView: Codable, Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var state: String
    public var command: [String]
    public var uid: UInt32
    public var submittedAt: Date
    public var deadline: Date
    public var expectedDurationSeconds: Double
    public var durationSource: String
    public var expectedEnergyJoules: Double
    public var latestStart: Date
    public var plannedStart: Date
    public var plannedIntensity: Double
    public var predictedCarbonGrams: Double
    public var runNowCarbonGrams: Double
    public var planReason: String
    public var startedAt: Date?
    public var endedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var energyJoules: Double?
    public var energySource: String
    public var carbonGrams: Double?
    public var cpuSeconds: Double?
    /// GPUs the job asked for, and their energy over its life (J, included in `energy_j`).
    public var gpus: Int
    public var gpuEnergyJoules: Double?
    public var logPath: String?
    public var reason: String?
    /// Intensity provenance (issue 4): the chain source the plan used (`electricitymaps`,
    /// `cache:electricitymaps`, `static …`, `trace:<file>`), its kind (`average`/`marginal`), and the
    /// seconds of the run priced by the fill rule or the static value (`null` until it ran, or for
    /// jobs planned before this version).
    public var intensitySource: String?
    public var intensityKind: String?
    public var intensityFilledSeconds: Double?
    /// Job-energy predictor (issue 5): declared sizes, one standard deviation of the predicted duration
    /// (s) and energy (J) (`expected_*` hold the predicted values), what the prediction was fitted on
    /// and on how many earlier runs, the measured duration (s), and the signed errors
    /// (predicted − measured) / measured × 100 (%). `null` where unknown (planned before v3, not ended).
    public var sizes: [String: Double]
    public var expectedDurationUncertaintySeconds: Double?
    public var expectedEnergyUncertaintyJoules: Double?
    public var predictionBasis: String?
    public var predictionRuns: Int?
    public var durationSeconds: Double?
    public var energyErrorPercent: Double?
    public var durationErrorPercent: Double?
    /// Carbon-aware planner (issue 6), for queued jobs (and running interruptible ones): the planned
    /// run intervals (one for a non-interruptible job), the carbon (g) of the best window with a
    /// perfect forecast (`null` until actual intensities cover submission to deadline), whether the
    /// plan breaks the node's capacity (the deadline came first) or lies outside the forecast's data,
    /// and, for a running job, whether it is paused (frozen) between run intervals. `null` elsewhere.
    public var planRuns: [PlanRunView]?
    public var oracleCarbonGrams: Double?
    public var planOverCapacity: Bool?
    public var planOutsideData: Bool?
    public var paused: Bool?
    /// CPU cores the job asked for (`--cores`, default 1).
    public var cores: Int?
    /// Memory the job declared (`--memory`), bytes; 0 = none.
    public var memoryBytes: Int64?
    /// Checkpoint-and-restart: the job's checkpoint signal (`SIGUSR1`; null = frozen instead) and how
    /// many times it was started again from its checkpoint.
    public var checkpointSignal: String?
    public var restartCount: Int?

    /// Executor `slurm` (issue 9): the cluster, Slurm's job id (`null` while the job waits in
    /// Verdant's queue or was refused) and Slurm's last state (`PENDING`, `COMPLETED`, `REFUSED`,
    /// `UNSUBMITTED`…); all `null` for local jobs.
    public var cluster: String?
    public var slurmJobID: Int64?
    public var slurmState: String?
    /// What `energy_j` covers when it is not the job's own: for Slurm's `ConsumedEnergyRaw`, the
    /// job's nodes (node level; the job's own only when it had them exclusively). `null` otherwise.
    public var energyScope: String?

    enum CodingKeys: String, CodingKey {
        case sizes, cluster
        case slurmJobID = "slurm_job_id"
        case slurmState = "slurm_state"
        case energyScope = "energy_scope"
        case planRuns = "plan_runs"
        case oracleCarbonGrams = "oracle_carbon_g"
        case planOverCapacity = "plan_over_capacity"
        case planOutsideData = "plan_outside_data"
        case paused, cores
        case memoryBytes = "memory_bytes"
        case checkpointSignal = "checkpoint_signal"
        case restartCount = "restart_count"
        case expectedDurationUncertaintySeconds = "expected_duration_uncertainty_s"
        case expectedEnergyUncertaintyJoules = "expected_energy_uncertainty_j"
        case predictionBasis = "prediction_basis"
        case predictionRuns = "prediction_runs"
        case durationSeconds = "duration_s"
        case energyErrorPercent = "energy_error_pct"
        case durationErrorPercent = "duration_error_pct"
        case id, name, kind, state, command, uid, deadline, signal, reason
        case intensitySource = "intensity_source"
        case intensityKind = "intensity_kind"
        case intensityFilledSeconds = "intensity_filled_s"
        case submittedAt = "submitted_at"
        case expectedDurationSeconds = "expected_duration_s"
        case durationSource = "duration_source"
        case expectedEnergyJoules = "expected_energy_j"
        case latestStart = "latest_start"
        case plannedStart = "planned_start"
        case plannedIntensity = "planned_intensity_g_per_kwh"
        case predictedCarbonGrams = "predicted_carbon_g"
        case runNowCarbonGrams = "run_now_carbon_g"
        case planReason = "plan_reason"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case exitCode = "exit_code"
        case energyJoules = "energy_j"
        case energySource = "energy_source"
        case carbonGrams = "carbon_g"
        case cpuSeconds = "cpu_seconds"
        case gpus
        case gpuEnergyJoules = "gpu_energy_j"
        case logPath = "log_path"
    }

    /// The view of a stored job.
    public init(_ j: Job) {
        id = j.id ?? -1
        cores = j.cores
        memoryBytes = j.memoryBytes
        checkpointSignal = j.checkpointSignal.map(CheckpointSignal.name)
        restartCount = j.restartCount
        name = j.name
        kind = j.kind.rawValue
        state = j.state.rawValue
        command = j.command
        uid = j.uid
        submittedAt = j.submittedAt
        deadline = j.deadline
        expectedDurationSeconds = j.expectedDurationSeconds
        durationSource = j.durationSource.rawValue
        expectedEnergyJoules = j.expectedEnergy.joules
        latestStart = j.latestStart
        plannedStart = j.plannedStart
        plannedIntensity = j.plannedIntensity.gramsPerKWh
        predictedCarbonGrams = j.predictedCarbon.grams
        runNowCarbonGrams = j.runNowCarbon.grams
        planReason = j.planReason
        startedAt = j.startedAt
        endedAt = j.endedAt
        exitCode = j.exitCode
        signal = j.signal
        energyJoules = j.energy?.joules
        energySource = (j.energySource ?? .unavailable).rawValue
        carbonGrams = j.carbon?.grams
        cpuSeconds = j.cpuSeconds
        gpus = j.gpus
        gpuEnergyJoules = j.gpuEnergy?.joules
        logPath = j.logPath
        reason = j.reason
        sizes = j.sizes
        expectedDurationUncertaintySeconds = j.expectedDurationUncertaintySeconds
        expectedEnergyUncertaintyJoules = j.expectedEnergyUncertainty?.joules
        predictionBasis = j.predictionBasis?.rawValue
        predictionRuns = j.predictionRuns
        durationSeconds = j.durationSeconds
        energyErrorPercent = j.energyErrorPercent
        durationErrorPercent = j.durationErrorPercent
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(command, forKey: .command)
        try c.encode(uid, forKey: .uid)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(deadline, forKey: .deadline)
        try c.encode(expectedDurationSeconds, forKey: .expectedDurationSeconds)
        try c.encode(durationSource, forKey: .durationSource)
        try c.encode(expectedEnergyJoules, forKey: .expectedEnergyJoules)
        try c.encode(latestStart, forKey: .latestStart)
        try c.encode(plannedStart, forKey: .plannedStart)
        try c.encode(plannedIntensity, forKey: .plannedIntensity)
        try c.encode(predictedCarbonGrams, forKey: .predictedCarbonGrams)
        try c.encode(runNowCarbonGrams, forKey: .runNowCarbonGrams)
        try c.encode(planReason, forKey: .planReason)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(signal, forKey: .signal)
        try c.encode(energyJoules, forKey: .energyJoules)
        try c.encode(energySource, forKey: .energySource)
        try c.encode(carbonGrams, forKey: .carbonGrams)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(gpus, forKey: .gpus)
        try c.encode(gpuEnergyJoules, forKey: .gpuEnergyJoules)
        try c.encode(logPath, forKey: .logPath)
        try c.encode(reason, forKey: .reason)
        try c.encode(intensitySource, forKey: .intensitySource)
        try c.encode(intensityKind, forKey: .intensityKind)
        try c.encode(intensityFilledSeconds, forKey: .intensityFilledSeconds)
        try c.encode(cluster, forKey: .cluster)
        try c.encode(slurmJobID, forKey: .slurmJobID)
        try c.encode(slurmState, forKey: .slurmState)
        try c.encode(energyScope, forKey: .energyScope)
        try c.encode(sizes, forKey: .sizes)
        try c.encode(expectedDurationUncertaintySeconds, forKey: .expectedDurationUncertaintySeconds)
        try c.encode(expectedEnergyUncertaintyJoules, forKey: .expectedEnergyUncertaintyJoules)
        try c.encode(predictionBasis, forKey: .predictionBasis)
        try c.encode(predictionRuns, forKey: .predictionRuns)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(energyErrorPercent, forKey: .energyErrorPercent)
        try c.encode(durationErrorPercent, forKey: .durationErrorPercent)
        // Planner fields (issue 6) and the declared resources.
        try c.encode(planRuns, forKey: .planRuns)
        try c.encode(oracleCarbonGrams, forKey: .oracleCarbonGrams)
        try c.encode(planOverCapacity, forKey: .planOverCapacity)
        try c.encode(planOutsideData, forKey: .planOutsideData)
        try c.encode(paused, forKey: .paused)
        try c.encode(cores, forKey: .cores)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(checkpointSignal, forKey: .checkpointSignal)
        try c.encode(restartCount, forKey: .restartCount)
    }
}

/// `verdant logs ID --json`: a job's output.
public struct JobLogView: Codable, Sendable, Hashable {
    public var id: Int64
    /// Where it came from: `journal:verdant-job-<id>.service` (systemd executor) or `file:<path>` (cgroup executor).
    public var source: String
    /// The output, at most the last 1 MiB.
    public var text: String

    public init(id: Int64, source: String, text: String) {
        self.id = id
        self.source = source
        self.text = text
    }
}

/// `verdant status --json`.
public struct StatusView: Codable, Sendable, Hashable {
    /// The daemon's clock: trace time in replay mode, else UTC wall time.
    public var now: Date
    /// Trace seconds per real second, `null` without replay.
    public var replaySpeed: Double?
    public var version: String
    public var stateDirectory: String
    /// What is sampled, one entry per zone or estimate.
    public var sensors: [String]
    /// `measured` or `estimated`.
    public var energySource: String
    /// Where intensity comes from: `trace:<file>`, or `static`.
    public var intensitySource: String
    /// Grid zone of the intensity values.
    public var intensityZone: String
    /// Intensity in force now (gCO2eq/kWh) and whether it came from the fallback.
    public var intensity: Double
    public var intensityIsFallback: Bool
    public var queued: Int
    public var running: Int
    /// Energy samples stored so far.
    public var samples: Int
    /// Where job cgroups go (the executor's detail line).
    public var cgroup: String
    /// The job executor in use: `systemd` (transient units over sd-bus), `cgroup` (child processes in
    /// cgroups), `slurm` (absent from older daemons).
    public var executor: String?
    /// Every energy source (`perf-power`, `powercap`, `estimate`) with its state (`in use`,
    /// `available`, `standby`, `unavailable: <reason>`) and detail or fix.
    public var sources: [SourceStatus]
    /// Signal kind the plans use now: `average` or `marginal` (absent from older daemons).
    public var intensityKind: String?
    /// Executor `slurm`: the cluster, whether it answers (and since when not, and why), and how many
    /// jobs wait in Verdant's queue for it. `null` for the local executor.
    public var executorStatus: String?

    enum CodingKeys: String, CodingKey {
        case now, version, sensors, intensity, queued, running, samples, cgroup, sources, executor
        case executorStatus = "executor_status"
        case intensityKind = "intensity_kind"
        case replaySpeed = "replay_speed"
        case stateDirectory = "state_dir"
        case energySource = "energy_source"
        case intensitySource = "intensity_source"
        case intensityZone = "intensity_zone"
        case intensityIsFallback = "intensity_is_fallback"
    }

    public init(now: Date, replaySpeed: Double?, version: String, stateDirectory: String, sensors: [String],
                energySource: String, intensitySource: String, intensityZone: String, intensity: Double,
                intensityIsFallback: Bool, queued: Int, running: Int, samples: Int, sources: [SourceStatus], cgroup: String,
                executor: String? = nil, intensityKind: String? = nil) {
        self.executor = executor
        self.intensityKind = intensityKind
        self.now = now
        self.replaySpeed = replaySpeed
        self.version = version
        self.stateDirectory = stateDirectory
        self.sensors = sensors
        self.energySource = energySource
        self.intensitySource = intensitySource
        self.intensityZone = intensityZone
        self.intensity = intensity
        self.intensityIsFallback = intensityIsFallback
        self.queued = queued
        self.running = running
        self.samples = samples
        self.sources = sources
        self.cgroup = cgroup
    }
}

/// The `{"error": …}` body of a failed request.
public struct APIErrorBody: Codable, Sendable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// Who is calling, from the socket's `SO_PEERCRED`, never from the request.
public struct Caller: Sendable, Hashable {
    public let uid: UInt32
    public let gid: UInt32
    public let pid: Int32
    public init(uid: UInt32, gid: UInt32, pid: Int32) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
    }
}

/// A request the daemon refuses, with the HTTP status and a message that says what to do.
public struct APIError: Error, CustomStringConvertible {
    public let status: Int
    public let message: String
    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
    public static func badRequest(_ m: String) -> APIError { APIError(status: 400, m) }
    public static func notFound(_ m: String) -> APIError { APIError(status: 404, m) }
    public static func conflict(_ m: String) -> APIError { APIError(status: 409, m) }
}

/// What the daemon serves; the HTTP server adapter calls it, the daemon implements it.
public protocol VerdantAPIHandler: Sendable {
    func submit(_ request: SubmitRequest, caller: Caller) async throws -> JobView
    func jobs(caller: Caller) async throws -> [JobView]
    func job(id: Int64, caller: Caller) async throws -> JobView
    func cancel(id: Int64, caller: Caller) async throws -> JobView
    /// The job's output (journal or log file), for its submitter or root.
    func logs(id: Int64, caller: Caller) async throws -> JobLogView
    func plan(caller: Caller) async throws -> [JobView]
    func status() async throws -> StatusView
    /// - Parameters: `since`/`until`: ISO-8601 instants or durations before now (`24h`), or `nil`;
    ///   `by`: a `ReportGrouping` name (default `job`); `timeline`: include the node timeline (charts).
    func report(since: String?, until: String?, by: String?, timeline: Bool, caller: Caller) async throws -> EnergyReport
}

/// JSON coding shared by both ends: ISO-8601 UTC dates, sorted keys.
public enum APIJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(ISO8601.string(date))
        }
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { dec in
            let c = try dec.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = ISO8601.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO-8601 instant: \(s)")
            }
            return date
        }
        return d
    }
}

/// One run interval of a plan (UTC).
public struct PlanRunView: Codable, Sendable, Hashable {
    public var start: Date
    public var end: Date
    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
}
