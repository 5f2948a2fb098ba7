import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantDaemon
@testable import VerdantStore

/// `reportJobRows` reuses the rows it read while `report_jobs_version` is unchanged, and every write a
/// report would see changes the version (so the kept rows always equal what the tables give): on the real
/// SQLite file of `ReportReadPathTests` (300 jobs in every state).
@Suite struct ReportJobRowCacheTests {
    /// The fields a report reads, as one comparable text per row.
    static func fingerprint(_ rows: [VerdantDatabase.ReportJobRow]) -> [String] {
        rows.map { r in
            let j = r.job
            return "\(j.id!)|\(j.name)|\(j.state)|\(String(describing: j.startedAt))|\(String(describing: j.endedAt))|\(String(describing: j.energy))"
                + "|\(String(describing: j.carbon))|\(String(describing: r.summary?.measuredSeconds))|\(String(describing: r.summary?.counterfactualCarbon))"
                + "|\(r.intensitySource ?? "-")|\(r.intensityKind ?? "-")"
        }
    }

    func expectSame(_ db: VerdantDatabase, since: Date? = nil, _ note: String) throws {
        #expect(Self.fingerprint(try db.reportJobRows(startedFrom: since)) == Self.fingerprint(try db.reportJobRowsFromTables(startedFrom: since)), "\(note)")
    }

    @Test func keptRowsFollowEveryWriteAReportSees() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-rowcache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try ReportReadPathTests.database(dir)
        let v0 = try #require(try db.reportJobsVersion())
        try expectSame(db, "first read")
        try expectSame(db, "kept rows")
        // The same range filter as the query's `started_at >= ?`.
        let since = ISO8601.parse("2015-03-01T00:00:00Z")!
        try expectSame(db, since: since, "since 2015")
        #expect(try db.reportJobsVersion() == v0, "reads change nothing")

        // A queued or running job's updates leave the version (and the kept rows) alone.
        let running = try #require(try db.jobs().first { $0.state == .running })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET cpu_seconds = 12.5 WHERE id = ?", arguments: [running.id!]) }
        #expect(try db.reportJobsVersion() == v0)

        // A finished job's energy, a summary, a provenance row, a job finishing, deletes: each changes it.
        let finished = try #require(try db.jobs().first { $0.state == .succeeded && $0.energy != nil })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET energy = energy + 1 WHERE id = ?", arguments: [finished.id!]) }
        let v1 = try #require(try db.reportJobsVersion())
        #expect(v1 > v0)
        try expectSame(db, "energy updated")
        try db.save(JobEnergySummaryRecord(jobID: finished.id!, measuredSeconds: 7, estimatedSeconds: 0, missingSeconds: 0, counterfactualCarbon: 99))
        #expect(try #require(try db.reportJobsVersion()) > v1)
        try expectSame(db, "summary saved")
        let v2 = try #require(try db.reportJobsVersion())
        try db.save(JobIntensityRecord(jobID: finished.id!, planSource: "static 123", kind: "marginal", plannedOnData: false, filledSeconds: 0))
        #expect(try #require(try db.reportJobsVersion()) > v2)
        try expectSame(db, "provenance saved")
        var done = running
        done.state = .succeeded
        done.endedAt = (running.startedAt ?? running.submittedAt).addingTimeInterval(60)
        try db.finish(done, intervals: [])
        try expectSame(db, "a running job finished")
        try expectSame(db, since: since, "a running job finished, since 2015")
        #expect(try db.reportJobRows().contains { $0.job.id == running.id })
        let v3 = try #require(try db.reportJobsVersion())
        try db.pool.write { try $0.execute(sql: "DELETE FROM job_energy_summary WHERE job_id = ?", arguments: [finished.id!]) }
        try expectSame(db, "a summary deleted")
        try db.pool.write { try $0.execute(sql: "DELETE FROM job_intensity WHERE job_id = ?", arguments: [finished.id!]) }
        try expectSame(db, "a provenance row deleted")
        #expect(try #require(try db.reportJobsVersion()) >= v3 + 2)
        #expect(try db.reportJobRows().contains { $0.job.id == finished.id && $0.summary == nil && $0.intensitySource == nil })

        // Without its triggers the version is not trusted and every read goes to the tables.
        try db.pool.write { try $0.execute(sql: "DROP TRIGGER report_jobs_version_jobs_update") }
        #expect(try db.reportJobsVersion() == nil)
        let other = try #require(try db.jobs().first { $0.state == .failed })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET name = 'renamed' WHERE id = ?", arguments: [other.id!]) }
        try expectSame(db, "no trigger")
        #expect(try db.reportJobRows().contains { $0.job.id == other.id && $0.job.name == "renamed" })
    }
}
