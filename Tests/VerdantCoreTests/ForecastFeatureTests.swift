import Foundation
import Testing
@testable import VerdantCore

/// The ridge's feature layout, by value: the daily-phase interactions and `last_yesterday`
/// (docs/models.md, "Features"), and how models stored before them decode.
@Suite struct ForecastFeatureTests {
    /// Hourly history 0, 1, 2, … (value = slot index + 100), origin at slot `o` with 1970-01-01 00:00 UTC as slot 0.
    func ramp(_ n: Int) -> ForwardFilled { ForwardFilled((0..<n).map { Double($0 + 100) }[...]) }

    @Test func sharedFeaturesAtNoonAndSixByHand() {
        let d = FeatureDesign(configuration: .init(), slotSeconds: 3600)
        #expect(d.names.count == d.sharedCount + d.perStepCount)
        #expect(Array(d.names[10..<18]) == ["last", "last_2", "last_minus_3h", "last_minus_6h", "mean_24h",
                                            "last_times_sin_day", "last_times_cos_day", "last_yesterday"])
        #expect(d.lastIndex == 10 && d.sharedCount == 18 && d.perStepCount == 4)
        let f = ramp(400)
        let start0 = Date(timeIntervalSince1970: 0)
        // Origin slot 300 = day 12, 12:00 UTC: sin(2π·0.5) = 0, cos = −1. last = slot 299 = 399.
        let x = d.shared(values: f, at: 300, start0: start0)
        #expect(x[10] == 399 && x[11] == 398 && x[12] == 396 && x[13] == 393)
        #expect(x[14] == 387.5)   // mean of slots 276…299: (376 + 399) / 2
        #expect(abs(x[15]) < 1e-9 && abs(x[16] + 399) < 1e-9)
        #expect(x[17] == 375)   // slot 299 − 24 = 275 → 375
        // Origin slot 294 = 06:00 UTC: sin = 1, cos = 0; last = 393.
        let y = d.shared(values: f, at: 294, start0: start0)
        #expect(abs(y[15] - 393) < 1e-9 && abs(y[16]) < 1e-9)
    }

    @Test func perStepFeaturesByHand() {
        let d = FeatureDesign(configuration: .init(), slotSeconds: 3600)
        let f = ramp(400)
        // Origin 294 (06:00 UTC), step 5: target slot 299; latest day = slot 275, latest week = slot 131.
        let p = d.perStep(values: f, at: 294, step: 5, start0: Date(timeIntervalSince1970: 0))
        #expect(p.count == 4)
        #expect(p[0] == 375 && p[1] == 231)
        #expect(abs(p[2] - 375) < 1e-9 && abs(p[3]) < 1e-9)   // × sin 1, × cos 0
    }

    @Test func switchedOffItIsTheFirstLayout() {
        var c = RidgeIntensityForecaster.Configuration()
        c.dailyPhaseInteractions = false
        c.lastYesterdayFeature = false
        let d = FeatureDesign(configuration: c, slotSeconds: 3600)
        #expect(d.names == ["sin_day_1", "cos_day_1", "sin_day_2", "cos_day_2", "sin_day_3", "cos_day_3",
                            "sin_week_1", "cos_week_1", "sin_week_2", "cos_week_2",
                            "last", "last_2", "last_minus_3h", "last_minus_6h", "mean_24h",
                            "same_time_latest_day", "same_time_latest_week"])
        #expect(d.perStep(values: ramp(400), at: 294, step: 5, start0: Date(timeIntervalSince1970: 0)) == [375, 231])
    }

    @Test func aConfigurationStoredBeforeTheNewFeaturesDecodesWithThemOff() throws {
        // The JSON a stored ridge-v1 model carried before these settings existed.
        let old = #"{"trainingWeeks":8,"retrainEveryHours":168,"validationFolds":8,"lambda":0.001,"dailyHarmonics":3,"weeklyHarmonics":2,"selectionMargin":0,"baselineLookbackWeeks":52,"weightFloorGramsPerKWh":20}"#
        let c = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self, from: Data(old.utf8))
        #expect(!c.dailyPhaseInteractions && !c.lastYesterdayFeature && c.trainingWeeks == 8 && c.lambda == 0.001)
        #expect(FeatureDesign(configuration: c, slotSeconds: 3600).names.count == 17)
        // A new configuration round-trips with the switches on.
        let back = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self,
                                            from: JSONEncoder().encode(RidgeIntensityForecaster.Configuration()))
        #expect(back == RidgeIntensityForecaster.Configuration() && back.dailyPhaseInteractions && back.lastYesterdayFeature)
    }
}
