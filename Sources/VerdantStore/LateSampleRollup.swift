import Foundation
import GRDB
import VerdantCore

/// Samples written after their minute was rolled up: they are added to the roll-ups at once.
///
/// `rollUp()` rolls up raw samples from the minute watermark on, taking samples to arrive in time order.
/// After the wall clock steps back (an NTP or `date -s` step), the sampler stores samples whose start
/// (wall time, `DaemonClock`) lies before the watermark, up to the step's length earlier: `rollUp()`
/// never reads them, `energyPieces` reads the roll-ups (not the raw rows) below the watermark, and
/// `pruneRaw` deletes them unrolled, so their energy was lost from every report. `append` now adds each
/// such sample, in the same transaction, to its minute row (and to its hour row when the hour is below
/// the hour watermark), with the sums `rollUp()` computes (docs/measurement.md, "Wall-clock steps").
final class LateSampleRollup {
    /// The minute and hour watermarks (Unix s) when the batch was written.
    let minuteMark: Int64
    let hourMark: Int64?

    struct Key: Hashable { var bucket: Int64; var zone: String }
    /// Per (minute, zone): as `rollUp()` sums the raw samples.
    struct Sum { var source: String; var energy: Double?; var ok = 0.0; var missing = 0.0; var busy = 0.0; var n = 0 }
    private(set) var sums: [Key: Sum] = [:]
    private var order: [Key] = []

    /// `nil` when no sample of `samples` starts below the minute watermark (the usual case: nothing to do).
    init?(_ db: Database, samples: [EnergySampleRecord]) throws {
        guard let mark = try VerdantDatabase.watermark(db, VerdantDatabase.minuteWatermarkKey),
              samples.contains(where: { VerdantDatabase.millis($0.startAt) < mark * 1000 }) else { return nil }
        minuteMark = mark
        hourMark = try VerdantDatabase.watermark(db, VerdantDatabase.hourWatermarkKey)
    }

    /// Counts a sample stored at `startMs` (Unix ms) when it lies below the minute watermark; values
    /// as stored (1 µJ, 1 µs), so the sums equal what `rollUp()` would have read back.
    func add(startMs: Int64, _ s: EnergySampleRecord) {
        guard startMs < minuteMark * 1000 else { return }
        let key = Key(bucket: VerdantDatabase.floorDiv(startMs, 60_000) * 60, zone: s.zone)
        let source = VerdantDatabase.sourceOrder[Int(VerdantDatabase.sourceCode(s.source))].rawValue
        var v = sums[key] ?? { order.append(key); return Sum(source: source) }()
        if source > v.source { v.source = source }
        let seconds = Double(VerdantDatabase.micros(s.durationSeconds)) / 1_000_000
        if VerdantDatabase.statusCodes[s.status] == 0, let e = s.energy {
            v.energy = (v.energy ?? 0) + Double(VerdantDatabase.micros(e.joules)) / 1_000_000
            v.ok += seconds
        } else {
            v.missing += seconds
        }
        v.busy += Double(VerdantDatabase.micros(s.busyCPUSeconds)) / 1_000_000
        v.n += 1
        sums[key] = v
    }

    /// Adds the sums to the minute rows, and to the hour rows of hours below the hour watermark (the
    /// later hours are built from the minute rows by `rollUp()`).
    func write(_ db: Database) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO energy_rollups (resolution, zone, bucket, source, energy_j, ok_s, missing_s, busy_cpu_s, samples)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(resolution, bucket, zone) DO UPDATE SET
              energy_j = CASE WHEN excluded.energy_j IS NULL THEN energy_j WHEN energy_j IS NULL THEN excluded.energy_j
                              ELSE energy_j + excluded.energy_j END,
              ok_s = ok_s + excluded.ok_s, missing_s = missing_s + excluded.missing_s,
              busy_cpu_s = busy_cpu_s + excluded.busy_cpu_s, samples = samples + excluded.samples
            """)
        for key in order {
            let v = sums[key]!
            try upsert.execute(arguments: [60, key.zone, key.bucket, v.source, v.energy, v.ok, v.missing, v.busy, v.n])
            if let hourMark, key.bucket < hourMark {
                try upsert.execute(arguments: [3600, key.zone, VerdantDatabase.floorDiv(key.bucket, 3600) * 3600, v.source, v.energy,
                                               v.ok, v.missing, v.busy, v.n])
            }
        }
    }
}

extension EnergySampleRecord {
    /// The same sample stored 1 ms after its start as stored (Unix ms), its end kept (not before the
    /// new start): where another sample of its zone holds its start (`insertTicks`).
    func startingOneMillisecondLater() -> EnergySampleRecord {
        var s = self
        s.startAt = Date(timeIntervalSince1970: Double(VerdantDatabase.millis(startAt) + 1) / 1000)
        if s.endAt < s.startAt { s.endAt = s.startAt }
        return s
    }
}
