import Foundation
import Testing
@testable import VerdantCore

@Suite struct EnergyReportTests {
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!   // a Monday

    /// A finished job: submitted at t0 + submitH hours, started `delayH` later, ran `runS` seconds.
    static func input(_ id: Int64, kind: JobKind = .batch, user: String = "alice", submitH: Double = 0, delayH: Double = 0,
                      runS: Double = 100, energy: Double?, carbon: Double?, predicted: Double = 100,
                      split: (Double, Double, Double)? = nil, counterfactual: Double? = nil,
                      source: String? = "trace:de.csv", signal: String? = "average") -> ReportJobInput {
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(100),
                           runNowIntensity: IntensityGramsPerKWh(100), predictedCarbon: CarbonGrams(1),
                           runNowCarbon: CarbonGrams(1), reason: "")
        let submitted = t0.addingTimeInterval(submitH * 3600)
        var j = Job(id: id, name: "j\(id)", kind: kind, command: ["true"], workingDirectory: "/", environment: [],
                    uid: 0, gid: 0, submittedAt: submitted, deadline: submitted, expectedDurationSeconds: runS,
                    durationSource: .given, expectedEnergy: EnergyJoules(predicted), plan: plan)
        j.state = .succeeded
        j.startedAt = submitted.addingTimeInterval(delayH * 3600)
        j.endedAt = j.startedAt!.addingTimeInterval(runS)
        j.energy = energy.map(EnergyJoules.init)
        j.carbon = carbon.map(CarbonGrams.init)
        j.energySource = energy == nil ? .unavailable : .measured
        return ReportJobInput(job: j, userName: user, intensitySource: source, intensityKind: signal,
                              measuredSeconds: split?.0, estimatedSeconds: split?.1, missingSeconds: split?.2,
                              counterfactualCarbon: counterfactual.map(CarbonGrams.init))
    }

    @Test func aJobRowHasEveryFigureComputedFromItsInputs() throws {
        // 7200 J over 100 s = 72 W; 7200 J = 0.002 kWh; 0.8 g / 0.002 kWh = 400 g/kWh.
        let r = EnergyReport(jobs: [Self.input(1, delayH: 2, runS: 100, energy: 7200, carbon: 0.8, predicted: 6000,
                                               split: (75, 20, 5), counterfactual: 1.0)], since: nil, until: nil)
        let row = try #require(r.rows.first)
        #expect(row.key == "1")
        #expect(row.energyKWh == 0.002)
        #expect(row.meanPowerWatts == 72)
        #expect(abs(try #require(row.intensityGramsPerKWh) - 400) < 1e-9)
        #expect(row.measuredShare == 0.75 && row.estimatedShare == 0.2 && row.missingShare == 0.05)
        #expect(row.energyErrorJoules == 1200)
        #expect(row.energyErrorPercent == 20)
        #expect(abs(try #require(row.carbonSavedGrams) - 0.2) < 1e-12)
        #expect(row.delaySeconds == 7200)
        #expect(row.intensitySource == "trace:de.csv" && row.intensityKind == "average")
    }

    @Test func groupsAndTotalsAreSumsAndMissingStaysNotZero() throws {
        let jobs = [
            Self.input(1, kind: .training, user: "alice", submitH: 1, energy: 100, carbon: 0.5, predicted: 80, counterfactual: 0.7),
            Self.input(2, kind: .batch, user: "bob", submitH: 25, energy: 300, carbon: 1.5, predicted: 300, counterfactual: 1.0,
                       source: "electricitymaps", signal: "marginal"),
            Self.input(3, kind: .training, user: "alice", submitH: 26, energy: nil, carbon: nil, predicted: 50),
        ]
        let byDay = EnergyReport(jobs: jobs, by: .day, since: nil, until: nil)
        #expect(byDay.rows.map(\.key) == ["2020-06-01", "2020-06-02"])
        #expect(byDay.rows[0].energyJoules == 100)
        #expect(byDay.rows[1].energyJoules == 300)          // job 3 has none: adds nothing, and is not 0
        #expect(byDay.rows[1].jobs == 2)
        #expect(byDay.rows[1].intensitySource == "mixed")     // job 2 from electricitymaps, job 3 from the trace
        #expect(byDay.rows[0].intensitySource == "trace:de.csv")
        #expect(byDay.total.energyJoules == 400)
        #expect(byDay.total.carbonGrams == 2.0)
        #expect(byDay.total.jobs == 3)
        #expect(byDay.total.predictedEnergyJoules == 430)
        // Error over jobs with energy only: (100 − 80) + (300 − 300) = 20 J of 380 J predicted.
        #expect(byDay.total.energyErrorJoules == 20)
        #expect(abs(try #require(byDay.total.energyErrorPercent) - 20.0 / 380 * 100) < 1e-9)
        #expect(abs(try #require(byDay.total.carbonSavedGrams) - (0.2 - 0.5)) < 1e-12)
        // Job 3 (no energy) is missing for its whole run: 100 s of 300 s.
        #expect(abs(try #require(byDay.total.missingShare) - 1.0 / 3) < 1e-12)

        let byUser = EnergyReport(jobs: jobs, by: .user, since: nil, until: nil)
        #expect(byUser.rows.map(\.key) == ["alice", "bob"])
        #expect(byUser.rows[0].energyJoules == 100 && byUser.rows[0].jobs == 2)
        let byKind = EnergyReport(jobs: jobs, by: .kind, since: nil, until: nil)
        #expect(byKind.rows.map(\.key) == ["batch", "training"])
        let byWeek = EnergyReport(jobs: jobs, by: .week, since: nil, until: nil)
        #expect(byWeek.rows.map(\.key) == ["2020-W23"])
        #expect(byWeek.total.energyJoules == byDay.total.energyJoules && byWeek.total.carbonSavedGrams == byDay.total.carbonSavedGrams)

        let none = EnergyReport(jobs: [jobs[2]], since: nil, until: nil)
        #expect(none.total.energyJoules == nil)
        #expect(none.total.carbonGrams == nil)
        #expect(none.total.meanPowerWatts == nil)
        #expect(none.totals.energy == nil)
    }

    @Test func theRangeFiltersByStartAndZoneRowsComeFromZones() {
        let jobs = [Self.input(1, submitH: 1, energy: 1, carbon: 1), Self.input(2, submitH: 30, energy: 2, carbon: 2)]
        let r = EnergyReport(jobs: jobs, since: Self.t0.addingTimeInterval(2 * 3600), until: nil)
        #expect(r.jobs.map(\.id) == [2])
        let zones = EnergyReport(jobs: jobs, zones: [
            ReportZoneInput(zone: "intel-rapl:0", source: .measured, energy: EnergyJoules(3600), okSeconds: 90, missingSeconds: 10,
                            busyCPUSeconds: 50, carbon: CarbonGrams(0.4)),
            ReportZoneInput(zone: "intel-rapl:1", source: .measured, energy: nil, okSeconds: 0, missingSeconds: 100,
                            busyCPUSeconds: 50, carbon: nil),
        ], by: .zone, since: nil, until: nil)
        #expect(zones.rows.map(\.key) == ["intel-rapl:0", "intel-rapl:1"])
        #expect(zones.rows[0].meanPowerWatts == 36)       // 3600 J / 100 s covered
        #expect(zones.rows[0].measuredShare == 0.9)
        #expect(zones.rows[1].energyJoules == nil)
        #expect(zones.total.energyJoules == 3600)
        #expect(zones.total.missingSeconds == 110)
    }

    @Test func isoWeeksFollowTheStandard() {
        #expect(ReportCalendar.isoWeek(ISO8601.parse("2021-01-03T12:00:00Z")!) == "2020-W53")
        #expect(ReportCalendar.isoWeek(ISO8601.parse("2021-01-04T00:00:00Z")!) == "2021-W01")
        #expect(ReportCalendar.day(ISO8601.parse("2020-06-01T23:59:59Z")!) == "2020-06-01")
    }
}

