import Foundation

/// How `verdant report --by` groups its rows.
public enum ReportGrouping: String, Sendable, Codable, CaseIterable {
    /// One row per finished job.
    case job
    /// One row per UTC day of the job's start (`2020-06-01`).
    case day
    /// One row per ISO-8601 week of the job's start (`2020-W23`, weeks start on Monday, UTC).
    case week
    /// One row per job kind (`training`, …).
    case kind
    /// One row per submitting user (name, else `uid <n>`).
    case user
    /// One row per energy zone of the node (`intel-rapl:0`, `cpu-estimate`): node energy, not jobs.
    case zone
}

/// Everything a report needs about one finished job; the daemon gathers it from the store.
public struct ReportJobInput: Sendable, Hashable {
    public var job: Job
    /// The submitter's login name, else `uid <n>`.
    public var userName: String
    /// The intensity source and signal kind (`average`/`marginal`) that priced the run, when known.
    public var intensitySource: String?
    public var intensityKind: String?
    /// Seconds of the run whose energy was measured, estimated, or is missing (no number). Their sum
    /// is the run time; `nil` when unknown (jobs finished before this was recorded).
    public var measuredSeconds: Double?
    public var estimatedSeconds: Double?
    public var missingSeconds: Double?
    /// The counterfactual: the job's energy priced by the same intensity series over the same run
    /// length starting at submission (gCO2eq); `nil` when the job has no energy.
    public var counterfactualCarbon: CarbonGrams?
    /// Where it ran when not on this machine: the Slurm cluster and job id (executor `slurm`).
    public var placement: JobPlacement?

    public init(job: Job, userName: String, intensitySource: String? = nil, intensityKind: String? = nil,
                measuredSeconds: Double? = nil, estimatedSeconds: Double? = nil, missingSeconds: Double? = nil,
                counterfactualCarbon: CarbonGrams? = nil, placement: JobPlacement? = nil) {
        self.placement = placement
        self.job = job
        self.userName = userName
        self.intensitySource = intensitySource
        self.intensityKind = intensityKind
        self.measuredSeconds = measuredSeconds
        self.estimatedSeconds = estimatedSeconds
        self.missingSeconds = missingSeconds
        self.counterfactualCarbon = counterfactualCarbon
    }
}

/// The node energy of one zone over the report's range, from rollups plus the raw tail.
public struct ReportZoneInput: Sendable, Hashable {
    /// Zone id (`intel-rapl:0`) or `cpu-estimate`.
    public var zone: String
    public var source: EnergySource
    /// Energy of the intervals that have a number; `nil` when none has.
    public var energy: EnergyJoules?
    /// Seconds with a number, and seconds without one (uncertain, inconsistent, missing).
    public var okSeconds: Double
    public var missingSeconds: Double
    /// Node busy CPU-seconds over the covered time.
    public var busyCPUSeconds: Double
    /// Σ interval energy × intensity at the interval; `nil` without energy.
    public var carbon: CarbonGrams?

    public init(zone: String, source: EnergySource, energy: EnergyJoules?, okSeconds: Double, missingSeconds: Double,
                busyCPUSeconds: Double, carbon: CarbonGrams?) {
        self.zone = zone
        self.source = source
        self.energy = energy
        self.okSeconds = okSeconds
        self.missingSeconds = missingSeconds
        self.busyCPUSeconds = busyCPUSeconds
        self.carbon = carbon
    }
}

