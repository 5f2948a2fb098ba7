// Standalone -O replay of `verdant simulate` with a forecaster (default `model`), at submission and
// with `--replan` (both modes) and `--replan-scope queued` (interruptible): the same VerdantCore calls
// as the command (ScenarioSimulation.load, modelForecast, run, runReplanning), so the same figures;
// one JSON line per run (the command's JSON keys, plus the run's name and figures of its own).
// Each run gets a fresh forecaster, as each `verdant simulate` process does; the two at-submission
// runs share one (their decisions are at the same slots in the same order, so they ask for the same
// forecasts: sharing them changes nothing but the time).
// Build: swiftc -O -module-name VerdantCore Sources/VerdantCore/*.swift scripts/planning-forecast/replan/main.swift -o replan
// Run:   replan TRACE JOBS [model|ridge|naive|persistence|oracle] [submit,replan,queued]
// Environment: REPLAN_SAVINGS=0.02,0.01 (min-replan-saving fractions for the re-planning runs, default
// 0.02, the default policy's); HEDGE=λ[,λ2…] (default 0; λ < 0 optimistic); SUBMIT_HEDGE=λ0 (the
// re-planning runs price a job's first plan with λ0, `PlannerSettings.submissionHedge`); FIT_CACHE=0 fits every window afresh (checks that
// RidgeFitCache changes nothing); MEMO=0 trains in every run (RidgeTrainingMemo changes nothing).
// Planning-forecast grid (`model` only; docs/scheduling.md, "The planning forecast under re-planning"):
// DECAY_HOURS=24[,12…] and CLIM_WEEKS=8[,4…]: ClimatologyShrinkForecaster's e-folding horizon (hours)
// and climatology weeks (shipped: 24 h, 8 weeks). SHAPE=hold:power[,…] (prototype, ShapedShrinkForecaster
// below): base weight exp(−(max(0, h − hold)/decay)^power); 0:1 (default) is the shipped exp(−h/decay)
// and uses ClimatologyShrinkForecaster itself. AVG_ORIGINS=1[,3…] (prototype, OriginAveragingForecaster
// below): per target slot, the mean of the forecasts issued at the last N origins; 1 (default): none.
// The re-planning runs replay every (hedge, shape, weeks, decay, origins, threshold) in that nesting
// order, each with a fresh forecaster; the at-submission pair uses the first shape, weeks and decay
// and no averaging. JSON adds decay_hours, climatology_weeks, shape_hold_hours, shape_power,
// averaged_origins.
import Foundation
let a = CommandLine.arguments
guard a.count >= 3 else {
    FileHandle.standardError.write(Data("usage: replan TRACE JOBS [model|ridge|naive|persistence|oracle] [submit,replan,queued]\n".utf8))
    exit(64)
}
let env = ProcessInfo.processInfo.environment
let which = a.count > 3 ? a[3] : "model"
let modes = Set((a.count > 4 ? a[4] : "submit,replan,queued").split(separator: ",").map(String.init))
let decays = (env["DECAY_HOURS"] ?? "24").split(separator: ",").compactMap { Double($0) }
let climWeeks = (env["CLIM_WEEKS"] ?? "8").split(separator: ",").compactMap { Int($0) }
let avgOrigins = (env["AVG_ORIGINS"] ?? "1").split(separator: ",").compactMap { Int($0) }
let shapes: [(Double, Double)] = (env["SHAPE"] ?? "0:1").split(separator: ",").map { s in
    let p = s.split(separator: ":").compactMap { Double($0) }
    return (p[0], p.count > 1 ? p[1] : 1)
}
var shape = shapes[0]
var decayHours = decays.first ?? 24, climatologyWeeks = climWeeks.first ?? 8, averagedOrigins = 1
var settings = PlannerSettings()
// HEDGE=λ[,λ2…]: the at-submission runs use the first, the re-planning runs each in turn.
let hedges = (env["HEDGE"] ?? "0").split(separator: ",").compactMap { Double($0) }
settings.hedge = hedges.first ?? 0
let loaded = ScenarioSimulation.load(points: try IntensityTraceCSV.parse(try String(contentsOfFile: a[1], encoding: .utf8)).points,
                                     scenario: try ScenarioJobsCSV.parse(try String(contentsOfFile: a[2], encoding: .utf8)),
                                     slotSeconds: 1800, settings: settings)
var sim = loaded.simulation
let inside = loaded.jobs, horizon = loaded.maxHorizonSlots
let useFitCache = env["FIT_CACHE"] != "0"
// One memo of trained models for every run of this trace (RidgeTrainingMemo: same forecasts, each
// weekly model trained once); MEMO=0 trains in every run.
let memo: RidgeTrainingMemo? = env["MEMO"] == "0" ? nil : RidgeTrainingMemo()
if !useFitCache { memo?.fitCache = nil }

