import Foundation
import Testing
@testable import VerdantCore

@Suite struct IntensitySeriesTests {
    let t0 = ISO8601.parse("2020-01-01T00:00:00Z")!

    /// The Carbon Aware SDK's EmissionsDataExtensionsTests data: 4 points of 5 min, 10/20/30/40.
    var sdkSeries: IntensitySeries {
        IntensitySeries(points: [10, 20, 30, 40].enumerated().map { i, v in
            IntensityPoint(time: t0.addingTimeInterval(Double(i) * 300), intensity: IntensityGramsPerKWh(v))
        }, fallback: IntensityGramsPerKWh(999))
    }

    func mean(_ a: Double, _ b: Double) -> Double {
        sdkSeries.meanIntensity(from: t0.addingTimeInterval(a), to: t0.addingTimeInterval(b)).gramsPerKWh
    }

    // Expected values from the Carbon Aware SDK's AverageOverPeriod tests (time-weighted, prorated).
    @Test func meanOverPeriodMatchesTheCarbonAwareSDK() {
        #expect(abs(mean(0, 1200) - 25.00) < 1e-9)
        #expect(abs(mean(240, 1200) - 28.75) < 1e-9)
        #expect(abs(mean(0, 960) - 21.25) < 1e-9)
        #expect(abs(mean(150, 1050) - 25.00) < 1e-9)
        #expect(abs(mean(120, 180) - 10.00) < 1e-9)
    }

    @Test func fallbackAppliesOutsideCoverage() {
        #expect(sdkSeries.intensity(at: t0.addingTimeInterval(-1)).gramsPerKWh == 999)
        #expect(sdkSeries.intensity(at: t0.addingTimeInterval(1199)).gramsPerKWh == 40)
        #expect(sdkSeries.intensity(at: t0.addingTimeInterval(1200)).gramsPerKWh == 999)
        // Half inside (40 for 300 s), half after coverage (999 for 300 s).
        #expect(abs(mean(900, 1500) - (40 + 999) / 2) < 1e-9)
    }
}

@Suite struct PlannerTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    /// Hourly values: 300, 200, 100, 400, 50, 500.
    var series: IntensitySeries {
        IntensitySeries(points: [300, 200, 100, 400, 50, 500].enumerated().map { i, v in
            IntensityPoint(time: t0.addingTimeInterval(Double(i) * 3600), intensity: IntensityGramsPerKWh(v))
        }, fallback: IntensityGramsPerKWh(480))
    }

    @Test func picksTheCheapestWindowBeforeTheLatestStart() throws {
        // 1 h job, deadline 4 h: starts in [0 h, 3 h]; the cheapest hour is 02:00 (100).
        let p = try Planner.plan(now: t0, deadline: t0.addingTimeInterval(4 * 3600), expectedDurationSeconds: 3600,
                                 expectedEnergy: EnergyJoules(3_600_000), series: series)
        #expect(p.plannedStart == t0.addingTimeInterval(2 * 3600))
        #expect(p.latestStart == t0.addingTimeInterval(3 * 3600))
        #expect(abs(p.predictedCarbon.grams - 100) < 1e-9)   // 1 kWh × 100 g/kWh
        #expect(abs(p.runNowCarbon.grams - 300) < 1e-9)
    }

    @Test func aWindowSpanningStepsUsesTheTimeWeightedMean() throws {
        // 2 h job, deadline 6 h: windows [0,2]=250, [1,3]=150, [2,4]=250, [3,5]=225, [4,6]=275 → 01:00.
        let p = try Planner.plan(now: t0, deadline: t0.addingTimeInterval(6 * 3600), expectedDurationSeconds: 7200,
                                 expectedEnergy: EnergyJoules(3_600_000), series: series)
        #expect(p.plannedStart == t0.addingTimeInterval(3600))
        #expect(abs(p.plannedIntensity.gramsPerKWh - 150) < 1e-9)
    }

    @Test func startsNowWhenNothingLaterIsCleaner() throws {
        let flat = IntensitySeries(points: [IntensityPoint(time: t0, intensity: IntensityGramsPerKWh(200))], fallback: IntensityGramsPerKWh(200))
        let p = try Planner.plan(now: t0.addingTimeInterval(60), deadline: t0.addingTimeInterval(3000), expectedDurationSeconds: 600,
                                 expectedEnergy: EnergyJoules(1000), series: flat)
        #expect(p.plannedStart == t0.addingTimeInterval(60))
    }

    @Test func deadlineInThePastIsRefused() {
        #expect(throws: PlanError.self) {
            try Planner.plan(now: t0, deadline: t0.addingTimeInterval(-1), expectedDurationSeconds: 60,
                             expectedEnergy: EnergyJoules(1), series: series)
        }
    }

    @Test func deadlineShorterThanTheDurationIsRefused() {
        #expect(throws: PlanError.deadlineTooShort(deadline: t0.addingTimeInterval(1800), expectedDurationSeconds: 3600, now: t0)) {
            try Planner.plan(now: t0, deadline: t0.addingTimeInterval(1800), expectedDurationSeconds: 3600,
                             expectedEnergy: EnergyJoules(1), series: series)
        }
    }
}