/// One row of a report: one job, or a group of jobs (day, week, kind, user), or one energy zone.
///
/// Additive fields (`*_j`, `*_g`, `*_s`, `jobs`) of the totals are exactly the sums of the rows'.
/// Ratios (`mean_power_w`, `intensity_g_per_kwh`, `*_share`, `energy_error_pct`) are recomputed from
/// those sums. A value that does not exist is `nil` (JSON `null`, CSV empty, table `n/a`), never 0.
public struct ReportRow: Sendable, Hashable, Codable {
    /// The group: the job id, `2020-06-01`, `2020-W23`, the kind, the user, the zone; `TOTAL` on totals.
    public var key: String
    /// Jobs in the row (0 for zone rows).
    public var jobs: Int
    /// Run time: Σ (ended − started) of the jobs, or the zone's covered seconds (s).
    public var durationSeconds: Double
    public var energyJoules: Double?
    public var cpuSeconds: Double?
    public var carbonGrams: Double?
    /// `all` when every part has the same value, else `mixed`; `nil` when none is known.
    public var intensitySource: String?
    public var intensityKind: String?
    /// Seconds of run time with measured, estimated and missing energy (shares are of their sum).
    public var measuredSeconds: Double
    public var estimatedSeconds: Double
    public var missingSeconds: Double
    /// Σ expected energy of the jobs at submission (J); `nil` for zone rows.
    public var predictedEnergyJoules: Double?
    /// Σ (energy − expected energy) over the jobs that have energy (J).
    public var energyErrorJoules: Double?
    /// Σ expected energy over the same jobs, the base of `energy_error_pct`.
    var predictedEnergyOfMeasuredJoules: Double?
    /// `predicted_energy_of_measured_j` as the JSON holds it (for renderers outside this module).
    public var predictedEnergyOfMeasuredJoulesForJSON: Double? { predictedEnergyOfMeasuredJoules }
    /// Σ counterfactual carbon (jobs started at submission) over jobs that have carbon (g).
    public var counterfactualCarbonGrams: Double?
    /// counterfactual − actual over the same jobs (g); positive = saved by waiting.
    public var carbonSavedGrams: Double?
    /// Σ (started − submitted) of the jobs (s).
    public var delaySeconds: Double?

    /// Energy in kWh (1 kWh = 3.6 MJ).
    public var energyKWh: Double? { energyJoules.map { $0 / 3_600_000 } }
    /// Mean power over the run time (W); `nil` without energy or time.
    public var meanPowerWatts: Double? {
        guard let e = energyJoules, durationSeconds > 0 else { return nil }
        return e / durationSeconds
    }
    /// Mean intensity used: carbon / energy (gCO2eq/kWh).
    public var intensityGramsPerKWh: Double? {
        guard let c = carbonGrams, let kwh = energyKWh, kwh > 0 else { return nil }
        return c / kwh
    }
    private var shareBase: Double { measuredSeconds + estimatedSeconds + missingSeconds }
    public var measuredShare: Double? { shareBase > 0 ? measuredSeconds / shareBase : nil }
    public var estimatedShare: Double? { shareBase > 0 ? estimatedSeconds / shareBase : nil }
    public var missingShare: Double? { shareBase > 0 ? missingSeconds / shareBase : nil }
    /// (energy − predicted) / predicted × 100 over the jobs that have energy.
    public var energyErrorPercent: Double? {
        guard let e = energyErrorJoules, let p = predictedEnergyOfMeasuredJoules, p > 0 else { return nil }
        return e / p * 100
    }

    /// Rows merged into this one (labels of the first are taken as they are).
    var mergedParts = 0

    init(key: String) {
        self.key = key
        jobs = 0
        durationSeconds = 0
        measuredSeconds = 0
        estimatedSeconds = 0
        missingSeconds = 0
    }

