// Standalone -O replay of `verdant simulate --forecast model` at submission and with `--replan`
// (both modes, and `--replan-scope queued` interruptible), same VerdantCore code path; forecasts are
// cached per slot origin (one forecaster and cache for the at-submission runs, a fresh one for the
// re-planning runs, so each sees the same forecasts as the `verdant simulate` command it stands for).
// Build: swiftc -O -module-name VerdantCore Sources/VerdantCore/*.swift scripts/planning-forecast/replan/main.swift -o replan
// Run:   replan TRACE JOBS [model|ridge|naive|oracle]
import Foundation
let a = CommandLine.arguments
let points = try IntensityTraceCSV.parse(try String(contentsOfFile: a[1], encoding: .utf8)).points
var scenario = try ScenarioJobsCSV.parse(try String(contentsOfFile: a[2], encoding: .utf8))
let which = a.count > 3 ? a[3] : "model"
let slotSeconds = 1800.0
let first = points.first!.time, last = points.last!.time
let origin = Date(timeIntervalSince1970: (first.timeIntervalSince1970 / slotSeconds).rounded(.down) * slotSeconds)
let count = Int((last.timeIntervalSince(origin) / slotSeconds).rounded(.down)) + 1
let slots = SlotResampling.slotMeans(points, origin: origin, slotSeconds: slotSeconds, count: count)
var sim = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: slotSeconds)
let shift = ScenarioReplay.weekShiftSeconds(firstSubmission: scenario.map(\.submittedAt).min()!, traceStart: origin, traceEnd: origin.addingTimeInterval(Double(count) * slotSeconds))
if shift != 0 { scenario = ScenarioReplay.shift(scenario, by: shift) }
let inside = scenario.filter(sim.covers)
let horizon = inside.map(sim.horizonSlots).max() ?? 1
func makeModel() -> any IntensityForecaster {
    switch which {
    case "ridge": return RidgeIntensityForecaster()
    case "naive": return SeasonalNaiveForecaster(periodHours: 24)
    default: return ClimatologyShrinkForecaster(base: RidgeIntensityForecaster())
    }
}
final class Cached {
    let model = makeModel()
    var cache: [Int: [IntensityForecastPoint]] = [:]
    var seconds = 0.0
    func f(_ s0: Int, _ h: Int) -> SimulatedForecast {
        if which == "oracle" { return sim.oracleForecast(s0, h) }
        let pts: [IntensityForecastPoint]
        if let c = cache[s0] { pts = c } else {
            let t0 = Date()
            pts = model.forecast(history: sim.history(before: s0), origin: origin.addingTimeInterval(Double(s0) * slotSeconds), slotSeconds: Int(slotSeconds), horizonSlots: max(h, horizon))
            seconds += Date().timeIntervalSince(t0)
            cache[s0] = pts
        }
        let p = pts.prefix(h)
        return SimulatedForecast(intensityGramsPerKWh: p.map { $0.intensityGramsPerKWh }, upperGramsPerKWh: p.map { $0.upperGramsPerKWh })
    }
}
func line(_ label: String, _ r: SimulationResult, _ extra: String = "") {
    print("\(which) \(label) jobs=\(r.jobs) saving=\(String(format: "%.2f", r.savingsPct)) oracle=\(String(format: "%.2f", r.oracleSavingsPct)) share=\(String(format: "%.1f", 100 * r.savingsPct / r.oracleSavingsPct)) misses=\(r.deadlineMisses) planning_s=\(String(format: "%.2f", r.planningSeconds))\(extra)")
    fflush(stdout)
}
let modes = Set(a.count > 4 ? a[4].split(separator: ",").map(String.init) : ["submit", "replan", "queued"])
if modes.contains("submit") {
    let c = Cached()
    for inter in [false, true] { line("at-submission interruptible=\(inter)", sim.run(jobs: inside, interruptible: inter, forecast: c.f)) }
    print("  forecasts=\(c.cache.count) forecast_s=\(String(format: "%.1f", c.seconds))")
}
let c = Cached()
// REPLAN_SAVINGS: comma-separated min-replan-saving fractions to replay (default 0.02, the default policy's);
// every one reuses the same cached forecasts.
let thresholds = (ProcessInfo.processInfo.environment["REPLAN_SAVINGS"] ?? "0.02").split(separator: ",").compactMap { Double($0) }
for threshold in thresholds {
    sim.settings.minimumReplanSaving = threshold
    let tag = threshold == 0.02 ? "" : " min-replan-saving=\(threshold)"
    if modes.contains("replan") {
        for inter in [false, true] {
            let (r, fig) = sim.runReplanning(jobs: inside, interruptible: inter, horizonSlots: horizon, forecast: c.f)
            line("replan interruptible=\(inter)\(tag)", r, " moves=\(fig.moves) forecasts=\(fig.forecasts) forecast_s_so_far=\(String(format: "%.1f", c.seconds))")
        }
    }
    if modes.contains("queued") {
        let (r, fig) = sim.runReplanning(jobs: inside, interruptible: true, scope: .queuedOnly, horizonSlots: horizon, forecast: c.f)
        line("replan-queued interruptible=true\(tag)", r, " moves=\(fig.moves) forecasts=\(fig.forecasts)")
    }
}
