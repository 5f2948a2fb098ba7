import ArgumentParser
import Foundation
import VerdantAPI
import VerdantCore
import VerdantDaemon
import VerdantTerminal

/// `verdant simulate`: replays a job-arrival file over a real intensity trace, locally (no daemon).
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a job file over an intensity trace: carbon of run-now, our plan and the oracle (no daemon).",
        discussion: """
            Jobs are planned one by one at their submission with the forecast available then, as in Let's Wait \
            Awhile (Wiesner et al., Middleware 2021). Formats, method and measured results: docs/scheduling.md.
            Example: verdant simulate --trace Tests/VerdantCarbonTests/Fixtures/carbon-intensity/de-2020_vessim/carbon_intensity.csv --jobs docs/examples/lwa-ml-jobs-2020.csv --forecast noisy:5%
            """)

    @Option(help: "Intensity trace CSV (time column and gCO2eq/kWh column; see docs/configuration.md).")
    var trace: String
    @Option(help: "Job arrival CSV (job_id,submit_utc,duration_minutes,deadline_utc,power_watts[,interruptible]).")
    var jobs: String
    @Flag(help: "Jobs whose file does not say may pause: they run in any set of whole slots before the deadline.")
    var interruptible = false
    @Option(help: "oracle (the trace itself), noisy:X% (trace + Gaussian noise of X% of its mean), naive (seasonal naive 24 h), persistence, model (the ridge forecaster, trained only on the trace before each decision, shrunk toward the weekly climatology with the horizon), or ridge (its points unshrunk).")
    var forecast: String = "oracle"
    @Option(name: .customLong("slot-minutes"), help: "Slot length the trace is averaged to (default 30).")
    var slotMinutes: Int = 30
    @Option(help: "Seed of the noise of noisy:X% (default 1).")
    var seed: UInt64 = 1
    @Option(help: "Provider outage: START/DURATION (e.g. 2020-07-01T00:00:00Z/24h). Decisions in it get no forecast.")
    var outage: String?
    @Option(parsing: .unconditional, help: "Hedging weight λ in [−1, 1], a fraction or a percentage as in a policy's planner.hedge (a negative value may follow the flag: --hedge -0.1, --hedge -10%): price slots at max(0, point + λ·(upper − point)) of the forecast's interval; λ < 0 is optimistic (uncertain slots priced below their point, for --replan) (default: the policy's, else 0).")
    var hedge: String?
    @Option(name: .customLong("forecast-decay"), help: "With --forecast model: the e-folding horizon of the ridge's weight in the planning forecast, a duration from 1h to 14d (e.g. 36h); the rest goes to the 8-week weekly climatology (default: the policy's forecast-decay, else 24h).")
    var forecastDecay: String?
    @Option(help: "Scheduling policy: a shipped name (default, strict-deadline, max-savings, inference-immediate) or a policy file. Its planner settings apply, and its training section's interruptible and max-delay to every job (the file's interruptible column and --interruptible win).")
    var policy: String?
    @Flag(help: "Replay the daemon's re-planning: at every slot boundary a new forecast (data known then) re-plans each job not yet started, moving it only when that saves more than the policy's min-replan-saving (default 2 %) and never past its latest start; interruptible jobs re-decide their remaining slots too (see --replan-scope). JSON adds replan_moves.")
    var replan = false
    @Option(name: .customLong("replan-scope"), help: "With --replan: remaining (default: a started interruptible job's remaining slots are re-planned too) or queued (only jobs not started yet, as verdantd does today).")
    var replanScope: String = "remaining"
    @Option(name: .customLong("min-replan-saving"), help: "With --replan: the churn threshold, a fraction or a percentage (e.g. 1%): a re-plan moves a job only when it saves more than that of its predicted carbon (default: the policy's, else 2 %).")
    var minReplanSaving: String?
    @Flag(help: "Print JSON (keys: run_now_carbon_g, planned_carbon_g, oracle_carbon_g, savings_pct, oracle_savings_pct, deadline_misses, jobs, planning_seconds).")
    var json = false

    func validate() throws {
        guard slotMinutes > 0 && slotMinutes <= 1440 else { throw ValidationError("--slot-minutes must be between 1 and 1440, got \(slotMinutes): use e.g. --slot-minutes 30") }
        _ = try ForecastChoice(forecast)
        guard ["remaining", "queued"].contains(replanScope) else { throw ValidationError("--replan-scope must be remaining or queued, got '\(replanScope)'") }
        if let minReplanSaving, Self.parseFraction(minReplanSaving) == nil {
            throw ValidationError("--min-replan-saving must be a fraction in [0, 1) or a percentage, got '\(minReplanSaving)': use e.g. --min-replan-saving 1%")
        }
        if let forecastDecay, PlannerSettings.forecastDecayHours(parsing: forecastDecay) == nil {
            throw ValidationError("--forecast-decay must be a duration from 1h to 14d, got '\(forecastDecay)': use e.g. --forecast-decay 36h")
        }
        if let hedge, Self.parseHedge(hedge) == nil { throw ValidationError("--hedge must be between -1 and 1 (-100% and 100%), got '\(hedge)': 0 prices the point forecast, 1 its upper bound, -1 the point minus the interval's upper half-width") }
    }

    func run() throws {
        let stderr = FileHandle.standardError
        func fail(_ message: String) -> ExitCode {
            stderr.write(Data("verdant: error: \(message)\n".utf8))
            return ExitCode(65)   // EX_DATAERR
        }
        guard let traceText = try? String(contentsOfFile: trace, encoding: .utf8) else { throw fail("cannot read --trace \(trace) (missing, unreadable or not UTF-8): give a CSV of time,gCO2eq/kWh rows") }
        guard let jobsText = try? String(contentsOfFile: jobs, encoding: .utf8) else { throw fail("cannot read --jobs \(jobs) (missing, unreadable or not UTF-8): give a job-arrival CSV (docs/scheduling.md)") }
        let points: [IntensityPoint]
        do { points = try IntensityTraceCSV.parse(traceText).points } catch let e as TraceParseError {
            throw fail("\(trace):\(e.line): \(e.message); fix that line of the trace")
        }
        let scenario: [ScenarioJob]
        do { scenario = try ScenarioJobsCSV.parse(jobsText) } catch let e as ScenarioParseError {
            throw fail("\(jobs):\(e.line): \(e.field.map { "field '\($0)': " } ?? "")\(e.message); fix that line of the job file")
        }
        var settings = PlannerSettings()
        var interruptibleDefault = interruptible
        var maxDelay: Double?
        var minSaving = (fraction: 0.0, grams: 0.0)
        if let policy {
            let loaded: SchedulingPolicy
            do { loaded = try PolicyFile.load(path: try PolicyFile.resolve(policy)).policy } catch let e as ConfigurationError {
                throw fail("--policy: \(e)")
            }
            settings = loaded.planner
            let training = loaded.defaults(for: .training)
            interruptibleDefault = interruptible || training.interruptible
            maxDelay = training.maxDelaySeconds
            minSaving = (training.minimumSavingFraction, training.minimumSavingGrams)
        }
        if let v = hedge.flatMap(Self.parseHedge) { settings.hedge = v }
        if let v = minReplanSaving.flatMap(Self.parseFraction) { settings.minimumReplanSaving = v }
        if let v = forecastDecay.flatMap(PlannerSettings.forecastDecayHours(parsing:)) { settings.forecastDecayHours = v }
        if forecastDecay != nil, forecast != "model" {
            stderr.write(Data("verdant: --forecast-decay applies to --forecast model only; ignored with --forecast \(forecast)\n".utf8))
        }
        let slotSeconds = Double(slotMinutes * 60)
        // The grid (from the first point's slot to the end of the last point's), the whole-week shift,
        // the jobs inside the trace: shared with scripts/planning-forecast (ScenarioSimulation.load).
        let loaded = ScenarioSimulation.load(points: points, scenario: scenario, slotSeconds: slotSeconds, settings: settings)
        var sim = loaded.simulation
        let origin = sim.origin, count = loaded.slotCount
        sim.maxDelaySeconds = maxDelay
        sim.minimumSavingFraction = minSaving.fraction
        sim.minimumSavingGrams = minSaving.grams
        let shift = loaded.shiftSeconds
        let inside = loaded.jobs
        let leftOut = loaded.leftOut
        if let outage {
            guard let (a, b) = Self.parseOutage(outage) else {
                throw fail("--outage '\(outage)' is not START/DURATION, e.g. 2020-07-01T00:00:00Z/24h")
            }
            sim.outage = sim.slot(of: a)..<Int((b.timeIntervalSince(origin) / slotSeconds).rounded(.up))
        }
        let choice = try ForecastChoice(forecast)
        let maxHorizon = loaded.maxHorizonSlots
        let forecaster = choice.make(sim: sim, seed: seed, maxHorizonSlots: maxHorizon)
        let progress = ProgressReporter(label: "jobs planned", json: json)
        var result: SimulationResult
        if replan {
            let (r, figures) = sim.runReplanning(jobs: inside, interruptible: interruptibleDefault,
                                                 scope: replanScope == "queued" ? .queuedOnly : .remainingWork,
                                                 horizonSlots: maxHorizon, forecast: forecaster) { done, total in progress.update(done, of: total) }
            result = r
            result.replanMoves = figures.moves
        } else {
            result = sim.run(jobs: inside, interruptible: interruptibleDefault, forecast: forecaster) { done, total in progress.update(done, of: total) }
        }
        if shift != 0 {
            stderr.write(Data("verdant: jobs shifted by \(Int(shift / 86400)) days (whole weeks) into the trace's time range\n".utf8))
        }
        if leftOut > 0 {
            stderr.write(Data("verdant: \(leftOut) of \(scenario.count) jobs left out: their submission or deadline lies outside the trace (\(Tables.time(origin)) to \(Tables.time(sim.time(ofSlot: count))))\n".utf8))
        }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(result), as: UTF8.self))
            return
        }
        print("""
            jobs:              \(result.jobs)\(leftOut > 0 ? " (\(leftOut) outside the trace left out)" : "")
            forecast:          \(choice.label)\(forecast == "model" ? String(format: " (e-folding %g h)", settings.forecastDecayHours) : "")\(settings.hedge != 0 ? String(format: ", hedge %g", settings.hedge) : "")\(interruptibleDefault ? ", interruptible" : "")\(policy.map { ", policy \($0)" } ?? "")\(replan ? ", re-planned at every slot boundary (\(replanScope), min-replan-saving \(String(format: "%g", settings.minimumReplanSaving * 100)) %)" : "")
            run-now carbon:    \(String(format: "%.1f", result.runNowCarbonGrams / 1000)) kg
            planned carbon:    \(String(format: "%.1f", result.plannedCarbonGrams / 1000)) kg  (saving \(String(format: "%.2f", result.savingsPct)) %)
            oracle carbon:     \(String(format: "%.1f", result.oracleCarbonGrams / 1000)) kg  (saving \(String(format: "%.2f", result.oracleSavingsPct)) %)
            deadline misses:   \(result.deadlineMisses)
            planning time:     \(String(format: "%.3f", result.planningSeconds)) s
            """)
        if let moves = result.replanMoves { print("re-plans moving a job: \(moves)") }
        if result.deadlineMisses > 0 { throw ExitCode(1) }
    }

    /// "1%" → 0.01, "0.01" → 0.01; nil unless in [0, 1).
    /// `--hedge`: a fraction or a percentage in [−1, 1], as the policy's `planner.hedge`.
    static func parseHedge(_ text: String) -> Double? {
        FractionSyntax.parse(text).flatMap { (-1...1).contains($0) ? $0 : nil }
    }

    static func parseFraction(_ text: String) -> Double? {
        FractionSyntax.parse(text).flatMap { (0..<1).contains($0) ? $0 : nil }
    }

    static func parseOutage(_ text: String) -> (Date, Date)? {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let a = ISO8601.parse(parts[0]), let d = DurationSyntax.parseSeconds(parts[1]) else { return nil }
        return (a, a.addingTimeInterval(d))
    }
}

