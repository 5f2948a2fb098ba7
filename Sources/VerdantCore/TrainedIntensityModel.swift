import Foundation

/// A trained carbon-intensity model: what the daemon stores and what `RidgeIntensityForecaster`
/// forecasts with. Codable (its JSON is stored with the model row).
public struct TrainedIntensityModel: Sendable, Codable, Hashable {
    /// One horizon step (step 0 = the slot starting at the origin).
    public struct Step: Sendable, Codable, Hashable {
        /// Ridge intercept: gCO2eq/kWh, or log gCO2eq/kWh when `logTarget`.
        public var intercept: Double
        /// Ridge coefficients on the standardised features, in `featureNames` order (`logFeatureNames`
        /// when `logTarget`).
        public var coefficients: [Double]
        /// The baseline blended in: 0 persistence, 1 seasonal naive 24 h, 2 seasonal naive 168 h.
        public var baseline: Int
        /// Weight of the ridge in `w·ridge + (1 − w)·baseline` (0: the baseline alone).
        public var modelWeight: Double
        /// 10th and 90th percentile of the out-of-sample residuals (actual − forecast), gCO2eq/kWh.
        public var residualLower: Double
        public var residualUpper: Double
        /// Out-of-sample MAPE (%) on the validation folds: `model` (the ridge used), `chosen` (the
        /// blend used), each baseline by name, and with the twin `model_linear` and `model_log`.
        public var validationMAPE: [String: Double]
        /// True: this step's ridge is the log-target twin (forecast = exp(ridge) on the
        /// `logFeatureNames` layout), chosen because its out-of-sample MAPE was lower; false: the
        /// linear ridge; nil: a model trained without the twin (every model stored before it existed).
        public var logTarget: Bool?
    }

    /// Model name, e.g. `ridge-v1`.
    public var name: String
    /// The origin it was trained for: it saw only data before this instant.
    public var trainedAt: Date
    /// Slot length, s.
    public var slotSeconds: Int
    /// Training window [start, end).
    public var trainingStart: Date
    public var trainingEnd: Date
    /// Validation folds that could be formed (0: not enough history; then every step is seasonal naive 24 h).
    public var validationFolds: Int
    /// Feature names (shared ones first, then the two per-step seasonal ones).
    public var featureNames: [String]
    /// Standardisation of each feature: (x − mean) / scale.
    public var means: [Double]
    public var scales: [Double]
    /// The log-target twin's feature names and standardisation (nil: trained without the twin).
    public var logFeatureNames: [String]?
    public var logMeans: [Double]?
    public var logScales: [Double]?
    public var configuration: RidgeIntensityForecaster.Configuration
    public var steps: [Step]

    /// Baseline names by index.
    public static let baselineNames = OutOfSample.baselineNames

    /// What step `h` uses, e.g. `ridge-v1`, `ridge-v1 (log)` (the log-target twin),
    /// `seasonal-naive-24h`, or `0.7 ridge-v1 + 0.3 persistence`.
    public func selection(step h: Int) -> String {
        let s = steps[min(h, steps.count - 1)]
        let b = Self.baselineNames[s.baseline]
        let ridge = s.logTarget == true ? name + " (log)" : name
        if s.modelWeight >= 1 { return ridge }
        if s.modelWeight <= 0 { return b }
        return String(format: "%.1f %@ + %.1f %@", s.modelWeight, ridge, 1 - s.modelWeight, b)
    }

    /// True when the chosen forecast at every step is no worse than seasonal naive 24 h on the
    /// validation folds (by construction unless there were no folds).
    public var beatsSeasonalNaive: Bool {
        validationFolds > 0 && steps.allSatisfy { s in
            (s.validationMAPE["chosen"] ?? .infinity) <= (s.validationMAPE["seasonal-naive-24h"] ?? .infinity) + 1e-9
        }
    }

    /// Mean validation MAPE (%) over the steps for `key` (`model`, `chosen`, a baseline name).
    public func meanValidationMAPE(_ key: String) -> Double? {
        let v = steps.compactMap { $0.validationMAPE[key] }.filter(\.isFinite)
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
    }

    /// Forecast from a history that ends just before the origin. Always `horizonSlots` finite points.
    public func forecast(history: ArraySlice<Double?>, origin: Date, horizonSlots: Int) -> [IntensityForecastPoint] {
        guard IntensityForecasting.lastKnown(history) != nil else {
            return Array(repeating: IntensityForecastPoint(intensityGramsPerKWh: 0, lowerGramsPerKWh: 0, upperGramsPerKWh: 0), count: horizonSlots)
        }
        let f = ForwardFilled(history)
        let design = FeatureDesign(configuration: configuration, slotSeconds: slotSeconds)
        let o = history.count
        let start0 = origin.addingTimeInterval(-Double(o * slotSeconds))
        let x = design.shared(values: f, at: o, start0: start0)
        // The twin's layout, when some step uses it.
        var logDesign: FeatureDesign? = nil, lx: [Double] = []
        if let lm = logMeans, let ls = logScales, lm.count == means.count, ls.count == scales.count,
           steps.contains(where: { $0.logTarget == true }) {
            let d = FeatureDesign(configuration: configuration, slotSeconds: slotSeconds, logLevels: true)
            logDesign = d
            lx = d.shared(values: f, at: o, start0: start0)
        }
        var out: [IntensityForecastPoint] = []
        out.reserveCapacity(horizonSlots)
        for h in 0..<horizonSlots {
            let s = steps[min(h, steps.count - 1)]
            let p = design.perStep(values: f, at: o, step: h, start0: start0)
            var ridge = s.intercept
            if s.logTarget == true, let logDesign, let lm = logMeans, let ls = logScales {
                let lp = logDesign.perStep(values: f, at: o, step: h, start0: start0)
                for j in 0..<lx.count { ridge += s.coefficients[j] * (lx[j] - lm[j]) / ls[j] }
                for j in 0..<lp.count { ridge += s.coefficients[lx.count + j] * (lp[j] - lm[lx.count + j]) / ls[lx.count + j] }
                ridge = exp(min(ridge, FeatureDesign.Fit.maxLogIntensity))
            } else {
                for j in 0..<x.count { ridge += s.coefficients[j] * (x[j] - means[j]) / scales[j] }
                for j in 0..<p.count { ridge += s.coefficients[x.count + j] * (p[j] - means[x.count + j]) / scales[x.count + j] }
            }
            let base = s.baseline == 0 ? f[o - 1] : p[s.baseline - 1]
            var v = s.modelWeight * ridge + (1 - s.modelWeight) * base
            if !v.isFinite { v = base.isFinite ? base : 0 }
            v = max(0, v)
            let lo = max(0, min(v, v + s.residualLower)), hi = max(v, v + s.residualUpper)
            out.append(IntensityForecastPoint(intensityGramsPerKWh: v, lowerGramsPerKWh: lo.isFinite ? lo : v, upperGramsPerKWh: hi.isFinite ? hi : v))
        }
        return out
    }
}
