import ArgumentParser
import Foundation
import VerdantCore
import VerdantDaemon
import VerdantTerminal

// MARK: `verdant forecast eval` and `verdant forecast bench` (issue 5): run locally, no daemon.

/// A trace file read for the forecaster (`ForecastTraceText` over the file's text).
struct ForecastTrace {
    let path: String
    let zone: String
    let grid: IntensityGrid
    let operatorForecast: [Double?]?

    /// - Throws: `ValidationError` naming the file (and line) and what to fix.
    init(path: String, zone: String?) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("\(path): cannot read it as UTF-8 text (\(error.localizedDescription))")
        }
        do {
            let t = try ForecastTraceText.parse(text, fileName: URL(fileURLWithPath: path).lastPathComponent, zone: zone)
            self.path = path
            self.zone = t.zone
            self.grid = t.grid
            self.operatorForecast = t.operatorForecast
        } catch let e as TraceParseError {
            throw ValidationError("\(path):\(e.line): \(e.message)")
        }
    }
}

/// The JSON of `verdant forecast eval --json` (shape given by issue 5; documented in docs/cli.md).
struct ForecastEvalView: Encodable {
    struct Horizon: Encodable {
        let horizon_h: Double
        let mape: [String: Double]
        let mae: [String: Double]
        let interval_coverage: Double
        let count: Int
    }
    let trace: String
    let zone: String
    let slot_s: Int
    let origins: Int
    let model: String
    let horizons: [Horizon]
}

struct ForecastEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Rolling-origin backtest of the forecaster over a trace file (runs locally).",
        discussion: """
        At each origin (every hour after 9 weeks of warm-up) every forecaster sees only the slots before it. \
        Prints MAPE (%) and MAE (gCO2eq/kWh) per horizon for the model, persistence, seasonal naive 24 h and 168 h, \
        and the operator's forecast where the file has a 'forecast' column. Method: docs/models.md.
        
        Example: verdant forecast eval --trace Tests/VerdantCarbonTests/Fixtures/carbon-intensity/de-2020_vessim/carbon_intensity.csv --horizons 6h,24h
        """)
    @Option(help: "The trace (CSV or JSON, as `verdant intensity import` reads it).") var trace: String
    @Option(help: "Grid zone, when the file's value column names none (default: the file-name prefix).") var zone: String?
    @Option(help: "Comma-separated horizons (30m, 1h, 6h, 24h, 48h).") var horizons: String = "1h,6h,24h,48h"
    @Flag(help: "Print JSON.") var json = false

    func parsedHorizons() throws -> [Double] {
        try horizons.split(separator: ",").map { part in
            let s = part.trimmingCharacters(in: .whitespaces)
            guard let sec = DurationSyntax.parseSeconds(s), sec > 0, sec <= 7 * 86400 else {
                throw ValidationError("--horizons: '\(s)' is not a duration up to 7 days (use e.g. 30m, 1h, 6h, 24h, 48h)")
            }
            return sec / 3600
        }
    }

    func run() async throws {
        let hs = try parsedHorizons()
        let t = try ForecastTrace(path: trace, zone: zone)
        var backtest = ForecastBacktest(grid: t.grid, operatorForecast: t.operatorForecast, horizonsHours: hs)
        let skipped = hs.filter { h in !backtest.steps.contains { $0.hours == h } }
        if !skipped.isEmpty {
            FileHandle.standardError.write(Data("verdant: note: horizon(s) \(skipped.map(hoursLabel).joined(separator: ", ")) not a whole number of \(t.grid.slotSeconds / 60)-minute slots: skipped\n".utf8))
        }
        backtest.originStrideHours = 1
        let origins = backtest.origins.count
        guard origins > 0 else {
            throw ValidationError("\(trace): \(t.grid.values.count) slots is too short for a backtest: it needs 9 weeks of warm-up plus the longest horizon")
        }
        let model = RidgeIntensityForecaster()
        let progress = ProgressReporter(label: "origins", json: json)
        let scores = backtest.run(model: model) { done, total in progress.update(done, of: total) }
        if json {
            let view = ForecastEvalView(trace: trace, zone: t.zone, slot_s: t.grid.slotSeconds, origins: origins, model: model.name,
                                        horizons: scores.map { .init(horizon_h: $0.horizonHours, mape: $0.mape, mae: $0.mae,
                                                                    interval_coverage: $0.intervalCoverage, count: $0.count) })
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(view), as: UTF8.self))
            return
        }
        print("trace \(trace) (zone \(t.zone), \(t.grid.slotSeconds / 60)-minute slots, \(origins) origins, model \(model.name), retrained \(model.trainingCount) times)")
        let hasOperator = t.operatorForecast != nil
        var header = "horizon  MAPE%: model  persist  snaive24  snaive168" + (hasOperator ? "  operator" : "")
        header += "   MAE g: model  best-baseline  80%-interval coverage"
        print(header)
        for s in scores {
            let base = ["persistence", "seasonal_naive_24h", "seasonal_naive_168h"]
            var line = hoursLabel(s.horizonHours).padded(9)
            line += "        " + fmt(s.mape["model"]).padded(7) + fmt(s.mape["persistence"]).padded(9)
                + fmt(s.mape["seasonal_naive_24h"]).padded(10) + fmt(s.mape["seasonal_naive_168h"]).padded(11)
            if hasOperator { line += fmt(s.mape["operator"]).padded(10) }
            let bestMAE = base.compactMap { s.mae[$0] }.min()
            line += "          " + fmt(s.mae["model"]).padded(7) + fmt(bestMAE).padded(15) + String(format: "%.0f %%", 100 * s.intervalCoverage)
            print(line)
        }
    }

    func fmt(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
}

