// A stand-alone, optimised build of `verdant forecast eval --json` over VerdantCore only, for machines
// where a release build of the whole CLI is too slow. Same code path (ForecastTraceText, ForecastBacktest,
// RidgeIntensityForecaster), same numbers. Built by scripts/forecast-report --direct (as main.swift).
import Foundation

let args = CommandLine.arguments.dropFirst()
guard args.count >= 2 else { FileHandle.standardError.write(Data("usage: eval-main HORIZONS FILE...\n".utf8)); exit(64) }
let horizons = args.first!.split(separator: ",").map { s -> Double in
    let t = String(s)
    if t.hasSuffix("m") { return Double(t.dropLast())! / 60 }
    return Double(t.dropLast())!
}
var out: [[String: Any]] = []
for path in args.dropFirst() {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let t = try ForecastTraceText.parse(text, fileName: URL(fileURLWithPath: path).lastPathComponent, zone: nil)
    var b = ForecastBacktest(grid: t.grid, operatorForecast: t.operatorForecast, horizonsHours: horizons)
    b.originStrideHours = 1
    let model = RidgeIntensityForecaster()
    let start = Date()
    let scores = b.run(model: model)
    FileHandle.standardError.write(Data("\(t.zone): \(b.origins.count) origins, \(model.trainingCount) trainings, \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n".utf8))
    out.append(["trace": path, "zone": t.zone, "slot_s": t.grid.slotSeconds, "origins": b.origins.count,
                "horizons": scores.map { ["horizon_h": $0.horizonHours, "mape": $0.mape, "mae": $0.mae,
                                          "interval_coverage": $0.intervalCoverage, "count": $0.count] as [String: Any] }])
}
print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
