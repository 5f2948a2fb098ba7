import Foundation
import Testing
@testable import VerdantCore

/// The recency weights of the ridge's training rows (`recencyHalfLifeWeeks`, docs/models.md
/// "Training", session 10): the fit equals weighted least squares with the weights written out here,
/// and a model stored before the session-10 settings decodes with equal weights and free blend weights.
@Suite struct ForecastRecencyWeightTests {
    /// Hourly series: a daily sine plus a seeded AR(1) walk, 6 weeks, slot 0 = 1970-01-01 00:00 UTC.
    func series(_ n: Int) -> [Double?] {
        var rng = SeededGenerator(seed: 11)
        var z = 0.0
        return (0..<n).map { i -> Double? in
            let u = Double(rng.next() >> 11) / Double(1 << 53) - 0.5
            z = 0.95 * z + 20 * u
            return 300 + 80 * sin(2 * Double.pi * Double(i % 24) / 24) + z
        }
    }

    /// Solves A·x = b (dense, row-major) by Gaussian elimination with partial pivoting: an
    /// independent check of the Cholesky path.
    func gaussSolve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var m = a, r = b
        for col in 0..<n {
            let p = (col..<n).max { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }!
            if p != col {
                for k in 0..<n { m.swapAt(col * n + k, p * n + k) }
                r.swapAt(col, p)
            }
            for row in (col + 1)..<n {
                let f = m[row * n + col] / m[col * n + col]
                if f == 0 { continue }
                for k in col..<n { m[row * n + k] -= f * m[col * n + k] }
                r[row] -= f * r[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = r[row]
            for k in (row + 1)..<n { s -= m[row * n + k] * x[k] }
            x[row] = s / m[row * n + row]
        }
        return x
    }

    /// The linear ridge of step `h` on [from, to) by the textbook formula: rows [1, standardised
    /// features] (the fit's standardisation), weight 0.5^((to − o) / (half-life · 168)) / max(y, 20)²
    /// normalised to mean 1, (AᵀWA + λ·rows·I without the intercept) β = AᵀWy.
    func explicitFit(_ d: FeatureDesign, _ fit: FeatureDesign.Fit, _ v: [Double?], from: Int, to: Int, step h: Int,
                     halfLifeWeeks: Double, lambda: Double) -> [Double] {
        let f = ForwardFilled(v[...])
        let start0 = Date(timeIntervalSince1970: 0)
        var rows: [[Double]] = [], ys: [Double] = [], ws: [Double] = []
        for o in from..<(to - h) {
            guard let y = v[o + h] else { continue }
            let raw = d.shared(values: f, at: o, start0: start0) + d.perStep(values: f, at: o, step: h, start0: start0)
            rows.append([1] + raw.indices.map { (raw[$0] - fit.means[$0]) / fit.scales[$0] })
            let recency = halfLifeWeeks > 0 ? pow(0.5, Double(to - o) / (halfLifeWeeks * 168)) : 1
            ys.append(y)
            ws.append(recency / (max(y, 20) * max(y, 20)))
        }
        let norm = Double(ws.count) / ws.reduce(0, +)
        let n = rows[0].count
        var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
        for (i, r) in rows.enumerated() {
            let w = ws[i] * norm
            for j in 0..<n {
                b[j] += w * r[j] * ys[i]
                for k in 0..<n { a[j * n + k] += w * r[j] * r[k] }
            }
        }
        for j in 1..<n { a[j * n + j] += lambda * Double(rows.count) }
        return gaussSolve(a, b, n)
    }

    @Test(arguments: [0.0, 1.0, 4.0])
    func fitIsWeightedLeastSquaresWithTheHalfLifeWeights(halfLifeWeeks: Double) throws {
        var c = RidgeIntensityForecaster.Configuration()
        c.recencyHalfLifeWeeks = halfLifeWeeks
        let d = FeatureDesign(configuration: c, slotSeconds: 3600)
        let v = series(6 * 168)
        let from = 169, to = v.count
        let fit = try #require(d.fit(values: ForwardFilled(v[...]), history: v[...], start0: Date(timeIntervalSince1970: 0),
                                     from: from, to: to, horizonSlots: 24, lambda: 1e-3, floor: 20))
        for h in [0, 5, 23] {
            let beta = explicitFit(d, fit, v, from: from, to: to, step: h, halfLifeWeeks: halfLifeWeeks, lambda: 1e-3)
            let got = [fit.intercepts[h]] + fit.coefficients[h]
            for j in beta.indices {
                #expect(abs(got[j] - beta[j]) <= 1e-7 * max(1, abs(beta[j])), "step \(h) coefficient \(j): \(got[j]) vs \(beta[j])")
            }
        }
    }

    @Test func defaultsAndAnOldConfigurationDecodeWithoutRecencyWeights() throws {
        let c = RidgeIntensityForecaster.Configuration()
        #expect(c.trainingWeeks == 16 && c.validationFolds == 12 && c.recencyHalfLifeWeeks == 4 && c.monotoneModelWeight
                && c.monotoneAfterHours == 12)
        // The JSON a stored ridge-v1 model carried in session 7 (before the setting).
        let old = #"{"trainingWeeks":8,"retrainEveryHours":168,"validationFolds":8,"lambda":0.001,"dailyHarmonics":3,"weeklyHarmonics":2,"selectionMargin":0,"baselineLookbackWeeks":52,"weightFloorGramsPerKWh":20,"dailyPhaseInteractions":true,"lastYesterdayFeature":true,"logTargetTwin":true}"#
        let o = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self, from: Data(old.utf8))
        #expect(o.recencyHalfLifeWeeks == 0 && !o.monotoneModelWeight && o.trainingWeeks == 8 && o.validationFolds == 8 && o.logTargetTwin)
        // Session 10's (monotone trust from the first step, before `monotoneAfterHours`).
        let s10 = old.dropLast() + #","recencyHalfLifeWeeks":4,"monotoneModelWeight":true}"#
        let t = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self, from: Data(s10.utf8))
        #expect(t.monotoneModelWeight && t.monotoneAfterHours == 0 && t.recencyHalfLifeWeeks == 4)
        let back = try JSONDecoder().decode(RidgeIntensityForecaster.Configuration.self, from: JSONEncoder().encode(c))
        #expect(back == c)
    }
}
