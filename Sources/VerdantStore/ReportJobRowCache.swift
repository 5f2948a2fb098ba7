import Foundation
import Synchronization

/// The finished jobs `reportJobRows` read last, kept with the `report_jobs_version` they were read at:
/// finished jobs rarely change, so a report after another reuses the rows instead of reading and
/// decoding a year of jobs again (20,000 rows: the largest part of a grouped report's time,
/// docs/performance.md). Reused only while the counter, read in the same read transaction as the
/// report, is unchanged; any write to a finished job, its summary or its intensity provenance changes
/// it (`ReportJobsVersion.swift`). Holds one array (about 0.5 kB per job) while the database is open.
public final class ReportJobRowCache: Sendable {
    private struct Entry { var version: Int64; var rows: [VerdantDatabase.ReportJobRow] }
    private let entry = Mutex<Entry?>(nil)

    public init() {}

    /// The rows read at `version`, if those are the ones kept.
    func rows(at version: Int64) -> [VerdantDatabase.ReportJobRow]? {
        entry.withLock { e in e.flatMap { $0.version == version ? $0.rows : nil } }
    }

    /// Keeps `rows` (every finished job) as read at `version`.
    func keep(_ rows: [VerdantDatabase.ReportJobRow], at version: Int64) {
        entry.withLock { $0 = Entry(version: version, rows: rows) }
    }

    /// Forgets the rows (tests; a daemon never needs to).
    public func clear() { entry.withLock { $0 = nil } }
}