extension ScenarioSimulation {
    /// Start of slot `k`.
    func time(ofSlot k: Int) -> Date { origin.addingTimeInterval(Double(k) * slotSeconds) }
}

/// `--forecast` of `verdant simulate`.
enum ForecastChoice {
    case oracle
    case noisy(fraction: Double)
    case forecaster(String)

    init(_ text: String) throws {
        let t = text.lowercased()
        if t == "oracle" { self = .oracle; return }
        if t.hasPrefix("noisy:") {
            guard let x = FractionSyntax.parse(String(t.dropFirst(6))), x >= 0 else {
                throw ValidationError("--forecast '\(text)': noisy needs a non-negative fraction, e.g. noisy:5%")
            }
            self = .noisy(fraction: x)
            return
        }
        guard ForecasterCatalog.names.contains(t) else {
            throw ValidationError("unknown --forecast '\(text)': use oracle, noisy:5%, \(ForecasterCatalog.names.joined(separator: ", "))")
        }
        self = .forecaster(t)
    }

    var label: String {
        switch self {
        case .oracle: return "oracle (the trace)"
        case let .noisy(f): return String(format: "trace + Gaussian noise of %g %% of its mean", f * 100)
        case let .forecaster(n): return ForecasterCatalog.make(n).name
        }
    }

