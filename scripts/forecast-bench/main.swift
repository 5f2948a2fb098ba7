// The timings of `verdant forecast bench` (ForecastEvalCommand.swift) over VerdantCore only, for a
// machine where a release build of the CLI is too slow (docs/models.md, "Speed", session 10): one-year
// fit (52 weeks, no folds), the default retrain, 48 h forecasts.
// Build: swiftc -O -module-name VerdantCore Sources/VerdantCore/*.swift scripts/forecast-bench/main.swift -o /tmp/forecast-bench
// Usage: forecast-bench synthetic|TRACE [repeats] [old]
//   synthetic: the command's synthetic half-hourly year; old: the session-7 configuration (8 weeks,
//   8 folds, equal weights, free blend weights) instead of the default.
import Foundation
let a = CommandLine.arguments
let grid: IntensityGrid
if a[1] == "synthetic" {
    // The synthetic year of `verdant forecast bench` (ForecastEvalCommand.swift).
    grid = .syntheticBenchmarkYear()
} else {
    let text = try String(contentsOfFile: a[1], encoding: .utf8)
    grid = try ForecastTraceText.parse(text, fileName: URL(fileURLWithPath: a[1]).lastPathComponent, zone: nil).grid
}
let repeats = a.count > 2 ? Int(a[2])! : 1000
var base = RidgeIntensityForecaster.Configuration()
if a.count > 3 && a[3] == "old" {
    base.trainingWeeks = 8; base.validationFolds = 8; base.recencyHalfLifeWeeks = 0; base.monotoneModelWeight = false
}
let sph = 3600 / grid.slotSeconds
let yearSlots = 52 * 168 * sph
let horizon = 48 * sph
let n = grid.values.count
let history = grid.values[0..<n]
let origin = grid.time(n)
var year = base
year.trainingWeeks = 52; year.validationFolds = 0
if n >= yearSlots + 168 * sph {
    let t0 = Date()
    let m = RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: grid.slotSeconds, horizonSlots: horizon, configuration: year)
    print(String(format: "train one year (52 weeks, %d steps, %d features): %.3f s", horizon, m?.featureNames.count ?? 0, Date().timeIntervalSince(t0)))
}
let t1 = Date()
let model = RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: grid.slotSeconds, horizonSlots: horizon, configuration: base)!
print(String(format: "default retrain (%d weeks + %d validation folds): %.3f s", base.trainingWeeks, base.validationFolds, Date().timeIntervalSince(t1)))
let t2 = Date()
var sink = 0.0
for _ in 0..<repeats { sink += model.forecast(history: history, origin: origin, horizonSlots: horizon)[horizon - 1].intensityGramsPerKWh }
print(String(format: "forecast 48 h (%d slots): %.3f ms per forecast (mean of %d; checksum %.1f)", horizon, Date().timeIntervalSince(t2) / Double(repeats) * 1000, repeats, sink / Double(repeats)))
