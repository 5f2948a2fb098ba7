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
    /// Job-energy predictor (issue 5): the predicted energy and duration the plan used, the measured
    /// duration (s), and the signed errors (predicted − measured) / measured × 100 (%), `nil` when unknown.
    public var expectedEnergy: EnergyJoules? = nil
    public var expectedDurationSeconds: Double? = nil
    public var durationSeconds: Double? = nil
    public var energyErrorPercent: Double? = nil
    public var durationErrorPercent: Double? = nil

    enum CodingKeys: String, CodingKey {
        case id, name, kind, state
        case expectedEnergy = "expected_energy_j"
        case expectedDurationSeconds = "expected_duration_s"
        case durationSeconds = "duration_s"
        case energyErrorPercent = "energy_error_pct"
        case durationErrorPercent = "duration_error_pct"
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
        try c.encode(expectedEnergy, forKey: .expectedEnergy)
        try c.encode(expectedDurationSeconds, forKey: .expectedDurationSeconds)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(energyErrorPercent, forKey: .energyErrorPercent)
        try c.encode(durationErrorPercent, forKey: .durationErrorPercent)
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
    /// The job-energy predictor's MAPE over the last `PredictorAccuracy.defaultWindow` succeeded jobs
    /// of the report (issue 5).
    public let predictor: PredictorAccuracy

    /// Builds the report from jobs: those that started, and whose start falls in [since, until).
    public init(jobs all: [Job], since: Date?, until: Date?) {
        let inRange = all.filter { j in
            guard j.id != nil, let started = j.startedAt else { return false }
            if let since, started < since { return false }
            if let until, started >= until { return false }
            return true
        }
        predictor = PredictorAccuracy(jobs: inRange)
        self.since = since
        self.until = until
        let rows: [ReportRow] = all.compactMap { j in
            guard let id = j.id, let started = j.startedAt else { return nil }
            if let since, started < since { return nil }
            if let until, started >= until { return nil }
            var row = ReportRow(id: id, name: j.name, kind: j.kind, state: j.state, startedAt: j.startedAt,
                                endedAt: j.endedAt, energy: j.energy, energySource: j.energySource ?? .unavailable,
                                carbon: j.carbon, cpuSeconds: j.cpuSeconds, predictedCarbon: j.predictedCarbon,
                                runNowCarbon: j.runNowCarbon)
            row.expectedEnergy = j.expectedEnergy
            row.expectedDurationSeconds = j.expectedDurationSeconds
            row.durationSeconds = j.durationSeconds
            row.energyErrorPercent = j.energyErrorPercent
            row.durationErrorPercent = j.durationErrorPercent
            return row
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
