import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

/// Migration "v3-job-energy-predictions" on real SQLite files.
@Suite struct PredictionStoreTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-pred-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("verdant.sqlite").path
    }

    @Test func v3ComesAfterTheFrozenV2() throws {
        let db = try VerdantDatabase(path: tempPath())
        let applied = try db.pool.read { try VerdantDatabase.migrator.appliedMigrations($0) }
        let v2 = try #require(applied.firstIndex(of: "v2-intensity-provenance"))
        let v3 = try #require(applied.firstIndex(of: "v3-job-energy-predictions"))
        #expect(v3 > v2)
    }

    @Test func predictionFieldsRoundTrip() throws {
        let path = tempPath()
        let plan = JobPlan(plannedStart: t0, latestStart: t0.addingTimeInterval(3600), plannedIntensity: IntensityGramsPerKWh(100),
                           runNowIntensity: IntensityGramsPerKWh(100), predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(1), reason: "t")
        var j = Job(name: "train", kind: .training, command: ["python3", "train.py", "--epochs", "20"], workingDirectory: "/tmp",
                    environment: [], uid: 0, gid: 0, submittedAt: t0, deadline: t0.addingTimeInterval(7200),
                    expectedDurationSeconds: 60, durationSource: .given, expectedEnergy: EnergyJoules(600), plan: plan)
        j.sizes = ["epochs": 20, "samples": 0.5]
        j.apply(JobPrediction(durationSeconds: 50, durationUncertaintySeconds: 5, energy: EnergyJoules(500),
                              energyUncertainty: EnergyJoules(40), basis: .signature, runs: 3))
        let db = try VerdantDatabase(path: path)
        var stored = try db.insert(j)
        stored.state = .succeeded
        stored.startedAt = t0
        stored.endedAt = t0.addingTimeInterval(40)
        stored.energy = EnergyJoules(400)
        stored.recordPredictionErrors()
        try db.update(stored)
        let back = try #require(try db.job(id: stored.id!))
        #expect(back.sizes == ["epochs": 20, "samples": 0.5])
        #expect(back.expectedDurationSeconds == 50)
        #expect(back.expectedDurationUncertaintySeconds == 5)
        #expect(back.expectedEnergyUncertainty == EnergyJoules(40))
        #expect(back.predictionBasis == .signature)
        #expect(back.predictionRuns == 3)
        #expect(back.durationSeconds == 40)
        #expect(back.durationErrorPercent == 25)      // (50 − 40) / 40
        #expect(back.energyErrorPercent == 25)        // (500 − 400) / 400
        let raw = try db.pool.read { try String.fetchOne($0, sql: "SELECT sizes FROM jobs") }
        #expect(raw == #"{"epochs":20,"samples":0.5}"#)
    }

    /// A database left by v2 (jobs without the new columns) migrates: a finished job gets its measured
    /// duration and errors from its stored expectation; a queued one gets none; nothing else changes.
    @Test func migrationBackfillsFinishedJobsOfV2() throws {
        let path = tempPath()
        do {
            let queue = try DatabaseQueue(path: path)
            try VerdantDatabase.migrator.migrate(queue, upTo: "v2-intensity-provenance")
            try queue.write { db in
                for (i, ended) in [(1, true), (2, false)] {
                    try db.execute(sql: """
                        INSERT INTO jobs (id, name, kind, command, working_directory, environment, uid, gid, state, submitted_at,
                          deadline, expected_duration_s, duration_source, expected_energy_j, latest_start, planned_start,
                          planned_intensity_g_per_kwh, predicted_carbon_g, run_now_carbon_g, plan_reason, started_at, ended_at, energy)
                        VALUES (?, 'old', 'batch', '["true"]', '/', '[]', 0, 0, ?, '2020-06-01 00:00:00.000', '2020-06-02 00:00:00.000',
                          3600, 'given', 1000, '2020-06-01 23:00:00.000', '2020-06-01 00:00:00.000', 100, 1, 1, 'r', ?, ?, ?)
                        """, arguments: [i, ended ? "succeeded" : "queued",
                                         ended ? "2020-06-01 01:00:00.000" : nil, ended ? "2020-06-01 01:45:00.000" : nil,
                                         ended ? 800.0 : nil])
                }
            }
        }
        let db = try VerdantDatabase(path: path)
        let done = try #require(try db.job(id: 1))
        let duration: Double = try #require(done.durationSeconds)
        let durationError: Double = try #require(done.durationErrorPercent)
        let energyError: Double = try #require(done.energyErrorPercent)
        #expect(abs(duration - 2700) < 1e-3)
        #expect(abs(durationError - 100.0 / 3) < 1e-3)   // (3600 − 2700) / 2700 = +33.33 %
        #expect(abs(energyError - 25) < 1e-9)            // (1000 − 800) / 800
        #expect(done.sizes.isEmpty)
        #expect(done.predictionBasis == nil)
        let queued = try #require(try db.job(id: 2))
        #expect(queued.durationSeconds == nil)
        #expect(queued.energyErrorPercent == nil)
        #expect(queued.durationErrorPercent == nil)
    }
}
