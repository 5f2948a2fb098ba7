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
    private(set) var sums: [Key: RollupSum] = [:]
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
        if sums[key] == nil { order.append(key) }
        sums[key, default: RollupSum(source: source)].add(
            source: source, ok: VerdantDatabase.statusCodes[s.status] == 0,
            energyJoules: s.energy.map { Double(VerdantDatabase.micros($0.joules)) / 1_000_000 },
            durationSeconds: Double(VerdantDatabase.micros(s.durationSeconds)) / 1_000_000,
            busyCPUSeconds: Double(VerdantDatabase.micros(s.busyCPUSeconds)) / 1_000_000)
    }

    /// Adds the sums to the minute rows, and to the hour rows of hours below the hour watermark (the
    /// later hours are built from the minute rows by `rollUp()`).
    func write(_ db: Database) throws {
        let upsert = try db.cachedStatement(sql: RollupSum.upsertSQL)
        for key in order {
            let v = sums[key]!
            try upsert.execute(arguments: v.arguments(resolution: 60, zone: key.zone, bucket: key.bucket))
            if let hourMark, key.bucket < hourMark {
                try upsert.execute(arguments: v.arguments(resolution: 3600, zone: key.zone,
                                                          bucket: VerdantDatabase.floorDiv(key.bucket, 3600) * 3600))
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
