import Foundation
import Testing
@testable import VerdantCore

@Suite struct ClimatologyShrinkForecasterTests {
    let origin = ISO8601.parse("2023-01-23T00:00:00Z")!

    /// Three weeks of hourly data: 100 all of week 0, 200 all of week 1, 300 all of week 2.
    func threeWeeks() -> [Double?] {
        (0..<(3 * 168)).map { i in Double(100 * (i / 168 + 1)) }
    }

    @Test func shrinksTheBasePointTowardTheSameTimeOfWeekWithTheHorizon() {
        let history = threeWeeks()
        let f = ClimatologyShrinkForecaster(base: PersistenceForecaster(calibrationOrigins: 0), climatologyWeeks: 2, decayHours: 24)
        #expect(f.name == "persistence+weekly-climatology")
        let out = f.forecast(history: history[...], origin: origin, slotSeconds: 3600, horizonSlots: 170)
        #expect(out.count == 170)
        // Step 0: weight 1, the base (persistence: 300).
        #expect(abs(out[0].intensityGramsPerKWh - 300) < 1e-9)
        // Step 24 (24 h ahead): e^-1·300 + (1 − e^-1)·mean(300, 200) = 250 + 50/e.
        #expect(abs(out[24].intensityGramsPerKWh - (250 + 50 * exp(-1.0))) < 1e-9)
        // Step 168 (a week ahead): its slot one week back is not history yet, so the two latest known
        // weeks are two and three weeks back (weeks 2 and 1): climatology 250; weight e^-7.
        let w = exp(-7.0)
        #expect(abs(out[168].intensityGramsPerKWh - (w * 300 + (1 - w) * 250)) < 1e-9)
        // The climatology itself: every step reads the latest two weeks at its time of week.
        let c = ClimatologyShrinkForecaster.weeklyClimatology(history: history[...], slotSeconds: 3600, horizonSlots: 337, weeks: 2)
        #expect(c[0] == 250 && c[168] == 250 && c[336] == 250)   // always the two latest known weeks
        // The interval moves with the point.
        for p in out { #expect(p.lowerGramsPerKWh <= p.intensityGramsPerKWh && p.intensityGramsPerKWh <= p.upperGramsPerKWh) }
    }

    @Test func climatologySkipsMissingSlotsAndKeepsTheBaseWhereNoneIsKnown() {
        var history = threeWeeks()
        history[2 * 168 + 5] = nil   // step 5's slot in week 2
        let c = ClimatologyShrinkForecaster.weeklyClimatology(history: history[...], slotSeconds: 3600, horizonSlots: 6, weeks: 2)
        #expect(c[4] == 250)
        #expect(c[5] == 200)          // week 1 only
        // A one-week history has no same-time-of-week value for step 168 onwards (nil), and the base stays.
        let short: [Double?] = Array(repeating: 80, count: 168)
        let f = ClimatologyShrinkForecaster(base: PersistenceForecaster(calibrationOrigins: 0))
        let out = f.forecast(history: short[...], origin: origin, slotSeconds: 3600, horizonSlots: 170)
        #expect(out[169].intensityGramsPerKWh == 80)
        #expect(out.allSatisfy { $0.intensityGramsPerKWh.isFinite && $0.upperGramsPerKWh.isFinite })
    }

    @Test func weightHalvesEveryDecayTimesLn2() {
        // 30-min slots, 24 h decay: step 48 is 24 h ahead, weight 1/e.
        #expect(abs(ClimatologyShrinkForecaster.baseWeight(step: 48, slotSeconds: 1800, decayHours: 24) - exp(-1.0)) < 1e-12)
        #expect(ClimatologyShrinkForecaster.baseWeight(step: 0, slotSeconds: 1800, decayHours: 24) == 1)
    }
}
