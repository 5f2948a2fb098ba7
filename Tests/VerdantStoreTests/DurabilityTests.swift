import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// Issue 10, crash safety: integrity check at open, corrupt files moved aside, the WAL bound, and two
/// writers that never surface `database is locked`.
@Suite struct DurabilityTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-durab-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("verdant.sqlite").path
    }

    func sample(_ i: Int, zone: String = "cpu-estimate", nameBytes: Int = 8) -> EnergySampleRecord {
        EnergySampleRecord(zone: zone, zoneName: String(repeating: "x", count: nameBytes), source: .estimated,
                           startAt: t0.addingTimeInterval(Double(i)), endAt: t0.addingTimeInterval(Double(i + 1)),
                           durationSeconds: 1, energy: EnergyJoules(Double(i)), busyCPUSeconds: 0.5)
    }

    @Test func aHealthyFileOpensAsItIs() throws {
        let path = tempPath()
        do {
            let db = try VerdantDatabase(path: path)
            try db.append(samples: (0..<10).map { sample($0) }, intervals: [], meta: [:])
        }
        let (db, recovery) = try VerdantDatabase.open(path: path)
        #expect(recovery == nil)
        #expect(try db.sampleCount() == 10)
        #expect(try db.integrityCheck() == ["ok"])
    }

    /// A real database whose table pages are overwritten with garbage, as a failing disk would leave it.
    @Test func aCorruptFileIsMovedAsideAndANewDatabaseCreated() throws {
        let path = tempPath()
        do {
            let db = try VerdantDatabase(path: path)
            // ~400 KiB of samples: many b-tree pages (distinct zone names: a name is stored once per zone).
            for batch in 0..<20 {
                try db.append(samples: (0..<50).map { k in
                    var s = sample(batch * 50 + k, nameBytes: 400)
                    s.zoneName = "\(batch * 50 + k)" + s.zoneName
                    return s
                }, intervals: [], meta: [:])
            }
            #expect(db.checkpointIfIdle())
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 200_000)
        // Overwrite pages 3 to 40 (4 KiB pages) with a byte pattern that is no valid b-tree page.
        let h = try #require(FileHandle(forUpdatingAtPath: path))
        try h.seek(toOffset: 4096 * 3)
        h.write(Data(repeating: 0xA5, count: 4096 * 37))
        try h.close()

        let when = ISO8601.parse("2026-11-29T16:30:05Z")!
        let (db, recovery) = try VerdantDatabase.open(path: path, now: when)
        let r = try #require(recovery)
        #expect(r.movedTo == path + ".corrupt-20261129T163005Z")
        #expect(FileManager.default.fileExists(atPath: r.movedTo))
        #expect(!r.problem.isEmpty)
        // The new database is empty, healthy and usable.
        #expect(try db.sampleCount() == 0)
        #expect(try db.integrityCheck() == ["ok"])
        try db.append(samples: [sample(1)], intervals: [], meta: [:])
        #expect(try db.sampleCount() == 1)
        // The moved file still holds the damaged pages (kept for forensics; SQLite may have appended a
        // page when it closed the connection that found the damage).
        let moved = try Data(contentsOf: URL(fileURLWithPath: r.movedTo))
        #expect(moved.count >= size)
        #expect(moved[4096 * 3] == 0xA5 && moved[4096 * 39] == 0xA5)
    }

    @Test func aFileThatIsNoDatabaseAtAllIsMovedAside() throws {
        let path = tempPath()
        var garbage = Data()
        var x: UInt64 = 0x9E3779B97F4A7C15
        for _ in 0..<(64 * 1024) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            garbage.append(UInt8(truncatingIfNeeded: x))
        }
        try garbage.write(to: URL(fileURLWithPath: path))
        let when = ISO8601.parse("2026-11-29T16:30:05Z")!
        let (db, recovery) = try VerdantDatabase.open(path: path, now: when)
        let r = try #require(recovery)
        #expect(r.problem.contains("not a database") || r.problem.contains("corrupt") || r.problem.contains("malformed"), "\(r.problem)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: r.movedTo)) == garbage)
        #expect(try db.integrityCheck() == ["ok"])
        // A second corrupt file in the same second gets its own name.
        try db.pool.close()
        try garbage.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let (_, again) = try VerdantDatabase.open(path: path, now: when)
        #expect(again?.movedTo == path + ".corrupt-20261129T163005Z-2")
    }

    /// 80 MiB written in 200 transactions while another connection reads in a loop, as a report reader
    /// that is always open does: the WAL never exceeds 64 MiB, and an idle checkpoint empties it.
    @Test func theWALStaysUnder64MiBWithAReaderAlwaysOpen() throws {
        let path = tempPath()
        let db = try VerdantDatabase(path: path)
        let reader = try DatabasePool(path: path)
        let stop = ManagedAtomicFlag()
        let readerThread = Thread {
            while !stop.isSet {
                _ = try? reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM energy_ticks") }
            }
        }
        readerThread.start()
        var maxWAL = 0
        for batch in 0..<200 {
            // 100 rows of ~4 KiB each per transaction (distinct zone names: a name is stored once per zone).
            try db.append(samples: (0..<100).map { k in
                var s = sample(batch * 100 + k, nameBytes: 4000)
                s.zoneName = "\(batch * 100 + k)" + s.zoneName
                return s
            }, intervals: [], meta: [:])
            maxWAL = max(maxWAL, db.walSizeBytes())
        }
        stop.set()
        while readerThread.isExecuting { usleep(1000) }
        #expect(try db.sampleCount() == 20_000)
        #expect(maxWAL < VerdantDatabase.journalSizeLimitBytes, "WAL reached \(maxWAL) bytes")
        #expect(maxWAL > 0)
        #expect(db.checkpointIfIdle())
        #expect(db.walSizeBytes() == 0)
        try reader.close()
    }

    /// Two connections with their own pools (as two processes have) insert 1,000 rows each, one
    /// transaction per row, at the same time: every row is there and neither saw `database is locked`.
    @Test func twoWritersLoseNothingAndNeverSeeLocked() async throws {
        let path = tempPath()
        let a = try VerdantDatabase(path: path)
        let b = try VerdantDatabase(path: path)
        async let ea: [String] = Self.insert(a, zone: "a", count: 1000)
        async let eb: [String] = Self.insert(b, zone: "b", count: 1000)
        let errors = await ea + eb
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        // Both zones write the same starts: the second writer's samples join the first's ticks.
        let stored = try a.samples()
        let byZone = Dictionary(grouping: stored, by: \.zone)
        #expect(byZone.keys.sorted() == ["a", "b"])
        #expect(byZone["a"]?.count == 1000 && byZone["b"]?.count == 1000)
        #expect(Set(byZone["a"]!.map(\.startAt)).count == 1000 && Set(byZone["b"]!.map(\.startAt)).count == 1000)
    }

    static func insert(_ db: VerdantDatabase, zone: String, count: Int) async -> [String] {
        await Task.detached {
            var errors: [String] = []
            let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
            for i in 0..<count {
                let s = EnergySampleRecord(zone: zone, zoneName: zone, source: .estimated, startAt: t0.addingTimeInterval(Double(i)),
                                           endAt: t0.addingTimeInterval(Double(i + 1)), durationSeconds: 1,
                                           energy: EnergyJoules(1), busyCPUSeconds: 0)
                do { try db.append(samples: [s], intervals: [], meta: [:]) } catch { errors.append("\(error)") }
            }
            return errors
        }.value
    }

    /// Job state changes are committed with synchronous = FULL, and the connection returns to NORMAL.
    @Test func durableWritesRestoreNormalSynchronous() throws {
        let db = try VerdantDatabase(path: tempPath())
        let inside = try db.write(durable: true) { try Int.fetchOne($0, sql: "PRAGMA synchronous")! }
        let after = try db.write { try Int.fetchOne($0, sql: "PRAGMA synchronous")! }
        #expect(inside == 2)   // FULL
        #expect(after == 1)    // NORMAL
        let mode = try db.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let limit = try db.write { try Int.fetchOne($0, sql: "PRAGMA journal_size_limit") }
        #expect(limit == 64 * 1024 * 1024)
    }
}

/// A flag shared with a thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