struct ForecastBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Prints the forecaster's training time on one year of data and its 48 h forecast time.",
        discussion: """
            Without --trace it uses a synthetic year of half-hourly data (daily and weekly cycles plus noise). \
            On a terminal stderr shows each training's ridge fits and then the forecasts timed, with rate and time left.
            Example: verdant forecast bench --repeats 1
            """)
    @Option(help: "A trace (CSV or JSON); its last 52 weeks are used.") var trace: String?
    @Option(help: "Grid zone, when the file's value column names none.") var zone: String?
    @Option(help: "Forecasts timed.") var repeats: Int = 1000

    func run() async throws {
        let grid: IntensityGrid
        if let trace {
            grid = try ForecastTrace(path: trace, zone: zone).grid
        } else {
            grid = .syntheticBenchmarkYear()
        }
        let sph = 3600 / grid.slotSeconds
        let yearSlots = 52 * 168 * sph
        let horizon = 48 * sph
        let n = grid.values.count
        let history = grid.values[0..<n]
        let origin = grid.time(n)
        print("data: \(n) slots of \(grid.slotSeconds / 60) min (\(Tables.number(Double(n) / Double(sph) / 24)) days)")
        // 1. One fit on one year (52 weeks, no validation folds).
        var yearConfig = RidgeIntensityForecaster.Configuration()
        yearConfig.trainingWeeks = 52
        yearConfig.validationFolds = 0
        if n >= yearSlots + 168 * sph {
            let t0 = Date()
            let p = ProgressReporter(label: "fits (one year)", json: false)
            let m = RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: grid.slotSeconds, horizonSlots: horizon,
                                                   configuration: yearConfig) { p.update($0, of: $1) }
            let dt = Date().timeIntervalSince(t0)
            p.update(1, of: 1)
            print(String(format: "train one year (52 weeks, %d rows, %d horizon steps, %d features): %.3f s%@", yearSlots, horizon,
                         m?.featureNames.count ?? 0, dt, m == nil ? " (FAILED: not enough known values)" : ""))
        } else {
            print("train one year: skipped (the data is shorter than 53 weeks)")
        }
        // 2. The default retrain (16 weeks + 12 validation folds: 13 trainings).
        let t1 = Date()
        let fits = RidgeIntensityForecaster.Configuration().validationFolds + 1
        let trainProgress = ProgressReporter(label: "fits (default retrain)", json: false)
        let trained = RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: grid.slotSeconds, horizonSlots: horizon,
                                                     configuration: .init()) { trainProgress.update($0, of: $1) }
        trainProgress.update(fits, of: fits)
        guard let model = trained else {
            throw ValidationError("\(trace ?? "the synthetic year"): not enough known values to train the forecaster (it needs 13 weeks of known values): give a longer --trace")
        }
        let trainSeconds = Date().timeIntervalSince(t1)
        print(String(format: "default retrain (%d weeks + %d validation folds): %.3f s", RidgeIntensityForecaster.Configuration().trainingWeeks,
                     fits - 1, trainSeconds))
        // 3. 48 h forecasts from the trained model.
        let t2 = Date()
        var sink = 0.0
        let forecastProgress = ProgressReporter(label: "forecasts", json: false)
        for k in 0..<max(1, repeats) {
            sink += model.forecast(history: history, origin: origin, horizonSlots: horizon)[horizon - 1].intensityGramsPerKWh
            forecastProgress.update(k + 1, of: max(1, repeats))
        }
        let per = Date().timeIntervalSince(t2) / Double(max(1, repeats))
        print(String(format: "forecast 48 h (%d slots): %.3f ms per forecast (mean of %d; checksum %.1f)", horizon, per * 1000, repeats, sink / Double(max(1, repeats))))
    }
}

/// `6h`, `0.5h`.
func hoursLabel(_ h: Double) -> String {
    h == h.rounded() ? "\(Int(h))h" : String(format: "%.2gh", h)
}
