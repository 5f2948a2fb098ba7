import Foundation

/// One forecast slot: point forecast and prediction interval, gCO2eq/kWh.
///
/// The interval is a central prediction interval (by default 80 %: the 10th and 90th percentile of
/// past errors at the same horizon, see `ResidualQuantiles`). Always finite, `lower <= point <= upper`.
public struct IntensityForecastPoint: Sendable, Hashable {
    /// The point forecast, gCO2eq/kWh.
    public var intensityGramsPerKWh: Double
    /// Lower bound of the prediction interval, gCO2eq/kWh.
    public var lowerGramsPerKWh: Double
    /// Upper bound of the prediction interval, gCO2eq/kWh.
    public var upperGramsPerKWh: Double

    /// - Parameters: point forecast, lower and upper bound, all gCO2eq/kWh.
    public init(intensityGramsPerKWh: Double, lowerGramsPerKWh: Double, upperGramsPerKWh: Double) {
        self.intensityGramsPerKWh = intensityGramsPerKWh
        self.lowerGramsPerKWh = lowerGramsPerKWh
        self.upperGramsPerKWh = upperGramsPerKWh
    }
}

/// A forecaster that sees only the past.
///
/// Gap rule shared by every implementation: a missing slot (`nil`) is never read as a value. A
/// feature that would read one takes the nearest earlier known value (persistence of the last known
/// value); a history with no known value at all gives points of 0 with a 0…0 interval (a caller
/// must not plan on that: `IntensityForecasting.knownCount` lets it check first). No NaN or
/// infinity is ever returned.
public protocol IntensityForecaster: AnyObject {
    /// Short stable name, e.g. "ridge-v1", "seasonal-naive-24h", "persistence".
    var name: String { get }
    /// history: uniform slots, oldest first; `history.last` is the slot just before `origin`; nil = missing.
    /// origin: start instant of the first forecast slot. Returns exactly `horizonSlots` finite points.
    func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint]
}

/// Helpers shared by the forecasters (pure).
public enum IntensityForecasting {
    /// Number of known (non-nil, finite) values in a history.
    public static func knownCount(_ history: ArraySlice<Double?>) -> Int {
        history.reduce(0) { $0 + (($1.map { $0.isFinite } ?? false) ? 1 : 0) }
    }

    /// The value at history offset `i` (0 = oldest), or the nearest earlier known one; `nil` when
    /// nothing at or before `i` is known.
    @inlinable
    public static func known(_ history: ArraySlice<Double?>, atOrBefore i: Int) -> Double? {
        var k = min(i, history.count - 1)
        while k >= 0 {
            if let v = history[history.startIndex + k], v.isFinite { return v }
            k -= 1
        }
        return nil
    }

    /// The last known value of the history, `nil` when none.
    public static func lastKnown(_ history: ArraySlice<Double?>) -> Double? {
        known(history, atOrBefore: history.count - 1)
    }

    /// Slots in `hours` hours at `slotSeconds` per slot (at least 1).
    public static func slots(hours: Double, slotSeconds: Int) -> Int {
        max(1, Int((hours * 3600 / Double(max(1, slotSeconds))).rounded()))
    }
}

/// Empirical residual quantiles per horizon, the interval rule of the baselines and the model.
///
/// For horizon step h (0-based), the residuals `actual − forecast` of the same rule at past origins
/// give the interval `[point + q_lo(h), point + q_hi(h)]`, clamped at 0 below. Source: the
/// "empirical residual" interval of Hyndman & Athanasopoulos, *Forecasting: Principles and
/// Practice*, 3rd ed., §5.5 (bootstrapped residuals), without resampling.
public struct ResidualQuantiles: Sendable {
    /// Lower and upper residual quantile per horizon step, gCO2eq/kWh.
    public var lower: [Double]
    public var upper: [Double]

    /// The default central coverage: 80 % (10th and 90th percentile).
    public static let defaultLowerQuantile = 0.1
    public static let defaultUpperQuantile = 0.9

    /// - Parameters:
    ///   - residuals: per horizon step, the residuals seen (need not be the same count per step).
    ///   - lowerQuantile, upperQuantile: in 0…1.
    public init(residuals: [[Double]], lowerQuantile: Double = defaultLowerQuantile, upperQuantile: Double = defaultUpperQuantile) {
        lower = []
        upper = []
        lower.reserveCapacity(residuals.count)
        upper.reserveCapacity(residuals.count)
        for r in residuals {
            let s = r.filter(\.isFinite).sorted()
            lower.append(Self.quantile(s, lowerQuantile))
            upper.append(Self.quantile(s, upperQuantile))
        }
    }

    /// Linear-interpolated quantile of sorted values (type 7 of Hyndman & Fan 1996); 0 when empty.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
    }

    /// The forecast point for step `h` with its interval (a step beyond the table uses the last row).
    public func point(_ value: Double, step h: Int) -> IntensityForecastPoint {
        let v = value.isFinite ? max(0, value) : 0
        guard !lower.isEmpty else { return IntensityForecastPoint(intensityGramsPerKWh: v, lowerGramsPerKWh: v, upperGramsPerKWh: v) }
        let k = min(h, lower.count - 1)
        let lo = max(0, min(v, v + lower[k])), hi = max(v, v + upper[k])
        return IntensityForecastPoint(intensityGramsPerKWh: v, lowerGramsPerKWh: lo, upperGramsPerKWh: hi)
    }
}

