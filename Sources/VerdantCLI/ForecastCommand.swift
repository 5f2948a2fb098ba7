import ArgumentParser
import Foundation
import VerdantCore

// MARK: Carbon-intensity forecast (issue 5): `verdant forecast`, `forecast eval`, `forecast bench`.

struct Forecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grid-intensity forecast with its interval, and the forecaster's backtest and benchmark.",
        discussion: "Model card: docs/models.md. JSON shapes: docs/cli.md (\"JSON: forecast\").",
        subcommands: [ForecastEval.self, ForecastBench.self])
}
