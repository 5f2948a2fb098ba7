import Foundation

/// The carbon-intensity model: direct ridge regressions, one per horizon step, blended per step with
/// the best baseline as decided on out-of-sample folds before the origin. Model card: docs/models.md.
///
/// Features at an origin (history cut just before it; a missing slot reads the nearest earlier known
/// value, see `IntensityForecaster`):
/// - daily Fourier terms of the origin's UTC time of day (k = 1…`dailyHarmonics`) and weekly terms of
///   its time of week (k = 1…`weeklyHarmonics`); a fixed horizon turns origin time into target time
///   by a rotation, so these equal target-time terms;
/// - recent values: the last two slots, the values 3 h and 6 h before the last slot, the mean of the
///   last 24 h, and (`lastYesterdayFeature`) the value 24 h before the last slot;
/// - per horizon step: the same time on the latest known day and on the latest known week (the
///   seasonal-naive 24 h and 168 h forecasts for that step);
/// - (`dailyPhaseInteractions`) `last` and the same time on the latest day, each times sin and cos of
///   the origin's time of day.
///
/// Training: weighted ridge per step (weights 1/max(target, floor)², so the squared error is the
/// squared relative error, closer to what MAPE measures than plain least squares; times a recency
/// weight with half-life `recencyHalfLifeWeeks`; weights normalised to mean 1), λ = `lambda` × rows
/// on standardised features, unpenalised intercept.
///
/// Selection: `validationFolds` earlier weeks are forecast by models trained only on data before
/// each fold; on those out-of-sample forecasts each step picks the weight w ∈ {0, 0.1, …, 1} of
/// `w·ridge + (1−w)·best baseline` with the lowest MAPE (w = 0 means "do not trust the model here"),
/// beyond `monotoneAfterHours` clipped to the smallest w of the shorter steps with the same baseline
/// (`monotoneModelWeight`).
/// The same out-of-sample residuals give the prediction interval (`ResidualQuantiles`).
public final class RidgeIntensityForecaster: IntensityForecaster {
    /// Settings; the defaults are the ones measured in docs/models.md.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Training window, weeks before the retrain instant. 16 with `recencyHalfLifeWeeks` = 4 (session
        /// 10; 8 before, with equal weights): the rows of the latest weeks weigh most, older ones still
        /// steady the fit. Chosen by the prototype (`scripts/forecast-prototype/explore.py`) on the ten
        /// staged traces, whose test weeks it also scores (docs/models.md, "Session 10").
        public var trainingWeeks: Int = 16
        /// Retrain when the origin is this many hours after the last training (or before it).
        public var retrainEveryHours: Double = 168
        /// Out-of-sample validation folds (one week each) used for selection and intervals. 12 (session
        /// 10; 8 before): the per-step choices (linear or log ridge, blend weight) are less noisy on 12
        /// weeks; same source as `trainingWeeks`.
        public var validationFolds: Int = 12
        /// Recency weighting of the training rows: a row whose origin lies `a` slots before the window's
        /// end weighs 0.5^(a / (`recencyHalfLifeWeeks` × one week of slots)) (times the relative-error
        /// weight of the linear ridge; alone for the log twin), weeks. 0: equal weights (every model
        /// stored before session 10, and how they decode). Default 4 (docs/models.md, "Session 10").
        public var recencyHalfLifeWeeks: Double = 4
        /// Monotone trust (session 10): a step's model weight w is at most the smallest w of the
        /// shorter steps of the same training blended with the same baseline (w chosen on the folds,
        /// then clipped): a day further ahead the ridge knows no more than a day before. Chosen on the
        /// staged traces after BPAT at 48 h (w 0.5–0.7 on the folds against 0.2–0.4 at 24 h) missed the
        /// guard (docs/models.md, "Session 10"). Off when decoding a model stored before it existed.
        public var monotoneModelWeight: Bool = true
        /// Monotone trust applies only to the steps whose horizon is longer than this, hours; the
        /// shorter steps still set the cap. 12 (session 11): the rule was made for a day or two ahead,
        /// and clipped from the first step it cost 6 h a point of gain (PJM's 6 h weights capped by
        /// smaller ones of shorter steps) for no gain at 18, 24, 36 or 48 h (`scripts/forecast-prototype/
        /// monotone.py`, docs/models.md "Session 11"). 0 (every step) when decoding a model stored
        /// before it existed.
        public var monotoneAfterHours: Double = 12
        /// Ridge penalty per training row on standardised features.
        public var lambda: Double = 1e-3
        public var dailyHarmonics: Int = 3
        public var weeklyHarmonics: Int = 2
        /// The model enters a step's blend only when the blend's validation MAPE is at least this
        /// fraction below the best baseline's (guards against noise in a few weeks of validation).
        public var selectionMargin: Double = 0
        /// History (weeks) over which each step's baseline is chosen.
        public var baselineLookbackWeeks: Int = 52
        /// Floor of the level used in the relative-error weights, gCO2eq/kWh.
        public var weightFloorGramsPerKWh: Double = 20
        /// The level's interaction with the daily cycle: `last` and the same time on the latest day,
        /// each times sin and cos of the origin's UTC time of day (k = 1), so how much a step trusts
        /// the latest value or yesterday depends on the time of day (solar noon vs night). Chosen by
        /// a rolling-origin prototype on the staged traces (docs/models.md, "What was tried").
        /// Models stored before this setting existed decode with it off (their feature layout).
        public var dailyPhaseInteractions: Bool = true
        /// The value one day before the last slot (`last_yesterday`): with `last`, how far the latest
        /// value is from the same time yesterday. Off when decoding a model stored before it existed.
        public var lastYesterdayFeature: Bool = true
        /// Fit, beside the ridge, its log-target twin (ridge on log intensity and log level features,
        /// unweighted, exponentiated; `FeatureDesign.logLevels`) and let each step use whichever had
        /// the lower out-of-sample MAPE on the validation folds. Chosen by the prototype
        /// (`scripts/forecast-prototype/select_log.py`, docs/models.md). Off when decoding a model
        /// stored before it existed.
        public var logTargetTwin: Bool = true
        public init() {}

