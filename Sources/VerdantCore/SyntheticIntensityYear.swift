import Foundation

extension IntensityGrid {
    /// The synthetic grid `verdant forecast bench` times the forecaster on when no trace is given (and
    /// `scripts/forecast-bench`, value for value): 54 weeks of half-hourly slots from
    /// 2023-01-01T00:00:00Z, 200 + 60·sin(daily phase) + 25·cos(weekly phase) + uniform noise of ±10
    /// gCO2eq/kWh (`SeededGenerator`, seed 42). A shape with the daily and weekly cycles the features
    /// model, for timing only: its values mean nothing.
    public static func syntheticBenchmarkYear() -> IntensityGrid {
        var rng = SeededGenerator(seed: 42)
        let start = ISO8601.parse("2023-01-01T00:00:00Z")!
        let values: [Double?] = (0..<(2 * 24 * 7 * 54)).map { i in
            let day = 2 * Double.pi * Double(i % 48) / 48, week = 2 * Double.pi * Double(i % 336) / 336
            return 200 + 60 * sin(day) + 25 * cos(week) + 20 * (rng.nextUnit() - 0.5)
        }
        return IntensityGrid(start: start, slotSeconds: 1800, values: values)
    }
}
