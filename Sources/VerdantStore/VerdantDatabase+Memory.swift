import Foundation
import GRDB
import GRDBSQLite
#if canImport(Glibc)
import Glibc
#endif

/// Memory bounds of the daemon's database connections (issue 10, "Bounded resources").
///
/// SQLite keeps a page cache per connection that grows up to `PRAGMA cache_size` pages (default
/// `-2000`, i.e. about 2 MB, sqlite.org/pragma.html#pragma_cache_size) and never shrinks by itself;
/// a GRDB `DatabasePool` has one writer and up to `maximumReaderCount` readers (default 5, GRDB
/// "DatabasePool" documentation), so with the defaults the caches alone may reach about 12 MB as the
/// database grows. The daemon bounds them: `pageCacheKiB` per connection, `maximumReaderCount`
/// readers, and `releaseMemory()` now and then (closes idle readers, empties the writer's cache and
/// statement caches, then gives freed heap back to the kernel).
extension VerdantDatabase {
    /// `PRAGMA cache_size = -512`: at most 512 KiB of page cache per connection (a negative value is
    /// KiB, sqlite.org/pragma.html#pragma_cache_size). The daemon's reads touch recent rows through
    /// indexes, so a small cache costs little; the OS page cache still holds the file.
    public static let pageCacheKiB = 512
    /// At most 3 concurrent reader connections (the API, reports and the metrics scrape rarely read at
    /// once; a fourth read waits for a free reader). With the writer: 4 × `pageCacheKiB` = 2 MiB of page
    /// cache at most.
    public static let maximumReaderCount = 3

    /// Applies the per-connection memory bounds; called from `Configuration.prepareDatabase`, so every
    /// connection (the writer and each reader, whenever it is opened) gets them.
    static func applyMemoryBounds(_ db: Database) throws {
        try db.execute(sql: "PRAGMA cache_size = -\(pageCacheKiB)")
    }

    /// The `PRAGMA cache_size` of one reader connection and of the writer (for tests and the soak).
    public func cacheSizes() throws -> (reader: Int, writer: Int) {
        let r = try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") ?? 0 }
        let w = try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA cache_size") ?? 0 }
        return (r, w)
    }

    /// Heap bytes the writer connection's page cache holds now (`sqlite3_db_status` with
    /// `SQLITE_DBSTATUS_CACHE_USED`, sqlite.org/c3ref/c_dbstatus_options.html); waits for the writer.
    public func writerCacheUsedBytes() throws -> Int {
        try pool.writeWithoutTransaction { db -> Int in
            var current: Int32 = 0, highwater: Int32 = 0
            sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0)
            return Int(current)
        }
    }

    /// Frees what the connections hold without waiting for anyone: the writer's page and statement
    /// caches (`sqlite3_db_release_memory`, once the writer is free), and the reader connections,
    /// which close once their read in progress ends and are reopened on the next read (GRDB
    /// `DatabasePool.releaseMemoryEventually()`; a long report read never stalls the caller). Then
    /// `malloc_trim(0)` hands freed heap back to the kernel (glibc otherwise keeps freed memory in its
    /// arenas, man 3 malloc_trim); what the connections free after this call is trimmed at the next.
    public func releaseMemory() {
        pool.releaseMemoryEventually()
        Self.trimHeap()
    }

    /// `malloc_trim(0)` on glibc; nothing elsewhere. - Returns: whether memory was given back.
    @discardableResult
    public static func trimHeap() -> Bool {
        // Looked up at run time: the Glibc module does not export <malloc.h>.
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        return unsafeBitCast(symbol, to: MallocTrim.self)(0) == 1
        #else
        return false
        #endif
    }
}
