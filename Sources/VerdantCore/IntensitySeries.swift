import Foundation

/// One grid carbon-intensity value that holds from `time` until the next point.
public struct IntensityPoint: Hashable, Sendable, Codable {
    /// Start of the period the value applies to, UTC.
    public let time: Date
    /// The intensity over the period.
    public let intensity: IntensityGramsPerKWh

    public init(time: Date, intensity: IntensityGramsPerKWh) {
        self.time = time
        self.intensity = intensity
    }
}

/// Grid carbon intensity over time as a step function, with a static fallback outside its coverage.
///
/// Point i holds on [tᵢ, tᵢ₊₁). The last point holds for one `resolution` (the smallest spacing
/// between consecutive points, e.g. 15 min for ENTSO-E data). Before the first point, after the last
/// period, and everywhere when there are no points, `fallback` applies (the configured static value).
/// Times are UTC instants.
public struct IntensitySeries: Sendable {
    /// The points, sorted by time, without duplicates.
    public let points: [IntensityPoint]
    /// The value used where no point applies.
    public let fallback: IntensityGramsPerKWh
    /// How long the last point holds (s).
    public let resolutionSeconds: Double
    /// When set, the end of coverage instead of the last point's time plus one resolution (slots of
    /// known length, see `IntensitySlotSeries.filledSeries()`).
    private var explicitCoverageEnd: Date?

    /// - Parameters:
    ///   - points: any order; for duplicate times the last one given wins.
    ///   - fallback: the static value outside coverage.
    ///   - coverageEnd: the end of the last point's period when it is known (the end of its slot).
    public init(points: [IntensityPoint], fallback: IntensityGramsPerKWh, coverageEnd: Date?) {
        self.init(points: points, fallback: fallback)
        if let coverageEnd, let last = self.points.last, coverageEnd > last.time { explicitCoverageEnd = coverageEnd }
    }

    /// - Parameters:
    ///   - points: any order; for duplicate times the last one given wins.
    ///   - fallback: the static value outside coverage.
    public init(points: [IntensityPoint], fallback: IntensityGramsPerKWh) {
        var byTime: [Date: IntensityPoint] = [:]
        for p in points { byTime[p.time] = p }
        let sorted = byTime.values.sorted { $0.time < $1.time }
        self.points = sorted
        self.fallback = fallback
        var res = Double.infinity
        for i in sorted.indices.dropFirst() {
            res = min(res, sorted[i].time.timeIntervalSince(sorted[i - 1].time))
        }
        self.resolutionSeconds = res.isFinite ? res : 3600
    }

    /// The end of the covered range: the last point's time plus one resolution.
    public var coverageEnd: Date? { explicitCoverageEnd ?? points.last.map { $0.time.addingTimeInterval(resolutionSeconds) } }

    /// The value in force at instant `t`.
    public func intensity(at t: Date) -> IntensityGramsPerKWh {
        guard let i = indexOfPoint(atOrBefore: t) else { return fallback }
        if i == points.count - 1, let end = coverageEnd, t >= end { return fallback }
        return points[i].intensity
    }

    /// Whether the value in force at `t` comes from a point (`true`) or from the fallback.
    public func isCovered(at t: Date) -> Bool {
        guard let first = points.first, let end = coverageEnd else { return false }
        return t >= first.time && t < end
    }

    /// The time-weighted mean intensity over [from, to]: ∫ I(t) dt / (to − from), computed exactly
    /// over the step function. For an empty interval, the value in force at `from`.
    public func meanIntensity(from: Date, to: Date) -> IntensityGramsPerKWh {
        let total = to.timeIntervalSince(from)
        guard total > 0 else { return intensity(at: from) }
        // Cut at `from`, at every step time strictly inside (from, to) in order (those of `stepTimes`),
        // and at `to`, and sum piece by piece, without building the list of cuts: reports price tens of
        // thousands of rollup pieces through here.
        var integral = 0.0
        var a = from
        func cut(_ b: Date) {
            integral += intensity(at: a).gramsPerKWh * b.timeIntervalSince(a)
            a = b
        }
        if !points.isEmpty {
            var i = lowerBound(from)
            while i < points.count, points[i].time <= to {
                let t = points[i].time
                if t > from && t < to { cut(t) }
                i += 1
            }
            if let end = coverageEnd, end > from, end < to { cut(end) }
        }
        cut(to)
        return IntensityGramsPerKWh(integral / total)
    }

    /// Every instant in [from, to] at which the step function may change value: each point's time and
    /// the end of coverage.
    public func stepTimes(in from: Date, _ to: Date) -> [Date] {
        var out: [Date] = []
        guard !points.isEmpty else { return out }
        let startIdx = lowerBound(from)
        var i = startIdx
        while i < points.count, points[i].time <= to {
            out.append(points[i].time)
            i += 1
        }
        if let end = coverageEnd, end >= from, end <= to { out.append(end) }
        return out
    }

    /// Index of the first point with time >= t.
    private func lowerBound(_ t: Date) -> Int {
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].time < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func indexOfPoint(atOrBefore t: Date) -> Int? {
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].time <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }
}
