import Foundation

extension ForecastGrid {
    /// The daemon's planning grid: slots of `slotSeconds` from `from` (floored to a multiple of
    /// `slotSeconds` since 1970, so re-plans share slot boundaries) until `to`, each valued with the
    /// time-weighted mean of `slots` when every instant of it is covered by a known value, else `nil`
    /// (never chosen to run in).
    /// - Parameters:
    ///   - slots: the intensity slots in force (the provider chain's selection: actuals and forecasts).
    ///   - from: usually now. - to: the end of the horizon (> from). - slotSeconds: grid step (s), > 0.
    public static func covering(_ slots: IntensitySlotSeries, from: Date, to: Date, slotSeconds: Double) -> ForecastGrid {
        let filled = slots.filledSeries()
        return build(from: from, to: to, slotSeconds: slotSeconds) { a, b in
            slots.isFullyCovered(from: a, to: b) ? filled.meanIntensity(from: a, to: b).gramsPerKWh : nil
        }
    }

    /// The same over a step-function series (a trace): a slot has a value when the series covers it
    /// (between its first point and its coverage end), else `nil`.
    public static func covering(_ series: IntensitySeries, from: Date, to: Date, slotSeconds: Double) -> ForecastGrid {
        build(from: from, to: to, slotSeconds: slotSeconds) { a, b in
            series.isCovered(at: a) && series.isCovered(at: b.addingTimeInterval(-1e-3))
                ? series.meanIntensity(from: a, to: b).gramsPerKWh : nil
        }
    }

    private static func build(from: Date, to: Date, slotSeconds: Double, value: (Date, Date) -> Double?) -> ForecastGrid {
        let origin = Date(timeIntervalSince1970: (from.timeIntervalSince1970 / slotSeconds).rounded(.down) * slotSeconds)
        let n = max(1, Int((to.timeIntervalSince(origin) / slotSeconds).rounded(.up)))
        var values = [Double?](repeating: nil, count: n)
        for k in 0..<n {
            let a = origin.addingTimeInterval(Double(k) * slotSeconds)
            values[k] = value(a, a.addingTimeInterval(slotSeconds))
        }
        return ForecastGrid(origin: origin, slotSeconds: slotSeconds, intensityGramsPerKWh: values)
    }
}
