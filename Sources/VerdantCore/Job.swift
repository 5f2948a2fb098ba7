import Foundation

/// What a job is, which sets its defaults in the scheduling policy.
public enum JobKind: String, Sendable, Codable, CaseIterable {
    case inference, training, batch
}

/// Where a job is in its life. `succeeded`, `failed`, `cancelled` and `lost` are final.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Planned, waiting for its start.
    case queued
    /// Its process is running.
    case running
    /// Exited with status 0.
    case succeeded
    /// Exited non-zero, was killed by a signal, or could not be started (see `reason`).
    case failed
    /// Cancelled by its owner before or while running.
    case cancelled
    /// The daemon lost track of it (shut down or died while it ran); `reason` says how.
    case lost

    /// Whether the state can no longer change.
    public var isFinal: Bool { self != .queued && self != .running }
}

/// Where a job's expected duration came from.
public enum DurationSource: String, Sendable, Codable {
    /// `--expected-duration` at submission (used only while the job has no usable earlier run).
    case given
    /// Fitted on earlier finished runs by the job-energy predictor (`JobEnergyPredictor`).
    case history
    /// The kind's default in the scheduling policy.
    case policy
}

/// A job as the daemon keeps it: its request, its plan, and what happened when it ran.
/// Times are UTC (trace time in replay mode); energy in joules, carbon in grams CO2eq.
public struct Job: Sendable, Codable, Hashable {
    public var id: Int64?
    public var name: String
    public var kind: JobKind
    /// argv; `command[0]` is resolved against the submitter's `PATH`.
    public var command: [String]
    public var workingDirectory: String
    /// The environment given to the job, `NAME=value`.
    public var environment: [String]
    /// Submitting user, from the API socket's peer credentials.
    public var uid: UInt32
    public var gid: UInt32
    public var state: JobState
    public var submittedAt: Date
    public var deadline: Date
    public var expectedDurationSeconds: Double
    public var durationSource: DurationSource
    public var expectedEnergy: EnergyJoules
    public var latestStart: Date
    public var plannedStart: Date
    public var plannedIntensity: IntensityGramsPerKWh
    public var predictedCarbon: CarbonGrams
    public var runNowCarbon: CarbonGrams
    public var planReason: String
    public var startedAt: Date?
    public var endedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var pid: Int32?
    public var cgroupPath: String?
    public var logPath: String?
    /// The executor that ran it (`cgroup`, `systemd`, `slurm`); `nil` for jobs from before executors
    /// were recorded (the cgroup executor ran those).
    public var executor: String?
    /// The executor's reference to the running job (`JobExecutorHandle.reference`: a unit name, a
    /// cgroup directory, a Slurm job id), kept so that a restarted daemon can find the job again.
    public var executorReference: String?
    /// Measured or estimated energy of the run; `nil` until it has run (never 0 for "unknown").
    public var energy: EnergyJoules?
    public var energySource: EnergySource?
    public var carbon: CarbonGrams?
    public var cpuSeconds: Double?
    /// GPUs the job asked for (`verdant submit --gpus N`); 0 = none.
    public var gpus: Int = 0
    /// CPU cores the job asked for (`--cores`, default 1): what it takes from the node's capacity.
    public var cores: Int = 1
    /// Memory the job declared (`--memory 4G`), bytes; 0 = none declared. The planner counts it
    /// against the node's memory; the systemd executor sets it as `MemoryMax=`.
    public var memoryBytes: Int64 = 0
    /// `--interruptible`: may be paused between run intervals whatever its kind's policy says; nil = the policy.
    public var interruptible: Bool?
    /// `--checkpoint-signal`: checkpoint-and-restart instead of the freezer (`CheckpointSignal`); nil = freezer.
    public var checkpointSignal: Int32?
    /// `--checkpoint-grace` (s, real time) between the checkpoint signal and SIGTERM; nil = 30 s.
    public var checkpointGraceSeconds: Double?
    /// Times it was started again from its checkpoint (`VERDANT_RESTART_COUNT` of its latest start).
    public var restartCount: Int = 0
    /// Energy of the job's GPUs over its life (NVML counters), included in `energy`; `nil` when it
    /// has no GPUs or their energy could not be read.
    public var gpuEnergy: EnergyJoules?
    /// Why the job is in its state when that is not obvious (refused start, lost, cancelled).
    public var reason: String?

    // Job-energy predictor (issue 5; columns of the migration "v3-job-energy-predictions").
    // `expectedDurationSeconds` and `expectedEnergy` above are the predicted values the plan used.

