import Foundation

/// A forecast for planning: another forecaster's points, shrunk with the horizon toward a weekly
/// climatology (the mean of the same time of week over the last `climatologyWeeks` weeks).
///
/// Point at step k (0-based, the slot starting k·slot after the origin):
/// `w·base + (1 − w)·climatology` with `w = exp(−k·slot / decayHours)`; the interval moves with the
/// point (same width, clamped at 0). A step whose climatology has no known value keeps the base point.
///
/// Why: the planner only needs the order of slots over a job's window, up to 5 days ahead. Without
/// weather data the ridge's forecast beyond a day is mostly noise around a daily cycle, while the
/// mean of the same time of week keeps the weekly pattern (weekends, working hours) that decides
/// most deferrals. Measured on the Let's Wait Awhile scenario over Germany 2020 (docs/scheduling.md):
/// 65 % → 70.5 % of the perfect-forecast saving (non-interruptible), 58 % → 65.1 % (interruptible).
/// The constants (8 weeks, 24 h) are the prototype's best of a small grid on that trace
/// (6–12 weeks, mean or median, 12–48 h e-folding): an engineering choice, not from a paper.
///
/// Gap rule: climatology averages known slots only (`nil` is skipped); the result is always finite.
public final class ClimatologyShrinkForecaster: IntensityForecaster {
    /// The forecaster whose points are shrunk (the ridge model in `verdant simulate --forecast model`).
    public let base: any IntensityForecaster
    /// Weeks averaged for the climatology.
    public var climatologyWeeks: Int
    /// e-folding horizon of the base forecast's weight, hours.
    public var decayHours: Double

    /// The base forecaster's name with `+weekly-climatology` (shown by `simulate` as the forecast used).
    public var name: String { "\(base.name)+weekly-climatology" }

    /// - Parameters: the base forecaster, weeks in the climatology (default 8), e-folding horizon of
    ///   the base's weight in hours (default 24).
    public init(base: any IntensityForecaster, climatologyWeeks: Int = 8, decayHours: Double = 24) {
        self.base = base
        self.climatologyWeeks = max(1, climatologyWeeks)
        self.decayHours = max(1e-9, decayHours)
    }

    /// The base forecast with each point (and its interval) blended with the weekly climatology: the
    /// base keeps weight exp(−h / `decayHours`), h the step's horizon in hours, the climatology the
    /// rest; reads only `history` (the slots before `origin`).
    public func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        var points = base.forecast(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots)
        let climatology = Self.weeklyClimatology(history: history, slotSeconds: slotSeconds, horizonSlots: points.count,
                                                 weeks: climatologyWeeks)
        for k in points.indices {
            guard let c = climatology[k] else { continue }
            let w = Self.baseWeight(step: k, slotSeconds: slotSeconds, decayHours: decayHours)
            let p = points[k]
            let v = max(0, w * p.intensityGramsPerKWh + (1 - w) * c)
            let shift = v - p.intensityGramsPerKWh
            points[k] = IntensityForecastPoint(intensityGramsPerKWh: v,
                                               lowerGramsPerKWh: min(v, max(0, p.lowerGramsPerKWh + shift)),
                                               upperGramsPerKWh: max(v, p.upperGramsPerKWh + shift))
        }
        return points
    }

    /// Weight of the base forecast at step `k`: exp(−k·slot / decayHours).
    public static func baseWeight(step k: Int, slotSeconds: Int, decayHours: Double) -> Double {
        exp(-Double(k * slotSeconds) / 3600 / decayHours)
    }

    /// Per step k, the mean of the known values at the same time of week in the `weeks` latest weeks
    /// of the history before the origin (slot n + k − m·week for the smallest m with that slot in the
    /// history, and the `weeks − 1` before it); nil when none is known.
    public static func weeklyClimatology(history: ArraySlice<Double?>, slotSeconds: Int, horizonSlots: Int, weeks: Int) -> [Double?] {
        let n = history.count
        let week = max(1, 7 * 86400 / max(1, slotSeconds))
        return (0..<max(0, horizonSlots)).map { k in
            let m0 = k / week + 1
            var sum = 0.0, count = 0
            for m in m0..<(m0 + weeks) {
                let i = n + k - m * week
                guard i >= 0 else { break }
                if let v = history[history.startIndex + i], v.isFinite { sum += v; count += 1 }
            }
            return count > 0 ? sum / Double(count) : nil
        }
    }
}
