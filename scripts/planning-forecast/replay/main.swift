// Standalone -O replay of `verdant simulate --forecast model` (both modes), same VerdantCore code path.
import Foundation
let a = CommandLine.arguments
let points = try IntensityTraceCSV.parse(try String(contentsOfFile: a[1], encoding: .utf8)).points
var scenario = try ScenarioJobsCSV.parse(try String(contentsOfFile: a[2], encoding: .utf8))
let slotSeconds = 1800.0
let first = points.first!.time, last = points.last!.time
let origin = Date(timeIntervalSince1970: (first.timeIntervalSince1970 / slotSeconds).rounded(.down) * slotSeconds)
let count = Int((last.timeIntervalSince(origin) / slotSeconds).rounded(.down)) + 1
let slots = SlotResampling.slotMeans(points, origin: origin, slotSeconds: slotSeconds, count: count)
let sim = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: slotSeconds)
let shift = ScenarioReplay.weekShiftSeconds(firstSubmission: scenario.map(\.submittedAt).min()!, traceStart: origin, traceEnd: origin.addingTimeInterval(Double(count) * slotSeconds))
if shift != 0 { scenario = ScenarioReplay.shift(scenario, by: shift) }
let inside = scenario.filter(sim.covers)
let horizon = inside.map(sim.horizonSlots).max() ?? 1
let model: any IntensityForecaster = a.count > 3 && a[3] == "ridge" ? RidgeIntensityForecaster() : ClimatologyShrinkForecaster(base: RidgeIntensityForecaster())
var cache: [Int: [IntensityForecastPoint]] = [:]
let f: (Int, Int) -> SimulatedForecast = { s0, h in
    let pts: [IntensityForecastPoint]
    if let c = cache[s0] { pts = c } else {
        pts = model.forecast(history: sim.history(before: s0), origin: origin.addingTimeInterval(Double(s0) * slotSeconds), slotSeconds: Int(slotSeconds), horizonSlots: max(h, horizon))
        cache[s0] = pts
    }
    let p = pts.prefix(h)
    return SimulatedForecast(intensityGramsPerKWh: p.map { $0.intensityGramsPerKWh }, upperGramsPerKWh: p.map { $0.upperGramsPerKWh })
}
for inter in [false, true] {
    let r = sim.run(jobs: inside, interruptible: inter, forecast: f)
    print("\(model.name) interruptible=\(inter) jobs=\(r.jobs) saving=\(String(format: "%.2f", r.savingsPct)) oracle=\(String(format: "%.2f", r.oracleSavingsPct)) share=\(String(format: "%.1f", 100 * r.savingsPct / r.oracleSavingsPct)) misses=\(r.deadlineMisses)")
}
