import Foundation

/// A uniform grid of intensity values built from imported slots: what the forecasters read.
public struct IntensityGrid: Sendable {
    /// Instant of `values[0]`.
    public var start: Date
    /// Slot length, s.
    public var slotSeconds: Int
    /// One value per slot, gCO2eq/kWh; nil = missing (a gap in the source).
    public var values: [Double?]

    public init(start: Date, slotSeconds: Int, values: [Double?]) {
        self.start = start
        self.slotSeconds = slotSeconds
        self.values = values
    }

    /// Lays slots on a grid of `slotSeconds` starting at the first slot. A slot that does not start
    /// on the grid is dropped (none of the staged traces has one except DE's two 30-minute steps,
    /// whose slots are kept and whose missing quarter-hour stays missing); a grid position with no
    /// slot is missing. Values are gCO2eq/kWh.
    public init(slots: [IntensitySlot], slotSeconds: Int) {
        let s = max(1, slotSeconds)
        guard let first = slots.first else { self.init(start: Date(timeIntervalSince1970: 0), slotSeconds: s, values: []); return }
        let t0 = first.start.timeIntervalSince1970
        let last = slots[slots.count - 1].start.timeIntervalSince1970
        let n = Int(((last - t0) / Double(s)).rounded(.down)) + 1
        var v = [Double?](repeating: nil, count: n)
        for slot in slots {
            let off = slot.start.timeIntervalSince1970 - t0
            let k = Int((off / Double(s)).rounded())
            guard abs(off - Double(k * s)) < 1e-6, k >= 0, k < n else { continue }
            v[k] = slot.value?.gramsPerKWh
        }
        self.init(start: first.start, slotSeconds: s, values: v)
    }

    /// Instant of slot `i`.
    public func time(_ i: Int) -> Date { start.addingTimeInterval(Double(i * slotSeconds)) }
}

/// Rolling-origin backtest (Tashman 2000, "Out-of-sample tests of forecasting accuracy"): at each
/// origin every forecaster sees only the slots before it; its forecast at each horizon is compared
/// with the actual value. Pure; the CLI's `verdant forecast eval` runs it.
public struct ForecastBacktest {
    /// Scores at one horizon.
    public struct HorizonScore: Sendable, Codable, Hashable {
        /// Horizon, hours: the forecast slot ends this long after the origin.
        public var horizonHours: Double
        /// MAPE (%) by forecaster: `model`, `persistence`, `seasonal_naive_24h`, `seasonal_naive_168h`,
        /// and `operator` when the trace has the operator's forecast. Slots with an actual under
        /// 1 gCO2eq/kWh are left out of MAPE (GB has zeros).
        public var mape: [String: Double]
        /// MAE (gCO2eq/kWh) by forecaster, over every slot with a known actual.
        public var mae: [String: Double]
        /// Share (0…1) of actuals inside the model's prediction interval.
        public var intervalCoverage: Double
        /// Number of (origin, actual) pairs scored.
        public var count: Int
    }

    /// The series.
    public var grid: IntensityGrid
    /// The operator's own forecast on the same grid (GB `forecast` column), if any.
    public var operatorForecast: [Double?]?
    /// Horizons, hours. One that is not a whole number of slots is skipped (see `steps`).
    public var horizonsHours: [Double]
    /// Hours between origins.
    public var originStrideHours: Double = 1
    /// Hours of history before the first origin (the model needs its training window and folds).
    public var warmupHours: Double = 9 * 168

    public init(grid: IntensityGrid, operatorForecast: [Double?]? = nil, horizonsHours: [Double]) {
        self.grid = grid
        self.operatorForecast = operatorForecast
        self.horizonsHours = horizonsHours
    }

    /// The horizon steps (0-based slot index after the origin) for `horizonsHours`, dropping any
    /// that is not a whole number of slots (e.g. 30 min on an hourly trace).
    public var steps: [(hours: Double, step: Int)] {
        horizonsHours.compactMap { h in
            let x = h * 3600 / Double(grid.slotSeconds)
            let k = Int(x.rounded()) - 1
            return k >= 0 && abs(x - x.rounded()) < 1e-9 ? (h, k) : nil
        }
    }

    /// Origins (history counts) scored.
    public var origins: [Int] {
        let sph = 3600.0 / Double(grid.slotSeconds)
        let first = Int((warmupHours * sph).rounded(.up))
        let stride = max(1, Int((originStrideHours * sph).rounded()))
        let maxStep = steps.map(\.step).max() ?? 0
        guard grid.values.count - maxStep > first else { return [] }
        return Array(Swift.stride(from: first, to: grid.values.count, by: stride))
    }

    /// Runs the backtest.
    /// - Parameters:
    ///   - model: the forecaster under test (e.g. `RidgeIntensityForecaster`); called once per origin.
    ///   - progress: called after each origin with (done, total).
    /// - Returns: one score per horizon that had at least one known actual.
    public func run(model: IntensityForecaster, progress: ((Int, Int) -> Void)? = nil) -> [HorizonScore] {
        let st = steps
        guard let maxStep = st.map(\.step).max() else { return [] }
        let horizon = maxStep + 1
        let sph = max(1, 3600 / grid.slotSeconds)
        let persistence = PersistenceForecaster(), day = SeasonalNaiveForecaster(periodHours: 24), week = SeasonalNaiveForecaster(periodHours: 168)
        var names = ["model", "persistence", "seasonal_naive_24h", "seasonal_naive_168h"]
        if operatorForecast != nil { names.append("operator") }
        var absErr = Array(repeating: Array(repeating: 0.0, count: names.count), count: st.count)
        var pctErr = absErr
        var nAbs = Array(repeating: 0, count: st.count), nPct = nAbs, inside = nAbs
        let os = origins
        let values = grid.values
        for (done, o) in os.enumerated() {
            let history = values[0..<o]
            let points = model.forecast(history: history, origin: grid.time(o), slotSeconds: grid.slotSeconds, horizonSlots: horizon)
            for (k, s) in st.enumerated() {
                let t = o + s.step
                guard t < values.count, let actual = values[t], actual.isFinite else { continue }
                var f = [points[s.step].intensityGramsPerKWh,
                         persistence.point(history, count: o, step: s.step, slotSeconds: grid.slotSeconds) ?? 0,
                         day.point(history, count: o, step: s.step, slotSeconds: grid.slotSeconds) ?? 0,
                         week.point(history, count: o, step: s.step, slotSeconds: grid.slotSeconds) ?? 0]
                if let op = operatorForecast {
                    guard t < op.count, let v = op[t] else { continue }
                    f.append(v)
                }
                nAbs[k] += 1
                for j in f.indices { absErr[k][j] += abs(actual - f[j]) }
                if actual >= 1 {
                    nPct[k] += 1
                    for j in f.indices { pctErr[k][j] += abs(actual - f[j]) / actual }
                }
                if actual >= points[s.step].lowerGramsPerKWh && actual <= points[s.step].upperGramsPerKWh { inside[k] += 1 }
            }
            progress?(done + 1, os.count)
        }
        _ = sph
        return st.indices.compactMap { k in
            guard nAbs[k] > 0 else { return nil }
            var mape: [String: Double] = [:], mae: [String: Double] = [:]
            for (j, name) in names.enumerated() {
                mae[name] = absErr[k][j] / Double(nAbs[k])
                if nPct[k] > 0 { mape[name] = 100 * pctErr[k][j] / Double(nPct[k]) }
            }
            return HorizonScore(horizonHours: st[k].hours, mape: mape, mae: mae,
                                intervalCoverage: Double(inside[k]) / Double(nAbs[k]), count: nAbs[k])
        }
    }
}
