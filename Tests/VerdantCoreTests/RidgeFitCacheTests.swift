import Foundation
import Testing
@testable import VerdantCore

/// `RidgeFitCache`: a training a whole week after the previous one reuses the fits of the windows both
/// share, and the trained model is exactly the one fitted afresh.
@Suite struct RidgeFitCacheTests {
    /// The CAISO 2022 hourly trace (Tests/VerdantCarbonTests/Fixtures, source in its README).
    func caiso() throws -> IntensityGrid {
        let url = carbonFixtures.appendingPathComponent("us-eia930-2022_hpe-dc-rl/CISO_NG_&_avgCI.csv")
        let t = try ForecastTraceText.parse(try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent, zone: "CISO")
        #expect(t.grid.slotSeconds == 3600)
        return t.grid
    }

    /// Configuration: 2 training weeks, 2 folds, hourly, 6 steps. Lead = 169 slots, week = 168.
    /// A window is [max(169, end − 336), end) with end = n − j·168 for fold j, n for the final fit.
    /// Training at n1 = 900: fold 2 [228, 564), fold 1 [396, 732), final [564, 900), ridge and twin: 6 fits.
    /// At n2 = 1068 (a week later): fold 2 [396, 732) and fold 1 [564, 900) are the first training's
    /// fold 1 and final (4 fits reused), the final [732, 1068) is new (2 fits). At n3 = 1092 (a day
    /// later) no window matches: 6 new fits. Every model equals (==) the one trained without the cache.
    @Test func aWeekLaterTheSharedWindowsAreReusedAndTheModelIsUnchanged() throws {
        let grid = try caiso()
        let v = grid.values, start = grid.start
        var c = RidgeIntensityForecaster.Configuration()
        c.trainingWeeks = 2
        c.validationFolds = 2
        let cache = RidgeFitCache()
        var expected = (hits: 0, misses: 0)
        for (n, newHits, newMisses) in [(900, 0, 6), (1068, 4, 2), (1092, 0, 6)] {
            let origin = start.addingTimeInterval(Double(n * 3600))
            let cached = try #require(RidgeIntensityForecaster.train(history: v[0..<n], origin: origin, slotSeconds: 3600, horizonSlots: 6,
                                                                    configuration: c, fitCache: cache))
            let fresh = try #require(RidgeIntensityForecaster.train(history: v[0..<n], origin: origin, slotSeconds: 3600, horizonSlots: 6,
                                                                   configuration: c))
            #expect(cached == fresh)
            #expect(cached.validationFolds == 2)
            expected.hits += newHits; expected.misses += newMisses
            #expect(cache.hits == expected.hits && cache.misses == expected.misses, "n = \(n)")
        }
    }

    /// A history that differs inside a cached window (a value before its end changed) is fitted again.
    @Test func aChangedHistoryIsFittedAgain() throws {
        var v = try caiso().values
        var c = RidgeIntensityForecaster.Configuration()
        c.trainingWeeks = 2
        c.validationFolds = 2
        let origin0 = Date(timeIntervalSince1970: 1_640_995_200)   // any instant: only offsets matter here
        let cache = RidgeFitCache()
        _ = RidgeIntensityForecaster.train(history: v[0..<900], origin: origin0.addingTimeInterval(900 * 3600), slotSeconds: 3600,
                                           horizonSlots: 6, configuration: c, fitCache: cache)
        // Slot 800 lies in the first training's final window [564, 900), not in its fold 1 [396, 732):
        // the second training reuses fold 1 (ridge and twin: 2 hits) and fits [564, 900) and its own
        // final [732, 1068) again (4 misses, after the first training's 6).
        v[800] = (v[800] ?? 0) + 50
        let cached = try #require(RidgeIntensityForecaster.train(history: v[0..<1068], origin: origin0.addingTimeInterval(1068 * 3600),
                                                                slotSeconds: 3600, horizonSlots: 6, configuration: c, fitCache: cache))
        let fresh = try #require(RidgeIntensityForecaster.train(history: v[0..<1068], origin: origin0.addingTimeInterval(1068 * 3600),
                                                               slotSeconds: 3600, horizonSlots: 6, configuration: c))
        #expect(cached == fresh)
        #expect(cache.hits == 2 && cache.misses == 6 + 4)
    }

    /// Two forecasters sharing a `RidgeTrainingMemo`, asked at the same origins (n = 900, then a week
    /// later 1068): the second one's trainings come from the memo (2 trainings run, 2 handed back), the
    /// memo's fit cache reuses 4 fits at the week-later training, and every forecast equals (==) that of
    /// a forecaster with neither.
    @Test func forecastersSharingAMemoForecastAsIfAlone() throws {
        let grid = try caiso()
        var c = RidgeIntensityForecaster.Configuration()
        c.trainingWeeks = 2
        c.validationFolds = 2
        let memo = RidgeTrainingMemo()
        let a = RidgeIntensityForecaster(configuration: c), b = RidgeIntensityForecaster(configuration: c)
        a.trainingMemo = memo; b.trainingMemo = memo
        let alone = RidgeIntensityForecaster(configuration: c)
        alone.fitCache = nil
        for n in [900, 1068] {
            let origin = grid.start.addingTimeInterval(Double(n * 3600))
            let expected = alone.forecast(history: grid.values[0..<n], origin: origin, slotSeconds: 3600, horizonSlots: 6)
            #expect(expected.count == 6)
            for f in [a, b] {
                #expect(f.forecast(history: grid.values[0..<n], origin: origin, slotSeconds: 3600, horizonSlots: 6) == expected)
            }
        }
        #expect(memo.misses == 2 && memo.hits == 2)
        #expect(memo.fitCache?.hits == 4 && memo.fitCache?.misses == 8)
        #expect(a.trainingCount == 2 && b.trainingCount == 2 && alone.trainingCount == 2)
    }
}
