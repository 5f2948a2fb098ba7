import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantDaemon
@testable import VerdantStore

/// The report's read path (`reportJobRows`: one joined query, row cursor, dates from SQLite's integer
/// milliseconds) gives exactly the report the first read path gave (every `Job` decoded through
/// GRDB's Codable conformance, plus full decodes of the summaries and provenance), on a real SQLite
/// file holding a few hundred jobs in every state, with and without energy, summaries, provenance and
/// per-tick intervals, with dates from 1999 to 2031 (around 2001-01-01 GRDB's own date decoding is
/// used, and checked here too).
@Suite struct ReportReadPathTests {
    static let series = IntensitySeries(points: [IntensityPoint(time: Date(timeIntervalSince1970: 0), intensity: IntensityGramsPerKWh(300)),
                                                 IntensityPoint(time: Date(timeIntervalSince1970: 2_000_000_000), intensity: IntensityGramsPerKWh(500))],
                                        fallback: IntensityGramsPerKWh(480))

    /// Builds the database: 300 jobs through `insert` and `finish` (the daemon's calls).
    static func database(_ dir: String) throws -> VerdantDatabase {
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        var rng = SeededGenerator(seed: 8)
        let states: [JobState] = [.succeeded, .succeeded, .failed, .cancelled, .lost, .queued, .running]
        let uids: [UInt32] = [0, 65534, 4242]
        for k in 0..<300 {
            // Milliseconds in 1999…2031; every tenth job within a day of 2001-01-01 (GRDB's decoding there).
            let ms = k % 10 == 0 ? 978_307_200_000 + Int64.random(in: -86_400_000...86_400_000, using: &rng)
                : Int64.random(in: 915_148_800_000...1_924_992_000_000, using: &rng)
            let submitted = Date(timeIntervalSince1970: Double(ms) / 1000)
            let plan = JobPlan(plannedStart: submitted, latestStart: submitted, plannedIntensity: IntensityGramsPerKWh(310),
                               runNowIntensity: IntensityGramsPerKWh(350), predictedCarbon: CarbonGrams(Double(k) * 0.37),
                               runNowCarbon: CarbonGrams(Double(k) * 0.41 + 0.001), reason: "test")
            var j = Job(name: k % 7 == 0 ? "sweep, \"quoted\"" : "job-\(k % 13)", kind: JobKind.allCases[k % JobKind.allCases.count],
                        command: ["/bin/true", "\(k)"], workingDirectory: "/tmp", environment: ["K=\(k)"], uid: uids[k % 3], gid: 0,
                        submittedAt: submitted, deadline: submitted.addingTimeInterval(86_400), expectedDurationSeconds: 600,
                        durationSource: .given, expectedEnergy: EnergyJoules(Double(k % 17) * 123.456 + 1), plan: plan)
            j = try db.insert(j)
            j.state = states[k % states.count]
            var intervals: [JobIntervalRecord] = []
            if j.state != .queued {
                j.startedAt = submitted.addingTimeInterval(Double(Int.random(in: 0...86_400_000, using: &rng)) / 1000)
            }
            if j.state.isFinal && k % 11 != 5 {
                let run = Double(Int.random(in: 1...7_200_000, using: &rng)) / 1000
                j.endedAt = j.startedAt!.addingTimeInterval(run)
                if k % 5 != 1 {
                    j.energy = EnergyJoules(Double(Int.random(in: 1...9_999_999, using: &rng)) / 997)
                    j.energySource = k % 3 == 0 ? .estimated : .measured
                    j.carbon = CarbonGrams(energy: j.energy!, intensity: series.meanIntensity(from: j.startedAt!, to: j.endedAt!))
                    j.cpuSeconds = k % 4 == 0 ? nil : run * 0.9
                    j.energyErrorPercent = k % 6 == 0 ? nil : Double(k % 40) - 20.5
                    j.durationErrorPercent = Double(k % 30) - 10.25
                } else {
                    j.energySource = .unavailable
                }
                // Per-tick intervals without a summary (a job from before summaries): half measured.
                if k % 4 == 3 {
                    let mid = j.startedAt!.addingTimeInterval(run / 2)
                    intervals = [JobIntervalRecord(jobID: j.id!, interval: JobEnergyInterval(
                                    start: j.startedAt!, end: mid, energy: EnergyJoules(1), source: .measured, cpuSeconds: 1,
                                    intensity: IntensityGramsPerKWh(300)))]
                }
            }
            try db.finish(j, intervals: intervals)
            if k % 4 != 3 && j.state.isFinal {
                try db.save(JobEnergySummaryRecord(jobID: j.id!, measuredSeconds: Double(k), estimatedSeconds: Double(k % 9) * 0.5,
                                                   missingSeconds: k % 8 == 0 ? 0 : 1.25,
                                                   counterfactualCarbon: k % 9 == 0 ? nil : Double(k) * 0.43))
            }
            if k % 6 != 2 {
                try db.save(JobIntensityRecord(jobID: j.id!, planSource: k % 2 == 0 ? "trace:de.csv" : "electricitymaps",
                                               kind: k % 5 == 0 ? "marginal" : "average", plannedOnData: true, filledSeconds: 0))
            }
        }
        return db
    }