    enum CodingKeys: String, CodingKey {
        case key, jobs
        case durationSeconds = "duration_s"
        case energyJoules = "energy_j"
        case energyKWh = "energy_kwh"
        case meanPowerWatts = "mean_power_w"
        case cpuSeconds = "cpu_s"
        case carbonGrams = "carbon_g"
        case intensityGramsPerKWh = "intensity_g_per_kwh"
        case intensitySource = "intensity_source"
        case intensityKind = "intensity_kind"
        case measuredSeconds = "measured_s"
        case estimatedSeconds = "estimated_s"
        case missingSeconds = "missing_s"
        case measuredShare = "measured_share"
        case estimatedShare = "estimated_share"
        case missingShare = "missing_share"
        case predictedEnergyJoules = "predicted_energy_j"
        case energyErrorJoules = "energy_error_j"
        case energyErrorPercent = "energy_error_pct"
        case predictedEnergyOfMeasuredJoules = "predicted_energy_of_measured_j"
        case counterfactualCarbonGrams = "counterfactual_carbon_g"
        case carbonSavedGrams = "carbon_saved_g"
        case delaySeconds = "delay_s"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        jobs = try c.decode(Int.self, forKey: .jobs)
        durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
        energyJoules = try c.decodeIfPresent(Double.self, forKey: .energyJoules)
        cpuSeconds = try c.decodeIfPresent(Double.self, forKey: .cpuSeconds)
        carbonGrams = try c.decodeIfPresent(Double.self, forKey: .carbonGrams)
        intensitySource = try c.decodeIfPresent(String.self, forKey: .intensitySource)
        intensityKind = try c.decodeIfPresent(String.self, forKey: .intensityKind)
        measuredSeconds = try c.decode(Double.self, forKey: .measuredSeconds)
        estimatedSeconds = try c.decode(Double.self, forKey: .estimatedSeconds)
        missingSeconds = try c.decode(Double.self, forKey: .missingSeconds)
        predictedEnergyJoules = try c.decodeIfPresent(Double.self, forKey: .predictedEnergyJoules)
        energyErrorJoules = try c.decodeIfPresent(Double.self, forKey: .energyErrorJoules)
        predictedEnergyOfMeasuredJoules = try c.decodeIfPresent(Double.self, forKey: .predictedEnergyOfMeasuredJoules)
        counterfactualCarbonGrams = try c.decodeIfPresent(Double.self, forKey: .counterfactualCarbonGrams)
        carbonSavedGrams = try c.decodeIfPresent(Double.self, forKey: .carbonSavedGrams)
        delaySeconds = try c.decodeIfPresent(Double.self, forKey: .delaySeconds)
    }

    /// Encodes every key, absent values as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(energyJoules, forKey: .energyJoules)
        try c.encode(energyKWh, forKey: .energyKWh)
        try c.encode(meanPowerWatts, forKey: .meanPowerWatts)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(carbonGrams, forKey: .carbonGrams)
        try c.encode(intensityGramsPerKWh, forKey: .intensityGramsPerKWh)
        try c.encode(intensitySource, forKey: .intensitySource)
        try c.encode(intensityKind, forKey: .intensityKind)
        try c.encode(measuredSeconds, forKey: .measuredSeconds)
        try c.encode(estimatedSeconds, forKey: .estimatedSeconds)
        try c.encode(missingSeconds, forKey: .missingSeconds)
        try c.encode(measuredShare, forKey: .measuredShare)
        try c.encode(estimatedShare, forKey: .estimatedShare)
        try c.encode(missingShare, forKey: .missingShare)
        try c.encode(predictedEnergyJoules, forKey: .predictedEnergyJoules)
        try c.encode(energyErrorJoules, forKey: .energyErrorJoules)
        try c.encode(energyErrorPercent, forKey: .energyErrorPercent)
        try c.encode(predictedEnergyOfMeasuredJoules, forKey: .predictedEnergyOfMeasuredJoules)
        try c.encode(counterfactualCarbonGrams, forKey: .counterfactualCarbonGrams)
        try c.encode(carbonSavedGrams, forKey: .carbonSavedGrams)
        try c.encode(delaySeconds, forKey: .delaySeconds)
    }

    // MARK: Accumulation

    private static func add(_ a: Double?, _ b: Double?) -> Double? {
        switch (a, b) {
        case let (x?, y?): return x + y
        case let (x?, nil): return x
        case let (nil, y?): return y
        default: return nil
        }
    }

    private static func mergeLabel(_ a: String?, _ b: String?, first: Bool) -> String? {
        if first { return b }
        if a == b { return a }
        if a == nil { return b }
        if b == nil { return a }
        return "mixed"
    }

    /// Adds another row's values (a job into its group, a group into the totals).
    mutating func add(_ r: ReportRow) {
        let first = mergedParts == 0
        mergedParts += 1
        intensitySource = Self.mergeLabel(intensitySource, r.intensitySource, first: first)
        intensityKind = Self.mergeLabel(intensityKind, r.intensityKind, first: first)
        jobs += r.jobs
        durationSeconds += r.durationSeconds
        energyJoules = Self.add(energyJoules, r.energyJoules)
        cpuSeconds = Self.add(cpuSeconds, r.cpuSeconds)
        carbonGrams = Self.add(carbonGrams, r.carbonGrams)
        measuredSeconds += r.measuredSeconds
        estimatedSeconds += r.estimatedSeconds
        missingSeconds += r.missingSeconds
        predictedEnergyJoules = Self.add(predictedEnergyJoules, r.predictedEnergyJoules)
        energyErrorJoules = Self.add(energyErrorJoules, r.energyErrorJoules)
        predictedEnergyOfMeasuredJoules = Self.add(predictedEnergyOfMeasuredJoules, r.predictedEnergyOfMeasuredJoules)
        counterfactualCarbonGrams = Self.add(counterfactualCarbonGrams, r.counterfactualCarbonGrams)
        carbonSavedGrams = Self.add(carbonSavedGrams, r.carbonSavedGrams)
        delaySeconds = Self.add(delaySeconds, r.delaySeconds)
    }

    /// The row of one job.
    public init(job i: ReportJobInput) {
        let j = i.job
        self.init(key: j.id.map(String.init) ?? "?")
        mergedParts = 1
        jobs = 1
        let duration = (j.startedAt != nil && j.endedAt != nil) ? max(0, j.endedAt!.timeIntervalSince(j.startedAt!)) : 0
        durationSeconds = duration
        energyJoules = j.energy?.joules
        cpuSeconds = j.cpuSeconds
        carbonGrams = j.carbon?.grams
        intensitySource = i.intensitySource
        intensityKind = i.intensityKind
        if let m = i.measuredSeconds, let e = i.estimatedSeconds, let x = i.missingSeconds {
            measuredSeconds = m
            estimatedSeconds = e
            missingSeconds = x
        } else {
            // Unknown split: the job's combined source covers its whole run.
            switch j.energySource ?? .unavailable {
            case .measured: measuredSeconds = duration
            case .estimated: estimatedSeconds = duration
            case .unavailable, .partial, .notMeasured: missingSeconds = duration
            }
        }
        predictedEnergyJoules = j.expectedEnergy.joules
        if let e = j.energy {
            energyErrorJoules = e.joules - j.expectedEnergy.joules
            predictedEnergyOfMeasuredJoules = j.expectedEnergy.joules
        }
        if let cf = i.counterfactualCarbon, let c = j.carbon {
            counterfactualCarbonGrams = cf.grams
            carbonSavedGrams = cf.grams - c.grams
        }
        delaySeconds = j.startedAt.map { max(0, $0.timeIntervalSince(j.submittedAt)) }
    }

    /// The row of one energy zone.
    public init(zone z: ReportZoneInput) {
        self.init(key: z.zone)
        mergedParts = 1
        durationSeconds = z.okSeconds + z.missingSeconds
        energyJoules = z.energy?.joules
        cpuSeconds = z.busyCPUSeconds
        carbonGrams = z.carbon?.grams
        switch z.source {
        case .measured: measuredSeconds = z.okSeconds
        case .estimated: estimatedSeconds = z.okSeconds
        case .unavailable, .partial, .notMeasured: missingSeconds = z.okSeconds
        }
        missingSeconds += z.missingSeconds
    }
}

