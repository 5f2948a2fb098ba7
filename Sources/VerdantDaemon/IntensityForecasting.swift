import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VerdantAPI
import VerdantCore
import VerdantStore

// MARK: Carbon-intensity forecast (issue 5): training on the stored actuals, the model table, the API.

/// Trains, stores and serves the zone's intensity model. The daemon's clock gives "now" (trace
/// time under replay), so a replayed trace trains only on what precedes the replay instant.
public actor IntensityForecastManager {
    let database: VerdantDatabase
    let clock: DaemonClock
    let defaultZone: String
    /// Retrain period (s), config key `forecast-retrain-interval` (default 24 h).
    let retrainSeconds: Double
    let configuration: RidgeIntensityForecaster.Configuration
    let logger: Logger
    /// Per zone: the model in force, its stored row, and when the daemon last trained.
    var current: [String: (model: TrainedIntensityModel?, record: IntensityModelRecord?, at: Date)] = [:]
    /// Zones whose actuals changed in bulk (an import): retrain at the next tick.
    private var dirty: Set<String> = []

    public init(database: VerdantDatabase, clock: DaemonClock, zone: String, retrainSeconds: Double,
                configuration: RidgeIntensityForecaster.Configuration = .init(), logger: Logger) {
        self.database = database
        self.clock = clock
        self.defaultZone = zone
        self.retrainSeconds = retrainSeconds
        self.configuration = configuration
        self.logger = logger
    }

    /// The planning forecast's e-folding horizon (hours, `PlannerSettings.forecastDecayHours`): set
    /// from the policy at start and on every reload (SIGHUP), read by `planningForecaster`.
    nonisolated let planningDecayHours = Mutex<Double>(24)

    /// Marks a zone for retraining after a bulk import.
    public func imported(zone: String) { dirty.insert(zone) }

    /// Retrains the zones that are due (period elapsed, or imported since). Returns the zones trained.
    @discardableResult
    public func retrainDue() -> [String] {
        let now = clock.now()
        var zones = dirty
        zones.insert(defaultZone)
        var done: [String] = []
        for z in zones.sorted() {
            let last = current[z]?.at
            guard dirty.contains(z) || last == nil || now.timeIntervalSince(last!) >= retrainSeconds || now < last! else { continue }
            dirty.remove(z)
            _ = retrain(zone: z, now: now)
            done.append(z)
        }
        return done
    }

    /// The stored actuals of a zone as a grid up to `now` (one value per slot start; where several
    /// sources have the same slot, the first in the store's order).
    func grid(zone: String, now: Date, weeks: Int) throws -> IntensityGrid? {
        let from = now.addingTimeInterval(-Double(weeks) * 7 * 86400)
        let slots = try database.slots(zone: zone, from: from, to: now, forecasts: false)
        var seen = Set<Date>()
        let unique = slots.filter { $0.end <= now && seen.insert($0.start).inserted }
        guard unique.count >= 2 else { return nil }
        let slot = Int(IntensityImport.modeSpacing(unique.map(\.start)).rounded())
        guard slot > 0, slot <= 3600, 3600 % slot == 0 else { return nil }
        return IntensityGrid(slots: unique, slotSeconds: slot)
    }

    /// Trains on the stored actuals before `now` and stores the model (with `in_use` false when it
    /// scored worse than seasonal naive 24 h on its validation folds). Nil when there is too little data.
    /// - Parameter progress: ridge fits done of total (`RidgeIntensityForecaster.train`), issue 12.
    @discardableResult
    public func retrain(zone: String, now: Date, progress: ((Int, Int) -> Void)? = nil) -> IntensityModelRecord? {
        let started = Date()
        let weeks = max(configuration.baselineLookbackWeeks, configuration.trainingWeeks + configuration.validationFolds + 2)
        guard let g = try? grid(zone: zone, now: now, weeks: weeks) else {
            current[zone] = (nil, nil, now)
            logger.info("forecast model not trained: no stored actuals", metadata: ["zone": "\(zone)"])
            return nil
        }
        // Origin: the end of the last stored slot (≤ now); history is everything before it.
        let origin = g.time(g.values.count)
        let horizon = 48 * 3600 / g.slotSeconds
        guard let model = RidgeIntensityForecaster.train(history: g.values[...], origin: origin, slotSeconds: g.slotSeconds,
                                                         horizonSlots: horizon, configuration: configuration, progress: progress) else {
            current[zone] = (nil, nil, now)
            logger.info("forecast model not trained: under 13 weeks of actuals", metadata: ["zone": "\(zone)", "slots": "\(g.values.count)"])
            return nil
        }
        let good = model.beatsSeasonalNaive
        let reason = good
            ? "beats seasonal naive 24 h at every step on \(model.validationFolds) validation weeks"
            : "worse than seasonal naive 24 h on its latest backtest (\(model.validationFolds) validation weeks): not used"
        var record: IntensityModelRecord?
        do {
            record = try database.save(model: IntensityModelRecord(zone: zone, model: model, trainedAt: now, inUse: good, reason: reason))
        } catch {
            logger.error("storing the forecast model failed", metadata: ["zone": "\(zone)", "error": "\(error)"])
        }
        current[zone] = (model, record, now)
        logger.notice("forecast model trained", metadata: [
            "zone": "\(zone)", "version": "\(record?.id.map(String.init) ?? "-")", "in_use": "\(good)",
            "mape": "\(model.meanValidationMAPE("chosen").map { String(format: "%.2f", $0) } ?? "-")",
            "seasonal_naive_mape": "\(model.meanValidationMAPE("seasonal-naive-24h").map { String(format: "%.2f", $0) } ?? "-")",
            "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
        return record
    }

    /// The forecast for a zone from the model in force (trained now if none yet), else seasonal naive 24 h.
    /// - Parameter progress: the ridge fits of that first training (issue 12).
    public func forecast(zone: String?, horizonSeconds: Double, progress: ((Int, Int) -> Void)? = nil) throws -> ForecastView {
        let z = zone ?? defaultZone
        let now = clock.now()
        if current[z] == nil { _ = retrain(zone: z, now: now, progress: progress) }
        guard let g = try grid(zone: z, now: now, weeks: 3) else {
            throw APIError(status: 404, "no stored intensity actuals for zone '\(z)': import some (verdant intensity import) or configure a provider")
        }
        // Origin: the slot boundary at or before now; slots between the last actual and now are missing.
        let slotCount = Int((now.timeIntervalSince(g.start) / Double(g.slotSeconds)).rounded(.down))
        var values = g.values
        if slotCount > values.count { values += [Double?](repeating: nil, count: slotCount - values.count) }
        values = Array(values.prefix(max(slotCount, 0)))
        let origin = g.time(values.count)
        let horizon = max(1, Int((horizonSeconds / Double(g.slotSeconds)).rounded(.up)))
        let entry = current[z]
        var used = SeasonalNaiveForecaster(periodHours: 24).name
        var reason = entry?.record?.reason ?? "no model trained (needs 13 weeks of actuals): seasonal naive 24 h"
        var points: [IntensityForecastPoint]
        if let m = entry?.model, entry?.record?.inUse ?? m.beatsSeasonalNaive, m.slotSeconds == g.slotSeconds {
            points = m.forecast(history: values[...], origin: origin, horizonSlots: horizon)
            used = m.name
        } else {
            if entry?.model != nil, entry?.record?.inUse == false { reason = "model \(entry?.record?.id.map(String.init) ?? "") " + (entry?.record?.reason ?? "") + "; seasonal naive 24 h used" }
            points = SeasonalNaiveForecaster(periodHours: 24).forecast(history: values[...], origin: origin, slotSeconds: g.slotSeconds, horizonSlots: horizon)
        }
        let r = entry?.record
        return ForecastView(zone: z, forecastUsed: used, reason: reason, modelVersion: r?.id, trainedAt: r?.trainedAt,
                            trainingStart: r?.trainingStart, trainingEnd: r?.trainingEnd, backtestMAPE: r?.backtestMAPE,
                            seasonalNaiveMAPE: r?.seasonalNaiveMAPE, origin: origin, slotSeconds: g.slotSeconds,
                            points: points.enumerated().map { i, p in
                                ForecastPointView(start: origin.addingTimeInterval(Double(i * g.slotSeconds)), gramsPerKWh: p.intensityGramsPerKWh,
                                                  lowerGramsPerKWh: p.lowerGramsPerKWh, upperGramsPerKWh: p.upperGramsPerKWh)
                            })
    }
}

extension JobRuntime: VerdantForecastAPIHandler {
    /// The forecast; `progress` gets the ridge fits when the zone has no model yet and one is trained
    /// for this request (issue 12; `JobRuntime+Progress.swift` has the call without it).
    public func forecast(zone: String?, horizon: String?, progress: @escaping ProgressSink) async throws -> ForecastView {
        guard let f = parts.forecasts else { throw APIError(status: 404, "this daemon has no forecaster") }
        var seconds = 48.0 * 3600
        if let horizon {
            guard let s = DurationSyntax.parseSeconds(horizon), s > 0, s <= 7 * 86400 else {
                throw APIError.badRequest("--horizon '\(horizon)' is not a duration up to 7 days (e.g. 48h)")
            }
            seconds = s
        }
        return try await f.forecast(zone: zone, horizonSeconds: seconds) { progress(ProgressEvent(label: "training fits", done: $0, total: $1)) }
    }
}

/// Retrains the forecast model when due: every `forecast-retrain-interval` of daemon time, and at the
/// next minute after a bulk import. Checks once a minute of real time.
struct ForecastService: Service {
    let forecasts: IntensityForecastManager

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await forecasts.retrainDue()
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }
}

extension JobRuntime {
    /// The forecaster, for the composition root's services.
    var forecastManager: IntensityForecastManager? { parts.forecasts }
}