    /// The first read path, as `ReportBuilder.build` had it before the one-query read.
    static func firstReadPath(_ db: VerdantDatabase, by: ReportGrouping, since: Date?, until: Date?) throws -> EnergyReport {
        let jobs = try db.jobs().filter { $0.state.isFinal }
        let summaries = try db.jobSummaries()
        let provenance = try db.jobIntensities()
        let splits = try db.intervalSplits(jobIDs: jobs.compactMap(\.id).filter { summaries[$0] == nil })
        let inputs: [ReportJobInput] = jobs.map { j in
            let id = j.id!
            var i = ReportJobInput(job: j, userName: ReportBuilder.userName(uid: j.uid), intensitySource: provenance[id]?.planSource,
                                   intensityKind: provenance[id]?.kind)
            if let s = summaries[id] {
                i.measuredSeconds = s.measuredSeconds
                i.estimatedSeconds = s.estimatedSeconds
                i.missingSeconds = s.missingSeconds
                i.counterfactualCarbon = s.counterfactualCarbon.map(CarbonGrams.init)
            } else {
                if let s = splits[id], let a = j.startedAt, let b = j.endedAt {
                    let run = max(0, b.timeIntervalSince(a))
                    i.measuredSeconds = s.measured
                    i.estimatedSeconds = s.estimated
                    i.missingSeconds = s.missing + max(0, run - (s.measured + s.estimated + s.missing))
                }
                i.counterfactualCarbon = ReportBuilder.counterfactual(j, series: series)
            }
            return i
        }
        return EnergyReport(jobs: inputs, by: by, since: since, until: until)
    }

    @Test func theOneQueryReadGivesTheSameReportAsFullDecodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-readpath-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Self.database(dir)

        // Row by row: every field a report reads is the Codable decoding's value, bit for bit.
        let full = try db.jobs().filter { $0.state.isFinal }
        let rows = try db.reportJobRows()
        #expect(rows.count == full.count && full.count > 150)
        for (r, j) in zip(rows, full) {
            let a = r.job
            #expect(a.id == j.id && a.name == j.name && a.kind == j.kind && a.state == j.state && a.uid == j.uid)
            #expect(a.submittedAt == j.submittedAt && a.startedAt == j.startedAt && a.endedAt == j.endedAt, "job \(j.id!)")
            #expect(a.energy == j.energy && a.energySource == j.energySource && a.carbon == j.carbon && a.cpuSeconds == j.cpuSeconds)
            #expect(a.expectedEnergy == j.expectedEnergy && a.predictedCarbon == j.predictedCarbon && a.runNowCarbon == j.runNowCarbon)
            #expect(a.energyErrorPercent == j.energyErrorPercent && a.durationErrorPercent == j.durationErrorPercent)
        }
        #expect(rows.contains { $0.summary == nil } && rows.contains { $0.intensitySource == nil } && rows.contains { $0.job.endedAt == nil })

        // Whole reports, every grouping, open and closed ranges.
        let ranges: [(Date?, Date?)] = [(nil, nil), (ISO8601.parse("2005-01-01T00:00:00Z"), ISO8601.parse("2027-06-01T00:00:00Z"))]
        for by in ReportGrouping.allCases where by != .zone {
            for (since, until) in ranges {
                let built = try ReportBuilder.build(database: db, series: Self.series, zone: "DE",
                                              query: .init(since: since, until: until, by: by, timeline: false),
                                              now: Date(timeIntervalSince1970: 2_000_000_000), visible: { _ in true })
                let first = try Self.firstReadPath(db, by: by, since: since, until: until)
                #expect(built.rows == first.rows, "--by \(by.rawValue)")
                #expect(built.total == first.total && built.totals == first.totals && built.predictor == first.predictor)
                #expect(built.jobs == first.jobs, "--by \(by.rawValue)")
                #expect(!built.rows.isEmpty)
            }
        }
    }

    /// The millisecond arithmetic equals GRDB's own decoding (a `Calendar`) of the stored text, for
    /// random instants of 1970…2100, and hands the instants near 2001-01-01 back to GRDB.
    @Test func millisecondDatesEqualGRDBsDecoding() throws {
        var rng = SeededGenerator(seed: 2001)
        var checked = 0
        for k in 0..<20_000 {
            let ms = k < 200 ? 978_307_200_000 + Int64(k - 100) * 3_600_007 : Int64.random(in: 0...4_102_444_800_000, using: &rng)
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let text = StorageDate.text(date)
            let grdb = Date.fromDatabaseValue(text.databaseValue)!
            if let mine = StoredDateMillis.date(ms: ms) {
                #expect(mine == grdb, "\(text)")
                checked += 1
            } else {
                #expect(abs(ms / 1000 - StoredDateMillis.referenceSeconds) < 100_000_000)
            }
        }
        #expect(checked > 18_500)  // about 2.4 % of 1970…2100 lies within 10⁸ s of 2001
        // And the SQL gives those milliseconds from the stored text.
        let q = try DatabaseQueue()
        let ms = try q.read { db in
            try Int64.fetchOne(db, sql: "SELECT \(StoredDateMillis.sql("x")) FROM (SELECT ? AS x)", arguments: ["2024-02-29 23:59:59.999"])
        }
        #expect(ms == 1_709_251_199_999)
        let none = try q.read { db in try Int64.fetchOne(db, sql: "SELECT \(StoredDateMillis.sql("x")) FROM (SELECT ? AS x)", arguments: ["2024-02-29"]) }
        #expect(none == nil)
    }
}