/// A rule that maps (history, horizon step) to a point forecast; the baselines are such rules, and
/// their intervals come from the same rule replayed at earlier origins of the history.
protocol PointRule {
    /// Point forecast for step `h` (0-based) with the history cut at `count` slots (`count` ≤ history.count).
    func point(_ history: ArraySlice<Double?>, count: Int, step h: Int, slotSeconds: Int) -> Double?
}

extension PointRule {
    /// Points with intervals from the residuals of the same rule at up to `calibrationOrigins`
    /// earlier origins (one per `strideSlots`), per step.
    func forecastWithIntervals(history: ArraySlice<Double?>, slotSeconds: Int, horizonSlots: Int,
                               calibrationOrigins: Int, strideSlots: Int) -> [IntensityForecastPoint] {
        let n = history.count
        guard horizonSlots > 0 else { return [] }
        guard IntensityForecasting.lastKnown(history) != nil else {
            return Array(repeating: IntensityForecastPoint(intensityGramsPerKWh: 0, lowerGramsPerKWh: 0, upperGramsPerKWh: 0), count: horizonSlots)
        }
        var residuals = Array(repeating: [Double](), count: horizonSlots)
        var c = 0
        var o = n - horizonSlots
        while c < calibrationOrigins && o > 0 {
            for h in 0..<horizonSlots {
                let t = o + h
                guard t < n, let actual = history[history.startIndex + t], actual.isFinite,
                      let f = point(history, count: o, step: h, slotSeconds: slotSeconds) else { continue }
                residuals[h].append(actual - f)
            }
            c += 1
            o -= strideSlots
        }
        let q = ResidualQuantiles(residuals: residuals)
        return (0..<horizonSlots).map { h in
            q.point(point(history, count: n, step: h, slotSeconds: slotSeconds) ?? IntensityForecasting.lastKnown(history) ?? 0, step: h)
        }
    }
}

/// Persistence: every future slot equals the last known value.
public final class PersistenceForecaster: IntensityForecaster, PointRule {
    public let name = "persistence"
    /// Past origins used for the interval (one per `calibrationStrideHours`), see `ResidualQuantiles`.
    public var calibrationOrigins: Int
    public var calibrationStrideHours: Double

    /// - Parameters: number of past origins for the interval (default 28) and their spacing (default 6 h: one week).
    public init(calibrationOrigins: Int = 28, calibrationStrideHours: Double = 6) {
        self.calibrationOrigins = calibrationOrigins
        self.calibrationStrideHours = calibrationStrideHours
    }

    func point(_ history: ArraySlice<Double?>, count: Int, step h: Int, slotSeconds: Int) -> Double? {
        IntensityForecasting.known(history, atOrBefore: count - 1)
    }

    public func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        forecastWithIntervals(history: history, slotSeconds: slotSeconds, horizonSlots: horizonSlots,
                              calibrationOrigins: calibrationOrigins,
                              strideSlots: IntensityForecasting.slots(hours: calibrationStrideHours, slotSeconds: slotSeconds))
    }
}

/// Seasonal naive: a future slot equals the latest known slot one or more whole periods earlier
/// (24 h: same time on the latest known day; 168 h: same time on the latest known week). A missing
/// value there is replaced by the one a period before it (up to 4 periods back), then by persistence.
public final class SeasonalNaiveForecaster: IntensityForecaster, PointRule {
    /// The season length, hours (24 or 168).
    public let periodHours: Int
    public var name: String { "seasonal-naive-\(periodHours)h" }
    public var calibrationOrigins: Int
    public var calibrationStrideHours: Double

    /// - Parameters: season length in hours (24 or 168; any positive value works), number of past
    ///   origins for the interval (default 28) and their spacing (default 6 h).
    public init(periodHours: Int, calibrationOrigins: Int = 28, calibrationStrideHours: Double = 6) {
        self.periodHours = max(1, periodHours)
        self.calibrationOrigins = calibrationOrigins
        self.calibrationStrideHours = calibrationStrideHours
    }

    /// History index (0-based) that seasonal naive reads for step `h` with `count` known slots, or nil.
    static func sourceIndex(count: Int, step h: Int, periodSlots p: Int) -> Int {
        let t = count + h
        let m = (h / p) + 1   // smallest m with t - m·p ≤ count - 1
        return t - m * p
    }

    func point(_ history: ArraySlice<Double?>, count: Int, step h: Int, slotSeconds: Int) -> Double? {
        let p = IntensityForecasting.slots(hours: Double(periodHours), slotSeconds: slotSeconds)
        var i = Self.sourceIndex(count: count, step: h, periodSlots: p)
        for _ in 0..<4 {
            guard i >= 0 else { break }
            if let v = history[history.startIndex + i], v.isFinite { return v }
            i -= p
        }
        return IntensityForecasting.known(history, atOrBefore: count - 1)
    }

    public func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        forecastWithIntervals(history: history, slotSeconds: slotSeconds, horizonSlots: horizonSlots,
                              calibrationOrigins: calibrationOrigins,
                              strideSlots: IntensityForecasting.slots(hours: calibrationStrideHours, slotSeconds: slotSeconds))
    }
}