    /// Declared size fields (`--size epochs=10`): name → value > 0. Empty when none were declared.
    public var sizes: [String: Double] = [:]
    /// One standard deviation of the predicted duration (s); `nil` for jobs planned before v3.
    /// The planner's latest-start margin reads it with `expectedDurationSeconds`.
    public var expectedDurationUncertaintySeconds: Double?
    /// One standard deviation of the predicted energy; `nil` for jobs planned before v3.
    public var expectedEnergyUncertainty: EnergyJoules?
    /// What the prediction was fitted on; `nil` for jobs planned before v3.
    public var predictionBasis: PredictionBasis?
    /// How many earlier runs the prediction was fitted on (0 for a cold start).
    public var predictionRuns: Int?
    /// Measured duration (s, daemon time: `ended_at − started_at`), set when a job that started ends.
    public var durationSeconds: Double?
    /// `(expected − measured) / measured × 100` for energy and duration, set when a job that started
    /// ends with a measured value; `nil` when either side is missing.
    public var energyErrorPercent: Double?
    public var durationErrorPercent: Double?

    enum CodingKeys: String, CodingKey {
        case id, name, kind, command, state, deadline, uid, gid, signal, pid, reason, energy, carbon, environment
        case workingDirectory = "working_directory"
        case submittedAt = "submitted_at"
        case expectedDurationSeconds = "expected_duration_s"
        case durationSource = "duration_source"
        case expectedEnergy = "expected_energy_j"
        case latestStart = "latest_start"
        case plannedStart = "planned_start"
        case plannedIntensity = "planned_intensity_g_per_kwh"
        case predictedCarbon = "predicted_carbon_g"
        case runNowCarbon = "run_now_carbon_g"
        case planReason = "plan_reason"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case exitCode = "exit_code"
        case cgroupPath = "cgroup_path"
        case logPath = "log_path"
        case executor
        case executorReference = "executor_reference"
        case energySource = "energy_source"
        case cpuSeconds = "cpu_seconds"
        case sizes
        case expectedDurationUncertaintySeconds = "expected_duration_uncertainty_s"
        case expectedEnergyUncertainty = "expected_energy_uncertainty_j"
        case predictionBasis = "prediction_basis"
        case predictionRuns = "prediction_runs"
        case durationSeconds = "duration_s"
        case energyErrorPercent = "energy_error_pct"
        case durationErrorPercent = "duration_error_pct"
        case gpus
        case gpuEnergy = "gpu_energy_j"
        case cores
        case memoryBytes = "memory_bytes"
        case interruptible
        case checkpointSignal = "checkpoint_signal"
        case checkpointGraceSeconds = "checkpoint_grace_s"
        case restartCount = "restart_count"
    }

    public init(id: Int64? = nil, name: String, kind: JobKind, command: [String], workingDirectory: String,
                environment: [String], uid: UInt32, gid: UInt32, submittedAt: Date, deadline: Date,
                expectedDurationSeconds: Double, durationSource: DurationSource, expectedEnergy: EnergyJoules,
                plan: JobPlan) {
        self.id = id
        self.name = name
        self.kind = kind
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.uid = uid
        self.gid = gid
        self.state = .queued
        self.submittedAt = submittedAt
        self.deadline = deadline
        self.expectedDurationSeconds = expectedDurationSeconds
        self.durationSource = durationSource
        self.expectedEnergy = expectedEnergy
        self.latestStart = plan.latestStart
        self.plannedStart = plan.plannedStart
        self.plannedIntensity = plan.plannedIntensity
        self.predictedCarbon = plan.predictedCarbon
        self.runNowCarbon = plan.runNowCarbon
        self.planReason = plan.reason
    }
}

/// Per-kind defaults of a scheduling policy (`Policies/*.yaml`).
public struct KindPolicy: Hashable, Sendable, Codable {
    /// Expected duration when neither the submission nor history gives one (s).
    public var expectedDurationSeconds: Double
    /// Mean power assumed for a job of this kind with no history, for its expected energy.
    public var power: PowerWatts
    /// Whether jobs of this kind may be paused and resumed (run in any set of whole slots).
    public var interruptible: Bool
    /// Longest delay from submission to start (s); nil: only the deadline bounds it; 0: at once.
    public var maxDelaySeconds: Double?
    /// Defer only when the plan saves at least this fraction of the run-now carbon (0…1; `min-saving: 5%`).
    public var minimumSavingFraction: Double
    /// Defer only when the plan saves at least this many grams CO2eq (`min-saving: 20g`); 0: no such floor.
    public var minimumSavingGrams: Double = 0

    public init(expectedDurationSeconds: Double, power: PowerWatts, interruptible: Bool = false,
                maxDelaySeconds: Double? = nil, minimumSavingFraction: Double = 0, minimumSavingGrams: Double = 0) {
        self.minimumSavingGrams = minimumSavingGrams
        self.expectedDurationSeconds = expectedDurationSeconds
        self.power = power
        self.interruptible = interruptible
        self.maxDelaySeconds = maxDelaySeconds
        self.minimumSavingFraction = minimumSavingFraction
    }
}

