import Foundation

/// One row of an energy report: one job that ran.
public struct ReportRow: Sendable, Hashable, Codable {
    public let id: Int64
    public let name: String
    public let kind: JobKind
    public let state: JobState
    public let startedAt: Date?
    public let endedAt: Date?
    /// `nil` when nothing was measured or estimated (shown as `n/a`, never 0).
    public let energy: EnergyJoules?
    public let energySource: EnergySource
    public let carbon: CarbonGrams?
    public let cpuSeconds: Double?
    public let predictedCarbon: CarbonGrams
    public let runNowCarbon: CarbonGrams
    /// Where it ran: the Slurm cluster and job id (executor `slurm`); `nil` for a local job.
    public var placement: JobPlacement? = nil

    enum CodingKeys: String, CodingKey {
        case id, name, kind, state, cluster
        case batchJobID = "slurm_job_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case energy = "energy_j"
        case energySource = "energy_source"
        case carbon = "carbon_g"
        case cpuSeconds = "cpu_seconds"
        case predictedCarbon = "predicted_carbon_g"
        case runNowCarbon = "run_now_carbon_g"
    }

    /// Encodes every key; absent values as `null`, never omitted or 0.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(energy, forKey: .energy)
        try c.encode(energySource, forKey: .energySource)
        try c.encode(carbon, forKey: .carbon)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(predictedCarbon, forKey: .predictedCarbon)
        try c.encode(runNowCarbon, forKey: .runNowCarbon)
        try c.encode(placement?.cluster, forKey: .cluster)
        try c.encode(placement?.batchJobID, forKey: .batchJobID)
    }

    public init(id: Int64, name: String, kind: JobKind, state: JobState, startedAt: Date?, endedAt: Date?, energy: EnergyJoules?,
                energySource: EnergySource, carbon: CarbonGrams?, cpuSeconds: Double?, predictedCarbon: CarbonGrams,
                runNowCarbon: CarbonGrams, placement: JobPlacement? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.state = state
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.energy = energy
        self.energySource = energySource
        self.carbon = carbon
        self.cpuSeconds = cpuSeconds
        self.predictedCarbon = predictedCarbon
        self.runNowCarbon = runNowCarbon
        self.placement = placement
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(JobKind.self, forKey: .kind)
        state = try c.decode(JobState.self, forKey: .state)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        energy = try c.decodeIfPresent(EnergyJoules.self, forKey: .energy)
        energySource = try c.decode(EnergySource.self, forKey: .energySource)
        carbon = try c.decodeIfPresent(CarbonGrams.self, forKey: .carbon)
        cpuSeconds = try c.decodeIfPresent(Double.self, forKey: .cpuSeconds)
        predictedCarbon = try c.decode(CarbonGrams.self, forKey: .predictedCarbon)
        runNowCarbon = try c.decode(CarbonGrams.self, forKey: .runNowCarbon)
        if let cluster = try c.decodeIfPresent(String.self, forKey: .cluster) {
            placement = JobPlacement(cluster: cluster, batchJobID: try c.decodeIfPresent(Int64.self, forKey: .batchJobID))
        }
    }
}

/// Where a job ran when it was not on this machine: a batch cluster and the job's id there.
public struct JobPlacement: Sendable, Hashable, Codable {
    /// The cluster's name (Slurm's `ClusterName`).
    public var cluster: String
    /// The batch scheduler's job id; `nil` when the job never reached it (refused, cancelled while waiting).
    public var batchJobID: Int64?

    public init(cluster: String, batchJobID: Int64?) {
        self.cluster = cluster
        self.batchJobID = batchJobID
    }
}

/// The totals of a report: exactly the sums of its rows' values (rows without a value add nothing,
/// and a total over rows that all lack a value is `nil`, not 0).
public struct ReportTotals: Sendable, Hashable, Codable {
    public let energy: EnergyJoules?
    public let carbon: CarbonGrams?
    public let cpuSeconds: Double?
    public let jobs: Int

    enum CodingKeys: String, CodingKey {
        case energy = "energy_j"
        case carbon = "carbon_g"
        case cpuSeconds = "cpu_seconds"
        case jobs
    }

    /// Encodes every key; absent totals as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(energy, forKey: .energy)
        try c.encode(carbon, forKey: .carbon)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(jobs, forKey: .jobs)
    }
}

/// A per-job energy report over a time range.
public struct EnergyReport: Sendable, Hashable, Codable {
    public let since: Date?
    public let until: Date?
    public let jobs: [ReportRow]
    public let totals: ReportTotals

    /// Builds the report from jobs: those that started, and whose start falls in [since, until).
    /// - Parameter placements: where jobs ran off this machine, by job id (executor `slurm`).
    public init(jobs all: [Job], since: Date?, until: Date?, placements: [Int64: JobPlacement] = [:]) {
        self.since = since
        self.until = until
        let rows: [ReportRow] = all.compactMap { j in
            guard let id = j.id, let started = j.startedAt else { return nil }
            if let since, started < since { return nil }
            if let until, started >= until { return nil }
            return ReportRow(id: id, name: j.name, kind: j.kind, state: j.state, startedAt: j.startedAt,
                             endedAt: j.endedAt, energy: j.energy, energySource: j.energySource ?? .unavailable,
                             carbon: j.carbon, cpuSeconds: j.cpuSeconds, predictedCarbon: j.predictedCarbon,
                             runNowCarbon: j.runNowCarbon, placement: placements[id])
        }.sorted { $0.id < $1.id }
        self.jobs = rows
        let energies = rows.compactMap(\.energy)
        let carbons = rows.compactMap(\.carbon)
        let cpus = rows.compactMap(\.cpuSeconds)
        totals = ReportTotals(energy: energies.isEmpty ? nil : energies.reduce(.zero, +),
                              carbon: carbons.isEmpty ? nil : carbons.reduce(.zero, +),
                              cpuSeconds: cpus.isEmpty ? nil : cpus.reduce(0, +),
                              jobs: rows.count)
    }
}