    func make(sim: ScenarioSimulation, seed: UInt64, maxHorizonSlots: Int) -> (Int, Int) -> SimulatedForecast {
        switch self {
        case .oracle: return sim.oracleForecast
        case let .noisy(f): return sim.noisyForecast(fraction: f, seed: seed)
        case let .forecaster(n):
            return sim.modelForecast(ForecasterCatalog.make(n, decayHours: sim.settings.forecastDecayHours), maxHorizonSlots: maxHorizonSlots)
        }
    }
}

/// The forecasters `--forecast` can name (from VerdantCore's `IntensityForecaster` implementations).
enum ForecasterCatalog {
    static let names = ["naive", "persistence", "model", "ridge"]
    /// - Parameter decayHours: `model` only: the e-folding horizon of the ridge's weight (hours).
    static func make(_ name: String, decayHours: Double = 24) -> any IntensityForecaster {
        switch name {
        case "persistence": return PersistenceForecaster()
        // `model`: the ridge, shrunk toward the weekly climatology with the horizon (what the planner
        // wants, docs/scheduling.md); `ridge`: the ridge's own points (docs/models.md).
        case "model": return ClimatologyShrinkForecaster(base: RidgeIntensityForecaster(), decayHours: decayHours)
        case "ridge": return RidgeIntensityForecaster()
        default: return SeasonalNaiveForecaster(periodHours: 24)
        }
    }
}
