import Foundation
import Testing
@testable import VerdantCore

/// Monotone trust (`monotoneModelWeight`, docs/models.md "Knowing when not to trust itself",
/// session 10): a step's model weight is clipped to the smallest weight of the shorter steps blended
/// with the same baseline; since session 11 only beyond `monotoneAfterHours` (12 h).
@Suite struct ForecastMonotoneWeightTests {
    /// By hand: actuals 100 and 200, a perfect model, persistence 110 and 180 (10 % off each). The
    /// blend's APE is (1 − w) · 10 %, so the best weight is 1; clipped to 0.3 the blend scores 7 %.
    @Test func clippedWeightScoresItsOwnBlend() {
        var o = OutOfSample()
        o.add(actual: 100, model: 100, persistence: 110, seasonal24: 110, seasonal168: 110)
        o.add(actual: 200, model: 200, persistence: 180, seasonal24: 180, seasonal168: 180)
        let free = o.bestBlend(margin: 0, baseline: 0)
        #expect(free.weight == 1 && free.scores["chosen"] == 0)
        let clipped = o.bestBlend(margin: 0, baseline: 0, maxWeight: 0.3)
        #expect(clipped.weight == 0.3)
        #expect(abs((clipped.scores["chosen"] ?? -1) - 7) < 1e-9)
        #expect(clipped.scores["persistence"].map { abs($0 - 10) < 1e-9 } == true)
        // A cap above the best weight changes nothing.
        #expect(o.bestBlend(margin: 0, baseline: 0, maxWeight: 1).weight == 1)
    }

    /// BPAT 2022 (EIA-930, hourly), the weekly training of the backtest at 2022-04-30 00:00 UTC (17 weeks
    /// into the trace), 48 steps. Without the rule the folds give the ridge w = 0.5 at 48 h but 0.2 at
    /// 24 h against the same baseline (persistence), the values the NumPy prototype computes for that
    /// training (`scripts/forecast-prototype/weekly_loss.py BPAT 47` and `… BPAT 23`); with it applied
    /// from the first step (session 10, `monotoneAfterHours` = 0), every baseline's weights never rise
    /// with the step.
    @Test func onBPATTheWeightNeverRisesWithTheStep() throws {
        let url = carbonFixtures.appendingPathComponent("us-eia930-2022_hpe-dc-rl/BPAT_NG_&_avgCI.csv")
        let t = try ForecastTraceText.parse(try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent, zone: nil)
        #expect(t.grid.slotSeconds == 3600)
        let n = 17 * 168
        let history = t.grid.values[0..<n]
        let origin = t.grid.time(n)
        #expect(ISO8601.string(origin) == "2022-04-30T00:00:00Z")
        var off = RidgeIntensityForecaster.Configuration()
        off.monotoneModelWeight = false
        let free = try #require(RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: 3600, horizonSlots: 48, configuration: off))
        #expect(free.steps[23].baseline == 0 && free.steps[47].baseline == 0)
        #expect(free.steps[23].modelWeight == 0.2 && free.steps[47].modelWeight == 0.5)
        var everyStep = RidgeIntensityForecaster.Configuration()
        everyStep.monotoneAfterHours = 0
        let m = try #require(RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: 3600, horizonSlots: 48, configuration: everyStep))
        for b in 0..<3 {
            let w = m.steps.filter { $0.baseline == b }.map(\.modelWeight)
            #expect(zip(w, w.dropFirst()).allSatisfy { $0 >= $1 }, "baseline \(b): \(w)")
        }
        #expect(m.steps[47].modelWeight <= 0.2)
        // The ridges are the same; only the weights (and their intervals and scores) differ.
        #expect(m.steps[47].intercept == free.steps[47].intercept && m.steps[47].coefficients == free.steps[47].coefficients)
    }

    /// The same training with the default (`monotoneAfterHours` = 12): the steps up to 12 h ahead keep
    /// the weights their folds chose (equal to the unclipped training's), and each step beyond 12 h is
    /// at most the smallest weight of all the shorter steps with its baseline, those up to 12 h
    /// included; 48 h is still capped by 24 h's 0.2.
    @Test func onlyStepsBeyondTwelveHoursAreClipped() throws {
        let url = carbonFixtures.appendingPathComponent("us-eia930-2022_hpe-dc-rl/BPAT_NG_&_avgCI.csv")
        let t = try ForecastTraceText.parse(try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent, zone: nil)
        let n = 17 * 168
        let history = t.grid.values[0..<n]
        let origin = t.grid.time(n)
        #expect(RidgeIntensityForecaster.Configuration().monotoneAfterHours == 12)
        var off = RidgeIntensityForecaster.Configuration()
        off.monotoneModelWeight = false
        let free = try #require(RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: 3600, horizonSlots: 48, configuration: off))
        let m = try #require(RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: 3600, horizonSlots: 48, configuration: .init()))
        // Step h (0-based) ends h + 1 hours after the origin: steps 0…11 are 1…12 h.
        #expect((0..<12).map { m.steps[$0].modelWeight } == (0..<12).map { free.steps[$0].modelWeight })
        var clipped = 0
        for h in 12..<48 {
            let b = m.steps[h].baseline
            let shorter = m.steps[..<h].filter { $0.baseline == b }.map(\.modelWeight)
            if let cap = shorter.min() { #expect(m.steps[h].modelWeight <= cap, "step \(h)") }
            if m.steps[h].modelWeight < free.steps[h].modelWeight { clipped += 1 }
        }
        #expect(clipped > 0)
        #expect(m.steps[47].modelWeight <= 0.2)
    }
}