/// One finished job as the report lists it (the HTML table, `jobs` in JSON).
public struct ReportJob: Sendable, Hashable, Codable {
    public let id: Int64
    public let name: String
    public let kind: JobKind
    public let state: JobState
    public let user: String
    public let submittedAt: Date
    public let startedAt: Date?
    public let endedAt: Date?
    /// `nil` when nothing was measured or estimated (shown as `n/a`, never 0).
    public let energy: EnergyJoules?
    public let energySource: EnergySource
    public let carbon: CarbonGrams?
    public let cpuSeconds: Double?
    public let predictedCarbon: CarbonGrams
    public let runNowCarbon: CarbonGrams
    /// The job's own row (energy, power, shares, error, counterfactual, delay).
    public let row: ReportRow
    /// Where it ran: the Slurm cluster and job id (executor `slurm`); `nil` for a local job. JSON keys
    /// `cluster` and `slurm_job_id`, `null` for local jobs.
    public let placement: JobPlacement?

    enum CodingKeys: String, CodingKey {
        case id, name, kind, state, user, row, cluster
        case batchJobID = "slurm_job_id"
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case energy = "energy_j"
        case energySource = "energy_source"
        case carbon = "carbon_g"
        case cpuSeconds = "cpu_seconds"
        case predictedCarbon = "predicted_carbon_g"
        case runNowCarbon = "run_now_carbon_g"
    }