/// Which jobs a policy applies to. Empty lists match everything; a job matches when it matches
/// every non-empty list. Names match exactly or, ending in `*`, by prefix.
public struct PolicySelector: Hashable, Sendable {
    public var kinds: [JobKind]
    public var names: [String]
    /// User names or numeric uids, as written in the file.
    public var users: [String]

    public init(kinds: [JobKind] = [], names: [String] = [], users: [String] = []) {
        self.kinds = kinds
        self.names = names
        self.users = users
    }

    /// Whether a job of `kind`, `name`, submitted by `user` (name) / `uid`, is selected.
    public func matches(kind: JobKind, name: String, user: String?, uid: UInt32) -> Bool {
        if !kinds.isEmpty && !kinds.contains(kind) { return false }
        if !names.isEmpty && !names.contains(where: { $0.hasSuffix("*") ? name.hasPrefix(String($0.dropLast())) : $0 == name }) { return false }
        if !users.isEmpty && !users.contains(where: { $0 == user || $0 == String(uid) }) { return false }
        return true
    }

    /// How specific the selector is (more lists given = more specific), for choosing among policies.
    public var specificity: Int { (kinds.isEmpty ? 0 : 1) + (names.isEmpty ? 0 : 2) + (users.isEmpty ? 0 : 4) }
}

/// A scheduling policy: defaults per job kind, which jobs it applies to, the planner's tunables and
/// the capacity it keeps free.
public struct SchedulingPolicy: Hashable, Sendable {
    public var name: String
    public var kinds: [JobKind: KindPolicy]
    public var appliesTo: PolicySelector
    public var planner: PlannerSettings
    /// Capacity kept free for work outside Verdant (subtracted from the node's).
    public var reservation: JobDemand

    public init(name: String, kinds: [JobKind: KindPolicy], appliesTo: PolicySelector = PolicySelector(),
                planner: PlannerSettings = PlannerSettings(), reservation: JobDemand = JobDemand(cores: 0)) {
        self.name = name
        self.kinds = kinds
        self.appliesTo = appliesTo
        self.planner = planner
        self.reservation = reservation
    }

    /// The defaults for `kind`.
    public func defaults(for kind: JobKind) -> KindPolicy {
        kinds[kind] ?? KindPolicy(expectedDurationSeconds: 3600, power: PowerWatts(10))
    }

    /// The node's capacity less this policy's reservation.
    public func available(of node: NodeCapacity) -> NodeCapacity {
        NodeCapacity(cores: max(0, node.cores - reservation.cores), memoryBytes: max(0, node.memoryBytes - reservation.memoryBytes),
                     gpus: max(0, node.gpus - reservation.gpus), maxConcurrentJobs: node.maxConcurrentJobs)
    }

    /// The policy for a job among `policies`: the most specific that selects it (ties: the first
    /// listed); nil when none does.
    public static func select(from policies: [SchedulingPolicy], kind: JobKind, name: String, user: String?, uid: UInt32) -> SchedulingPolicy? {
        var best: SchedulingPolicy?
        for p in policies where p.appliesTo.matches(kind: kind, name: name, user: user, uid: uid) {
            if best == nil || p.appliesTo.specificity > best!.appliesTo.specificity { best = p }
        }
        return best
    }
}

extension Job {
    /// Sets the expected duration and energy (and their uncertainty and basis) from a prediction.
    public mutating func apply(_ p: JobPrediction) {
        expectedDurationSeconds = p.durationSeconds
        durationSource = p.durationSource
        expectedEnergy = p.energy
        expectedDurationUncertaintySeconds = p.durationUncertaintySeconds
        expectedEnergyUncertainty = p.energyUncertainty
        predictionBasis = p.basis
        predictionRuns = p.runs
    }

    /// Records the measured duration of a job that has ended and, when it succeeded, the prediction
    /// errors: called once `state`, `startedAt`, `endedAt` and `energy` are final. A job that never
    /// started records nothing; a failed, cancelled or lost run stopped early, so its errors stay `nil`.
    public mutating func recordPredictionErrors() {
        guard let s = startedAt, let e = endedAt else { return }
        let d = e.timeIntervalSince(s)
        durationSeconds = d
        guard state == .succeeded else { return }
        durationErrorPercent = predictionErrorPercent(predicted: expectedDurationSeconds, measured: d)
        energyErrorPercent = predictionErrorPercent(predicted: expectedEnergy.joules, measured: energy?.joules)
    }
}
