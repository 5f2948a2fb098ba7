import Foundation
import GRDB

/// Which finished jobs changed since a report last read them, so that the rows a report keeps
/// (`ReportJobRowCache`) are brought up to date by reading only those jobs: when a job finishes, its row
/// alone is read and added, not the year of jobs (20,000 rows) again.
///
/// SQLite triggers keep a change log (sqlite.org/lang_createtrigger.html): every insert, update or delete
/// of a `jobs` row that is or was finished (state neither `queued` nor `running`: the rows `reportJobRows`
/// reads), and every change to `job_energy_summary` or `job_intensity`, appends the job's id to
/// `report_job_changes` under a new, ever-increasing `seq` (`AUTOINCREMENT`: never reused), in the same
/// transaction, whichever process or connection writes. Updates of queued and running jobs (the
/// scheduler's and sampler's frequent writes) append nothing.
///
/// The log stays short: every 1,024th change deletes the entries more than 4,096 changes old and records
/// the highest deleted `seq` in `report_job_changes_pruned.through`. Kept rows read at a `seq` below
/// that may have missed a change and are read again whole.
extension VerdantDatabase {
    /// The triggers that keep the log; a reader trusts it only when all of them exist (a later migration
    /// that rebuilt one of these tables would drop its triggers with it).
    static let reportJobChangesTriggers = [
        "report_job_changes_jobs_insert", "report_job_changes_jobs_update", "report_job_changes_jobs_delete",
        "report_job_changes_summary_insert", "report_job_changes_summary_update", "report_job_changes_summary_delete",
        "report_job_changes_intensity_insert", "report_job_changes_intensity_update", "report_job_changes_intensity_delete",
        "report_job_changes_prune",
    ]

    /// Changes kept in the log after a prune, and how often it prunes (in changes).
    static let reportJobChangesKept = 4096
    static let reportJobChangesPruneEvery = 1024

    /// Migration "v8-report-job-changes": replaces v7's one global counter (`report_jobs_version`, its
    /// table and nine triggers, which made the first report after any job's end read every job again) by
    /// the per-job change log above. Frozen once shipped.
    static func registerReportJobChanges(_ m: inout DatabaseMigrator) {
        m.registerMigration("v8-report-job-changes") { db in
            for name in reportJobsVersionTriggers { try db.execute(sql: "DROP TRIGGER IF EXISTS \(name)") }
            try db.execute(sql: "DROP TABLE IF EXISTS report_jobs_version")
            let log = "INSERT INTO report_job_changes (job_id)"
            try db.execute(sql: """
                CREATE TABLE report_job_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL);
                CREATE TABLE report_job_changes_pruned (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL);
                INSERT INTO report_job_changes_pruned (id, through) VALUES (1, 0);
                CREATE TRIGGER report_job_changes_jobs_insert AFTER INSERT ON jobs
                  WHEN NEW.state NOT IN ('queued', 'running')
                  BEGIN \(log) VALUES (NEW.id); END;
                CREATE TRIGGER report_job_changes_jobs_update AFTER UPDATE ON jobs
                  WHEN NEW.state NOT IN ('queued', 'running') OR OLD.state NOT IN ('queued', 'running')
                  BEGIN \(log) VALUES (NEW.id); \(log) SELECT OLD.id WHERE OLD.id IS NOT NEW.id; END;
                CREATE TRIGGER report_job_changes_jobs_delete AFTER DELETE ON jobs
                  WHEN OLD.state NOT IN ('queued', 'running')
                  BEGIN \(log) VALUES (OLD.id); END;
                CREATE TRIGGER report_job_changes_summary_insert AFTER INSERT ON job_energy_summary
                  BEGIN \(log) VALUES (NEW.job_id); END;
                CREATE TRIGGER report_job_changes_summary_update AFTER UPDATE ON job_energy_summary
                  BEGIN \(log) VALUES (NEW.job_id); \(log) SELECT OLD.job_id WHERE OLD.job_id IS NOT NEW.job_id; END;
                CREATE TRIGGER report_job_changes_summary_delete AFTER DELETE ON job_energy_summary
                  BEGIN \(log) VALUES (OLD.job_id); END;
                CREATE TRIGGER report_job_changes_intensity_insert AFTER INSERT ON job_intensity
                  BEGIN \(log) VALUES (NEW.job_id); END;
                CREATE TRIGGER report_job_changes_intensity_update AFTER UPDATE ON job_intensity
                  BEGIN \(log) VALUES (NEW.job_id); \(log) SELECT OLD.job_id WHERE OLD.job_id IS NOT NEW.job_id; END;
                CREATE TRIGGER report_job_changes_intensity_delete AFTER DELETE ON job_intensity
                  BEGIN \(log) VALUES (OLD.job_id); END;
                CREATE TRIGGER report_job_changes_prune AFTER INSERT ON report_job_changes
                  WHEN NEW.seq % \(reportJobChangesPruneEvery) = 0 AND NEW.seq > \(reportJobChangesKept)
                  BEGIN
                    UPDATE report_job_changes_pruned SET through = NEW.seq - \(reportJobChangesKept) WHERE id = 1;
                    DELETE FROM report_job_changes WHERE seq <= NEW.seq - \(reportJobChangesKept);
                  END;
                """)
        }
    }

    /// Where the change log stands in `db`'s transaction: `head`, the newest `seq` (0 before any change),
    /// and `prunedThrough`, the highest `seq` deleted; `nil` when the log cannot be trusted (a table or
    /// trigger missing).
    /// - Throws: `DatabaseError`.
    static func reportJobChangesState(_ db: Database) throws -> (head: Int64, prunedThrough: Int64)? {
        let names = reportJobChangesTriggers.map { "'\($0)'" }.joined(separator: ", ")
        let triggers = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (\(names))") ?? 0
        guard triggers == reportJobChangesTriggers.count,
              let through = try Int64.fetchOne(db, sql: "SELECT through FROM report_job_changes_pruned WHERE id = 1")
        else { return nil }
        let head = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM report_job_changes") ?? 0
        return (max(head, through), through)
    }

    /// The ids of jobs changed after `seq` (each once, ascending), in `db`'s transaction.
    /// - Throws: `DatabaseError`.
    static func reportJobsChanged(after seq: Int64, _ db: Database) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT DISTINCT job_id FROM report_job_changes WHERE seq > ? ORDER BY job_id", arguments: [seq])
    }

    /// `(head, prunedThrough)` of the change log, or `nil` when it cannot be trusted (tests; `reportJobRows`
    /// reads it itself).
    /// - Throws: `DatabaseError`.
    public func reportJobChangesState() throws -> (head: Int64, prunedThrough: Int64)? {
        try pool.read { db in try Self.reportJobChangesState(db) }
    }
}
