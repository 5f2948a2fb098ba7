import Foundation

// The job-energy predictor (issue 5): from a job's earlier finished runs, its energy and duration
// before it runs, each with an uncertainty. Pure: the runs come in as values. Model card:
// docs/models.md, "Job-energy predictor".

/// Declared size fields of a job (`verdant submit --size epochs=10`): what the job's work scales with.
public enum JobSizeSyntax {
    /// The most size fields one job may declare.
    public static let maximumCount = 8

    /// Parses one `NAME=VALUE` declaration.
    /// - Returns: the name and the value.
    /// - Throws: `JobSizeError` when the name is not 1–32 of `[A-Za-z0-9_.-]` starting with a letter,
    ///   or the value is not a finite number > 0 (a size of 0 or less has no meaning as work).
    public static func parse(_ text: String) throws -> (name: String, value: Double) {
        guard let eq = text.firstIndex(of: "=") else {
            throw JobSizeError("--size '\(text)' has no '=': write NAME=VALUE, e.g. --size epochs=10")
        }
        let name = String(text[..<eq]), raw = String(text[text.index(after: eq)...])
        try validate(name: name)
        guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
            throw JobSizeError("--size \(name)='\(raw)' is not a number greater than 0: write e.g. --size \(name)=10")
        }
        return (name, value)
    }

    /// Checks a whole set of declared sizes (as the API receives them).
    /// - Throws: `JobSizeError` naming the first bad field.
    public static func validate(_ sizes: [String: Double]) throws {
        guard sizes.count <= maximumCount else {
            throw JobSizeError("\(sizes.count) --size fields: at most \(maximumCount) are accepted")
        }
        for (name, value) in sizes.sorted(by: { $0.key < $1.key }) {
            try validate(name: name)
            guard value.isFinite, value > 0 else {
                throw JobSizeError("--size \(name)=\(value) is not a number greater than 0: write e.g. --size \(name)=10")
            }
        }
    }

    private static func validate(name: String) throws {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        guard (1...32).contains(name.count), name.unicodeScalars.allSatisfy(allowed.contains),
              name.unicodeScalars.first.map(CharacterSet.letters.contains) == true else {
            throw JobSizeError("--size name '\(name)' must be 1 to 32 letters, digits, '_', '.' or '-', starting with a letter (e.g. epochs)")
        }
    }

    /// The ways a size value can appear as a command argument: `10` and `10.0` for 10, `0.5` for 0.5.
    static func spellings(_ v: Double) -> [String] {
        var out = ["\(v)"]
        if v == v.rounded(), abs(v) < 1e15 { out.insert(String(Int64(v)), at: 0) }
        return out
    }
}

/// A size declaration that cannot be used, with what to write instead.
public struct JobSizeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// What makes two jobs "the same job" for the predictor: name, kind, command, and the names of the
/// declared size fields. The size *values* are not part of it: they are what the model scales with.
///
/// The command is normalised so that a job whose arguments repeat its sizes keeps one signature:
/// an argument equal to a declared size value (`10`), or ending in `=` and that value (`--epochs=10`),
/// becomes `{NAME}` (`{epochs}`, `--epochs={epochs}`). So `train.py --epochs 10 --size epochs=10` and
/// `train.py --epochs 20 --size epochs=20` share a signature.
public struct JobSignature: Hashable, Sendable {
    public let name: String
    public let kind: JobKind
    /// argv with size values replaced by `{NAME}`.
    public let command: [String]
    /// The declared size names, sorted.
    public let sizeNames: [String]

    public init(name: String, kind: JobKind, command: [String], sizes: [String: Double]) {
        self.name = name
        self.kind = kind
        self.sizeNames = sizes.keys.sorted()
        let ordered = sizes.sorted { $0.key < $1.key }
        self.command = command.map { arg in
            for (n, v) in ordered {
                for s in JobSizeSyntax.spellings(v) {
                    if arg == s { return "{\(n)}" }
                    if arg.hasSuffix("=" + s) { return String(arg.dropLast(s.count)) + "{\(n)}" }
                }
            }
            return arg
        }
    }
}

/// One earlier finished run the predictor learns from: its signature, declared sizes, and what was
/// measured (duration in daemon time — trace time in replay mode — and energy).
public struct PredictorRun: Sendable, Hashable {
    public var signature: JobSignature
    public var sizes: [String: Double]
    public var durationSeconds: Double
    public var energy: EnergyJoules