    public init(_ i: ReportJobInput) {
        let j = i.job
        id = j.id ?? -1
        name = j.name
        kind = j.kind
        state = j.state
        user = i.userName
        submittedAt = j.submittedAt
        startedAt = j.startedAt
        endedAt = j.endedAt
        energy = j.energy
        energySource = j.energySource ?? .unavailable
        carbon = j.carbon
        cpuSeconds = j.cpuSeconds
        predictedCarbon = j.predictedCarbon
        runNowCarbon = j.runNowCarbon
        row = ReportRow(job: i)
        placement = i.placement
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(JobKind.self, forKey: .kind)
        state = try c.decode(JobState.self, forKey: .state)
        user = try c.decode(String.self, forKey: .user)
        submittedAt = try c.decode(Date.self, forKey: .submittedAt)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        endedAt = try c.decodeIfPresent(Date.self, forKey: .endedAt)
        energy = try c.decodeIfPresent(EnergyJoules.self, forKey: .energy)
        energySource = try c.decode(EnergySource.self, forKey: .energySource)
        carbon = try c.decodeIfPresent(CarbonGrams.self, forKey: .carbon)
        cpuSeconds = try c.decodeIfPresent(Double.self, forKey: .cpuSeconds)
        predictedCarbon = try c.decode(CarbonGrams.self, forKey: .predictedCarbon)
        runNowCarbon = try c.decode(CarbonGrams.self, forKey: .runNowCarbon)
        row = try c.decode(ReportRow.self, forKey: .row)
        if let cluster = try c.decodeIfPresent(String.self, forKey: .cluster) {
            placement = JobPlacement(cluster: cluster, batchJobID: try c.decodeIfPresent(Int64.self, forKey: .batchJobID))
        } else {
            placement = nil
        }
    }

