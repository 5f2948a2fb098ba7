import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantDaemon
@testable import VerdantStore

/// `reportJobRows` reuses the rows it read and, after a write a report would see, reads again only the
/// jobs the change log (`report_job_changes`) names, so the kept rows always equal what the tables give
/// and a job that finished costs one row: on the real SQLite file of `ReportReadPathTests` (300 jobs in
/// every state).
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

    static func freshDatabase() throws -> (VerdantDatabase, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-rowcache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try ReportReadPathTests.database(dir), dir)
    }

    @Test func keptRowsFollowEveryWriteAReportSees() throws {
        let (db, dir) = try Self.freshDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = db.reportJobRowCache
        cache.clear()
        let h0 = try #require(try db.reportJobChangesState()).head
        let finishedCount = try db.reportJobRowsFromTables().count
        try expectSame(db, "first read")
        #expect(cache.lastRefresh == .whole(rowsRead: finishedCount))
        try expectSame(db, "kept rows")
        #expect(cache.lastRefresh == .reused)
        // The same range filter as the query's `started_at >= ?`.
        let since = ISO8601.parse("2015-03-01T00:00:00Z")!
        try expectSame(db, since: since, "since 2015")
        #expect(cache.lastRefresh == .reused)
        #expect(try db.reportJobChangesState()?.head == h0, "reads change nothing")

        // A queued or running job's updates log nothing (the kept rows stay).
        let running = try #require(try db.jobs().first { $0.state == .running })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET cpu_seconds = 12.5 WHERE id = ?", arguments: [running.id!]) }
        #expect(try db.reportJobChangesState()?.head == h0)
        try expectSame(db, "running job updated")
        #expect(cache.lastRefresh == .reused)

        // A finished job's energy, a summary, a provenance row, a job finishing, deletes: each is logged for
        // its job, and only that job is read again.
        let finished = try #require(try db.jobs().first { $0.state == .succeeded && $0.energy != nil })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET energy = energy + 1 WHERE id = ?", arguments: [finished.id!]) }
        #expect(try #require(try db.reportJobChangesState()).head > h0)
        try expectSame(db, "energy updated")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 1))
        try db.save(JobEnergySummaryRecord(jobID: finished.id!, measuredSeconds: 7, estimatedSeconds: 0, missingSeconds: 0, counterfactualCarbon: 99))
        try expectSame(db, "summary saved")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 1))
        try db.save(JobIntensityRecord(jobID: finished.id!, planSource: "static 123", kind: "marginal", plannedOnData: false, filledSeconds: 0))
        try expectSame(db, "provenance saved")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 1))
        var done = running
        done.state = .succeeded
        done.endedAt = (running.startedAt ?? running.submittedAt).addingTimeInterval(60)
        try db.finish(done, intervals: [])
        try expectSame(db, "a running job finished")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 1), "only the job that finished is read")
        try expectSame(db, since: since, "a running job finished, since 2015")
        #expect(try db.reportJobRows().contains { $0.job.id == running.id })
        try db.pool.write { try $0.execute(sql: "DELETE FROM job_energy_summary WHERE job_id = ?", arguments: [finished.id!]) }
        try expectSame(db, "a summary deleted")
        try db.pool.write { try $0.execute(sql: "DELETE FROM job_intensity WHERE job_id = ?", arguments: [finished.id!]) }
        try expectSame(db, "a provenance row deleted")
        #expect(try db.reportJobRows().contains { $0.job.id == finished.id && $0.summary == nil && $0.intensitySource == nil })

        // Several jobs at once, in the middle and at both ends of the ids; a finished job going back to
        // running leaves the rows; a deleted job leaves them; a new finished job joins them.
        let ids = try db.reportJobRowsFromTables().compactMap(\.job.id)
        let some = [ids[0], ids[ids.count / 2], ids[ids.count - 1]]
        try db.pool.write { db in
            for id in some { try db.execute(sql: "UPDATE jobs SET name = name || '-x' WHERE id = ?", arguments: [id]) }
        }
        try expectSame(db, "three renamed")
        #expect(cache.lastRefresh == .changed(changedJobs: 3, rowsRead: 3))
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET state = 'running' WHERE id = ?", arguments: [ids[1]]) }
        try expectSame(db, "a finished job back to running")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 0))
        #expect(!(try db.reportJobRows().contains { $0.job.id == ids[1] }))
        try db.pool.writeWithoutTransaction { db in   // the job alone (its provenance row would block it)
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [ids[2]])
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        try expectSame(db, "a finished job deleted")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 0))
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET state = 'succeeded' WHERE id = ?", arguments: [ids[1]]) }
        try expectSame(db, "back to succeeded")
        #expect(cache.lastRefresh == .changed(changedJobs: 1, rowsRead: 1))

        // Changes made while other rows are kept by a second database handle (another process) are seen too.
        let other = try VerdantDatabase(path: dir + "/verdant.sqlite")
        try other.pool.write { try $0.execute(sql: "UPDATE jobs SET carbon = 4.25 WHERE id = ?", arguments: [ids[3]]) }
        try expectSame(db, "written by another connection")
        #expect(try db.reportJobRows().first { $0.job.id == ids[3] }?.job.carbon?.grams == 4.25)

        // Without its triggers the log is not trusted and every read goes to the tables.
        try db.pool.write { try $0.execute(sql: "DROP TRIGGER report_job_changes_jobs_update") }
        #expect(try db.reportJobChangesState() == nil)
        let failed = try #require(try db.jobs().first { $0.state == .failed })
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET name = 'renamed' WHERE id = ?", arguments: [failed.id!]) }
        try expectSame(db, "no trigger")
        #expect(cache.lastRefresh == .untrusted)
        #expect(try db.reportJobRows().contains { $0.job.id == failed.id && $0.job.name == "renamed" })
    }

    /// The log keeps at most `reportJobChangesKept + reportJobChangesPruneEvery` changes; rows kept from
    /// before what it still holds are read whole again, rows kept within it are updated from it.
    @Test func aPrunedLogMeansOneWholeRead() throws {
        let (db, dir) = try Self.freshDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = db.reportJobRowCache
        cache.clear()
        try expectSame(db, "first read")
        let ids = try db.reportJobRowsFromTables().compactMap(\.job.id)
        let changes = VerdantDatabase.reportJobChangesKept + 2 * VerdantDatabase.reportJobChangesPruneEvery
        try db.pool.write { db in
            for k in 0..<changes { try db.execute(sql: "UPDATE jobs SET cpu_seconds = ? WHERE id = ?", arguments: [Double(k), ids[k % ids.count]]) }
        }
        let log = try #require(try db.reportJobChangesState())
        #expect(log.prunedThrough > 0)
        let kept = try db.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM report_job_changes") ?? 0 }
        #expect(kept <= VerdantDatabase.reportJobChangesKept + VerdantDatabase.reportJobChangesPruneEvery)
        #expect(kept >= VerdantDatabase.reportJobChangesKept)
        try expectSame(db, "after the prune")
        #expect(cache.lastRefresh == .whole(rowsRead: ids.count))
        // Within what the log holds: only the changed jobs.
        try db.pool.write { try $0.execute(sql: "UPDATE jobs SET cpu_seconds = 1.5 WHERE id IN (?, ?)", arguments: [ids[4], ids[9]]) }
        try expectSame(db, "two changed")
        #expect(cache.lastRefresh == .changed(changedJobs: 2, rowsRead: 2))
    }

    /// The merge of kept rows with changed ones, on ids alone: replaced, added between, removed, at the ends.
    @Test func mergedRowsKeepIDOrder() throws {
        let (db, dir) = try Self.freshDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let all = try db.reportJobRowsFromTables()
        let kept = all.enumerated().filter { $0.offset % 3 != 1 }.map(\.element)   // some rows "not yet finished"
        let added = all.enumerated().filter { $0.offset % 3 == 1 }.map(\.element)
        let removedID = kept[5].job.id!
        var changed = added.compactMap(\.job.id) + [removedID, kept[0].job.id!]
        changed.sort()
        let fresh = (added + [kept[0]]).sorted { $0.job.id! < $1.job.id! }
        let merged = VerdantDatabase.merged(kept, changed: changed, fresh: fresh)
        #expect(merged.map { $0.job.id! } == all.map { $0.job.id! }.filter { $0 != removedID })
        #expect(VerdantDatabase.merged(kept, changed: [], fresh: []).map(\.job.id) == kept.map(\.job.id))
        #expect(VerdantDatabase.merged(Array(all.dropLast()), changed: [all.last!.job.id!], fresh: [all.last!]).map(\.job.id) == all.map(\.job.id))
    }
}
