import Foundation
import GRDB
import VerdantCore

/// Dates as GRDB stores them (`Date.databaseValue`: TEXT `yyyy-MM-dd HH:mm:ss.SSS` in UTC,
/// GRDB/Core/Support/Foundation/Date.swift), formatted without `DateFormatter`.
///
/// The sampler writes two dates per sample row and per job-interval row (at 1 Hz with 50 jobs, 510
/// every 5 s flush); through GRDB's `DateFormatter` (ICU) each cost several µs and paged ICU in
/// (docs/performance.md, "Where the CPU went"). Same text, byte for byte: milliseconds rounded to
/// the nearest as the formatter rounds them (`UDate` = (timeIntervalSinceReferenceDate + 978307200)
/// × 1000), so rows written either way compare and sort the same. Checked against GRDB's formatter
/// in `StorageDateTests` (edge cases and 10,000 random times).
public enum StorageDate {
    /// Seconds from 2001-01-01 to 1970-01-01 (Foundation's `kCFAbsoluteTimeIntervalSince1970`).
    static let referenceToUnixSeconds = 978_307_200.0

    /// `yyyy-MM-dd HH:mm:ss.SSS` (UTC) for dates in years 1970…9999; outside that, GRDB's own encoding.
    public static func text(_ date: Date) -> String {
        let udate = (date.timeIntervalSinceReferenceDate + referenceToUnixSeconds) * 1000
        // 1970…9999 only: before 1970 ICU's rounding of negative times differs in the last digit,
        // and the sampler never writes such dates.
        guard udate.isFinite, udate >= 0, udate < 253_402_300_800_000 else {
            return String.fromDatabaseValue(date.databaseValue) ?? ""
        }
        let ms = Int64(udate.rounded())
        let days = ms / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = CivilDays.date(fromDays: days)
        var out = [UInt8](repeating: 0, count: 23)
        func put(_ v: Int64, _ at: Int, _ width: Int) {
            var v = v
            for i in stride(from: at + width - 1, through: at, by: -1) {
                out[i] = UInt8(0x30 + v % 10)
                v /= 10
            }
        }
        put(y, 0, 4); out[4] = 0x2D; put(m, 5, 2); out[7] = 0x2D; put(d, 8, 2); out[10] = 0x20
        put(msOfDay / 3_600_000, 11, 2); out[13] = 0x3A
        put(msOfDay / 60_000 % 60, 14, 2); out[16] = 0x3A
        put(msOfDay / 1000 % 60, 17, 2); out[19] = 0x2E
        put(msOfDay % 1000, 20, 3)
        return String(decoding: out, as: UTF8.self)
    }

}

// The two row types the sampler writes every flush: encoded column by column (GRDB's
// `EncodableRecord.encode(to:)`), the same values as their Codable encoding (CodingKeys in
// Records.swift), without the Codable encoder and `DateFormatter` per row.

extension EnergySampleRecord {
    /// Writes the sample's columns into `container` (GRDB `EncodableRecord`): `zone`, `zone_name`,
    /// `source` (`measured`/`estimated`/…), `start_at` and `end_at` (UTC text `yyyy-MM-dd HH:mm:ss.SSS`,
    /// `StorageDate`), `duration_s` (monotonic seconds), `energy_j` (J, NULL unless `status` is `ok`),
    /// `busy_cpu_s` (CPU-seconds) and `status`. The Codable encoding's names and values. Throws nothing
    /// itself (`throws` is the protocol's).
    public func encode(to container: inout PersistenceContainer) throws {
        container["zone"] = zone
        container["zone_name"] = zoneName
        container["source"] = source.rawValue
        container["start_at"] = StorageDate.text(startAt)
        container["end_at"] = StorageDate.text(endAt)
        container["duration_s"] = durationSeconds
        container["energy_j"] = energy?.joules
        container["busy_cpu_s"] = busyCPUSeconds
        container["status"] = status
    }
}

extension JobIntervalRecord {
    /// Writes the interval's columns into `container` (GRDB `EncodableRecord`): `job_id`, `start_at` and
    /// `end_at` (UTC text, `StorageDate`), `energy_j` (J), `source`, `cpu_s` (CPU-seconds),
    /// `intensity_g_per_kwh` (gCO2eq/kWh) and `carbon_g` (g CO2eq). The Codable encoding's names and
    /// values. Throws nothing itself (`throws` is the protocol's).
    public func encode(to container: inout PersistenceContainer) throws {
        container["job_id"] = jobID
        container["start_at"] = StorageDate.text(startAt)
        container["end_at"] = StorageDate.text(endAt)
        container["energy_j"] = energy.joules
        container["source"] = source.rawValue
        container["cpu_s"] = cpuSeconds
        container["intensity_g_per_kwh"] = intensity.gramsPerKWh
        container["carbon_g"] = carbon.grams
    }
}

// The sampler's flush inserts its rows through one cached prepared statement per table: GRDB's
// per-record `insert` built a DAO, the INSERT's SQL and a statement-cache lookup for every row, which
// was over half of verdantd's CPU with 50 jobs (perf, docs/performance.md).

extension JobIntervalRecord {
    /// Inserts `rows` (as `insert(db)` each).
    static func insertAll(_ rows: [JobIntervalRecord], _ db: Database) throws {
        guard !rows.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO job_intervals (job_id, start_at, end_at, energy_j, source, cpu_s, intensity_g_per_kwh, carbon_g)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in rows {
            try statement.execute(arguments: [r.jobID, StorageDate.text(r.startAt), StorageDate.text(r.endAt), r.energy.joules,
                                              r.source.rawValue, r.cpuSeconds, r.intensity.gramsPerKWh, r.carbon.grams])
        }
    }
}
