import Foundation
import VerdantCore
import VerdantStore

// MARK: The daemon's planning forecast (issue 6): the forecast `verdant simulate --forecast model` plans with.

/// A trained ridge model as an `IntensityForecaster`, used as it is (never retrained here: the daemon
/// retrains on its own schedule, `IntensityForecastManager.retrainDue`). Steps past the model's
/// horizon (48 h) reuse its last step, as `TrainedIntensityModel.forecast` does.
final class StoredModelForecaster: IntensityForecaster {
    let model: TrainedIntensityModel
    var name: String { model.name }
    init(model: TrainedIntensityModel) { self.model = model }
    func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        model.forecast(history: history, origin: origin, horizonSlots: horizonSlots)
    }
}

extension IntensityForecastManager {
    /// Weeks of stored actuals a planning forecast reads: the climatology's 8 weeks
    /// (`ClimatologyShrinkForecaster.climatologyWeeks`), one more for the steps of the second week
    /// ahead, and one for the model's same-time-last-week features.
    static let planningHistoryWeeks = 10
    /// How far the planning forecast reaches (s): 7 days, as far as the chain's selection looks.
    static let planningHorizonSeconds: Double = 7 * 86400
    /// Known actuals (s) the planning forecast needs: one day, the period of its weakest base
    /// (seasonal naive 24 h); with less, a forecast would be the last value repeated, no better than
    /// the static value for planning.
    static let planningMinimumKnownSeconds: Double = 86400

    /// The forecaster the planner uses for a zone: the model in force (stored `in_use`, same slot as
    /// the actuals) or seasonal naive 24 h, shrunk toward the weekly climatology with the horizon
    /// (`ClimatologyShrinkForecaster`: weight exp(−h / 24 h) on the base, the rest on the mean of the
    /// same time of week over the last 8 weeks; the policy's `forecast-decay` replaces the 24 h): the
    /// forecast `verdant simulate --forecast model` plans with (docs/scheduling.md, "In the daemon").
    func planningForecaster(zone: String, slotSeconds: Int) -> any IntensityForecaster {
        let entry = current[zone]
        let decay = planningDecayHours.withLock { $0 }
        if let m = entry?.model, entry?.record?.inUse ?? m.beatsSeasonalNaive, m.slotSeconds == slotSeconds {
            return ClimatologyShrinkForecaster(base: StoredModelForecaster(model: m), decayHours: decay)
        }
        return ClimatologyShrinkForecaster(base: SeasonalNaiveForecaster(periodHours: 24), decayHours: decay)
    }

    /// The chain's forecaster link: the zone's stored actuals of the last day, then the planning
    /// forecast (`planningForecaster`) from the slot boundary at or before `now` for
    /// `planningHorizonSeconds`, as average-signal slots of the actuals' length, source `forecaster`,
    /// issued at `now`. Trains a model first when the zone has none yet. Nil when fewer than
    /// `planningMinimumKnownSeconds` of actuals are stored in the history read (the chain then falls to
    /// the static value). Reads only actuals that ended by `now` (trace time under replay).
    public func planningSlots(zone: String, now: Date) -> [IntensitySlot]? {
        if current[zone] == nil { _ = retrain(zone: zone, now: now) }
        guard let g = try? grid(zone: zone, now: now, weeks: Self.planningHistoryWeeks) else { return nil }
        let slotCount = Int((now.timeIntervalSince(g.start) / Double(g.slotSeconds)).rounded(.down))
        guard slotCount > 0 else { return nil }
        var values = g.values
        if slotCount > values.count { values += [Double?](repeating: nil, count: slotCount - values.count) }
        values = Array(values.prefix(slotCount))
        guard Double(IntensityForecasting.knownCount(values[...]) * g.slotSeconds) >= Self.planningMinimumKnownSeconds else { return nil }
        let origin = g.time(values.count)
        let horizon = max(1, Int((Self.planningHorizonSeconds / Double(g.slotSeconds)).rounded(.up)))
        let points = planningForecaster(zone: zone, slotSeconds: g.slotSeconds)
            .forecast(history: values[...], origin: origin, slotSeconds: g.slotSeconds, horizonSlots: horizon)
        let slot = Double(g.slotSeconds)
        let dayBack = max(0, values.count - Int(86400 / slot))
        var out: [IntensitySlot] = []
        for i in dayBack..<values.count {
            guard let v = values[i] else { continue }
            out.append(IntensitySlot(zone: zone, start: g.time(i), durationSeconds: slot, value: IntensityGramsPerKWh(v),
                                     kind: .average, source: "forecaster"))
        }
        for (k, p) in points.enumerated() {
            var s = IntensitySlot(zone: zone, start: origin.addingTimeInterval(Double(k) * slot), durationSeconds: slot,
                                  value: IntensityGramsPerKWh(p.intensityGramsPerKWh), kind: .average, source: "forecaster", issuedAt: now)
            s.upperGramsPerKWh = p.upperGramsPerKWh   // the interval's upper bound: the planner's hedge reads it
            out.append(s)
        }
        return out
    }
}

extension IntensityChain {
    /// Makes the learned model's planning forecast (`IntensityForecastManager.planningSlots`) the
    /// chain's forecaster link.
    func useForecastManager(_ manager: IntensityForecastManager) {
        useForecaster { zone, now in await manager.planningSlots(zone: zone, now: now) }
    }
}
