import Foundation
import Logging
import Synchronization
import Testing
import VerdantCore
import VerdantStore
@testable import VerdantDaemon

/// A wall clock a test sets: time stands still until `advance(by:)`.
final class SettableWallClock: WallClock {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Issue 5, "the daemon retrains on a schedule (default daily) and after a bulk import; each model is
/// stored with its version, zone, training window, features, and backtest scores": the daemon's
/// `IntensityForecastManager` over a real SQLite file holding 16 weeks of the real CAISO 2022 trace
/// (EIA-930, hourly; Tests/VerdantCarbonTests/Fixtures), driven by a clock the test sets.
@Suite(.serialized) struct ForecastRetrainTests {
    static let zone = "US-CISO"
    static let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VerdantCarbonTests/Fixtures/carbon-intensity/us-eia930-2022_hpe-dc-rl/CISO_NG_&_avgCI.csv")

    /// The trace's first `hours` rows as stored actuals (`timestamp` and the last column, `avg_CI`;
    /// an empty cell is a missing value).
    static func slots(hours: Int) throws -> [IntensitySlot] {
        let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").dropFirst().prefix(hours)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ssxxx"
        return try lines.map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            let start = try #require(f.date(from: String(cells[0])), "timestamp of \(line)")
            // The file has hours with no data (all columns empty): stored as missing, never 0.
            let value = cells.last.flatMap { Double($0) }.map { IntensityGramsPerKWh($0) }
            return IntensitySlot(zone: zone, start: start, durationSeconds: 3600, value: value,
                                 kind: .average, source: "import:CISO_NG_&_avgCI.csv")
        }
    }

    @Test func trainsOnlyOnThePastRetrainsDailyAndAfterAnImportAndServesTheStoredVersion() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-retrain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let week = 7 * 86400.0
        // 17 weeks stored, the clock a minute after the end of week 16: week 17 lies in the daemon's future.
        let all = try Self.slots(hours: 17 * 168)
        let t0 = all[0].start
        let end16 = t0.addingTimeInterval(16 * week)
        let wall = SettableWallClock(end16.addingTimeInterval(60))
        let manager = IntensityForecastManager(database: db, clock: DaemonClock(replay: nil, wall: wall), zone: Self.zone,
                                               retrainSeconds: 86400, logger: Logger(label: "test"))

        // Nothing stored: no model, and the forecast says what to do.
        #expect(await manager.retrainDue() == [Self.zone])
        #expect(try db.models(zone: Self.zone).isEmpty)
        await #expect(throws: (any Error).self) { try await manager.forecast(zone: Self.zone, horizonSeconds: 48 * 3600) }

        try db.store(slots: all, fetchedAt: end16)
        await manager.imported(zone: Self.zone)
        #expect(await manager.retrainDue() == [Self.zone])
        let first = try #require(try db.models(zone: Self.zone).first)   // newest first
        // Trained on the past only: the window ends with the last slot complete at the clock (end of
        // week 16), not at week 17's data.
        #expect(first.trainingEnd == end16)
        #expect(first.trainingEnd <= wall.now())
        #expect(first.slotSeconds == 3600)
        #expect(first.name == "ridge-v1")
        #expect(first.features.split(separator: ",").count >= 8)
        let mape = try #require(first.backtestMAPE)
        let naive = try #require(first.seasonalNaiveMAPE)
        #expect(mape > 0 && mape < 100 && naive > 0 && naive < 100)
        #expect(first.inUse == (first.reason.hasPrefix("beats seasonal naive")))

        let f1 = try await manager.forecast(zone: Self.zone, horizonSeconds: 48 * 3600)
        #expect(f1.modelVersion == first.id)
        #expect(f1.forecastUsed == (first.inUse ? "ridge-v1" : "seasonal-naive-24h"))
        #expect(f1.origin == end16)
        #expect(f1.points.count == 48)
        #expect(f1.points.first?.start == end16)
        for p in f1.points {
            #expect(p.gramsPerKWh.isFinite && p.gramsPerKWh >= 0, "no NaN reaches the planner")
            #expect(p.lowerGramsPerKWh <= p.gramsPerKWh && p.gramsPerKWh <= p.upperGramsPerKWh)
        }

        // Not due 12 h later; due once the retrain interval (24 h) has passed (the service checks once a
        // minute); the new version is served.
        wall.advance(by: 12 * 3600)
        #expect(await manager.retrainDue() == [])
        #expect(try db.models(zone: Self.zone).count == 1)
        wall.advance(by: 12 * 3600 + 60)
        #expect(await manager.retrainDue() == [Self.zone])
        let models = try db.models(zone: Self.zone)
        #expect(models.count == 2)
        let second = try #require(models.first)
        #expect(try #require(second.id) > #require(first.id))
        // One more day of the stored actuals is now in the past: the window moved by exactly that day.
        #expect(second.trainingEnd == end16.addingTimeInterval(86400))
        #expect(try await manager.forecast(zone: Self.zone, horizonSeconds: 6 * 3600).modelVersion == second.id)

        // A bulk import makes the zone due at once, whatever the interval.
        wall.advance(by: 60)
        #expect(await manager.retrainDue() == [])
        await manager.imported(zone: Self.zone)
        #expect(await manager.retrainDue() == [Self.zone])
        #expect(try db.models(zone: Self.zone).count == 3)
    }
}
