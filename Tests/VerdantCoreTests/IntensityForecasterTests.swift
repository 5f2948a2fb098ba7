import Foundation
import Testing
@testable import VerdantCore

/// The staged traces, as committed for the importer's tests (source and licence:
/// Tests/VerdantCarbonTests/Fixtures/README.md).
let carbonFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("VerdantCarbonTests/Fixtures/carbon-intensity")

@Suite struct RidgeRegressionTests {
    @Test func choleskyOfAHandMatrix() throws {
        // A = [[4, 2], [2, 3]] = LLᵀ with L = [[2, 0], [1, √2]].
        let l = try RidgeRegression.cholesky([4, 2, 2, 3], dimension: 2)
        #expect(l[0] == 2 && l[1] == 0 && l[2] == 1)
        #expect(abs(l[3] - 2.0.squareRoot()) < 1e-15)
        // A x = [8, 7] → x = [1.25, 1.5].
        let x = RidgeRegression.solve(cholesky: l, dimension: 2, [8, 7])
        #expect(abs(x[0] - 1.25) < 1e-12 && abs(x[1] - 1.5) < 1e-12)
        #expect(throws: RidgeRegression.NotPositiveDefinite.self) { try RidgeRegression.cholesky([1, 2, 2, 1], dimension: 2) }
    }

    @Test func recoversKnownCoefficientsExactly() throws {
        // y = 3 + 2·x1 − 0.5·x2 + 4·x3, no noise, 200 rows of a deterministic, non-collinear design.
        var rng = SeededGenerator(seed: 7)
        let rows: [[Double]] = (0..<200).map { _ in [rng.nextUnit() * 10, rng.nextUnit() * 100 - 50, rng.nextUnit()] }
        let y = rows.map { 3 + 2 * $0[0] - 0.5 * $0[1] + 4 * $0[2] }
        let fit = try RidgeRegression.fit(rows: rows, targets: y, lambda: 0)
        #expect(abs(fit.intercept - 3) < 1e-9)
        #expect(abs(fit.coefficients[0] - 2) < 1e-9)
        #expect(abs(fit.coefficients[1] + 0.5) < 1e-9)
        #expect(abs(fit.coefficients[2] - 4) < 1e-9)
        // Weights do not change an exact fit.
        let w = rows.indices.map { Double($0 % 5 + 1) }
        let weighted = try RidgeRegression.fit(rows: rows, targets: y, weights: w, lambda: 0)
        #expect(abs(weighted.coefficients[1] + 0.5) < 1e-9 && abs(weighted.intercept - 3) < 1e-9)
        // A penalty shrinks: with λ > 0 the slope on x3 moves towards 0.
        let shrunk = try RidgeRegression.fit(rows: rows, targets: y, lambda: 50)
        #expect(shrunk.coefficients[2] < 4 && shrunk.coefficients[2] > 0)
    }

    @Test func forecasterLearnsAnExactSeasonalSeries() {
        // Hourly y = 200 + 50·sin(2π·hour/24): the ridge (daily Fourier terms) fits it exactly, so
        // every step's forecast equals the truth to rounding.
        let slot = 3600
        let n = 14 * 168
        let values: [Double?] = (0..<n).map { (i: Int) -> Double? in 200 + 50 * sin(2 * Double.pi * Double(i % 24) / 24) }
        let origin = Date(timeIntervalSince1970: Double(n * slot))  // 1970-01-01 + n h: hour of day = n % 24
        let f = RidgeIntensityForecaster()
        let out = f.forecast(history: values[...], origin: origin, slotSeconds: slot, horizonSlots: 48)
        #expect(out.count == 48)
        for h in 0..<48 {
            let truth: Double = 200 + 50 * sin(2 * Double.pi * Double((n + h) % 24) / 24)
            #expect(abs(out[h].intensityGramsPerKWh - truth) < 1e-6, "step \(h)")
        }
        // The default is 12 folds; 14 weeks allow 10 (fold j's window ends j weeks before the origin and
        // needs 2 weeks after the 1-week-and-1-slot lead: 14·168 − 168·j ≥ 3·168 + 1, so j ≤ 10).
        #expect(f.model?.validationFolds == 10)
    }
}

