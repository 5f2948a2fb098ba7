import Foundation
import Synchronization

/// The finished jobs `reportJobRows` read last, kept with the `report_job_changes` position (`seq`) they
/// are current at: finished jobs rarely change, so a report after another reuses the rows instead of
/// reading and decoding a year of jobs again (20,000 rows: the largest part of a grouped report's time,
/// docs/performance.md), and after a change reads only the jobs the change log names
/// (`ReportJobChanges.swift`). Holds one array (about 0.5 kB per job) while the database is open.
public final class ReportJobRowCache: Sendable {
    struct Entry { var head: Int64; var rows: [VerdantDatabase.ReportJobRow] }
    private let entry = Mutex<Entry?>(nil)

    /// How the last `reportJobRows` got its rows (tests and diagnostics).
    public enum Refresh: Sendable, Equatable {
        /// The kept rows, unchanged: nothing read.
        case reused
        /// The kept rows with the changed jobs read again: `rowsRead` rows of `changedJobs` ids.
        case changed(changedJobs: Int, rowsRead: Int)
        /// Every finished job read (`rowsRead` rows): nothing kept yet, or kept rows too old for the log.
        case whole(rowsRead: Int)
        /// The change log could not be trusted: read from the tables, nothing kept.
        case untrusted
    }
    private let last = Mutex<Refresh?>(nil)

    public init() {}

    /// How the last `reportJobRows` got its rows.
    public var lastRefresh: Refresh? { last.withLock { $0 } }
    func note(_ r: Refresh) { last.withLock { $0 = r } }

    /// The kept rows and the change-log position they are current at, if any are kept.
    func kept() -> Entry? { entry.withLock { $0 } }

    /// Keeps `rows` (every finished job, by id) as current at change-log position `head`, unless rows
    /// current at a later position are kept already (a concurrent report read a newer snapshot).
    func keep(_ rows: [VerdantDatabase.ReportJobRow], at head: Int64) {
        entry.withLock { e in
            if let e, e.head > head { return }
            e = Entry(head: head, rows: rows)
        }
    }

    /// Forgets the rows (tests; a daemon never needs to).
    public func clear() { entry.withLock { $0 = nil } }
}
