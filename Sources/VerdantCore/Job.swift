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
    /// `--expected-duration` at submission.
    case given
    /// The mean of earlier finished runs with the same name.
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
    /// Why the job is in its state when that is not obvious (refused start, lost, cancelled).
    public var reason: String?

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

    public init(expectedDurationSeconds: Double, power: PowerWatts) {
        self.expectedDurationSeconds = expectedDurationSeconds
        self.power = power
    }
}

/// A scheduling policy: defaults per job kind.
public struct SchedulingPolicy: Hashable, Sendable {
    public var name: String
    public var kinds: [JobKind: KindPolicy]

    public init(name: String, kinds: [JobKind: KindPolicy]) {
        self.name = name
        self.kinds = kinds
    }

    /// The defaults for `kind`.
    public func defaults(for kind: JobKind) -> KindPolicy {
        kinds[kind] ?? KindPolicy(expectedDurationSeconds: 3600, power: PowerWatts(10))
    }
}

/// Expected duration and energy of a job before it runs.
public enum JobExpectation {
    /// The expected duration: given, else the mean of earlier finished runs with the same name,
    /// else the policy default.
    /// - Parameter history: durations (s) of earlier succeeded runs with the same name.
    public static func duration(given: Double?, history: [Double], policy: KindPolicy) -> (seconds: Double, source: DurationSource) {
        if let given { return (given, .given) }
        let valid = history.filter { $0 > 0 }
        if !valid.isEmpty { return (valid.reduce(0, +) / Double(valid.count), .history) }
        return (policy.expectedDurationSeconds, .policy)
    }

    /// The expected energy: the mean power of earlier runs with the same name (their energy over their
    /// duration), else the policy's power, times the expected duration.
    /// - Parameter history: (energy, duration s) of earlier runs with the same name that have energy.
    public static func energy(durationSeconds: Double, history: [(EnergyJoules, Double)], policy: KindPolicy) -> EnergyJoules {
        let valid = history.filter { $0.1 > 0 }
        if !valid.isEmpty {
            let meanWatts = valid.map { $0.0.joules / $0.1 }.reduce(0, +) / Double(valid.count)
            return PowerWatts(meanWatts).energy(overSeconds: durationSeconds)
        }
        return policy.power.energy(overSeconds: durationSeconds)
    }
}
