import ArgumentParser
import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore
import VerdantTerminal

// MARK: Carbon-intensity forecast (issue 5): `verdant forecast`, `forecast eval`, `forecast bench`.

struct Forecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grid-intensity forecast with its interval, and the forecaster's backtest and benchmark.",
        discussion: "Model card: docs/models.md. JSON shapes: docs/cli.md (\"JSON: forecast\").\nExample: verdant forecast --horizon 12h",
        subcommands: [ForecastShow.self, ForecastEval.self, ForecastBench.self],
        defaultSubcommand: ForecastShow.self)
}

struct ForecastShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "The daemon's forecast (its trained model, else seasonal naive 24 h) with the 80 % interval.",
        discussion: "Example: verdant forecast show --horizon 12h --json")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Grid zone (default: the daemon's intensity-zone).") var zone: String?
    @Option(help: "How far ahead (default 48h).") var horizon: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let horizon, DurationSyntax.parseSeconds(horizon) == nil {
            throw ValidationError("--horizon '\(horizon)' is not a duration: use e.g. 6h or 48h")
        }
    }

    func run() async throws {
        // Issue 12: when the daemon has no model for the zone yet it trains one first; on a terminal
        // (without --json) its ridge fits are shown with rate and time left.
        let progress = ProgressReporter(label: "training fits", json: json)
        let f = try await withDaemon {
            defer { progress.finish() }   // before an error message, on its own line
            return progress.enabled
                ? try await global.client.forecast(zone: zone, horizon: horizon) { progress.update($0.done, of: $0.total) }
                : try await global.client.forecast(zone: zone, horizon: horizon)
        }
        if json { try printJSON(f); return }
        var head = "zone \(f.zone): forecast \(f.forecastUsed)"
        if let v = f.modelVersion { head += " (model version \(v)" + (f.trainedAt.map { ", trained \(Tables.time($0))" } ?? "") + ")" }
        print(head)
        print("  \(f.reason)")
        if let m = f.backtestMAPE, let s = f.seasonalNaiveMAPE {
            print(String(format: "  backtest MAPE %.2f %% (seasonal naive 24 h %.2f %%), mean over the horizon", m, s))
        }
        print("start                 gCO2eq/kWh  80% interval")
        for p in f.points {
            print(Tables.shortTime(p.start).padded(22) + Tables.number(p.gramsPerKWh).padded(12)
                  + "\(Tables.number(p.lowerGramsPerKWh)) – \(Tables.number(p.upperGramsPerKWh))")
        }
    }
}