/// A recording wrapper: remembers the length and largest value of every history it was given.
final class RecordingForecaster: IntensityForecaster {
    let inner: IntensityForecaster
    var seen: [(origin: Date, count: Int, maxValue: Double)] = []
    var outputs: [Date: [IntensityForecastPoint]] = [:]
    init(_ inner: IntensityForecaster) { self.inner = inner }
    var name: String { inner.name }
    func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        seen.append((origin, history.count, history.compactMap { $0 }.max() ?? 0))
        let out = inner.forecast(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots)
        outputs[origin] = out
        return out
    }
}

@Suite struct ForecastBacktestTests {
    /// 12 weeks of hourly data with daily and weekly cycles and deterministic noise.
    func series(weeks: Int = 12) -> [Double?] {
        var rng = SeededGenerator(seed: 11)
        return (0..<(weeks * 168)).map { (i: Int) -> Double? in
            let day: Double = 80 * sin(2 * Double.pi * Double(i % 24) / 24)
            let week: Double = 30 * cos(2 * Double.pi * Double(i % 168) / 168)
            return 300 + day + week + 20 * (rng.nextUnit() - 0.5)
        }
    }

    @Test func aSpikeAfterTheOriginCannotLeak() {
        let start = ISO8601.parse("2023-01-02T00:00:00Z")!
        let clean = series()
        var spiked = clean
        let spikeAt = 10 * 168 + 5   // inside the backtest period
        spiked[spikeAt] = 1_000_000
        func run(_ v: [Double?]) -> RecordingForecaster {
            var b = ForecastBacktest(grid: IntensityGrid(start: start, slotSeconds: 3600, values: v), horizonsHours: [1, 6, 24])
            b.warmupHours = 9 * 168
            let rec = RecordingForecaster(RidgeIntensityForecaster())
            _ = b.run(model: rec)
            return rec
        }
        let a = run(clean), b = run(spiked)
        #expect(a.seen.count == b.seen.count && !b.seen.isEmpty)
        // Every call saw exactly the slots before its origin, and no call at or before the spike saw it.
        for s in b.seen {
            let originIndex = Int(s.origin.timeIntervalSince(start) / 3600)
            #expect(s.count == originIndex)
            if originIndex <= spikeAt { #expect(s.maxValue < 1_000_000) }
        }
        // Forecasts from origins up to the spike are identical with and without it; after it they differ.
        var before = 0, after = 0
        for (origin, out) in b.outputs {
            let i = Int(origin.timeIntervalSince(start) / 3600)
            if i <= spikeAt {
                #expect(out == a.outputs[origin]!)
                before += 1
            } else if out != a.outputs[origin]! {
                after += 1
            }
        }
        #expect(before > 100 && after > 0)
    }

    @Test func modelBeatsTheBaselinesOnACleanSeasonalSeries() {
        let start = ISO8601.parse("2023-01-02T00:00:00Z")!
        var b = ForecastBacktest(grid: IntensityGrid(start: start, slotSeconds: 3600, values: series(weeks: 14)), horizonsHours: [6, 24])
        b.originStrideHours = 3
        let scores = b.run(model: RidgeIntensityForecaster())
        #expect(scores.count == 2)
        for s in scores {
            let best = ["persistence", "seasonal_naive_24h", "seasonal_naive_168h"].compactMap { s.mape[$0] }.min()!
            #expect(s.mape["model"]! < best)
            #expect(s.intervalCoverage > 0.6 && s.intervalCoverage <= 1)
        }
    }

    @Test func horizonsThatAreNotWholeSlotsAreSkipped() {
        let b = ForecastBacktest(grid: IntensityGrid(start: Date(timeIntervalSince1970: 0), slotSeconds: 3600, values: []), horizonsHours: [0.5, 1, 6])
        #expect(b.steps.map(\.step) == [0, 5])
    }
}

@Suite struct ForecastGapTests {
    @Test func gapsNeverGiveNaN() {
        // 14 weeks hourly with a 3-day hole, scattered missing slots, and missing slots at the end of history.
        var v: [Double?] = (0..<(14 * 168)).map { (i: Int) -> Double? in daily(i, mean: 250) }
        for i in (5 * 168)..<(5 * 168 + 72) { v[i] = nil }
        for i in stride(from: 3, to: v.count, by: 97) { v[i] = nil }
        for i in (v.count - 5)..<v.count { v[i] = nil }
        let origin = Date(timeIntervalSince1970: Double(v.count * 3600))
        let forecasters: [IntensityForecaster] = [RidgeIntensityForecaster(), PersistenceForecaster(), SeasonalNaiveForecaster(periodHours: 24), SeasonalNaiveForecaster(periodHours: 168)]
        for f in forecasters {
            let out = f.forecast(history: v[...], origin: origin, slotSeconds: 3600, horizonSlots: 48)
            #expect(out.count == 48, "\(f.name)")
            #expect(out.allSatisfy { $0.intensityGramsPerKWh.isFinite && $0.lowerGramsPerKWh.isFinite && $0.upperGramsPerKWh.isFinite
                && $0.lowerGramsPerKWh <= $0.intensityGramsPerKWh && $0.intensityGramsPerKWh <= $0.upperGramsPerKWh }, "\(f.name)")
        }
        // Too little history to train: the model falls back to seasonal naive 24 h, still finite.
        let short = RidgeIntensityForecaster()
        let out = short.forecast(history: v[0..<100], origin: origin, slotSeconds: 3600, horizonSlots: 24)
        #expect(short.model == nil && out.count == 24 && out.allSatisfy { $0.intensityGramsPerKWh.isFinite })
    }

    @Test func realTraceWithGapsGivesFiniteForecasts() throws {
        // PJM 2022 has 23 empty hours around the DST changes (2022-03-13 07:00 → 03-14 04:00 and 11-07 05:00).
        let url = carbonFixtures.appendingPathComponent("us-eia930-2022_hpe-dc-rl/PJM_NG_&_avgCI.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let t = try ForecastTraceText.parse(text, fileName: url.lastPathComponent, zone: nil)
        #expect(t.zone == "PJM" && t.grid.slotSeconds == 3600 && t.grid.values.count == 8760)
        #expect(t.grid.values.filter { $0 == nil }.count == 23)
        // Origin in the middle of the March hole: the last 10 slots of history are missing.
        let o = t.grid.values.firstIndex { $0 == nil }! + 10
        let f = RidgeIntensityForecaster()
        let out = f.forecast(history: t.grid.values[0..<o], origin: t.grid.time(o), slotSeconds: 3600, horizonSlots: 48)
        #expect(out.count == 48 && out.allSatisfy { $0.intensityGramsPerKWh.isFinite && $0.intensityGramsPerKWh > 0 })
        #expect(f.model != nil)
    }

    @Test func operatorForecastColumnIsReadFromTheNESOExport() throws {
        let url = carbonFixtures.appendingPathComponent("gb-neso-2023_forecast-and-actual/neso_2023_national_intensity.csv")
        let t = try ForecastTraceText.parse(try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent, zone: "GB")
        #expect(t.grid.slotSeconds == 1800)
        // First row: 2022-12-31 23:30, forecast 75, actual 65.0.
        #expect(t.grid.values[0] == 65 && t.operatorForecast?[0] == 75)
        // The October hole (91 half-hours) stays missing in both.
        let missing = t.grid.values.filter { $0 == nil }.count
        #expect(missing == 91 + 5)
    }

    @Test func trainedModelRoundTripsThroughJSON() throws {
        let v: [Double?] = (0..<(14 * 168)).map { (i: Int) -> Double? in daily(i, mean: 250) + Double(i % 7) }
        let origin = Date(timeIntervalSince1970: Double(v.count * 3600))
        let m = try #require(RidgeIntensityForecaster.train(history: v[...], origin: origin, slotSeconds: 3600, horizonSlots: 48, configuration: .init()))
        let back = try JSONDecoder().decode(TrainedIntensityModel.self, from: JSONEncoder().encode(m))
        #expect(back.forecast(history: v[...], origin: origin, horizonSlots: 48) == m.forecast(history: v[...], origin: origin, horizonSlots: 48))
        #expect(m.featureNames.count == m.steps[0].coefficients.count)
    }
}

/// mean + 60·sin(2π·hour/24), hourly slot i.
func daily(_ i: Int, mean: Double) -> Double {
    let phase: Double = 2 * Double.pi * Double(i % 24) / 24
    return mean + 60 * sin(phase)
}
