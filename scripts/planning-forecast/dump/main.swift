// Dumps, for the LWA scenario on a trace, the model's forecast at each job's decision: binary float64.
import Foundation
let a = CommandLine.arguments
let traceText = try String(contentsOfFile: a[1], encoding: .utf8)
let jobsText = try String(contentsOfFile: a[2], encoding: .utf8)
let outPath = a[3]
let slotSeconds = 1800.0
let loaded = ScenarioSimulation.load(points: try IntensityTraceCSV.parse(traceText).points,
                                     scenario: try ScenarioJobsCSV.parse(jobsText), slotSeconds: slotSeconds)
let sim = loaded.simulation, slots = sim.trace, count = loaded.slotCount, origin = sim.origin
let inside = loaded.jobs, horizon = loaded.maxHorizonSlots
let model = RidgeIntensityForecaster()
var out = Data()
func put(_ x: Double) { var v = x; withUnsafeBytes(of: &v) { out.append(contentsOf: $0) } }
// header: count slots, then trace (nan missing), then jobs
put(Double(count)); for s in slots { put(s ?? .nan) }
put(Double(inside.count)); put(Double(horizon))
var cache: [Int: [IntensityForecastPoint]] = [:]
for (i, j) in inside.enumerated() {
    let s0 = sim.slot(of: j.submittedAt)
    let h = sim.horizonSlots(j)
    put(Double(s0)); put(Double(h)); put(j.durationSeconds); put(j.submittedAt.timeIntervalSince(origin)); put(j.deadline.timeIntervalSince(origin)); put(j.powerWatts)
    let pts: [IntensityForecastPoint]
    if let c = cache[s0] { pts = c } else {
        pts = model.forecast(history: sim.history(before: s0), origin: origin.addingTimeInterval(Double(s0) * slotSeconds), slotSeconds: Int(slotSeconds), horizonSlots: horizon)
        cache[s0] = pts
    }
    for p in pts { put(p.intensityGramsPerKWh); put(p.lowerGramsPerKWh); put(p.upperGramsPerKWh) }
    if i % 200 == 0 { FileHandle.standardError.write(Data("\(i)/\(inside.count)\n".utf8)) }
}
try out.write(to: URL(fileURLWithPath: outPath))