/// A fresh forecast function, as one `verdant simulate --forecast which` process has.
func makeForecast() -> (Int, Int) -> SimulatedForecast {
    func ridge() -> RidgeIntensityForecaster {
        let r = RidgeIntensityForecaster()
        if !useFitCache { r.fitCache = nil }
        r.trainingMemo = memo
        return r
    }
    switch which {
    case "oracle": return sim.oracleForecast
    case "ridge": return sim.modelForecast(ridge(), maxHorizonSlots: horizon)
    case "naive": return sim.modelForecast(SeasonalNaiveForecaster(periodHours: 24), maxHorizonSlots: horizon)
    case "persistence": return sim.modelForecast(PersistenceForecaster(), maxHorizonSlots: horizon)
    default:
        let shrunk: any IntensityForecaster = shape == (0, 1)
            ? ClimatologyShrinkForecaster(base: ridge(), climatologyWeeks: climatologyWeeks, decayHours: decayHours)
            : ShapedShrinkForecaster(base: ridge(), weeks: climatologyWeeks, decayHours: decayHours, holdHours: shape.0, power: shape.1)
        if averagedOrigins > 1 {
            return sim.modelForecast(OriginAveragingForecaster(base: shrunk, origins: averagedOrigins), maxHorizonSlots: horizon)
        }
        return sim.modelForecast(shrunk, maxHorizonSlots: horizon)
    }
}
/// Times the forecasts and keeps them per origin (for the at-submission pair). Each origin is asked for
/// the whole horizon and cut to the call's: what `modelForecast` asks the model for anyway.
final class Timed {
    let f: (Int, Int) -> SimulatedForecast
    let keep: Bool
    var kept: [Int: SimulatedForecast] = [:]
    var seconds = 0.0
    init(keep: Bool) { f = makeForecast(); self.keep = keep }
    func call(_ s0: Int, _ h: Int) -> SimulatedForecast {
        let full: SimulatedForecast
        if keep, let k = kept[s0] { full = k } else {
            let t0 = Date()
            full = f(s0, max(h, horizon))
            seconds += Date().timeIntervalSince(t0)
            if keep { kept[s0] = full }
        }
        return SimulatedForecast(intensityGramsPerKWh: Array(full.intensityGramsPerKWh.prefix(h)),
                                 upperGramsPerKWh: full.upperGramsPerKWh.map { Array($0.prefix(h)) })
    }
}
func emit(_ run: String, interruptible: Bool, threshold: Double?, _ r: SimulationResult, moves: Int? = nil, forecasts: Int? = nil,
          forecastSeconds: Double, wallSeconds: Double) {
    var o: [String: Any] = [
        "trace": a[1], "forecast": which, "run": run, "interruptible": interruptible, "hedge": sim.settings.hedge,
        "run_now_carbon_g": r.runNowCarbonGrams, "planned_carbon_g": r.plannedCarbonGrams, "oracle_carbon_g": r.oracleCarbonGrams,
        "savings_pct": r.savingsPct, "oracle_savings_pct": r.oracleSavingsPct, "deadline_misses": r.deadlineMisses,
        "jobs": r.jobs, "left_out": loaded.leftOut, "shift_days": Int(loaded.shiftSeconds / 86400),
        "share_of_oracle_pct": r.oracleSavingsPct != 0 ? 100 * r.savingsPct / r.oracleSavingsPct : Double.nan,
        "planning_seconds": r.planningSeconds, "forecast_seconds": forecastSeconds, "wall_seconds": wallSeconds,
    ]
    if let threshold { o["min_replan_saving"] = threshold }
    if let h0 = sim.settings.submissionHedge { o["submission_hedge"] = h0 }
    if which == "model" { o["shape_hold_hours"] = shape.0; o["shape_power"] = shape.1; o["decay_hours"] = decayHours; o["climatology_weeks"] = climatologyWeeks; o["averaged_origins"] = averagedOrigins }
    if let memo { o["trainings_run"] = memo.misses; o["trainings_reused"] = memo.hits }
    if let moves { o["replan_moves"] = moves }
    if let forecasts { o["forecasts"] = forecasts }
    let d = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
    print(String(decoding: d, as: UTF8.self))
    fflush(stdout)
}
if modes.contains("submit") {
    let c = Timed(keep: true)
    for inter in [false, true] {
        let t0 = Date(), f0 = c.seconds
        let r = sim.run(jobs: inside, interruptible: inter, forecast: c.call)
        emit("at-submission", interruptible: inter, threshold: nil, r, forecastSeconds: c.seconds - f0, wallSeconds: Date().timeIntervalSince(t0))
    }
}
let thresholds = (env["REPLAN_SAVINGS"] ?? "0.02").split(separator: ",").compactMap { Double($0) }
for hedge in hedges { for sh in shapes { for weeks in climWeeks { for decay in decays { for avg in avgOrigins { for threshold in thresholds {
    climatologyWeeks = weeks; decayHours = decay; averagedOrigins = avg; shape = sh
    sim.settings.minimumReplanSaving = threshold
    sim.settings.hedge = hedge
    sim.settings.submissionHedge = env["SUBMIT_HEDGE"].flatMap { Double($0) }
    var runs: [(String, Bool, ReplanScope)] = []
    if modes.contains("replan") { runs += [("replan", false, .remainingWork), ("replan", true, .remainingWork)] }
    if modes.contains("queued") { runs.append(("replan-queued", true, .queuedOnly)) }
    for (name, inter, scope) in runs {
        let c = Timed(keep: false), t0 = Date()
        let (r, fig) = sim.runReplanning(jobs: inside, interruptible: inter, scope: scope, horizonSlots: horizon, forecast: c.call)
        emit(name, interruptible: inter, threshold: threshold, r, moves: fig.moves, forecasts: fig.forecasts,
             forecastSeconds: c.seconds, wallSeconds: Date().timeIntervalSince(t0))
    }
}}}}}}   // threshold, origins, decay, weeks, shape, hedge