    public init(signature: JobSignature, sizes: [String: Double], durationSeconds: Double, energy: EnergyJoules) {
        self.signature = signature
        self.sizes = sizes
        self.durationSeconds = durationSeconds
        self.energy = energy
    }

    /// The run of a finished job, or `nil` when it cannot teach anything: only `succeeded` jobs with a
    /// measured duration (`durationSeconds`, recorded when the daemon saw the job end) > 0 and an
    /// energy > 0 count. A failed run stopped early; energy that was not measured is `nil`, never 0;
    /// a job that ended while verdantd was away has only part of its energy and no measured duration.
    public init?(job: Job) {
        guard job.state == .succeeded, let d = job.durationSeconds, d > 0, let energy = job.energy,
              energy.joules > 0 else { return nil }
        self.init(signature: JobSignature(name: job.name, kind: job.kind, command: job.command, sizes: job.sizes),
                  sizes: job.sizes, durationSeconds: d, energy: energy)
    }
}

/// Where a prediction came from, from most to least specific.
public enum PredictionBasis: String, Sendable, Codable, CaseIterable {
    /// Earlier runs with the same signature (name, kind, command, size names), scaled with size.
    case signature
    /// Earlier runs with the same name and kind but another command or other size fields.
    case nameKind = "name-kind"
    /// No usable run: the declared `--expected-duration` and the kind's policy power.
    case declared
    /// No usable run and nothing declared: the kind's policy defaults.
    case policy
}

/// A job's predicted duration and energy, each with one standard deviation of uncertainty.
public struct JobPrediction: Sendable, Hashable {
    /// Predicted duration (s, daemon time): what the planner plans with.
    public var durationSeconds: Double
    /// One standard deviation of the duration (s).
    public var durationUncertaintySeconds: Double
    public var energy: EnergyJoules
    /// One standard deviation of the energy.
    public var energyUncertainty: EnergyJoules
    public var basis: PredictionBasis
    /// Earlier runs the prediction was fitted on (0 for a cold start).
    public var runs: Int

    public init(durationSeconds: Double, durationUncertaintySeconds: Double, energy: EnergyJoules,
                energyUncertainty: EnergyJoules, basis: PredictionBasis, runs: Int) {
        self.durationSeconds = durationSeconds
        self.durationUncertaintySeconds = durationUncertaintySeconds
        self.energy = energy
        self.energyUncertainty = energyUncertainty
        self.basis = basis
        self.runs = runs
    }

    /// The duration source shown since v1: `given`, `history` or `policy`.
    public var durationSource: DurationSource {
        switch basis {
        case .signature, .nameKind: return .history
        case .declared: return .given
        case .policy: return .policy
        }
    }
}

/// Predicts a job's energy and duration from its earlier runs.
///
/// The model, per target (energy, duration), on the runs of the most specific group that has any
/// (same signature, else same name and kind, else a cold start):
/// - **Work units** `u` = the product of the declared size values (1 when none are declared, or when the
///   group's runs declared other size names): work is assumed to scale with epochs × samples × ….
/// - **Recency weights** `w = decay^age` (age 0 for the newest run), so the model follows a job that drifts.
/// - **Fit**: with one distinct `u`, proportional scaling `y = b·u` (b = Σw·y / Σw·u: the weighted mean
///   cost per unit). With two or more, weighted least squares of `y = a + b·u` (a fixed cost such as
///   start-up, plus a cost per unit); if that gives `b < 0` the size explains nothing and the weighted
///   mean is used; if it gives `a < 0`, proportional scaling through the origin (b = Σw·u·y / Σw·u²).
/// - **Uncertainty**: relative residuals `r = (y − ŷ)/ŷ` of the fit, shrunk towards a prior relative
///   standard deviation σ₀ worth one run: σ = √((σ₀² + Σr²) / (1 + max(0, n − p))), with p the number
///   of fitted parameters; the uncertainty is σ·ŷ. Few runs give a wide interval, many good runs a narrow one.
/// - **Cold start**: duration = the declared `--expected-duration`, else the kind's policy duration;
///   energy = the kind's policy power × that duration (the v1 rule); relative uncertainty
///   `declaredRelativeSD` or `policyRelativeSD`.
///
/// Constants are engineering choices, not from a paper; docs/models.md reports how they score.
public struct JobEnergyPredictor: Sendable, Hashable {
    /// Weight of a run relative to the next newer one (0.9: a run 7 jobs old counts half).
    public var recencyDecay: Double = 0.9
    /// Prior relative SD for a fit on same-signature runs.
    public var signaturePriorRelativeSD: Double = 0.3
    /// Prior relative SD for a fit on same name and kind runs (a different command or sizes).
    public var nameKindPriorRelativeSD: Double = 0.5
    /// Relative SD of a declared duration.
    public var declaredRelativeSD: Double = 0.5
    /// Relative SD of a policy default (duration or power): a guess for a job never seen.
    public var policyRelativeSD: Double = 1.0
    /// Only the newest runs of a group are fitted.
    public var maximumRuns: Int = 50

