import Foundation

extension ForecastGrid {
    /// The daemon's planning grid: slots of `slotSeconds` from `from` (floored to a multiple of
    /// `slotSeconds` since 1970, so re-plans share slot boundaries) until `to`, each valued with the
    /// time-weighted mean of `slots` when every instant of it is covered by a known value, else `nil`
    /// (never chosen to run in).
    /// - Parameters:
    ///   - slots: the intensity slots in force (the provider chain's selection: actuals and forecasts).
    ///   - from: usually now. - to: the end of the horizon (> from). - slotSeconds: grid step (s), > 0.
    ///
    /// Interval: when some slot carries an upper bound (`IntensitySlot.upperGramsPerKWh`, the daemon's
    /// own forecast), each grid slot with a value also gets one: the time-weighted mean over the slots
    /// covering it of their upper bound, a slot without one counting at its value (no spread). This is
    /// what the planner's hedge prices (`PlannerSettings.hedge`); without any bound the grid has none.
    public static func covering(_ slots: IntensitySlotSeries, from: Date, to: Date, slotSeconds: Double) -> ForecastGrid {
        let filled = slots.filledSeries()
        let grid = build(from: from, to: to, slotSeconds: slotSeconds) { a, b in
            slots.isFullyCovered(from: a, to: b) ? filled.meanIntensity(from: a, to: b).gramsPerKWh : nil
        }
        guard slots.slots.contains(where: { $0.upperGramsPerKWh != nil }) else { return grid }
        let all = slots.slots   // sorted by start, no overlaps: one forward walk
        var first = 0
        let upper = grid.intensityGramsPerKWh.indices.map { k -> Double? in
            let a = grid.time(ofSlot: k), b = grid.time(ofSlot: k + 1)
            while first < all.count, all[first].end <= a { first += 1 }
            guard grid.intensityGramsPerKWh[k] != nil else { return nil }
            var sum = 0.0, weight = 0.0
            var i = first
            while i < all.count, all[i].start < b {
                let s = all[i]
                i += 1
                guard let v = s.value?.gramsPerKWh else { continue }
                let w = min(s.end, b).timeIntervalSince(max(s.start, a))
                sum += max(s.upperGramsPerKWh ?? v, v) * w
                weight += w
            }
            return weight > 0 ? sum / weight : nil
        }
        return ForecastGrid(origin: grid.origin, slotSeconds: grid.slotSeconds, intensityGramsPerKWh: grid.intensityGramsPerKWh,
                            upperGramsPerKWh: upper)
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