        enum CodingKeys: String, CodingKey {
            case trainingWeeks, retrainEveryHours, validationFolds, lambda, dailyHarmonics, weeklyHarmonics,
                 selectionMargin, baselineLookbackWeeks, weightFloorGramsPerKWh, dailyPhaseInteractions, lastYesterdayFeature,
                 logTargetTwin, recencyHalfLifeWeeks, monotoneModelWeight, monotoneAfterHours
        }

        /// Decodes a stored configuration; the feature switches added after the first stored models
        /// default to off when absent, so an older model keeps the feature layout it was trained with.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            trainingWeeks = try c.decode(Int.self, forKey: .trainingWeeks)
            retrainEveryHours = try c.decode(Double.self, forKey: .retrainEveryHours)
            validationFolds = try c.decode(Int.self, forKey: .validationFolds)
            lambda = try c.decode(Double.self, forKey: .lambda)
            dailyHarmonics = try c.decode(Int.self, forKey: .dailyHarmonics)
            weeklyHarmonics = try c.decode(Int.self, forKey: .weeklyHarmonics)
            selectionMargin = try c.decode(Double.self, forKey: .selectionMargin)
            baselineLookbackWeeks = try c.decode(Int.self, forKey: .baselineLookbackWeeks)
            weightFloorGramsPerKWh = try c.decode(Double.self, forKey: .weightFloorGramsPerKWh)
            dailyPhaseInteractions = try c.decodeIfPresent(Bool.self, forKey: .dailyPhaseInteractions) ?? false
            lastYesterdayFeature = try c.decodeIfPresent(Bool.self, forKey: .lastYesterdayFeature) ?? false
            logTargetTwin = try c.decodeIfPresent(Bool.self, forKey: .logTargetTwin) ?? false
            recencyHalfLifeWeeks = try c.decodeIfPresent(Double.self, forKey: .recencyHalfLifeWeeks) ?? 0
            monotoneModelWeight = try c.decodeIfPresent(Bool.self, forKey: .monotoneModelWeight) ?? false
            monotoneAfterHours = try c.decodeIfPresent(Double.self, forKey: .monotoneAfterHours) ?? 0
        }
    }

    public let name = "ridge-v1"
    public var configuration: Configuration
    /// The model in use (nil before the first forecast, or when history was too short to train).
    public private(set) var model: TrainedIntensityModel?
    /// How many times a model was trained (for benchmarks and tests).
    public private(set) var trainingCount = 0

    /// Fits kept from the previous training, reused when this one comes a whole week later on the same
    /// history (`RidgeFitCache`: same results, fewer fits); nil fits every window afresh.
    public var fitCache: RidgeFitCache? = RidgeFitCache()
    /// Models shared with other forecasters replaying the same trace (`RidgeTrainingMemo`; replay
    /// tools only). When set, trainings go through it (and its own fit cache) instead.
    public var trainingMemo: RidgeTrainingMemo?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Uses `model` as is (e.g. a model loaded from the store) until the next retrain is due.
    public func adopt(_ model: TrainedIntensityModel) { self.model = model }

    public func forecast(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int) -> [IntensityForecastPoint] {
        guard horizonSlots > 0 else { return [] }
        if needsRetrain(origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots) {
            if let trainingMemo {
                model = trainingMemo.model(history: history, origin: origin, slotSeconds: slotSeconds,
                                           horizonSlots: horizonSlots, configuration: configuration)
            } else {
                model = Self.train(history: history, origin: origin, slotSeconds: slotSeconds,
                                   horizonSlots: horizonSlots, configuration: configuration, fitCache: fitCache)
            }
            trainingCount += 1
        }
        guard let model else {
            // Too little history to train: seasonal naive 24 h (itself persistence when under a day).
            return SeasonalNaiveForecaster(periodHours: 24).forecast(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots)
        }
        return model.forecast(history: history, origin: origin, horizonSlots: horizonSlots)
    }

    /// Per step, the baseline (0 persistence, 1 seasonal naive 24 h, 2 seasonal naive 168 h) with the
    /// lowest MAPE over every origin of the last `lookbackWeeks` of history (baselines need no
    /// training, so a long window is cheap and far less noisy than the validation folds).
    static func bestBaselines(values f: ForwardFilled, history: ArraySlice<Double?>, from lead: Int, horizonSlots H: Int,
                              sph: Int, lookbackWeeks: Int) -> [Int] {
        let n = history.count
        let start = max(lead, n - lookbackWeeks * 168 * sph)
        var err = Array(repeating: [0.0, 0.0, 0.0], count: H)
        let day = 24 * sph, week = 168 * sph
        var target = [Double](repeating: .nan, count: n)
        for i in 0..<n { if let y = history[history.startIndex + i], y.isFinite, y >= 1 { target[i] = y } }
        for h in 0..<H {
            let cDay = SeasonalNaiveForecaster.sourceIndex(count: 0, step: h, periodSlots: day)
            let cWeek = SeasonalNaiveForecaster.sourceIndex(count: 0, step: h, periodSlots: week)
            var e0 = 0.0, e1 = 0.0, e2 = 0.0
            var o = start
            while o + h < n {
                let y = target[o + h]
                if y.isFinite {
                    e0 += abs(y - f[o - 1]) / y
                    e1 += abs(y - f[o + cDay]) / y
                    e2 += abs(y - f[o + cWeek]) / y
                }
                o += 1
            }
            err[h] = [e0, e1, e2]
        }
        return err.map { e in (0..<3).min { e[$0] < e[$1] } ?? 1 }
    }

    func needsRetrain(origin: Date, slotSeconds: Int, horizonSlots: Int) -> Bool {
        guard let m = model else { return true }
        return m.slotSeconds != slotSeconds || m.steps.count < horizonSlots || origin < m.trainedAt
            || origin.timeIntervalSince(m.trainedAt) >= configuration.retrainEveryHours * 3600
    }

    /// Trains on the history before `origin` (the last `trainingWeeks`, plus the validation folds
    /// before them). Returns nil when fewer than two weeks of the window are known.
    /// - Parameter progress: ridge fits done of `validationFolds + 1`, after each (issue 12: the
    ///   progress line of `verdant forecast bench`); a fold without enough data counts as done.
    public static func train(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int,
                             configuration c: Configuration, progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                             fitCache: RidgeFitCache? = nil) -> TrainedIntensityModel? {
        let sph = max(1, 3600 / max(1, slotSeconds))
        let week = 168 * sph
        let n = history.count
        let window = c.trainingWeeks * week
        let design = FeatureDesign(configuration: c, slotSeconds: slotSeconds)
        let logDesign = c.logTargetTwin ? FeatureDesign(configuration: c, slotSeconds: slotSeconds, logLevels: true) : nil
        // Origins need 168 h + one slot of lead for their features.
        let lead = week + 1
        guard n - lead >= 2 * week, IntensityForecasting.knownCount(history.suffix(window)) >= 2 * week else { return nil }
        let values = ForwardFilled(history)
        fitCache?.begin(history: history)
        // A window's fit, from `fitCache` when an earlier training made it on the same data (RidgeFitCache).
        func windowFit(_ d: FeatureDesign, from: Int, to: Int, start0: Date) -> FeatureDesign.Fit? {
            if let fitCache {
                return fitCache.fit(d, values: values, history: history, start0: start0, from: from, to: to,
                                    horizonSlots: horizonSlots, lambda: c.lambda, floor: c.weightFloorGramsPerKWh)
            }
            return d.fit(values: values, history: history, start0: start0, from: from, to: to,
                         horizonSlots: horizonSlots, lambda: c.lambda, floor: c.weightFloorGramsPerKWh)
        }
        let originIndex0 = origin.addingTimeInterval(-Double(n * slotSeconds))  // instant of history[0]
        // Validation folds: fold j forecasts origins in [n − j·week, n − (j−1)·week) with a model trained before them.
        var oos = Array(repeating: OutOfSample(), count: horizonSlots)
        var folds = 0
        let fits = c.validationFolds + 1
        for j in stride(from: c.validationFolds, through: 1, by: -1) {
            defer { progress?(c.validationFolds - j + 1, fits) }
            let end = n - j * week
            let start = max(lead, end - window)
            guard end - start >= 2 * week else { continue }
            guard let fit = windowFit(design, from: start, to: end, start0: originIndex0) else { continue }
            // The twin has the same row conditions, so it fits whenever the ridge does.
            let logFit = logDesign.flatMap { windowFit($0, from: start, to: end, start0: originIndex0) }
            folds += 1
            var o = end
            while o < end + week {
                let x = design.shared(values: values, at: o, start0: originIndex0)
                let lx = logDesign?.shared(values: values, at: o, start0: originIndex0)
                for h in 0..<horizonSlots where o + h < n {
                    guard let actual = history[history.startIndex + o + h], actual.isFinite else { continue }
                    let p = design.perStep(values: values, at: o, step: h, start0: originIndex0)
                    let model = fit.predict(shared: x, perStep: p, step: h)
                    var logModel: Double? = nil
                    if let logDesign, let logFit, let lx {
                        logModel = logFit.predict(shared: lx, perStep: logDesign.perStep(values: values, at: o, step: h, start0: originIndex0), step: h)
                    }
                    oos[h].add(actual: actual, model: model, logModel: logModel, persistence: values[o - 1], seasonal24: p[0], seasonal168: p[1])
                }
                o += 1
            }
        }
        let start = max(lead, n - window)
        guard let fit = windowFit(design, from: start, to: n, start0: originIndex0) else { return nil }
        let logFit = logDesign.flatMap { windowFit($0, from: start, to: n, start0: originIndex0) }
        progress?(fits, fits)
        var steps: [TrainedIntensityModel.Step] = []
        steps.reserveCapacity(horizonSlots)
        let longBaseline = Self.bestBaselines(values: values, history: history, from: lead, horizonSlots: horizonSlots,
                                              sph: sph, lookbackWeeks: c.baselineLookbackWeeks)
        // Per baseline, the smallest model weight of the steps so far (`monotoneModelWeight`); it caps
        // the steps whose horizon is longer than `monotoneAfterHours`.
        var weightCap = [1.0, 1.0, 1.0]
        for h in 0..<horizonSlots {
            let b = longBaseline[h]
            let capped = c.monotoneModelWeight && Double((h + 1) * slotSeconds) > c.monotoneAfterHours * 3600
            let choice = oos[h].bestBlend(margin: c.selectionMargin, baseline: b, maxWeight: capped ? weightCap[b] : 1)
            if c.monotoneModelWeight && !oos[h].actual.isEmpty { weightCap[b] = min(weightCap[b], choice.weight) }
            let useLog = choice.logTarget && logFit != nil
            let chosen = useLog ? logFit! : fit
            steps.append(TrainedIntensityModel.Step(intercept: chosen.intercepts[h], coefficients: chosen.coefficients[h],
                                                    baseline: choice.baseline, modelWeight: choice.weight,
                                                    residualLower: choice.quantiles.0, residualUpper: choice.quantiles.1,
                                                    validationMAPE: choice.scores, logTarget: logFit == nil ? nil : useLog))
        }
        return TrainedIntensityModel(
            name: "ridge-v1", trainedAt: origin, slotSeconds: slotSeconds,
            trainingStart: originIndex0.addingTimeInterval(Double(start * slotSeconds)), trainingEnd: origin,
            validationFolds: folds, featureNames: design.names, means: fit.means, scales: fit.scales,
            logFeatureNames: logFit == nil ? nil : logDesign?.names, logMeans: logFit?.means, logScales: logFit?.scales,
            configuration: c, steps: steps)
    }
}

