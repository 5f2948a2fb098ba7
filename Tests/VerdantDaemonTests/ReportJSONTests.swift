import Foundation
import Testing
import VerdantAPI
import VerdantCore
import VerdantReport

/// `ReportJSON` writes the same document as `JSONEncoder` (`APIJSON.encoder()`) does for the report's
/// `Codable` conformance; `ReportDate.iso` the same strings as `ISO8601.string`.
@Suite struct ReportJSONTests {
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    static func input(_ id: Int64, energy: Double?, carbon: Double?, start: Double) -> ReportJobInput {
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(1),
                           runNowIntensity: IntensityGramsPerKWh(1), predictedCarbon: CarbonGrams(1.5), runNowCarbon: CarbonGrams(0.1), reason: "")
        var j = Job(id: id, name: "job \"\(id)\"/\\\n\t\u{1}é", kind: .training, command: ["x"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                    submittedAt: t0, deadline: t0, expectedDurationSeconds: 1, durationSource: .given, expectedEnergy: EnergyJoules(1e9), plan: plan)
        j.state = .succeeded
        j.startedAt = t0.addingTimeInterval(start)
        j.endedAt = j.startedAt!.addingTimeInterval(99.125)
        j.energy = energy.map(EnergyJoules.init)
        j.carbon = carbon.map(CarbonGrams.init)
        j.cpuSeconds = id == 2 ? nil : 0.1 + 0.2
        j.energyErrorPercent = 12.5
        j.durationErrorPercent = -3
        return ReportJobInput(job: j, userName: "u\(id)", intensitySource: id == 1 ? nil : "trace:de.csv", intensityKind: "average",
                              measuredSeconds: 1, estimatedSeconds: 2, missingSeconds: 1e-7,
                              counterfactualCarbon: carbon.map { CarbonGrams($0 * 2) },
                              // Job 3 ran on a Slurm cluster (executor slurm), job 4 was refused (no Slurm id).
                              placement: id == 3 ? JobPlacement(cluster: "ci", batchJobID: 42) : id == 4 ? JobPlacement(cluster: "ci", batchJobID: nil) : nil)
    }

    func same(_ r: EnergyReport) throws {
        let mine = try ReportJSON.render(r)
        let theirs = try APIJSON.encoder().encode(r)
        let a = try JSONSerialization.jsonObject(with: Data(mine.utf8)) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: theirs) as? NSDictionary
        #expect(a != nil && a == b)
        // And it decodes back into the same rows.
        let back = try APIJSON.decoder().decode(EnergyReport.self, from: Data(mine.utf8))
        #expect(back.rows.map(\.key) == r.rows.map(\.key) && back.rows.map(\.energyJoules) == r.rows.map(\.energyJoules))
        #expect(back.total.carbonSavedGrams == r.total.carbonSavedGrams && back.jobs.map(\.id) == r.jobs.map(\.id))
    }

    @Test func theDocumentEqualsJSONEncodersForEveryGrouping() throws {
        let jobs = [Self.input(1, energy: 1234.5678, carbon: 0.000123, start: 0.25),
                    Self.input(2, energy: nil, carbon: nil, start: 86_400 * 3),
                    Self.input(3, energy: 1e-9, carbon: 7, start: 86_400 * 10 + 0.5)]
        let timeline = [ReportTimelinePoint(start: Self.t0, seconds: 3600, energyJoules: 5.5, coveredSeconds: 3600, intensityGramsPerKWh: 300,
                                            forecastGramsPerKWh: nil),
                        ReportTimelinePoint(start: Self.t0.addingTimeInterval(3600), seconds: 3600, energyJoules: nil, coveredSeconds: 0,
                                            intensityGramsPerKWh: nil, forecastGramsPerKWh: 280.25)]
        let zones = [ReportZoneInput(zone: "intel-rapl:0", source: .measured, energy: EnergyJoules(10), okSeconds: 9, missingSeconds: 1,
                                     busyCPUSeconds: 3, carbon: CarbonGrams(0.001))]
        for by in ReportGrouping.allCases {
            try same(EnergyReport(jobs: jobs, zones: zones, timeline: timeline, by: by, since: Self.t0, until: Self.t0.addingTimeInterval(86_400 * 30)))
        }
        try same(EnergyReport(jobs: [], since: nil, until: nil))
    }

    @Test func datesAreTheSameStringsAsISO8601String() {
        var rng = SystemRandomNumberGenerator()
        var dates = [Self.t0, Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -86_400.5), Date(timeIntervalSince1970: 951_782_400),
                     Date(timeIntervalSince1970: 4_102_444_800), Self.t0.addingTimeInterval(0.0004), Self.t0.addingTimeInterval(0.9996)]
        for _ in 0..<2000 {
            let s = Double(Int64.random(in: 0...4_000_000_000, using: &rng))
            dates.append(Date(timeIntervalSince1970: s))
            dates.append(Date(timeIntervalSince1970: s + Double(Int.random(in: 0...999, using: &rng)) / 1000))
        }
        for d in dates { #expect(ReportDate.iso(d) == ISO8601.string(d), "\(d.timeIntervalSince1970)") }
    }
}