    /// Encodes every key; absent values as `null`, never omitted or 0.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(user, forKey: .user)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(endedAt, forKey: .endedAt)
        try c.encode(energy, forKey: .energy)
        try c.encode(energySource, forKey: .energySource)
        try c.encode(carbon, forKey: .carbon)
        try c.encode(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(predictedCarbon, forKey: .predictedCarbon)
        try c.encode(runNowCarbon, forKey: .runNowCarbon)
        try c.encode(row, forKey: .row)
        try c.encode(placement?.cluster, forKey: .cluster)
        try c.encode(placement?.batchJobID, forKey: .batchJobID)
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

/// The totals of a report's jobs (kept from the first report shape): exactly the sums of the job
/// rows' values; a total over rows that all lack a value is `nil`, not 0.
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

/// One bucket of the node's timeline (for the charts): node energy over `[start, start + seconds)`
/// and the mean intensity there.
public struct ReportTimelinePoint: Sendable, Hashable, Codable {
    public var start: Date
    public var seconds: Double
    /// Node energy (top-level zones, or the estimate) with a number in the bucket; `nil` when none.
    public var energyJoules: Double?
    /// Seconds of the bucket that have energy.
    public var coveredSeconds: Double
    /// Mean grid intensity over the bucket (gCO2eq/kWh) from the series that priced jobs.
    public var intensityGramsPerKWh: Double?
    /// The newest forecast issued before the bucket, where one is stored (gCO2eq/kWh).
    public var forecastGramsPerKWh: Double?

    public init(start: Date, seconds: Double, energyJoules: Double?, coveredSeconds: Double,
                intensityGramsPerKWh: Double?, forecastGramsPerKWh: Double? = nil) {
        self.start = start
        self.seconds = seconds
        self.energyJoules = energyJoules
        self.coveredSeconds = coveredSeconds
        self.intensityGramsPerKWh = intensityGramsPerKWh
        self.forecastGramsPerKWh = forecastGramsPerKWh
    }

    /// Mean node power over the covered part of the bucket (W).
    public var powerWatts: Double? {
        guard let e = energyJoules, coveredSeconds > 0 else { return nil }
        return e / coveredSeconds
    }

    enum CodingKeys: String, CodingKey {
        case start
        case seconds = "duration_s"
        case energyJoules = "energy_j"
        case coveredSeconds = "covered_s"
        case intensityGramsPerKWh = "intensity_g_per_kwh"
        case forecastGramsPerKWh = "forecast_g_per_kwh"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(energyJoules, forKey: .energyJoules)
        try c.encode(coveredSeconds, forKey: .coveredSeconds)
        try c.encode(intensityGramsPerKWh, forKey: .intensityGramsPerKWh)
        try c.encode(forecastGramsPerKWh, forKey: .forecastGramsPerKWh)
    }
}

/// An energy report over a time range: grouped rows with their totals, the jobs, and the node's
/// timeline for charts.
public struct EnergyReport: Sendable, Hashable, Codable {
    public let since: Date?
    public let until: Date?
    public let by: ReportGrouping
    /// The grouped rows, in key order (job ids numerically, days and weeks in time order).
    public let rows: [ReportRow]
    /// The sums of `rows` (key `TOTAL`).
    public let total: ReportRow
    /// Finished jobs that started in the range, by id.
    public let jobs: [ReportJob]
    /// Sums over `jobs` (the first report shape, kept for scripts).
    public let totals: ReportTotals
    /// Node power and intensity over the range, at most a few hundred buckets; empty when not asked.
    public let timeline: [ReportTimelinePoint]
    /// The job-energy predictor's accuracy (issue 5): MAPE of energy and duration over the last
    /// `PredictorAccuracy.defaultWindow` succeeded jobs of the range (JSON key `predictor`).
    public let predictor: PredictorAccuracy

    /// Builds the report.
    /// - Parameters:
    ///   - jobs: finished jobs; those without a start, or starting outside [since, until), are left out.
    ///   - zones: node energy per zone over the range (used by `--by zone`).
    ///   - timeline: node buckets for the charts.
    public init(jobs all: [ReportJobInput], zones: [ReportZoneInput] = [], timeline: [ReportTimelinePoint] = [],
                by: ReportGrouping = .job, since: Date?, until: Date?) {
        self.since = since
        self.until = until
        self.by = by
        self.timeline = timeline
        // One pass over the inputs by index: a year holds 20,000 jobs, and every copy of a `Job` (filter,
        // sort, map) retains a dozen references; the store hands them over by id already, so the sort
        // only runs when they are not.
        var order: [Int] = []
        order.reserveCapacity(all.count)
        var byID = true, strictlyByID = true, lastID = Int64.min
        for k in all.indices {
            guard let id = all[k].job.id, let started = all[k].job.startedAt else { continue }
            if let since, started < since { continue }
            if let until, started >= until { continue }
            if id < lastID { byID = false }
            if id <= lastID { strictlyByID = false }
            lastID = id
            order.append(k)
        }
        if !byID {
            order.sort { a, b in all[a].job.id! < all[b].job.id! || (all[a].job.id! == all[b].job.id! && a < b) }
            strictlyByID = zip(order, order.dropFirst()).allSatisfy { all[$0].job.id! < all[$1].job.id! }
        }
        var jobs: [ReportJob] = []
        jobs.reserveCapacity(order.count)
        for k in order { jobs.append(ReportJob(all[k])) }
        self.jobs = jobs
        // The newest `defaultWindow` scored jobs by id: what `PredictorAccuracy` keeps of all of them.
        var scored: [Job] = []
        for k in order.reversed() where scored.count < PredictorAccuracy.defaultWindow {
            if all[k].job.state == .succeeded && all[k].job.energyErrorPercent != nil && all[k].job.durationErrorPercent != nil { scored.append(all[k].job) }
        }
        predictor = PredictorAccuracy(jobs: scored.reversed())
        var rows: [ReportRow] = []
        if by == .zone {
            // As a dictionary by zone gives it (a zone given twice keeps its last input).
            var byZone: [String: ReportRow] = [:]
            let sorted = zones.sorted(by: { $0.zone < $1.zone })
            for z in sorted { byZone[z.zone] = ReportRow(zone: z) }
            rows = sorted.map { byZone[$0.zone]! }
        } else if by == .job && strictlyByID {
            // One job per row, in id order.
            rows.reserveCapacity(jobs.count)
            for n in jobs.indices {
                var r = ReportRow(key: jobs[n].row.key)
                r.add(jobs[n].row)
                rows.append(r)
            }
        } else {
            // Groups by an integer where the key is a calendar day or week (one string per group, not per job).
            var groupOfNumber: [Int64: Int] = [:]
            var groupOfKey: [String: Int] = [:]
            for n in order.indices {
                let k = order[n]
                let number: Int64?
                switch by {
                case .day: number = ReportCalendar.unixDay(all[k].job.startedAt ?? all[k].job.submittedAt)
                case .week: number = ReportCalendar.isoWeekNumber(all[k].job.startedAt ?? all[k].job.submittedAt)
                default: number = nil
                }
                var g: Int
                if let number, let found = groupOfNumber[number] {
                    g = found
                } else {
                    let key = Self.key(all[k], by: by)
                    if let found = groupOfKey[key] {
                        g = found
                    } else {
                        g = rows.count
                        rows.append(ReportRow(key: key))
                        groupOfKey[key] = g
                    }
                    if let number { groupOfNumber[number] = g }
                }
                rows[g].add(jobs[n].row)
            }
            if by != .job { rows.sort { $0.key < $1.key } }
        }
        self.rows = rows
        var t = ReportRow(key: "TOTAL")
        for r in rows { t.add(r) }
        total = t
        // Sums in job order, as before.
        var energy: EnergyJoules?, carbon: CarbonGrams?, cpu: Double?
        for n in jobs.indices {
            if let e = jobs[n].energy { energy = (energy ?? .zero) + e }
            if let c = jobs[n].carbon { carbon = (carbon ?? .zero) + c }
            if let s = jobs[n].cpuSeconds { cpu = (cpu ?? 0) + s }
        }
        totals = ReportTotals(energy: energy, carbon: carbon, cpuSeconds: cpu, jobs: jobs.count)
    }

    /// The group key of a job: UTC day or ISO week of its start, kind, user.
    static func key(_ i: ReportJobInput, by: ReportGrouping) -> String {
        let start = i.job.startedAt ?? i.job.submittedAt
        switch by {
        case .job, .zone: return i.job.id.map(String.init) ?? "?"
        case .day: return ReportCalendar.day(start)
        case .week: return ReportCalendar.isoWeek(start)
        case .kind: return i.job.kind.rawValue
        case .user: return i.userName
        }
    }
}

/// UTC calendar keys for report rows.
///
/// Computed with integer day arithmetic (`CivilDays`: H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms", http://howardhinnant.github.io/date_algorithms.html) instead of
/// `Calendar`, which cost microseconds per call and dominated a year's `--by day` report; the keys are
/// the same (proleptic Gregorian, UTC; ISO-8601 weeks start on Monday, week 1 holds the first Thursday).
public enum ReportCalendar {
    /// Days since 1970-01-01 of the UTC day holding `d`.
    static func unixDay(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 / 86400).rounded(.down)) }