    public init() {}

    /// The prediction for a job about to be planned.
    /// - Parameters:
    ///   - signature: the new job's signature; `sizes`: its declared sizes.
    ///   - declaredDurationSeconds: `--expected-duration`, used only for a cold start.
    ///   - policy: the kind's defaults.
    ///   - history: earlier runs, oldest first (any name: those that do not match are ignored).
    public func predict(signature: JobSignature, sizes: [String: Double], declaredDurationSeconds: Double?,
                        policy: KindPolicy, history: [PredictorRun]) -> JobPrediction {
        let same = history.filter { $0.signature == signature }
        if !same.isEmpty {
            return fitted(Array(same.suffix(maximumRuns)), sizes: sizes, useSizes: true,
                          prior: signaturePriorRelativeSD, basis: .signature)
        }
        let related = history.filter { $0.signature.name == signature.name && $0.signature.kind == signature.kind }
        if !related.isEmpty {
            // Sizes scale only between runs that declared the same size names as this one.
            let sameSizes = related.filter { $0.signature.sizeNames == signature.sizeNames }
            let group = sameSizes.isEmpty ? related : sameSizes
            return fitted(Array(group.suffix(maximumRuns)), sizes: sizes, useSizes: !sameSizes.isEmpty && !sizes.isEmpty,
                          prior: nameKindPriorRelativeSD, basis: .nameKind)
        }
        let duration = declaredDurationSeconds ?? policy.expectedDurationSeconds
        let dSD = declaredDurationSeconds == nil ? policyRelativeSD : declaredRelativeSD
        let energy = policy.power.energy(overSeconds: duration)
        return JobPrediction(durationSeconds: duration, durationUncertaintySeconds: dSD * duration,
                             energy: energy, energyUncertainty: energy * policyRelativeSD,
                             basis: declaredDurationSeconds == nil ? .policy : .declared, runs: 0)
    }

    private func fitted(_ runs: [PredictorRun], sizes: [String: Double], useSizes: Bool, prior: Double,
                        basis: PredictionBasis) -> JobPrediction {
        func units(_ s: [String: Double]) -> Double { useSizes ? s.values.reduce(1, *) : 1 }
        let u = runs.map { units($0.sizes) }
        let n = runs.count
        let w = (0..<n).map { pow(recencyDecay, Double(n - 1 - $0)) }
        let target = units(sizes)
        let d = ScalingFit(units: u, values: runs.map(\.durationSeconds), weights: w, priorRelativeSD: prior)
        let e = ScalingFit(units: u, values: runs.map(\.energy.joules), weights: w, priorRelativeSD: prior)
        let dHat = d.predict(target), eHat = e.predict(target)
        return JobPrediction(durationSeconds: dHat, durationUncertaintySeconds: d.relativeSD * dHat,
                             energy: EnergyJoules(eHat), energyUncertainty: EnergyJoules(e.relativeSD * eHat),
                             basis: basis, runs: n)
    }
}

/// `y = a + b·u` fitted to positive values by weighted least squares, with the fallbacks and the
/// relative uncertainty described on `JobEnergyPredictor`.
public struct ScalingFit: Sendable, Hashable {
    /// Fixed part (same unit as the values).
    public let intercept: Double
    /// Part per work unit.
    public let slope: Double
    /// Parameters fitted: 2 for the affine fit, 1 otherwise.
    public let parameters: Int
    /// One standard deviation, relative to the prediction.
    public let relativeSD: Double

