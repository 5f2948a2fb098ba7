import Foundation

// Grid carbon-intensity slots with provenance (issue 4). Pure values; no I/O.

/// Whether an intensity is an average over all generation or the marginal emission rate of the
/// generator that answers a change in demand. A plan never mixes the two.
public enum IntensitySignalKind: String, Sendable, Codable, CaseIterable {
    /// Average intensity of the generation mix (Electricity Maps, NESO, ENTSO-E/EIA traces).
    case average
    /// Marginal operating emission rate (WattTime `co2_moer`).
    case marginal
}

/// What the emission factors behind an intensity count, when the source says so.
public enum EmissionBasis: String, Sendable, Codable, CaseIterable {
    /// Life-cycle factors (construction, fuel supply and operation), e.g. IPCC AR5 medians.
    case lifecycle
    /// Direct (operational, combustion) emissions only.
    case direct
}

extension IntensityGramsPerKWh {
    /// Grams in one avoirdupois pound: 453.59237 g exactly (International Yard and Pound Agreement, 1959).
    public static let gramsPerPound = 453.59237

    /// Converts an emission rate in pounds of CO2 per megawatt-hour (WattTime's `lbs_co2_per_mwh`):
    /// g/kWh = lbs/MWh × 453.59237 g/lb ÷ 1000 kWh/MWh, so 1000 lbs/MWh = 453.59237 g/kWh.
    public init(poundsPerMWh: Double) {
        self.init(poundsPerMWh * Self.gramsPerPound / 1000)
    }
}

/// One time slot of grid carbon intensity for one zone, with where it came from.
///
/// A slot covers [`start`, `start` + `durationSeconds`). `value` is `nil` when the source published
/// the slot without a value: such a slot stays missing (never 0, never −1) and is never chosen as the
/// cleanest. Times are UTC instants.
public struct IntensitySlot: Hashable, Sendable, Codable {
    /// Grid zone (`DE`, `GB`, `CAISO_NORTH`, …) as the source names it.
    public var zone: String
    /// Start of the slot, UTC.
    public var start: Date
    /// Length of the slot (s), > 0.
    public var durationSeconds: Double
    /// Intensity over the slot in gCO2eq/kWh, or `nil` when the source has no value for it.
    public var value: IntensityGramsPerKWh?
    /// Average or marginal.
    public var kind: IntensitySignalKind
    /// Life-cycle or direct, where the source says so.
    public var basis: EmissionBasis?
    /// Where the slot came from: `electricitymaps`, `watttime`, `uk-carbon-intensity`,
    /// `carbon-aware-sdk`, `trace:<file>`, `import:<file>`, `static:<table>`.
    public var source: String
    /// For a forecast: when the forecast was issued (UTC); `nil` for an actual (measured) value.
    public var issuedAt: Date?
    /// For a forecast with a prediction interval: its upper bound in gCO2eq/kWh (the daemon's own
    /// planning forecast: the model's 90 % residual quantile, docs/models.md); `nil` otherwise. The
    /// planner's hedge (`PlannerSettings.hedge`) prices slots with it; it is not stored.
    public var upperGramsPerKWh: Double?

    /// - Parameters: see the properties. `durationSeconds` must be positive (not checked here;
    ///   parsers reject non-positive lengths with the line or field).
    public init(zone: String, start: Date, durationSeconds: Double, value: IntensityGramsPerKWh?,
                kind: IntensitySignalKind, basis: EmissionBasis? = nil, source: String, issuedAt: Date? = nil) {
        self.zone = zone
        self.start = start
        self.durationSeconds = durationSeconds
        self.value = value
        self.kind = kind
        self.basis = basis
        self.source = source
        self.issuedAt = issuedAt
    }

    /// End of the slot (exclusive), UTC.
    public var end: Date { start.addingTimeInterval(durationSeconds) }
    /// Whether this slot is a forecast (it has an issue time).
    public var isForecast: Bool { issuedAt != nil }
}

/// A stretch of time with no value inside a series: a published slot without a value, or a hole
/// between slots. Reported by imports and `verdant intensity`, never silently filled.
public struct IntensityGap: Hashable, Sendable, Codable {
    /// Start of the missing stretch, UTC.
    public var start: Date
    /// End of the missing stretch (exclusive), UTC.
    public var end: Date
    /// `null-value` (the source published the slot without a value) or `missing-slot` (no row).
    public var reason: String
    /// The 1-based line of the file where the gap was seen, for imports.
    public var line: Int?

    /// - Parameters: the stretch [start, end) (UTC), why it is missing, and the file line where seen.
    public init(start: Date, end: Date, reason: String, line: Int? = nil) {
        self.start = start
        self.end = end
        self.reason = reason
        self.line = line
    }

    /// Length of the gap (s).
    public var durationSeconds: Double { end.timeIntervalSince(start) }
}