/// A history with each missing slot replaced by the nearest earlier known value (the first known
/// value before any), the features' gap rule.
struct ForwardFilled {
    let v: [Double]
    let prefix: [Double]  // prefix sums, count + 1
    init(_ history: ArraySlice<Double?>) {
        var out = [Double](repeating: 0, count: history.count)
        let first = history.first(where: { ($0 ?? .nan).isFinite }).flatMap { $0 } ?? 0
        var last = first
        for (i, x) in history.enumerated() {
            if let x, x.isFinite { last = x }
            out[i] = last
        }
        v = out
        var p = [Double](repeating: 0, count: out.count + 1)
        for i in 0..<out.count { p[i + 1] = p[i] + out[i] }
        prefix = p
    }
    subscript(i: Int) -> Double { v[max(0, min(i, v.count - 1))] }
    /// Mean over [a, b).
    func mean(_ a: Int, _ b: Int) -> Double {
        let a = max(0, a), b = min(b, v.count)
        return b > a ? (prefix[b] - prefix[a]) / Double(b - a) : self[b - 1]
    }
}

/// Out-of-sample forecasts at one horizon step: actuals, the model's and each baseline's.
struct OutOfSample {
    var actual: [Double] = []
    var model: [Double] = []
    /// The log-target twin's forecasts (empty without the twin).
    var logModel: [Double] = []
    var baselines: [[Double]] = [[], [], []]
    static let baselineNames = ["persistence", "seasonal-naive-24h", "seasonal-naive-168h"]