    /// - Parameters: `units`, `values`, `weights`: one each per run (at least one run; values > 0, weights > 0).
    public init(units u: [Double], values y: [Double], weights w: [Double], priorRelativeSD: Double) {
        precondition(!u.isEmpty && u.count == y.count && y.count == w.count, "ScalingFit needs one unit, value and weight per run")
        let sw = w.reduce(0, +)
        let uBar = zip(w, u).map(*).reduce(0, +) / sw
        let yBar = zip(w, y).map(*).reduce(0, +) / sw
        let suu = (0..<u.count).map { w[$0] * (u[$0] - uBar) * (u[$0] - uBar) }.reduce(0, +)
        var a = 0.0, b = yBar / uBar, p = 1
        if suu > 1e-12 * max(1, uBar * uBar) * sw {
            let suy = (0..<u.count).map { w[$0] * (u[$0] - uBar) * (y[$0] - yBar) }.reduce(0, +)
            let slope = suy / suu
            let intercept = yBar - slope * uBar
            if slope < 0 {
                a = yBar; b = 0                                // size explains nothing here
            } else if intercept < 0 {
                let num = (0..<u.count).map { w[$0] * u[$0] * y[$0] }.reduce(0, +)
                let den = (0..<u.count).map { w[$0] * u[$0] * u[$0] }.reduce(0, +)
                b = num / den                                  // proportional through the origin
            } else {
                a = intercept; b = slope; p = 2
            }
        }
        intercept = a
        slope = b
        parameters = p
        var ss = priorRelativeSD * priorRelativeSD
        for i in 0..<u.count {
            let hat = a + b * u[i]
            if hat > 0 { ss += pow((y[i] - hat) / hat, 2) }
        }
        relativeSD = (ss / Double(1 + max(0, u.count - p))).squareRoot()
    }

    /// The fitted value at `u` work units (never below 0).
    public func predict(_ u: Double) -> Double { max(0, intercept + slope * u) }
}

/// How far a prediction was from what was measured: `(predicted − measured) / measured × 100` (%).
/// `nil` when nothing positive was measured (the error is undefined, not 0).
public func predictionErrorPercent(predicted: Double, measured: Double?) -> Double? {
    guard let measured, measured > 0, measured.isFinite, predicted.isFinite else { return nil }
    return (predicted - measured) / measured * 100
}

/// The predictor's accuracy over the last `window` succeeded jobs that recorded both errors:
/// mean absolute percentage error (MAPE, %) of energy and of duration.
public struct PredictorAccuracy: Sendable, Hashable, Codable {
    /// How many jobs at most are averaged (the newest).
    public let window: Int
    /// How many were (≤ window).
    public let jobs: Int
    /// `nil` when no job qualified.
    public let energyMAPEPercent: Double?
    public let durationMAPEPercent: Double?

    /// The default window of `verdant report`'s predictor section.
    public static let defaultWindow = 20

    enum CodingKeys: String, CodingKey {
        case window, jobs
        case energyMAPEPercent = "energy_mape_pct"
        case durationMAPEPercent = "duration_mape_pct"
    }

    /// Over `jobs` (any order; the newest by id count): succeeded jobs with a recorded energy error
    /// and duration error.
    public init(jobs all: [Job], window: Int = PredictorAccuracy.defaultWindow) {
        let scored = all.filter { $0.state == .succeeded && $0.energyErrorPercent != nil && $0.durationErrorPercent != nil }
            .sorted { ($0.id ?? 0) < ($1.id ?? 0) }.suffix(max(0, window))
        self.window = window
        jobs = scored.count
        energyMAPEPercent = scored.isEmpty ? nil : scored.map { abs($0.energyErrorPercent!) }.reduce(0, +) / Double(scored.count)
        durationMAPEPercent = scored.isEmpty ? nil : scored.map { abs($0.durationErrorPercent!) }.reduce(0, +) / Double(scored.count)
    }

    /// Encodes every key; absent MAPEs as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(window, forKey: .window)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(energyMAPEPercent, forKey: .energyMAPEPercent)
        try c.encode(durationMAPEPercent, forKey: .durationMAPEPercent)
    }
}
