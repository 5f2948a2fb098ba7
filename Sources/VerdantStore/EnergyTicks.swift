import Foundation
import GRDB
import VerdantCore

/// Compact raw energy samples: one row per sampler tick holding every zone's interval.
///
/// The v2 table `energy_samples` stored one row per zone and tick with ISO-8601 text times, the zone id,
/// zone name and source as text, and three indexes: 238 B per sample, 1.16 GB for the default 7-day
/// raw window of 8 zones at 1 Hz (docs/performance.md). Migration "v4-energy-ticks" replaces it with:
///
/// Table `energy_zones` (`id` INTEGER PRIMARY KEY, `zone` TEXT, `zone_name` TEXT, unique on the pair):
/// one row per zone id and name ever seen (the estimate's name changes with its model).
///
/// Table `energy_ticks`, one row per distinct sample start (the sampler writes all zones of a tick with
/// the same start, end, duration and busy CPU time):
/// - `start_ms` INTEGER PRIMARY KEY: the start, Unix milliseconds UTC (the v2 text had milliseconds too);
///   the rowid itself, so no separate index;
/// - `span_ms`: end − start in milliseconds; `duration_us`: the monotonic duration in microseconds;
///   `busy_us`: node busy CPU time in microseconds (all of the first sample of the tick);
/// - `n`: how many zone samples the tick holds (for counts without decoding);
/// - `zones` BLOB: format byte `1`, then per zone sample: varint zone row id; a flags byte (bits 0–2
///   source code, bits 3–4 status code, bit 5 energy present, bit 6 own timing); when energy is present,
///   zig-zag varint microjoules; with own timing (a sample whose end, duration or busy time differs from
///   the tick's), zig-zag varints span ms, duration µs, busy µs. Varints are LEB128 (7 bits per byte).
///
/// About 76 B per tick of 8 zones (≈ 9.5 B per sample). Values are kept to 1 µJ, 1 µs and 1 ms, the
/// resolution of powercap's `energy_uj` and of the v2 time text. Status codes: ok 0, uncertain 1,
/// inconsistent 2, missing 3 (`ZoneIntervalStatus`; any other text reads back as `missing`). Source
/// codes: measured 0, estimated 1, unavailable 2, partial 3, not_measured 4 (`EnergySource`).
extension VerdantDatabase {
    /// Migration "v4-energy-ticks": moves every `energy_samples` row into `energy_ticks` (nothing is
    /// dropped: rows with the same zone and start were already unique) and drops the v2 table and its
    /// indexes. Frozen once shipped.
    static func registerEnergyTicks(_ m: inout DatabaseMigrator) {
        m.registerMigration("v4-energy-ticks") { db in
            try createEnergyTickTables(db)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT zone, zone_name, source, start_at, end_at, duration_s, energy_j, busy_cpu_s, status
                FROM energy_samples ORDER BY start_at, id
                """)
            var batch: [EnergySampleRecord] = []
            batch.reserveCapacity(8192)
            while let r = try rows.next() {
                batch.append(EnergySampleRecord(zone: r[0], zoneName: r[1], source: EnergySource(rawValue: r[2] as String) ?? .unavailable,
                                                startAt: r[3], endAt: r[4], durationSeconds: r[5],
                                                energy: (r[6] as Double?).map(EnergyJoules.init), busyCPUSeconds: r[7], status: r[8]))
                if batch.count >= 8192 {
                    try insertTicks(db, batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try insertTicks(db, batch)
            try db.drop(table: "energy_samples")
        }
    }

    static func createEnergyTickTables(_ db: Database) throws {
        try db.create(table: "energy_zones") { t in
            t.column("id", .integer).primaryKey()
            t.column("zone", .text).notNull()
            t.column("zone_name", .text).notNull()
            t.uniqueKey(["zone", "zone_name"])
        }
        try db.create(table: "energy_ticks") { t in
            t.column("start_ms", .integer).primaryKey()
            t.column("span_ms", .integer).notNull()
            t.column("duration_us", .integer).notNull()
            t.column("busy_us", .integer).notNull()
            t.column("n", .integer).notNull()
            t.column("zones", .blob).notNull()
        }
    }

    // MARK: Units

    /// Unix milliseconds of `d`, rounded to the nearest.
    static func millis(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    static func micros(_ s: Double) -> Int64 { Int64((s * 1_000_000).rounded()) }
    static let statusCodes = ["ok": UInt8(0), "uncertain": 1, "inconsistent": 2, "missing": 3]
    static let statusNames = ["ok", "uncertain", "inconsistent", "missing"]
    static let sourceOrder: [EnergySource] = [.measured, .estimated, .unavailable, .partial, .notMeasured]
    static func sourceCode(_ s: EnergySource) -> UInt8 { UInt8(sourceOrder.firstIndex(of: s) ?? 2) }

    // MARK: Writing

    struct ZoneKey: Hashable { var zone: String; var name: String }

    /// Inserts samples into `energy_ticks`, grouped by start (Unix ms).
    ///
    /// A zone sample whose zone and start are already stored is ignored when it is the same sample
    /// (same source, status, energy and timing: a repeated write, as the v2 unique key on zone and start
    /// ignored it). A different sample of that zone with that start (the wall clock stepped back onto a
    /// stored start, docs/measurement.md "Wall-clock steps") is never dropped: it is stored 1 ms later,
    /// again until a free start is found; its monotonic duration and energy are kept.
    /// - Parameter onStored: called with the start (Unix ms) and the sample for each zone sample written.
    static func insertTicks(_ db: Database, _ samples: [EnergySampleRecord],
                            onStored: ((Int64, EnergySampleRecord) throws -> Void)? = nil) throws {
        guard !samples.isEmpty else { return }
        var displaced: [EnergySampleRecord] = []
        // Zone rows of this batch only (an indexed lookup per distinct zone and name), never the whole table.
        var ids: [ZoneKey: Int64] = [:]
        var zoneOf: [Int64: String] = [:]
        let find = try db.cachedStatement(sql: "SELECT id FROM energy_zones WHERE zone = ? AND zone_name = ?")
        func id(_ s: EnergySampleRecord) throws -> Int64 {
            let k = ZoneKey(zone: s.zone, name: s.zoneName)
            if let i = ids[k] { return i }
            let i: Int64
            if let found = try Int64.fetchOne(find, arguments: [s.zone, s.zoneName]) {
                i = found
            } else {
                try db.execute(sql: "INSERT INTO energy_zones (zone, zone_name) VALUES (?, ?)", arguments: [s.zone, s.zoneName])
                i = db.lastInsertedRowID
            }
            ids[k] = i
            zoneOf[i] = s.zone
            return i
        }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO energy_ticks (start_ms, span_ms, duration_us, busy_us, n, zones) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(start_ms) DO NOTHING
            """)
        var k = 0
        while k < samples.count {
            let start = millis(samples[k].startAt)
            var e = k + 1
            while e < samples.count, millis(samples[e].startAt) == start { e += 1 }
            let first = samples[k]
            let tick = TickTiming(spanMs: millis(first.endAt) - start, durationUs: micros(first.durationSeconds),
                                  busyUs: micros(first.busyCPUSeconds))
            var entries: [TickEntry] = []
            var batchSamples: [EnergySampleRecord] = []
            var seen = Set<String>()
            for s in samples[k..<e] {
                // A second sample of a zone with the same start in one batch: written after this tick,
                // at the same start (then ignored if it is the same sample, else moved on 1 ms).
                guard seen.insert(s.zone).inserted else { displaced.append(s); continue }
                let zid = try id(s)
                zoneOf[zid] = s.zone
                entries.append(TickEntry(sample: s, zoneID: zid, start: start, tick: tick))
                batchSamples.append(s)
            }
            try insert.execute(arguments: [start, tick.spanMs, tick.durationUs, tick.busyUs, entries.count, encode(entries, tick: tick)])
            if db.changesCount != 0 {
                if let onStored { for s in batchSamples { try onStored(start, s) } }
            } else {
                // A tick with this start exists: add the zones it lacks.
                let row = try Row.fetchOne(db, sql: "SELECT span_ms, duration_us, busy_us, zones FROM energy_ticks WHERE start_ms = ?",
                                           arguments: [start])!
                let old = TickTiming(spanMs: row[0], durationUs: row[1], busyUs: row[2])
                var stored = decode(row[3] as Data, tick: old)
                for e in stored where zoneOf[e.zoneID] == nil {
                    zoneOf[e.zoneID] = try String.fetchOne(db, sql: "SELECT zone FROM energy_zones WHERE id = ?", arguments: [e.zoneID]) ?? ""
                }
                var have: [String: TickEntry] = [:]
                for e in stored { have[zoneOf[e.zoneID] ?? ""] = e }
                var added: [EnergySampleRecord] = []
                for (i, s) in batchSamples.enumerated() {
                    var entry = entries[i]
                    if let prior = have[s.zone] {
                        // The same sample written again is ignored; another one of this zone moves on 1 ms.
                        if !prior.isSameSample(as: entry) { displaced.append(s.startingOneMillisecondLater()) }
                        continue
                    }
                    entry.ownTiming = entry.timing != old
                    stored.append(entry)
                    added.append(s)
                }
                if !added.isEmpty {
                    try db.execute(sql: "UPDATE energy_ticks SET n = ?, zones = ? WHERE start_ms = ?",
                                   arguments: [stored.count, encode(stored, tick: old), start])
                    if let onStored { for s in added { try onStored(start, s) } }
                }
            }
            k = e
        }
        if !displaced.isEmpty { try insertTicks(db, displaced, onStored: onStored) }
    }