    mutating func add(actual a: Double, model m: Double, logModel lm: Double? = nil, persistence p: Double, seasonal24 s24: Double, seasonal168 s168: Double) {
        actual.append(a); model.append(m)
        if let lm { logModel.append(lm) }
        baselines[0].append(p); baselines[1].append(s24); baselines[2].append(s168)
    }

    /// MAPE (%) over actuals ≥ 1 gCO2eq/kWh.
    func mape(_ f: (Int) -> Double) -> Double {
        var s = 0.0, c = 0
        for i in actual.indices where actual[i] >= 1 { s += abs(actual[i] - f(i)) / actual[i]; c += 1 }
        return c > 0 ? 100 * s / Double(c) : .infinity
    }

    /// The ridge to use (the linear one, or the log-target twin when it has a strictly lower
    /// out-of-sample MAPE), then its weight against baseline `b` with the lowest out-of-sample MAPE
    /// (0 unless it beats the baseline by `margin`), the residual quantiles of that blend, and the
    /// scores (`model` = the chosen ridge; `model_linear`, `model_log` with the twin). No data: the
    /// baseline alone.
    /// - Parameter maxWeight: the chosen weight is clipped to it (`monotoneModelWeight`); the interval
    ///   and the `chosen` score are those of the clipped blend.
    func bestBlend(margin: Double, baseline b: Int, maxWeight: Double = 1) -> (baseline: Int, weight: Double, logTarget: Bool, quantiles: (Double, Double), scores: [String: Double]) {
        guard !actual.isEmpty else { return (b, 0, false, (0, 0), [:]) }
        let baseScores = (0..<3).map { k in mape { i in baselines[k][i] } }
        var extra: [String: Double] = [:]
        var logTarget = false
        var model = self.model
        if logModel.count == actual.count {
            let linearScore = mape { self.model[$0] }, logScore = mape { logModel[$0] }
            extra = ["model_linear": linearScore, "model_log": logScore]
            if logScore < linearScore { logTarget = true; model = logModel }
        }
        var best = (w: 0.0, score: Double.infinity)
        for k in 0...10 {
            let w = Double(10 - k) / 10   // ties favour the model
            let s = mape { i in w * model[i] + (1 - w) * baselines[b][i] }
            if s < best.score - 1e-12 { best = (w, s) }
        }
        if best.w > 0 && best.score > (1 - margin) * baseScores[b] { best = (0, baseScores[b]) }
        if best.w > maxWeight {
            let w = max(0, maxWeight)
            best = (w, mape { i in w * model[i] + (1 - w) * baselines[b][i] })
        }
        let residuals = actual.indices.map { i in actual[i] - (best.w * model[i] + (1 - best.w) * baselines[b][i]) }
        let q = ResidualQuantiles(residuals: [residuals])
        var scores: [String: Double] = ["model": mape { model[$0] }, "chosen": best.score]
        for k in 0..<3 { scores[Self.baselineNames[k]] = baseScores[k] }
        scores.merge(extra) { a, _ in a }
        return (b, best.w, logTarget, (q.lower[0], q.upper[0]), scores)
    }
}

