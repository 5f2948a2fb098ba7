import Foundation
import GRDB

/// The sums of one roll-up row (`energy_rollups`, Rollups.swift) over the raw samples of one
/// (bucket, zone), and the one SQL upsert that adds them to a stored row.
///
/// Shared by the incremental `rollUp()` and by `LateSampleRollup` (samples stored below the minute
/// watermark after a wall-clock step back), so both add a sample to its row the same way.
struct RollupSum {
    /// The greatest source name among the samples (as `MAX(source)` of the v2 SQL).
    var source: String
    /// Σ energy of the `ok` samples, joules; `nil` while none has a number.
    var energyJoules: Double?
    /// Σ seconds of the `ok` samples with a number.
    var okSeconds = 0.0
    /// Σ seconds of the other samples (no number: unavailable, uncertain, not measured).
    var missingSeconds = 0.0
    /// Σ busy CPU seconds.
    var busyCPUSeconds = 0.0
    /// How many samples.
    var samples = 0

    init(source: String) { self.source = source }

    /// Adds one sample: `energyJoules` counts only when `ok` (status `ok`) and it is non-nil; its
    /// seconds go to `okSeconds` then, else to `missingSeconds`.
    mutating func add(source: String, ok: Bool, energyJoules: Double?, durationSeconds: Double, busyCPUSeconds: Double) {
        if source > self.source { self.source = source }
        if ok, let e = energyJoules {
            self.energyJoules = (self.energyJoules ?? 0) + e
            okSeconds += durationSeconds
        } else {
            missingSeconds += durationSeconds
        }
        self.busyCPUSeconds += busyCPUSeconds
        samples += 1
    }

    /// How a row added to `energy_rollups` merges with one already stored for its (resolution,
    /// bucket, zone): the sums add up; the energy stays NULL only while both are NULL.
    static let mergeClause = """
        ON CONFLICT(resolution, bucket, zone) DO UPDATE SET
          energy_j = CASE WHEN excluded.energy_j IS NULL THEN energy_j WHEN energy_j IS NULL THEN excluded.energy_j
                          ELSE energy_j + excluded.energy_j END,
          ok_s = ok_s + excluded.ok_s, missing_s = missing_s + excluded.missing_s,
          busy_cpu_s = busy_cpu_s + excluded.busy_cpu_s, samples = samples + excluded.samples
        """

    /// Adds one row's sums to `energy_rollups`; arguments in order: resolution (s), zone, bucket
    /// (Unix s), then the sums (`arguments(resolution:zone:bucket:)`).
    static let upsertSQL = """
        INSERT INTO energy_rollups (resolution, zone, bucket, source, energy_j, ok_s, missing_s, busy_cpu_s, samples)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """ + "\n" + mergeClause

    /// The `upsertSQL` arguments for this row at `resolution` seconds.
    func arguments(resolution: Int, zone: String, bucket: Int64) -> StatementArguments {
        [resolution, zone, bucket, source, energyJoules, okSeconds, missingSeconds, busyCPUSeconds, samples]
    }
}