    struct TickTiming: Equatable { var spanMs: Int64; var durationUs: Int64; var busyUs: Int64 }

    /// One zone sample of a tick, as stored.
    struct TickEntry {
        var zoneID: Int64
        var source: UInt8
        var status: UInt8
        var energyMicrojoules: Int64?
        var timing: TickTiming
        var ownTiming: Bool

        init(zoneID: Int64, source: UInt8, status: UInt8, energyMicrojoules: Int64?, timing: TickTiming, ownTiming: Bool) {
            self.zoneID = zoneID
            self.source = source
            self.status = status
            self.energyMicrojoules = energyMicrojoules
            self.timing = timing
            self.ownTiming = ownTiming
        }

        /// Whether `other` stores the same sample: same source, status, energy and timing.
        func isSameSample(as other: TickEntry) -> Bool {
            source == other.source && status == other.status && energyMicrojoules == other.energyMicrojoules && timing == other.timing
        }

        init(sample s: EnergySampleRecord, zoneID: Int64, start: Int64, tick: TickTiming) {
            let t = TickTiming(spanMs: VerdantDatabase.millis(s.endAt) - start, durationUs: VerdantDatabase.micros(s.durationSeconds),
                               busyUs: VerdantDatabase.micros(s.busyCPUSeconds))
            self.init(zoneID: zoneID, source: VerdantDatabase.sourceCode(s.source), status: VerdantDatabase.statusCodes[s.status] ?? 3,
                      energyMicrojoules: s.energy.map { VerdantDatabase.micros($0.joules) }, timing: t, ownTiming: t != tick)
        }
    }