/// The feature layout and the shared-Gram training.
struct FeatureDesign {
    let c: RidgeIntensityForecaster.Configuration
    let slotSeconds: Int
    let sph: Int
    let names: [String]
    let sharedCount: Int
    /// Index of `last` among the shared features (the per-step level columns share its standardisation).
    let lastIndex: Int
    /// Per-step columns: same time latest day and week, then (with `dailyPhaseInteractions`) the
    /// latest day's value times sin and cos of the origin's time of day.
    let perStepCount: Int
    /// The log-target twin's layout: the level features (`last`, `last_2`, `last_minus_3h`,
    /// `last_minus_6h`, `mean_24h`, and per step the same time on the latest day and week) enter as
    /// log(max(x, floor)) and the target as log(max(y, floor)), fitted unweighted; a forecast is
    /// exp(ridge). The phase interactions and `last_yesterday` stay in gCO2eq/kWh (the layout the
    /// prototype measured, `variants.py` option `logx`). Floor: `weightFloorGramsPerKWh`.
    let logLevels: Bool
    /// Level features taken as logs in the twin: indices in the shared features.
    var loggedShared: Range<Int> { lastIndex..<(lastIndex + 5) }

    init(configuration: RidgeIntensityForecaster.Configuration, slotSeconds: Int, logLevels: Bool = false) {
        c = configuration
        self.logLevels = logLevels
        self.slotSeconds = slotSeconds
        sph = max(1, 3600 / max(1, slotSeconds))
        var n: [String] = []
        for k in 1...max(1, c.dailyHarmonics) where c.dailyHarmonics > 0 { n += ["sin_day_\(k)", "cos_day_\(k)"] }
        for k in 1...max(1, c.weeklyHarmonics) where c.weeklyHarmonics > 0 { n += ["sin_week_\(k)", "cos_week_\(k)"] }
        lastIndex = n.count
        n += ["last", "last_2", "last_minus_3h", "last_minus_6h", "mean_24h"]
        if c.dailyPhaseInteractions { n += ["last_times_sin_day", "last_times_cos_day"] }
        if c.lastYesterdayFeature { n += ["last_yesterday"] }
        sharedCount = n.count
        var p = ["same_time_latest_day", "same_time_latest_week"]
        if c.dailyPhaseInteractions { p += ["same_time_latest_day_times_sin_day", "same_time_latest_day_times_cos_day"] }
        perStepCount = p.count
        if logLevels {
            for j in lastIndex..<(lastIndex + 5) { n[j] = "log_" + n[j] }
            p[0] = "log_" + p[0]; p[1] = "log_" + p[1]
        }
        names = n + p
    }

