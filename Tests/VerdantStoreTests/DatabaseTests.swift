import Foundation
import GRDB
import Testing
import VerdantCore
@testable import VerdantStore

@Suite struct DatabaseTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-store-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("verdant.sqlite").path
    }

    func job() -> Job {
        let plan = JobPlan(plannedStart: t0.addingTimeInterval(3600), latestStart: t0.addingTimeInterval(7200),
                           plannedIntensity: IntensityGramsPerKWh(120), runNowIntensity: IntensityGramsPerKWh(200),
                           predictedCarbon: CarbonGrams(1.2), runNowCarbon: CarbonGrams(2), reason: "test")
        return Job(name: "train", kind: .training, command: ["python3", "-c", "print(1)"], workingDirectory: "/tmp",
                   environment: ["PATH=/usr/bin"], uid: 1000, gid: 1000, submittedAt: t0,
                   deadline: t0.addingTimeInterval(10800), expectedDurationSeconds: 3600, durationSource: .given,
                   expectedEnergy: EnergyJoules(36000), plan: plan)
    }

    @Test func jobsSurviveReopeningTheFile() throws {
        let path = tempPath()
        var id: Int64 = 0
        do {
            let db = try VerdantDatabase(path: path)
            var j = try db.insert(job())
            id = try #require(j.id)
            j.state = .succeeded
            j.startedAt = t0.addingTimeInterval(3600)
            j.endedAt = t0.addingTimeInterval(5400)
            j.energy = EnergyJoules(1234.5)
            j.energySource = .estimated
            j.carbon = CarbonGrams(0.0411)
            j.executor = "systemd"
            j.executorReference = "verdant-job-\(id).service"
            j.recordPredictionErrors()
            try db.update(j)
        }
        let db = try VerdantDatabase(path: path)
        let back = try #require(try db.job(id: id))
        #expect(back.command == ["python3", "-c", "print(1)"])
        #expect(back.state == .succeeded)
        #expect(back.energy == EnergyJoules(1234.5))
        #expect(back.energySource == .estimated)
        #expect(back.executor == "systemd")
        #expect(back.executorReference == "verdant-job-\(id).service")
        #expect(back.plannedStart == t0.addingTimeInterval(3600))
        #expect(back.predictedCarbon == CarbonGrams(1.2))
        let h = try db.finishedRuns(name: "train").compactMap(PredictorRun.init(job:))
        #expect(h.count == 1)
        #expect(h[0].durationSeconds == 1800)
        #expect(h[0].energy == EnergyJoules(1234.5))
        let mode = try db.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)   // environments of jobs are private
    }

    @Test func duplicateSamplesAreIgnoredAndIntervalsStored() throws {
        let db = try VerdantDatabase(path: tempPath())
        let s = EnergySampleRecord(zone: "cpu-estimate", zoneName: "m", source: .estimated, startAt: t0,
                                   endAt: t0.addingTimeInterval(1), durationSeconds: 1, energy: EnergyJoules(3), busyCPUSeconds: 0.1)
        try db.append(samples: [s], intervals: [], meta: ["replay.trace_time": "x"])
        try db.append(samples: [s], intervals: [], meta: ["replay.trace_time": "y"])
        #expect(try db.sampleCount() == 1)
        #expect(try db.meta("replay.trace_time") == "y")
    }

    @Test func intensityPointsUpsertByZoneTimeAndSource() throws {
        let db = try VerdantDatabase(path: tempPath())
        try db.upsert([IntensityPointRecord(zone: "DE", time: t0, intensity: IntensityGramsPerKWh(100), source: "trace:a", signal: "average")])
        try db.upsert([IntensityPointRecord(zone: "DE", time: t0, intensity: IntensityGramsPerKWh(150), source: "trace:a", signal: "average")])
        let points = try db.intensityPoints(zone: "DE", source: "trace:a")
        #expect(points == [IntensityPoint(time: t0, intensity: IntensityGramsPerKWh(150))])
    }
}
