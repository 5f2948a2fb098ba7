import Foundation
import Testing
@testable import VerdantCore

/// The log-target twin (docs/models.md, "Training"): its feature layout by value, and the per-step
/// choice between it and the linear ridge on synthetic series whose structure is known.
@Suite struct ForecastLogTwinTests {
    /// Hourly history 100, 101, 102, … (value = slot index + 100), 1970-01-01 00:00 UTC as slot 0.
    func ramp(_ n: Int) -> ForwardFilled { ForwardFilled((0..<n).map { Double($0 + 100) }[...]) }

    /// A standard normal draw (Box–Muller) from the seeded generator.
    func normal(_ rng: inout SeededGenerator) -> Double {
        let u1 = max(1e-12, Double(rng.next() >> 11) / Double(1 << 53)), u2 = Double(rng.next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An AR(1) process x_t = φ·x_{t−1} + σ·ε_t (x_0 = 0), hourly, `n` slots.
    func ar1(_ n: Int, phi: Double, sigma: Double, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        var x = 0.0
        return (0..<n).map { _ in x = phi * x + sigma * normal(&rng); return x }
    }

    @Test func twinLayoutLogsTheLevelFeaturesOnly() {
        let d = FeatureDesign(configuration: .init(), slotSeconds: 3600, logLevels: true)
        #expect(Array(d.names[10..<18]) == ["log_last", "log_last_2", "log_last_minus_3h", "log_last_minus_6h", "log_mean_24h",
                                            "last_times_sin_day", "last_times_cos_day", "last_yesterday"])
        #expect(Array(d.names[18...]) == ["log_same_time_latest_day", "log_same_time_latest_week",
                                          "same_time_latest_day_times_sin_day", "same_time_latest_day_times_cos_day"])
        let f = ramp(400)
        let start0 = Date(timeIntervalSince1970: 0)
        // Origin slot 294 = 06:00 UTC (sin 1, cos 0); last = slot 293 = 393.
        let x = d.shared(values: f, at: 294, start0: start0)
        #expect(abs(x[10] - log(393)) < 1e-12 && abs(x[11] - log(392)) < 1e-12)
        #expect(abs(x[12] - log(390)) < 1e-12 && abs(x[13] - log(387)) < 1e-12)
        #expect(abs(x[14] - log(381.5)) < 1e-12)   // mean of slots 270…293: (370 + 393) / 2
        #expect(abs(x[15] - 393) < 1e-9 && abs(x[16]) < 1e-9 && x[17] == 369)   // raw g: 393 × sin, × cos; slot 269
        // Step 5: latest day = slot 275 (375), latest week = slot 131 (231); interactions raw.
        let p = d.perStep(values: f, at: 294, step: 5, start0: start0)
        #expect(abs(p[0] - log(375)) < 1e-12 && abs(p[1] - log(231)) < 1e-12)
        #expect(abs(p[2] - 375) < 1e-9 && abs(p[3]) < 1e-9)
        // Levels under the floor (20 g) are floored before the log: log 20, never −∞.
        let low = ForwardFilled([Double?](repeating: 0, count: 400)[...])
        #expect(d.shared(values: low, at: 300, start0: start0)[10] == log(20))
    }

    /// The ridge fitted alone (no folds, no blend) on `v`: every step, `logLevels` picks the twin.
    /// λ = 10⁻⁹ (least squares): the default 10⁻³ per row shrinks `last` toward its near-copies
    /// (`last_2`, …), whose distinct part (the innovation) is small on the standardised scale.
    func fitAlone(_ v: [Double?], logLevels: Bool, steps: Int) throws -> (FeatureDesign, FeatureDesign.Fit) {
        let d = FeatureDesign(configuration: .init(), slotSeconds: 3600, logLevels: logLevels)
        let fit = try #require(d.fit(values: ForwardFilled(v[...]), history: v[...], start0: Date(timeIntervalSince1970: 0),
                                     from: v.count - 8 * 168, to: v.count, horizonSlots: steps, lambda: 1e-9, floor: 20))
        return (d, fit)
    }

    /// Multiplicative: y_t = exp(5 + z_t + 0.8·sin(2π·hour/24)), z an AR(1) with φ = 0.99, σ = 0.01.
    /// One step ahead log y_o = φ·log y_{o−1} + (daily terms) + ε, so the twin's coefficient of
    /// log_last is φ; six steps ahead the ratio y_{o+5}/y_{o−1} = exp(0.8·(sin θ_{o+5} − sin θ_{o−1}))
    /// is linear in the daily terms only in logs, so the twin is chosen at 6 h.
    @Test func multiplicativeSeriesChoosesTheTwinAndRecoversItsCoefficient() throws {
        let n = 14 * 168
        let z = ar1(n, phi: 0.99, sigma: 0.01, seed: 7)
        let v: [Double?] = (0..<n).map { exp(5 + z[$0] + 0.8 * sin(2 * Double.pi * Double($0 % 24) / 24)) }
        let (d, fit) = try fitAlone(v, logLevels: true, steps: 1)
        let li = try #require(d.names.firstIndex(of: "log_last"))
        let phi = fit.coefficients[0][li] / fit.scales[li]
        #expect(abs(phi - 0.99) < 0.1, "log_last coefficient \(phi)")
        let origin = Date(timeIntervalSince1970: Double(n * 3600))
        let m = try #require(RidgeIntensityForecaster.train(history: v[...], origin: origin, slotSeconds: 3600, horizonSlots: 6, configuration: .init()))
        let s = m.steps[5]
        #expect(s.logTarget == true)
        let linear = try #require(s.validationMAPE["model_linear"]), twin = try #require(s.validationMAPE["model_log"])
        #expect(twin < linear, "twin \(twin) % vs linear \(linear) %")
        #expect(s.validationMAPE["model"] == twin)
        #expect(m.selection(step: 5).contains("ridge-v1 (log)"))
        #expect(m.logFeatureNames == d.names && m.logMeans?.count == d.names.count)
        let fc = m.forecast(history: v[...], origin: origin, horizonSlots: 6)
        #expect(fc.allSatisfy { $0.intensityGramsPerKWh.isFinite && $0.intensityGramsPerKWh > 0 })
        // The stored model forecasts step 5 as the fit predicts: exp(twin) blended with its baseline.
        let f = ForwardFilled(v[...])
        let start0 = Date(timeIntervalSince1970: 0)
        let ld = FeatureDesign(configuration: .init(), slotSeconds: 3600, logLevels: true)
        var ridge = s.intercept
        let x = ld.shared(values: f, at: n, start0: start0), p = ld.perStep(values: f, at: n, step: 5, start0: start0)
        let lm = try #require(m.logMeans), ls = try #require(m.logScales)
        for j in 0..<x.count { ridge += s.coefficients[j] * (x[j] - lm[j]) / ls[j] }
        for j in 0..<p.count { ridge += s.coefficients[x.count + j] * (p[j] - lm[x.count + j]) / ls[x.count + j] }
        let base = s.baseline == 0 ? f[n - 1] : (s.baseline == 1 ? f[n + 5 - 24] : f[n + 5 - 168])
        let expected = s.modelWeight * exp(ridge) + (1 - s.modelWeight) * base
        #expect(abs(fc[5].intensityGramsPerKWh - expected) < 1e-9 * expected)
    }

    /// Additive: y_t = 200 + 100·sin(2π·hour/24) + x_t, x an AR(1) with φ = 0.99, σ = 2. One step
    /// ahead y_o = φ·y_{o−1} + (daily terms) + ε: the linear ridge's coefficient of last is φ; six
    /// steps ahead the change is additive, so the linear ridge is kept.
    @Test func additiveSeriesKeepsTheLinearRidge() throws {
        let n = 14 * 168
        let x = ar1(n, phi: 0.99, sigma: 2, seed: 11)
        let v: [Double?] = (0..<n).map { 200 + 100 * sin(2 * Double.pi * Double($0 % 24) / 24) + x[$0] }
        let (d, fit) = try fitAlone(v, logLevels: false, steps: 1)
        let li = try #require(d.names.firstIndex(of: "last"))
        let phi = fit.coefficients[0][li] / fit.scales[li]
        #expect(abs(phi - 0.99) < 0.1, "last coefficient \(phi)")
        let origin = Date(timeIntervalSince1970: Double(n * 3600))
        let m = try #require(RidgeIntensityForecaster.train(history: v[...], origin: origin, slotSeconds: 3600, horizonSlots: 6, configuration: .init()))
        let s = m.steps[5]
        #expect(s.logTarget == false)
        let linear = try #require(s.validationMAPE["model_linear"]), twin = try #require(s.validationMAPE["model_log"])
        #expect(linear <= twin, "linear \(linear) % vs twin \(twin) %")
        #expect(!m.selection(step: 5).contains("(log)"))
    }

    @Test func aModelStoredBeforeTheTwinDecodesAsLinear() throws {
        let old = #"{"trainingWeeks":8,"retrainEveryHours":168,"validationFolds":8,"lambda":0.001,"dailyHarmonics":3,"weeklyHarmonics":2,"selectionMargin":0,"baselineLookbackWeeks":52,"weightFloorGramsPerKWh":20,"dailyPhaseInteractions":true,"lastYesterdayFeature":true}"#
        let c = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self, from: Data(old.utf8))
        #expect(!c.logTargetTwin && c.dailyPhaseInteractions)
        #expect(RidgeIntensityForecaster.Configuration().logTargetTwin)
        // A trained model without the twin's fields (as stored before it) decodes and forecasts with the linear ridge.
        let v: [Double?] = (0..<(14 * 168)).map { (i: Int) -> Double? in daily(i, mean: 250) + Double(i % 7) }
        let origin = Date(timeIntervalSince1970: Double(v.count * 3600))
        var cfg = RidgeIntensityForecaster.Configuration()
        cfg.logTargetTwin = false
        let m = try #require(RidgeIntensityForecaster.train(history: v[...], origin: origin, slotSeconds: 3600, horizonSlots: 24, configuration: cfg))
        #expect(m.logMeans == nil && m.steps.allSatisfy { $0.logTarget == nil })
        let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        #expect(!json.contains("\"logTarget\"") && !json.contains("\"logMeans\""))
        let back = try JSONDecoder().decode(TrainedIntensityModel.self, from: Data(json.utf8))
        #expect(back.forecast(history: v[...], origin: origin, horizonSlots: 24) == m.forecast(history: v[...], origin: origin, horizonSlots: 24))
    }
}