    /// log(max(x, floor)), the twin's level transform.
    @inline(__always) func logLevel(_ x: Double) -> Double { Foundation.log(Swift.max(x, c.weightFloorGramsPerKWh)) }

    /// sin and cos of the UTC time of day of instant `t` (seconds since 1970), k = 1.
    static func dayPhase(_ t: Double) -> (sin: Double, cos: Double) {
        let a = 2 * Double.pi * t.truncatingRemainder(dividingBy: 86400) / 86400
        return (sin(a), cos(a))
    }

    /// Shared features of origin index `o` (history index of the first forecast slot).
    func shared(values f: ForwardFilled, at o: Int, start0: Date) -> [Double] {
        var x = [Double]()
        x.reserveCapacity(sharedCount)
        let t = start0.timeIntervalSince1970 + Double(o * slotSeconds)
        let day = t.truncatingRemainder(dividingBy: 86400) / 86400
        // 1970-01-01 was a Thursday; week phase 0 = Monday 00:00 UTC.
        let week = (t + 3 * 86400).truncatingRemainder(dividingBy: 7 * 86400) / (7 * 86400)
        if c.dailyHarmonics > 0 {
            for k in 1...c.dailyHarmonics { let a = 2 * Double.pi * Double(k) * day; x.append(sin(a)); x.append(cos(a)) }
        }
        if c.weeklyHarmonics > 0 {
            for k in 1...c.weeklyHarmonics { let a = 2 * Double.pi * Double(k) * week; x.append(sin(a)); x.append(cos(a)) }
        }
        let last = f[o - 1]
        x.append(last); x.append(f[o - 2]); x.append(f[o - 1 - 3 * sph]); x.append(f[o - 1 - 6 * sph])
        x.append(f.mean(o - 24 * sph, o))
        if c.dailyPhaseInteractions {
            let ph = Self.dayPhase(t)
            x.append(last * ph.sin); x.append(last * ph.cos)
        }
        if c.lastYesterdayFeature { x.append(f[o - 1 - 24 * sph]) }
        if logLevels { for j in loggedShared { x[j] = logLevel(x[j]) } }
        return x
    }

    /// Per-step features: same time on the latest known day and week, and (with
    /// `dailyPhaseInteractions`) the latest day's value times sin and cos of the origin's time of day.
    func perStep(values f: ForwardFilled, at o: Int, step h: Int, start0: Date) -> [Double] {
        let d = 24 * sph, w = 168 * sph
        let sameDay = f[SeasonalNaiveForecaster.sourceIndex(count: o, step: h, periodSlots: d)]
        var p = [sameDay, f[SeasonalNaiveForecaster.sourceIndex(count: o, step: h, periodSlots: w)]]
        if c.dailyPhaseInteractions {
            let ph = Self.dayPhase(start0.timeIntervalSince1970 + Double(o * slotSeconds))
            p.append(sameDay * ph.sin); p.append(sameDay * ph.cos)
        }
        if logLevels { p[0] = logLevel(p[0]); p[1] = logLevel(p[1]) }
        return p
    }