/// A series of intensity slots of one zone and one signal kind, with the coverage and fill rules the
/// planner and the carbon accounting use.
///
/// Rules:
/// - Overlapping slots: the first one given for a start wins (callers pass actuals before forecasts,
///   and the newest forecast before older ones).
/// - Coverage: an instant is covered when it lies in a slot that has a value.
/// - Fill rule (`fillRadiusSeconds`, 12 h): a missing stretch (a slot without a value, or a hole
///   between slots) is charged the duration-weighted mean of the known slots that overlap the
///   stretch widened by 12 h on each side; with none, the static fallback. Values so filled are
///   flagged (`filledSeconds`). For 355, 384, null, 391 (hourly) the null hour is charged 376.67.
public struct IntensitySlotSeries: Sendable {
    /// The slots, sorted by start, without overlaps.
    public let slots: [IntensitySlot]
    /// gCO2eq/kWh used where neither a slot nor the fill rule gives a value.
    public let fallback: IntensityGramsPerKWh
    /// The fill rule's radius (s): 12 h, so a missing hour is filled from the same half-day.
    public static let fillRadiusSeconds: Double = 12 * 3600

    /// - Parameters:
    ///   - slots: any order; on equal or overlapping starts the earlier element of the array wins.
    ///   - fallback: the static value.
    public init(slots: [IntensitySlot], fallback: IntensityGramsPerKWh) {
        var seen = Set<Date>()
        var unique: [IntensitySlot] = []
        for s in slots where s.durationSeconds > 0 && !seen.contains(s.start) {
            seen.insert(s.start)
            unique.append(s)
        }
        unique.sort { $0.start < $1.start }
        var out: [IntensitySlot] = []
        for s in unique {
            if let last = out.last, s.start < last.end { continue }   // overlap: keep the earlier slot
            out.append(s)
        }
        self.slots = out
        self.fallback = fallback
    }

    /// Start of the first slot.
    public var start: Date? { slots.first?.start }
    /// End of the last slot.
    public var end: Date? { slots.last?.end }

    /// The signal kinds present (a plan needs exactly one).
    public var kinds: Set<IntensitySignalKind> { Set(slots.map(\.kind)) }

    /// Every missing stretch between the first slot's start and the last slot's end, in time order.
    public var gaps: [IntensityGap] {
        var out: [IntensityGap] = []
        for (i, s) in slots.enumerated() {
            if i > 0, slots[i - 1].end < s.start {
                out.append(IntensityGap(start: slots[i - 1].end, end: s.start, reason: "missing-slot"))
            }
            if s.value == nil { out.append(IntensityGap(start: s.start, end: s.end, reason: "null-value")) }
        }
        return out
    }

    /// Whether every instant of [from, to) lies in a slot with a value.
    public func isFullyCovered(from: Date, to: Date) -> Bool {
        guard to > from else { return knownValue(at: from) != nil }
        var t = from
        var i = slotIndex(containing: t)
        while t < to {
            guard let k = i, k < slots.count, slots[k].start <= t, t < slots[k].end, slots[k].value != nil else { return false }
            t = slots[k].end
            i = k + 1
        }
        return true
    }

    /// The value of the slot containing `t`, or `nil` when the slot has no value or there is none.
    public func knownValue(at t: Date) -> IntensityGramsPerKWh? {
        slotIndex(containing: t).flatMap { slots[$0].value }
    }

    /// The fill rule's value for a missing stretch [from, to): the duration-weighted mean of the known
    /// slots overlapping [from − 12 h, to + 12 h), or `nil` when there is none.
    public func fillValue(from: Date, to: Date) -> IntensityGramsPerKWh? {
        let lo = from.addingTimeInterval(-Self.fillRadiusSeconds), hi = to.addingTimeInterval(Self.fillRadiusSeconds)
        var sum = 0.0, weight = 0.0
        for s in slots where s.end > lo && s.start < hi {
            guard let v = s.value else { continue }
            let w = min(s.end, hi).timeIntervalSince(max(s.start, lo))
            sum += v.gramsPerKWh * w
            weight += w
        }
        return weight > 0 ? IntensityGramsPerKWh(sum / weight) : nil
    }

    /// The step function the planner and the accounting use: every slot's value, missing stretches
    /// replaced by the fill rule, the static fallback outside the slots.
    public func filledSeries() -> IntensitySeries {
        var points: [IntensityPoint] = []
        for (i, s) in slots.enumerated() {
            if i > 0, slots[i - 1].end < s.start {
                let prev = slots[i - 1]
                points.append(IntensityPoint(time: prev.end, intensity: fillValue(from: prev.end, to: s.start) ?? fallback))
            }
            points.append(IntensityPoint(time: s.start, intensity: s.value ?? fillValue(from: s.start, to: s.end) ?? fallback))
        }
        return IntensitySeries(points: points, fallback: fallback, coverageEnd: end)
    }

    /// Seconds of [from, to) that are not covered by a known value (and so are charged by the fill
    /// rule or the static fallback). 0 when the whole interval is covered.
    public func filledSeconds(from: Date, to: Date) -> Double {
        guard to > from else { return 0 }
        var covered = 0.0
        for s in slots where s.value != nil && s.end > from && s.start < to {
            covered += min(s.end, to).timeIntervalSince(max(s.start, from))
        }
        return max(0, to.timeIntervalSince(from) - covered)
    }

    /// The slots that overlap [from, to).
    public func slots(from: Date, to: Date) -> [IntensitySlot] {
        slots.filter { $0.end > from && $0.start < to }
    }

    private func slotIndex(containing t: Date) -> Int? {
        var lo = 0, hi = slots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if slots[mid].start <= t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, t < slots[lo - 1].end else { return nil }
        return lo - 1
    }
}
