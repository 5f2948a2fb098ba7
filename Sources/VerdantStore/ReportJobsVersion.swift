import Foundation
import GRDB

/// A counter that changed whenever anything a report reads about finished jobs changed, so that a
/// report could reuse the rows it read before (`ReportJobRowCache`) instead of reading a year of jobs
/// (20,000 rows) again for every report. Replaced by the per-job change log of migration
/// "v8-report-job-changes" (`ReportJobChanges.swift`), which drops this table and its triggers; the
/// migration stays as shipped.
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
}
