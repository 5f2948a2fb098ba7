import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor

/// Issue 6: the daemon plans with the forecast `verdant simulate --forecast model` plans with. When
/// the chain falls through to its forecaster link (the provider fails, no cache), the plans use the
/// learned model shrunk toward the weekly climatology (`ClimatologyShrinkForecaster`). A real SQLite
/// file holding 16 weeks of the real CAISO 2022 trace (EIA-930, hourly), a real provider that cannot
/// be reached (Electricity Maps at a closed local port), and a clock the test sets.
@Suite(.serialized) struct PlanningForecastTests {
    @Test func theForecasterLinkPlansOnTheShrunkModelAsSimulateDoes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-planfc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let zone = ForecastRetrainTests.zone
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let all = try ForecastRetrainTests.slots(hours: 16 * 168)
        let end16 = all[0].start.addingTimeInterval(16 * 7 * 86400)
        try db.store(slots: all, fetchedAt: end16)
        // One second past the origin: the daemon's now is derived from the monotonic clock and may read
        // a hair earlier than the wall clock set here.
        let wall = SettableWallClock(end16.addingTimeInterval(1))
        let clock = DaemonClock(replay: nil, wall: wall)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let manager = IntensityForecastManager(database: db, clock: clock, zone: zone, retrainSeconds: 86400, logger: logger)
        // The provider as the daemon builds it from its configuration, pointed at a port nobody listens on.
        var c = DaemonConfiguration()
        try c.apply(yaml: "intensity-providers: electricitymaps\nelectricitymaps-url: http://127.0.0.1:1\nintensity-timeout: 2s\n", file: "t.yaml")
        setenv("VERDANT_ELECTRICITYMAPS_TOKEN", "t", 1)
        defer { unsetenv("VERDANT_ELECTRICITYMAPS_TOKEN") }
        let chain = IntensityChain(providers: try Daemon.intensityProviders(configuration: c, zone: zone), database: db, zone: zone,
                                   refreshSeconds: 300, ttlSeconds: 3600, backoff: BackoffSchedule(baseSeconds: 60, capSeconds: 600),
                                   staticValue: IntensityGramsPerKWh(400), staticLabel: "static 400 gCO2eq/kWh", logger: logger, jitter: { 0 })
        await chain.useForecastManager(manager)
        let policy = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: 1h\n    deadline: 20h\n    power-watts: 100\n", file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: nil, instance: "planfc-\(getpid())"), clock: clock,
            series: IntensitySeries(points: [], fallback: IntensityGramsPerKWh(400)), intensitySource: "static 400 gCO2eq/kWh",
            intensityZone: zone, policy: policy.policy, defaultDeadlines: policy.deadlines, stateDirectory: dir,
            flushIntervalSeconds: 0, logger: logger, intensityChain: chain, forecasts: manager))

        // The provider fails and nothing is cached: the forecaster link is in force.
        await runtime.refreshIntensity()
        #expect(try await runtime.status().intensitySource == "forecaster")
        let record = try #require(try db.models(zone: zone).first)

        // The reference: what `verdant simulate --forecast model` computes at this origin from the same
        // history (the ridge trained on the 16 weeks before it, 48 hourly steps, as the daemon trains),
        // or seasonal naive 24 h where the daemon's model is stored as not in use.
        let history = all.map { $0.value?.gramsPerKWh }
        let base: any IntensityForecaster = record.inUse ? RidgeIntensityForecaster() : SeasonalNaiveForecaster(periodHours: 24)
        let reference = ClimatologyShrinkForecaster(base: base).forecast(history: history[...], origin: end16, slotSeconds: 3600, horizonSlots: 48)
        let plain = base.forecast(history: history[...], origin: end16, slotSeconds: 3600, horizonSlots: 48)
        // One step by hand: w·base + (1 − w)·(mean of the same hour in the 8 weeks before), w = exp(−k/24).
        let k0 = 30
        let same: [Double] = (1...8).compactMap { (m: Int) -> Double? in history[history.count + k0 - m * 168] }
        let climatology: Double = same.reduce(0, +) / Double(same.count)
        let w: Double = exp(-Double(k0) / 24)
        let byHand: Double = w * plain[k0].intensityGramsPerKWh + (1 - w) * climatology
        #expect(abs(reference[k0].intensityGramsPerKWh - byHand) < 1e-9)

        // The daemon's selection holds exactly that forecast from the origin on.
        let slots = try #require(await runtime.selection?.slots.slots)
        let ahead = slots.filter { $0.start >= end16 }
        #expect(ahead.count == 168)   // 7 days of hourly slots
        #expect(ahead.first?.start == end16)
        for k in 0..<48 {
            #expect(abs((ahead[k].value?.gramsPerKWh ?? -1) - reference[k].intensityGramsPerKWh) < 1e-6, "step \(k)")
        }
        // Each forecast slot carries the forecast's interval (its upper bound), which the planner's hedge
        // prices; the actuals of the day before carry none.
        for k in 0..<48 {
            #expect(abs((ahead[k].upperGramsPerKWh ?? -1) - reference[k].upperGramsPerKWh) < 1e-6, "upper, step \(k)")
        }
        #expect(slots.filter { $0.start < end16 }.allSatisfy { $0.upperGramsPerKWh == nil })
        let grid = ForecastGrid.covering(IntensitySlotSeries(slots: slots, fallback: IntensityGramsPerKWh(400)),
                                         from: end16, to: end16.addingTimeInterval(4 * 3600), slotSeconds: 1800)
        // Half-hour grid slots inside hourly forecast slots: each takes its hour's upper bound.
        #expect(abs((grid.upperGramsPerKWh?[3] ?? -1) - reference[1].upperGramsPerKWh) < 1e-6)

        // The day before the origin is the stored actuals.
        #expect(slots.first?.start == end16.addingTimeInterval(-86400))
        #expect(slots.first?.value?.gramsPerKWh == history[history.count - 24])

        // A 1 h job (declared: σ = declaredRelativeSD × 1 h, latest start = deadline − 1 h − 2σ) with its
        // deadline on a whole hour after the origin starts at the cheapest whole hour of that forecast
        // it may start at. The deadline is the first one for which the shrunk forecast and the plain
        // model pick different hours, neither the first (the daemon's now is a second past the origin,
        // so the first hour is not a whole-hour candidate), so the plan shows which of the two it used.
        let sigma = JobEnergyPredictor().declaredRelativeSD * 3600
        func lastHour(deadlineHours d: Int) -> Int { Int(((Double(d) - 1) * 3600 - 2 * sigma) / 3600) }
        func cheapest(_ f: [IntensityForecastPoint], through last: Int) -> Int {
            (0...last).min { (f[$0].intensityGramsPerKWh, $0) < (f[$1].intensityGramsPerKWh, $1) }!
        }
        // Deadlines up to 48 h (the forecast's length; the latest start is then at most hour 46).
        let d = try #require((6...48).first { d in
            let a = cheapest(reference, through: lastHour(deadlineHours: d)), b = cheapest(plain, through: lastHour(deadlineHours: d))
            return a != b && a > 0 && b > 0
        })
        let k = cheapest(reference, through: lastHour(deadlineHours: d))
        let deadline = ISO8601.string(end16.addingTimeInterval(Double(d) * 3600))
        let job = try await runtime.submit(SubmitRequest(name: "fc", kind: "batch", deadline: deadline, expectedDuration: "1h",
                                                         command: ["true"], workingDirectory: "/", environment: []),
                                           caller: Caller(uid: 0, gid: 0, pid: 1))
        let latest = end16.addingTimeInterval(Double(lastHour(deadlineHours: d)) * 3600)
        #expect(job.latestStart == latest)
        #expect(job.plannedStart == end16.addingTimeInterval(Double(k) * 3600),
                "planned \(job.plannedStart), reference hour \(k), plain model's hour \(cheapest(plain, through: lastHour(deadlineHours: d)))")
        #expect(abs(job.plannedIntensity - reference[k].intensityGramsPerKWh) < 1e-6)
        #expect(job.intensitySource == "forecaster")
        print("planning-forecast test: model in use \(record.inUse); deadline \(d) h; shrunk hour \(k) (\(reference[k].intensityGramsPerKWh) g), plain hour \(cheapest(plain, through: lastHour(deadlineHours: d)))")

        // An hour later the forecast is issued again from the new origin (the selection is recomputed
        // at each slot boundary while the forecaster is in force).
        wall.advance(by: 3600)
        await runtime.refreshIntensity()
        let later = try #require(await runtime.selection?.slots.slots.first { $0.issuedAt != nil })
        #expect(later.start == end16.addingTimeInterval(3600))
        #expect(abs((later.issuedAt ?? .distantPast).timeIntervalSince(end16.addingTimeInterval(3601))) < 1)

        // A policy's `forecast-decay` (reloaded as on SIGHUP) becomes the planning forecast's e-folding horizon.
        #expect(await manager.planningForecasterDecayHours(zone: zone) == 24)
        let slow = try PolicyFile.parse("name: t\nplanner:\n  forecast-decay: 36h\n  hedge: -0.1\n", file: "t.yaml")
        await runtime.replacePolicy(slow.policy, defaultDeadlines: slow.deadlines)
        #expect(await manager.planningForecasterDecayHours(zone: zone) == 36)
    }
}

extension IntensityForecastManager {
    /// The e-folding horizon (h) of the planning forecaster in use for `zone` (hourly slots).
    func planningForecasterDecayHours(zone: String) -> Double? {
        (planningForecaster(zone: zone, slotSeconds: 3600) as? ClimatologyShrinkForecaster)?.decayHours
    }
}
