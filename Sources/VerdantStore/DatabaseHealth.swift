import Foundation
import GRDB

/// A read-only look at a Verdant database for `verdant doctor`: never migrates, never writes.
public enum DatabaseHealth {
    /// Runs `PRAGMA quick_check(5)` on `path`, opened read-only (sqlite.org/pragma.html#pragma_quick_check).
    /// - Returns: SQLite's rows: `["ok"]` for a healthy file, else up to 5 problems; a file SQLite
    ///   finds corrupt (`SQLITE_CORRUPT`) or not a database (`SQLITE_NOTADB`) gives that error's message.
    /// - Throws: GRDB's `DatabaseError` when the file cannot be opened (permission, busy).
    public static func quickCheck(path: String) throws -> [String] {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(2)
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            return try queue.read { try String.fetchAll($0, sql: "PRAGMA quick_check(5)") }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB {
            return [e.message ?? "\(e)"]
        }
    }

    /// Size of the database and its `-wal` file, bytes (`nil` when the database does not exist).
    public static func sizeBytes(path: String) -> UInt64? {
        let fm = FileManager.default
        guard let main = (try? fm.attributesOfItem(atPath: path))?[.size] as? UInt64 else { return nil }
        let wal = ((try? fm.attributesOfItem(atPath: path + "-wal"))?[.size] as? UInt64) ?? 0
        return main + wal
    }
}
