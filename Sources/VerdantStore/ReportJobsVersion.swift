import Foundation
import GRDB

/// A counter that changes whenever anything a report reads about finished jobs changes, so that a
/// report can reuse the rows it read before (`ReportJobRowCache`) instead of reading a year of jobs
/// (20,000 rows) again for every report.
///
/// SQLite triggers keep it (sqlite.org/lang_createtrigger.html): any insert, update or delete of a
/// `jobs` row that is or was finished (state neither `queued` nor `running`: the rows `reportJobRows`
/// reads), and any change to `job_energy_summary` or `job_intensity`, adds 1 to
/// `report_jobs_version.n` in the same transaction, whichever process or connection writes. Updates
/// of queued and running jobs (the scheduler's and sampler's frequent writes) leave it alone.
extension VerdantDatabase {
    /// The triggers that keep the counter; a reader trusts the counter only when all of them exist (a
    /// later migration that rebuilt one of these tables would drop its triggers with it).
    static let reportJobsVersionTriggers = [
        "report_jobs_version_jobs_insert", "report_jobs_version_jobs_update", "report_jobs_version_jobs_delete",
        "report_jobs_version_summary_insert", "report_jobs_version_summary_update", "report_jobs_version_summary_delete",
        "report_jobs_version_intensity_insert", "report_jobs_version_intensity_update", "report_jobs_version_intensity_delete",
    ]

    /// Migration "v7-report-jobs-version": table `report_jobs_version` (one row, `n`) and its triggers.
    /// Frozen once shipped.
    static func registerReportJobsVersion(_ m: inout DatabaseMigrator) {
        m.registerMigration("v7-report-jobs-version") { db in
            try db.execute(sql: """
                CREATE TABLE report_jobs_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
                INSERT INTO report_jobs_version (id, n) VALUES (1, 0);
                CREATE TRIGGER report_jobs_version_jobs_insert AFTER INSERT ON jobs
                  WHEN NEW.state NOT IN ('queued', 'running')
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_jobs_update AFTER UPDATE ON jobs
                  WHEN NEW.state NOT IN ('queued', 'running') OR OLD.state NOT IN ('queued', 'running')
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_jobs_delete AFTER DELETE ON jobs
                  WHEN OLD.state NOT IN ('queued', 'running')
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_summary_insert AFTER INSERT ON job_energy_summary
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_summary_update AFTER UPDATE ON job_energy_summary
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_summary_delete AFTER DELETE ON job_energy_summary
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_intensity_insert AFTER INSERT ON job_intensity
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_intensity_update AFTER UPDATE ON job_intensity
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                CREATE TRIGGER report_jobs_version_intensity_delete AFTER DELETE ON job_intensity
                  BEGIN UPDATE report_jobs_version SET n = n + 1 WHERE id = 1; END;
                """)
        }
    }

    /// The counter, or `nil` when it cannot be trusted (table or a trigger missing).
    /// - Throws: `DatabaseError`.
    static func reportJobsVersion(_ db: Database) throws -> Int64? {
        let names = reportJobsVersionTriggers.map { "'\($0)'" }.joined(separator: ", ")
        let triggers = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (\(names))") ?? 0
        guard triggers == reportJobsVersionTriggers.count else { return nil }
        return try Int64.fetchOne(db, sql: "SELECT n FROM report_jobs_version WHERE id = 1")
    }

    /// `report_jobs_version.n`, or `nil` when it cannot be trusted (tests; `reportJobRows` reads it itself).
    /// - Throws: `DatabaseError`.
    public func reportJobsVersion() throws -> Int64? {
        try pool.read { db in try Self.reportJobsVersion(db) }
    }
}
