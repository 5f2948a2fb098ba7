import Foundation

/// A scenario put on a trace's slot grid, ready to run (`ScenarioSimulation.load`).
public struct LoadedScenario {
    /// The simulation on the trace's slots (no outage, policy values at their defaults).
    public var simulation: ScenarioSimulation
    /// The jobs inside the trace, after the whole-week shift.
    public var jobs: [ScenarioJob]
    /// Whole-week shift applied to every job (s; 0 when the scenario already starts inside the trace).
    public var shiftSeconds: Double
    /// Jobs of the file (after the shift) whose submission or deadline lies outside the trace.
    public var leftOut: Int
    /// Slots in the grid.
    public var slotCount: Int
    /// The longest submission-to-deadline window, slots (at least 1): the horizon every forecast covers.
    public var maxHorizonSlots: Int
}

extension ScenarioSimulation {
    /// The steps shared by `verdant simulate` and the replay tools of scripts/planning-forecast
    /// (docs/scheduling.md, "`verdant simulate`" and "Other traces' years"): the trace averaged to
    /// `slotSeconds` slots from the slot of its first point to the end of its last point's
    /// (`SlotResampling.slotMeans`), the scenario shifted by whole weeks into the trace when it starts
    /// outside it (`ScenarioReplay`), and the jobs whose submission or deadline then lies outside the
    /// trace left out.
    /// - Parameters: points: the trace, in time order, at least one; scenario: the job file's jobs, at
    ///   least one; slotSeconds: slot length (s, > 0); settings: the planner's.
    public static func load(points: [IntensityPoint], scenario: [ScenarioJob], slotSeconds: Double,
                            settings: PlannerSettings = PlannerSettings()) -> LoadedScenario {
        precondition(!points.isEmpty && !scenario.isEmpty && slotSeconds > 0)
        let first = points.first!.time, last = points.last!.time
        let origin = Date(timeIntervalSince1970: (first.timeIntervalSince1970 / slotSeconds).rounded(.down) * slotSeconds)
        let count = Int((last.timeIntervalSince(origin) / slotSeconds).rounded(.down)) + 1
        let slots = SlotResampling.slotMeans(points, origin: origin, slotSeconds: slotSeconds, count: count)
        let sim = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: slotSeconds, settings: settings)
        let shift = ScenarioReplay.weekShiftSeconds(firstSubmission: scenario.map(\.submittedAt).min()!, traceStart: origin,
                                                    traceEnd: origin.addingTimeInterval(Double(count) * slotSeconds))
        let shifted = shift != 0 ? ScenarioReplay.shift(scenario, by: shift) : scenario
        let inside = shifted.filter(sim.covers)
        return LoadedScenario(simulation: sim, jobs: inside, shiftSeconds: shift, leftOut: shifted.count - inside.count,
                              slotCount: count, maxHorizonSlots: inside.map(sim.horizonSlots).max() ?? 1)
    }

    /// The forecast a decision at slot s0 gets from `model` (`verdant simulate --forecast model|ridge|naive|persistence`):
    /// the model fed the history before s0 (`history(before:)`), asked for `max(h, maxHorizonSlots)`
    /// slots (one horizon for every call, so a model trained per horizon step retrains on its own
    /// schedule only, not whenever a longer window comes), cut to h; no forecast at all (every slot
    /// nil) while the history holds no known value. The points and upper bounds of the interval.
    ///
    /// The last origin's forecast is kept and handed back when the next call has the same origin (the
    /// jobs submitted in one slot): the model would give the same points again, since a forecast at an
    /// origin leaves the model due for retraining only at a later one.
    public func modelForecast(_ model: any IntensityForecaster, maxHorizonSlots: Int) -> (Int, Int) -> SimulatedForecast {
        let box = LastForecast()
        let sim = self
        let slotSeconds = Int(sim.slotSeconds)
        return { s0, h in
            let points: [IntensityForecastPoint]
            if let (origin, kept) = box.kept, origin == s0, kept.count >= h {
                points = kept
            } else {
                let history = sim.history(before: s0)
                guard IntensityForecasting.knownCount(history) > 0 else {
                    return SimulatedForecast(intensityGramsPerKWh: Array(repeating: nil, count: h))
                }
                points = model.forecast(history: history, origin: sim.origin.addingTimeInterval(Double(s0) * sim.slotSeconds),
                                        slotSeconds: slotSeconds, horizonSlots: max(h, maxHorizonSlots))
                box.kept = (s0, points)
            }
            let p = points.prefix(h)
            return SimulatedForecast(intensityGramsPerKWh: p.map { $0.intensityGramsPerKWh }, upperGramsPerKWh: p.map { $0.upperGramsPerKWh })
        }
    }
}

/// The last forecast `modelForecast` made, with its origin slot.
final class LastForecast {
    var kept: (Int, [IntensityForecastPoint])?
}
