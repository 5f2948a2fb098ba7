import Foundation
import Testing
@testable import VerdantCore

/// The blocked Gram accumulation (`GramAccumulation`) gives the very fit of the one-row-at-a-time
/// loop it replaced: same coefficients bit for bit, so no forecast changes.
@Suite struct GramAccumulationTests {
    /// The NESO 2023 half-hourly national trace (Tests/VerdantCarbonTests/Fixtures, source in its README).
    func neso() throws -> [Double?] {
        let url = carbonFixtures.appendingPathComponent("gb-neso-2023_forecast-and-actual/neso_2023_national_intensity.csv")
        let t = try ForecastTraceText.parse(try String(contentsOf: url, encoding: .utf8), fileName: url.lastPathComponent, zone: "GB")
        #expect(t.grid.slotSeconds == 1800)
        return t.grid.values
    }

    /// A hand example: rows (1, 2) w 1, (1, 3) w 2, y = 1, 1, plus three copies of (1, 0) w 1, y 0,
    /// then a flush (5 rows: one block of four and one leftover). A = [[6, ·], [8, 22]], b = [3, 8].
    @Test func handExample() {
        var g = GramAccumulation(dimension: 2)
        defer { g.deallocate() }
        var a = [Double](repeating: 0, count: 4), b = [0.0, 0.0]
        let rows: [([Double], Double, Double)] = [([1, 2], 1, 1), ([1, 3], 2, 1), ([1, 0], 1, 0), ([1, 0], 1, 0), ([1, 0], 1, 0)]
        a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { bp in
            for (r, w, y) in rows { r.withUnsafeBufferPointer { g.add(row: $0.baseAddress!, weight: w, target: y, gram: ap.baseAddress!, moment: bp.baseAddress!) } }
            g.flush(gram: ap.baseAddress!, moment: bp.baseAddress!)
        }}
        #expect(a[0] == 6 && a[2] == 8 && a[3] == 22 && a[1] == 0)
        #expect(b == [3, 8])
    }

    /// Linear ridge and log twin, 96 half-hour steps (48 h), on an 8-week window with the October
    /// hole (91 missing half-hours, so rows drop out per step) and on one without gaps: every
    /// intercept and coefficient equal (==) between the blocked and the reference accumulation, and
    /// the forecasts of the last origin equal.
    @Test func blockedFitEqualsTheRowByRowFitOnARealTrace() throws {
        let v = try neso()
        let hole = try #require(v.indices.first { i in i > 6000 && v[i] == nil && v[i + 1] == nil })
        let week = 336
        for (from, to) in [(hole - 5 * week, hole + 3 * week), (2 * week, 10 * week)] {
            let knownInWindow = v[from..<to].filter { $0 != nil }.count
            for logLevels in [false, true] {
                let d = FeatureDesign(configuration: .init(), slotSeconds: 1800, logLevels: logLevels)
                let f = ForwardFilled(v[...])
                let start0 = Date(timeIntervalSince1970: 1_672_529_400)
                let new = try #require(d.fit(values: f, history: v[...], start0: start0, from: from, to: to, horizonSlots: 96,
                                             lambda: 1e-3, floor: 20))
                let old = try #require(d.fit(values: f, history: v[...], start0: start0, from: from, to: to, horizonSlots: 96,
                                             lambda: 1e-3, floor: 20, referenceGram: true))
                #expect(new.intercepts == old.intercepts, "log \(logLevels), window \(from)..<\(to) (\(knownInWindow) known)")
                #expect(new.coefficients == old.coefficients)
                // Not a degenerate pass: the fit used the features (not the zero fallback).
                #expect(new.coefficients.allSatisfy { $0.contains { $0 != 0 } })
                let x = d.shared(values: f, at: to, start0: start0)
                for h in 0..<96 {
                    let p = d.perStep(values: f, at: to, step: h, start0: start0)
                    #expect(new.predict(shared: x, perStep: p, step: h) == old.predict(shared: x, perStep: p, step: h))
                }
            }
        }
    }
}