    struct Fit {
        /// True for the log-target twin: `predict` exponentiates.
        var logTarget = false
        var means: [Double]
        var scales: [Double]
        var intercepts: [Double]
        var coefficients: [[Double]]
        /// Prediction from raw features.
        func predict(shared x: [Double], perStep p: [Double], step h: Int) -> Double {
            var s = intercepts[h]
            let beta = coefficients[h]
            for j in 0..<x.count { s += beta[j] * (x[j] - means[j]) / scales[j] }
            for j in 0..<p.count { s += beta[x.count + j] * (p[j] - means[x.count + j]) / scales[x.count + j] }
            return logTarget ? Foundation.exp(Swift.min(s, Self.maxLogIntensity)) : s
        }
        /// Cap on a log forecast before exp (e^20 ≈ 4.9·10⁸ g: finite, and far above any grid).
        static let maxLogIntensity = 20.0
    }

    /// Trains every step on origins o ∈ [from, to − h) whose target history[o + h] is known.
    /// Standardisation uses the means and standard deviations over all origins of the window.
    /// - Parameter referenceGram: accumulate the Gram one row at a time (the path before the rows were
    ///   blocked, `GramAccumulation`); kept for the test that the blocked path gives the same fit.
    func fit(values f: ForwardFilled, history: ArraySlice<Double?>, start0: Date, from: Int, to: Int,
             horizonSlots H: Int, lambda: Double, floor: Double, referenceGram: Bool = false) -> Fit? {
        let ds = sharedCount, d = ds + perStepCount
        let m = to - from
        guard m > d * 4 else { return nil }
        // Shared rows, weights.
        var xs = [[Double]](); xs.reserveCapacity(m)
        for o in from..<to { xs.append(shared(values: f, at: o, start0: start0)) }
        // Standardisation (unweighted mean/sd over the window; seasonal columns: same as the level, "last").
        var means = [Double](repeating: 0, count: d), scales = [Double](repeating: 1, count: d)
        for j in 0..<ds {
            var s = 0.0, s2 = 0.0
            for i in 0..<m { s += xs[i][j]; s2 += xs[i][j] * xs[i][j] }
            let mu = s / Double(m)
            means[j] = mu
            let v = max(0, s2 / Double(m) - mu * mu)
            scales[j] = v > 1e-12 ? v.squareRoot() : 1
        }
        // Per-step level columns: the standardisation of `last`; their phase interactions: mean 0,
        // the scale of `last` (a level times a sine).
        means[ds] = means[lastIndex]; scales[ds] = scales[lastIndex]
        means[ds + 1] = means[lastIndex]; scales[ds + 1] = scales[lastIndex]
        for j in (ds + 2)..<d { means[j] = 0; scales[j] = scales[lastIndex] }
        if logLevels && d > ds + 2 {
            // The twin's interactions are in g (a raw level times a sine): the raw level's spread.
            var s = 0.0, s2 = 0.0
            for o in from..<to { let v = f[o - 1]; s += v; s2 += v * v }
            let mu = s / Double(m), v = max(0, s2 / Double(m) - mu * mu)
            for j in (ds + 2)..<d { scales[j] = v > 1e-12 ? v.squareRoot() : 1 }
        }
        // sin and cos of each origin's time of day, for the per-step interactions.
        var phase = [Double](repeating: 0, count: 2 * m)
        if c.dailyPhaseInteractions {
            for i in 0..<m {
                let ph = Self.dayPhase(start0.timeIntervalSince1970 + Double((from + i) * slotSeconds))
                phase[2 * i] = ph.sin; phase[2 * i + 1] = ph.cos
            }
        }
        let interactions = c.dailyPhaseInteractions
        let interactionScale = d > ds + 2 ? scales[ds + 2] : 1
        // Standardised shared rows.
        var z = [Double](repeating: 0, count: m * ds)
        for i in 0..<m { for j in 0..<ds { z[i * ds + j] = (xs[i][j] - means[j]) / scales[j] } }
        let full = d + 1  // [1, z, seasonal-day, seasonal-week, (seasonal-day × sin, × cos)]
        var intercepts = [Double](repeating: 0, count: H)
        var coefficients = [[Double]](repeating: [], count: H)
        var a = [Double](repeating: 0, count: full * full)
        var by = [Double](repeating: 0, count: full)
        var r = [Double](repeating: 0, count: full)
        var blocked = GramAccumulation(dimension: full)
        defer { blocked.deallocate() }
        let day = 24 * sph, weekSlots = 168 * sph
        // Targets (NaN = missing) and the standardised filled series the seasonal columns read.
        let n = history.count
        var target = [Double](repeating: .nan, count: n)
        for i in 0..<n { if let y = history[history.startIndex + i], y.isFinite { target[i] = y } }
        let logTarget = logLevels
        let g = logLevels ? f.v.map { (logLevel($0) - means[ds]) / scales[ds] } : f.v.map { ($0 - means[ds]) / scales[ds] }
        let fallbackIntercept = logTarget ? logLevel(f[to - 1]) : f[to - 1]
        let floorLevel = floor
        // Recency weights by origin (1 without a half-life): 0.5^((to − o) / half-life in slots).
        var recency = [Double](repeating: 1, count: m)
        if c.recencyHalfLifeWeeks > 0 {
            let halfLifeSlots = c.recencyHalfLifeWeeks * Double(weekSlots)
            for i in 0..<m { recency[i] = Foundation.exp2(-Double(to - (from + i)) / halfLifeSlots) }
        }
        for h in 0..<H {
            for k in 0..<(full * full) { a[k] = 0 }
            for k in 0..<full { by[k] = 0 }
            var wsum = 0.0, used = 0
            // Seasonal source = origin + constant offset for a fixed step.
            let cDay = SeasonalNaiveForecaster.sourceIndex(count: 0, step: h, periodSlots: day)
            let cWeek = SeasonalNaiveForecaster.sourceIndex(count: 0, step: h, periodSlots: weekSlots)
            // Origins with a known target inside the window: o + h < to.
            z.withUnsafeBufferPointer { zp in
            g.withUnsafeBufferPointer { gp in
            target.withUnsafeBufferPointer { tp in
            a.withUnsafeMutableBufferPointer { ap in
            by.withUnsafeMutableBufferPointer { bp in
            r.withUnsafeMutableBufferPointer { rp in
            phase.withUnsafeBufferPointer { php in
            recency.withUnsafeBufferPointer { rcp in
            f.v.withUnsafeBufferPointer { fp in
                for i in 0..<max(0, m - h) {
                    let o = from + i
                    var y = tp[o + h]
                    guard y.isFinite else { continue }
                    let level = max(y, floorLevel)
                    // The twin: log target, unweighted (a log error is already a relative one).
                    let wi = logTarget ? rcp[i] : rcp[i] / (level * level)
                    if logTarget { y = Foundation.log(level) }
                    wsum += wi
                    used += 1
                    rp[0] = 1
                    for j in 0..<ds { rp[j + 1] = zp[i * ds + j] }
                    rp[ds + 1] = gp[max(0, o + cDay)]
                    rp[ds + 2] = gp[max(0, o + cWeek)]
                    if interactions {
                        let sameDay = fp[max(0, o + cDay)] / interactionScale
                        rp[ds + 3] = sameDay * php[2 * i]
                        rp[ds + 4] = sameDay * php[2 * i + 1]
                    }
                    if referenceGram {
                        for j in 0..<full {
                            let wr = wi * rp[j]
                            bp[j] += wr * y
                            let row = j * full
                            for k in 0...j { ap[row + k] += wr * rp[k] }
                        }
                    } else {
                        blocked.add(row: rp.baseAddress!, weight: wi, target: y, gram: ap.baseAddress!, moment: bp.baseAddress!)
                    }
                }
                if !referenceGram { blocked.flush(gram: ap.baseAddress!, moment: bp.baseAddress!) }
            }}}}}}}}}
            guard used > d * 4, wsum > 0 else { coefficients[h] = [Double](repeating: 0, count: d); intercepts[h] = fallbackIntercept; continue }
            // Normalise the weights to mean 1 over the rows used, so λ is per row.
            let count = Double(used)
            let norm = count / wsum
            for k in 0..<(full * full) { a[k] *= norm }
            for k in 0..<full { by[k] *= norm }
            for j in 0..<full { for k in 0..<j { a[k * full + j] = a[j * full + k] } }
            for j in 1..<full { a[j * full + j] += lambda * count }
            guard let l = try? RidgeRegression.cholesky(a, dimension: full) else {
                coefficients[h] = [Double](repeating: 0, count: d); intercepts[h] = fallbackIntercept; continue
            }
            let beta = RidgeRegression.solve(cholesky: l, dimension: full, by)
            intercepts[h] = beta[0]
            coefficients[h] = Array(beta[1...])
        }
        return Fit(logTarget: logTarget, means: means, scales: scales, intercepts: intercepts, coefficients: coefficients)
    }
}
