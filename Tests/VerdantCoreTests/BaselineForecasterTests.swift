import Foundation
import Testing
@testable import VerdantCore

@Suite struct BaselineForecasterTests {
    let origin = ISO8601.parse("2023-01-03T00:00:00Z")!

    @Test func persistenceRepeatsTheLastKnownValue() {
        let history: [Double?] = [100, 120, 140, nil, nil]
        let f = PersistenceForecaster(calibrationOrigins: 0)
        let out = f.forecast(history: history[...], origin: origin, slotSeconds: 3600, horizonSlots: 3)
        #expect(out.count == 3)
        #expect(out.map(\.intensityGramsPerKWh) == [140, 140, 140])
        #expect(f.name == "persistence")
    }

    @Test func persistenceIntervalComesFromPastResidualsAtTheSameStep() {
        // Hourly 0,10,20,…,230: one step ahead, persistence is always 10 low (residual +10).
        let history: [Double?] = (0..<24).map { Double($0 * 10) }
        let f = PersistenceForecaster(calibrationOrigins: 5, calibrationStrideHours: 1)
        let out = f.forecast(history: history[...], origin: origin, slotSeconds: 3600, horizonSlots: 2)
        #expect(out[0].intensityGramsPerKWh == 230)
        // Step 0 residuals are all +10; step 1 residuals are all +20.
        #expect(out[0].lowerGramsPerKWh == 230 && out[0].upperGramsPerKWh == 240)
        #expect(out[1].lowerGramsPerKWh == 230 && out[1].upperGramsPerKWh == 250)
    }

    @Test func seasonalNaiveReadsTheSameTimeOnTheLatestKnownDay() {
        // Two days of hourly data: day 1 = hour index, day 2 = 100 + hour index.
        var history: [Double?] = (0..<24).map { Double($0) } + (0..<24).map { 100 + Double($0) }
        let f = SeasonalNaiveForecaster(periodHours: 24, calibrationOrigins: 0)
        #expect(f.name == "seasonal-naive-24h")
        var out = f.forecast(history: history[...], origin: origin, slotSeconds: 3600, horizonSlots: 26)
        #expect(out[0].intensityGramsPerKWh == 100)   // 00:00 of day 2
        #expect(out[23].intensityGramsPerKWh == 123)
        #expect(out[24].intensityGramsPerKWh == 100)  // 48 h ahead reads day 2 again (latest known day)
        #expect(out[25].intensityGramsPerKWh == 101)
        // A gap on day 2 at hour 5 falls back to day 1 at hour 5.
        history[24 + 5] = nil
        out = f.forecast(history: history[...], origin: origin, slotSeconds: 3600, horizonSlots: 6)
        #expect(out[5].intensityGramsPerKWh == 5)
    }

    @Test func seasonalNaiveWeeklyAtHalfHourSlots() {
        let period = 336  // 168 h of 30 min
        let history: [Double?] = (0..<(period + 10)).map { Double($0 % period) }
        let f = SeasonalNaiveForecaster(periodHours: 168, calibrationOrigins: 0)
        let out = f.forecast(history: history[...], origin: origin, slotSeconds: 1800, horizonSlots: 4)
        // Next slot is index 346 → 346 − 336 = 10.
        #expect(out.map(\.intensityGramsPerKWh) == [10, 11, 12, 13])
    }

    @Test func emptyOrAllMissingHistoryGivesFiniteZeros() {
        let history: [Double?] = [nil, nil]
        for f in [PersistenceForecaster() as IntensityForecaster, SeasonalNaiveForecaster(periodHours: 24)] {
            let out = f.forecast(history: history[...], origin: origin, slotSeconds: 1800, horizonSlots: 4)
            #expect(out.count == 4)
            #expect(out.allSatisfy { $0.intensityGramsPerKWh == 0 && $0.upperGramsPerKWh == 0 })
            let none = f.forecast(history: [Double?]()[...], origin: origin, slotSeconds: 1800, horizonSlots: 2)
            #expect(none.count == 2)
        }
    }

    @Test func residualQuantileInterpolates() {
        #expect(ResidualQuantiles.quantile([0, 10, 20, 30, 40], 0.1) == 4)
        #expect(ResidualQuantiles.quantile([0, 10, 20, 30, 40], 0.9) == 36)
    }
}
