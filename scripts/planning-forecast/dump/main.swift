// Dumps, for the LWA scenario on a trace, the model's forecast at each job's decision: binary float64.
import Foundation
let a = CommandLine.arguments
let traceText = try String(contentsOfFile: a[1], encoding: .utf8)
let jobsText = try String(contentsOfFile: a[2], encoding: .utf8)
let outPath = a[3]
let points = try IntensityTraceCSV.parse(traceText).points
var scenario = try ScenarioJobsCSV.parse(jobsText)
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
