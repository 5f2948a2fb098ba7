import Foundation
import GRDB
import VerdantCore

extension Job: FetchableRecord, MutablePersistableRecord {
    /// Table `jobs`: one row per submitted job, never deleted.
    public static var databaseTableName: String { "jobs" }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One sampler interval of one energy zone (a powercap zone, or `cpu-estimate`).
/// Stored compactly in `energy_ticks` (EnergyTicks.swift); this is the shape the sampler hands over and readers get back.
public struct EnergySampleRecord: Codable, Sendable, Hashable {
    /// Zone id (`intel-rapl:0`) or `cpu-estimate`.
    public var zone: String
    /// The zone's `name` file (`package-0`), or the estimate model's name.
    public var zoneName: String
    public var source: EnergySource
    /// Daemon time (trace time in replay mode), UTC.
    public var startAt: Date
    public var endAt: Date
    /// Real elapsed seconds on the monotonic clock.
    public var durationSeconds: Double
    /// `nil` unless `status` is `ok`: an uncertain or inconsistent interval has no number, never 0.
    public var energy: EnergyJoules?
    /// Node busy CPU-seconds in the interval.
    public var busyCPUSeconds: Double
    /// `ok`, `uncertain`, `inconsistent` or `missing` (`ZoneIntervalStatus`).
    public var status: String

    enum CodingKeys: String, CodingKey {
        case zone, source
        case zoneName = "zone_name"
        case startAt = "start_at"
        case endAt = "end_at"
        case durationSeconds = "duration_s"
        case energy = "energy_j"
        case busyCPUSeconds = "busy_cpu_s"
        case status
    }

    public init(zone: String, zoneName: String, source: EnergySource, startAt: Date, endAt: Date,
                durationSeconds: Double, energy: EnergyJoules?, busyCPUSeconds: Double, status: String = "ok") {
        self.zone = zone
        self.zoneName = zoneName
        self.source = source
        self.startAt = startAt
        self.endAt = endAt
        self.durationSeconds = durationSeconds
        self.energy = energy
        self.busyCPUSeconds = busyCPUSeconds
        self.status = status
    }
}

/// The energy and carbon charged to a job over one interval. Table `job_intervals`.
public struct JobIntervalRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "job_intervals" }
    public var jobID: Int64
    public var startAt: Date
    public var endAt: Date
    public var energy: EnergyJoules
    public var source: EnergySource
    public var cpuSeconds: Double
    public var intensity: IntensityGramsPerKWh
    public var carbon: CarbonGrams

    enum CodingKeys: String, CodingKey {
        case source, energy = "energy_j", carbon = "carbon_g"
        case jobID = "job_id"
        case startAt = "start_at"
        case endAt = "end_at"
        case cpuSeconds = "cpu_s"
        case intensity = "intensity_g_per_kwh"
    }

    public init(jobID: Int64, interval: JobEnergyInterval) {
        self.jobID = jobID
        startAt = interval.start
        endAt = interval.end
        energy = interval.energy
        source = interval.source
        cpuSeconds = interval.cpuSeconds
        intensity = interval.intensity
        carbon = interval.carbon
    }
}

/// One grid-intensity value from one source. Table `intensity_points`, unique on (zone, time, source).
public struct IntensityPointRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static var databaseTableName: String { "intensity_points" }
    /// Grid zone, e.g. `DE`.
    public var zone: String
    public var time: Date
    public var intensity: IntensityGramsPerKWh
    /// Where it came from, e.g. `trace:de-2020-06_entsoe_15min.csv`.
    public var source: String
    /// `average` or `marginal`.
    public var signal: String

    enum CodingKeys: String, CodingKey {
        case zone, time, source, signal
        case intensity = "intensity_g_per_kwh"
    }

    public init(zone: String, time: Date, intensity: IntensityGramsPerKWh, source: String, signal: String) {
        self.zone = zone
        self.time = time
        self.intensity = intensity
        self.source = source
        self.signal = signal
    }
}