/// Prototype (replay only): per target slot, the mean of the points the base forecaster issued for it at
/// the last `origins` origins (this one included; origins one slot apart, as re-planning asks). Keeps the
/// last `origins` forecasts; a target slot an older forecast does not cover keeps the ones that do.
final class OriginAveragingForecaster: IntensityForecaster {
    let base: any IntensityForecaster
    let origins: Int
    var issued: [(origin: Date, points: [IntensityForecastPoint])] = []
    var name: String { "\(base.name)+origin-mean\(origins)" }
    init(base: any IntensityForecaster, origins: Int) { self.base = base; self.origins = origins }
    func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        let now = base.forecast(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots)
        issued.removeAll { $0.origin >= origin || origin.timeIntervalSince($0.origin) >= Double(origins * slotSeconds) }
        var out = now
        for k in now.indices {
            var sum = now[k].intensityGramsPerKWh, n = 1.0
            for e in issued {
                let j = k + Int((origin.timeIntervalSince(e.origin) / Double(slotSeconds)).rounded())
                if j < e.points.count { sum += e.points[j].intensityGramsPerKWh; n += 1 }
            }
            let v = sum / n, shift = v - now[k].intensityGramsPerKWh
            out[k] = IntensityForecastPoint(intensityGramsPerKWh: v, lowerGramsPerKWh: min(v, max(0, now[k].lowerGramsPerKWh + shift)),
                                            upperGramsPerKWh: max(v, now[k].upperGramsPerKWh + shift))
        }
        issued.append((origin, now))
        return out
    }
}

/// Prototype (replay only): ClimatologyShrinkForecaster with base weight exp(−(max(0, h − hold)/decay)^power).
final class ShapedShrinkForecaster: IntensityForecaster {
    let base: any IntensityForecaster
    let weeks: Int, decayHours: Double, holdHours: Double, power: Double
    var name: String { "\(base.name)+shaped-climatology" }
    init(base: any IntensityForecaster, weeks: Int, decayHours: Double, holdHours: Double, power: Double) {
        self.base = base; self.weeks = weeks; self.decayHours = decayHours; self.holdHours = holdHours; self.power = power
    }
    func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        var points = base.forecast(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots)
        let clim = ClimatologyShrinkForecaster.weeklyClimatology(history: history, slotSeconds: slotSeconds, horizonSlots: points.count, weeks: weeks)
        for k in points.indices {
            guard let c = clim[k] else { continue }
            let h = Double(k * slotSeconds) / 3600
            let w = exp(-pow(max(0, h - holdHours) / decayHours, power))
            let p = points[k]
            let v = max(0, w * p.intensityGramsPerKWh + (1 - w) * c), shift = v - p.intensityGramsPerKWh
            points[k] = IntensityForecastPoint(intensityGramsPerKWh: v, lowerGramsPerKWh: min(v, max(0, p.lowerGramsPerKWh + shift)),
                                               upperGramsPerKWh: max(v, p.upperGramsPerKWh + shift))
        }
        return points
    }
}