    static func encode(_ entries: [TickEntry], tick: TickTiming) -> Data {
        var out: [UInt8] = [1]
        out.reserveCapacity(1 + entries.count * 7)
        func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
            out.append(UInt8(v))
        }
        func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
        for e in entries {
            varint(UInt64(e.zoneID))
            let own = e.ownTiming && e.timing != tick
            out.append(e.source & 7 | (e.status & 3) << 3 | (e.energyMicrojoules != nil ? 0x20 : 0) | (own ? 0x40 : 0))
            if let j = e.energyMicrojoules { zigzag(j) }
            if own { zigzag(e.timing.spanMs); zigzag(e.timing.durationUs); zigzag(e.timing.busyUs) }
        }
        return Data(out)
    }

    /// Decodes a tick's blob; entries without their own timing get the tick's. Stops at a truncated entry.
    static func decode(_ data: Data, tick: TickTiming) -> [TickEntry] {
        var out: [TickEntry] = []
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            guard b.count > 0, b[0] == 1 else { return }
            var i = 1
            func varint() -> UInt64? {
                var v: UInt64 = 0, shift: UInt64 = 0
                while i < b.count {
                    let x = b[i]
                    i += 1
                    v |= UInt64(x & 0x7f) << shift
                    if x < 0x80 { return v }
                    shift += 7
                    if shift > 63 { return nil }
                }
                return nil
            }
            func zigzag() -> Int64? { varint().map { Int64(bitPattern: ($0 >> 1) ^ (0 &- ($0 & 1))) } }
            while i < b.count {
                guard let zid = varint(), i < b.count else { return }
                let flags = b[i]
                i += 1
                var energy: Int64?
                if flags & 0x20 != 0 { guard let v = zigzag() else { return }; energy = v }
                var timing = tick
                let own = flags & 0x40 != 0
                if own {
                    guard let s = zigzag(), let d = zigzag(), let u = zigzag() else { return }
                    timing = TickTiming(spanMs: s, durationUs: d, busyUs: u)
                }
                out.append(TickEntry(zoneID: Int64(zid), source: flags & 7, status: (flags >> 3) & 3, energyMicrojoules: energy,
                                     timing: timing, ownTiming: own))
            }
        }
        return out
    }

    // MARK: Reading

    /// One stored zone sample, decoded.
    struct StoredSample {
        var zone: String
        var zoneName: String
        var source: EnergySource
        var startMs: Int64
        var entry: TickEntry

        var status: String { VerdantDatabase.statusNames[Int(entry.status)] }
        var durationSeconds: Double { Double(entry.timing.durationUs) / 1_000_000 }
        var busyCPUSeconds: Double { Double(entry.timing.busyUs) / 1_000_000 }
        var energyJoules: Double? { entry.energyMicrojoules.map { Double($0) / 1_000_000 } }
        /// The energy as readers use it: only `ok` samples have a number.
        var okEnergyJoules: Double? { entry.status == 0 ? energyJoules : nil }
    }

    /// Visits the zone samples whose start lies in [fromMs, toMs), in start order.
    static func forEachSample(_ db: Database, fromMs: Int64, toMs: Int64, _ body: (StoredSample) throws -> Void) throws {
        var zones: [Int64: (String, String)] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT id, zone, zone_name FROM energy_zones") { zones[r[0]] = (r[1], r[2]) }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT start_ms, span_ms, duration_us, busy_us, zones FROM energy_ticks
            WHERE start_ms >= ? AND start_ms < ? ORDER BY start_ms
            """, arguments: [fromMs, toMs])
        while let r = try rows.next() {
            let start: Int64 = r[0]
            let tick = TickTiming(spanMs: r[1], durationUs: r[2], busyUs: r[3])
            for e in decode(r.dataNoCopy(atIndex: 4) ?? Data(), tick: tick) {
                let z = zones[e.zoneID] ?? ("zone \(e.zoneID)", "")
                try body(StoredSample(zone: z.0, zoneName: z.1, source: sourceOrder[min(Int(e.source), sourceOrder.count - 1)],
                                      startMs: start, entry: e))
            }
        }
    }

    /// The raw samples whose start lies in [from, to), in start order (zones of a tick in stored order),
    /// read from any connection to a Verdant database (tests and tools open their own).
    /// - Throws: `DatabaseError`.
    public static func samples(_ db: Database, from: Date = .distantPast, to: Date = .distantFuture) throws -> [EnergySampleRecord] {
        var out: [EnergySampleRecord] = []
        let a = from == .distantPast ? Int64.min : millis(from), b = to == .distantFuture ? Int64.max : millis(to)
        try forEachSample(db, fromMs: a, toMs: b) { s in
            let start = Date(timeIntervalSince1970: Double(s.startMs) / 1000)
            out.append(EnergySampleRecord(zone: s.zone, zoneName: s.zoneName, source: s.source, startAt: start,
                                          endAt: Date(timeIntervalSince1970: Double(s.startMs + s.entry.timing.spanMs) / 1000),
                                          durationSeconds: s.durationSeconds, energy: s.energyJoules.map(EnergyJoules.init),
                                          busyCPUSeconds: s.busyCPUSeconds, status: s.status))
        }
        return out
    }

    /// The raw samples whose start lies in [from, to), in start order.
    public func samples(from: Date = .distantPast, to: Date = .distantFuture) throws -> [EnergySampleRecord] {
        try pool.read { db in try Self.samples(db, from: from, to: to) }
    }
}
