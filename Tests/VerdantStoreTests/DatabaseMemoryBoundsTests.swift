import Foundation
import GRDB
import Testing
import VerdantStore

/// Issue 10, bounded resources: every connection's SQLite page cache is bounded, and
/// `releaseMemory()` empties it.
@Suite struct DatabaseMemoryBoundsTests {
    private func scratch() throws -> (VerdantDatabase, String) {
        let dir = NSTemporaryDirectory() + "verdant-membounds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try VerdantDatabase(path: dir + "/verdant.sqlite"), dir)
    }

    @Test func everyConnectionHasTheBoundedCacheSize() throws {
        let (db, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(VerdantDatabase.pageCacheKiB == 512)
        #expect(db.pool.configuration.maximumReaderCount == 3)
        let sizes = try db.cacheSizes()
        #expect(sizes.writer == -512)
        #expect(sizes.reader == -512)
        // Three reads at once hold three distinct reader connections: each has the bound.
        let seen = Mutex3()
        let group = DispatchGroup()
        for _ in 0..<3 {
            group.enter()
            // Real threads: GCD's pool may run fewer blocks at once on a small machine.
            Thread.detachNewThread {
                defer { group.leave() }
                try? db.pool.read { conn in
                    let size = try Int.fetchOne(conn, sql: "PRAGMA cache_size") ?? 0
                    seen.add(ObjectIdentifier(conn), size)
                    seen.waitForAll(3)
                }
            }
        }
        group.wait()
        #expect(seen.sizes == [-512, -512, -512])
    }

    @Test func writerCacheStaysUnderTheBoundAndIsReleased() throws {
        let (db, dir) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 4 MiB of rows (4,096 × 1 KiB): far more than the 512 KiB cache, and more than SQLite's
        // default 2 MB one.
        try db.pool.write { conn in
            try conn.execute(sql: "CREATE TABLE scratch (id INTEGER PRIMARY KEY, b BLOB)")
            for i in 0..<4096 { try conn.execute(sql: "INSERT INTO scratch (id, b) VALUES (?, randomblob(1024))", arguments: [i]) }
        }
        let total = try db.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "SELECT sum(length(b)) FROM scratch") ?? 0 }
        #expect(total == 4096 * 1024)
        let filled = try db.writerCacheUsedBytes()
        // 512 KiB of pages plus SQLite's per-page header (about 10 %): well under 1 MiB, and filled.
        #expect(filled > 256 * 1024)
        #expect(filled < 640 * 1024)
        db.releaseMemory()
        // The writer frees its cache once it is free; the next write access runs after that.
        let released = try db.writerCacheUsedBytes()
        #expect(released < 64 * 1024)
    }
}

/// Collects what concurrent readers saw, and lets them wait for each other.
private final class Mutex3: @unchecked Sendable {
    private let cond = NSCondition()
    private var byConnection: [ObjectIdentifier: Int] = [:]
    func add(_ id: ObjectIdentifier, _ size: Int) { cond.lock(); byConnection[id] = size; cond.broadcast(); cond.unlock() }
    func waitForAll(_ n: Int) {
        cond.lock(); defer { cond.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while byConnection.count < n { if !cond.wait(until: deadline) { return } }
    }
    var sizes: [Int] { cond.lock(); defer { cond.unlock() }; return byConnection.values.sorted() }
}