    /// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (`CivilDays.date(fromDays:)`).
    public static func civilDate(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        CivilDays.date(fromDays: days)
    }

    /// Days since 1970-01-01 of a civil date (`CivilDays.days(year:month:day:)`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        CivilDays.days(year: year, month: month, day: day)
    }

    /// `v` in decimal, zero-padded to `width` digits.
    public static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `YYYY-MM-DD` of the UTC day holding `d`.
    public static func day(_ d: Date) -> String {
        let c = civilDate(unixDay(d))
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2)
    }

    /// The ISO-8601 week holding `d` as one number, `year × 100 + week` (equal numbers, equal `isoWeek`).
    static func isoWeekNumber(_ d: Date) -> Int64 {
        let z = unixDay(d)
        let weekday = ((z % 7) + 7 + 3) % 7
        let thursday = z - weekday + 3
        let year = civilDate(thursday).year
        return year * 100 + (thursday - days(year: year, month: 1, day: 1)) / 7 + 1
    }

    /// `YYYY-Www` of the ISO-8601 week (Monday first, week 1 holds the first Thursday) holding `d`, UTC.
    public static func isoWeek(_ d: Date) -> String {
        let z = unixDay(d)
        // 1970-01-01 was a Thursday: weekday 0 = Monday … 6 = Sunday.
        let weekday = ((z % 7) + 7 + 3) % 7
        let thursday = z - weekday + 3
        let year = civilDate(thursday).year
        let week = (thursday - days(year: year, month: 1, day: 1)) / 7 + 1
        return pad(year, 4) + "-W" + pad(week, 2)
    }
}
