import Foundation

/// One observation of the host's CPU power: what the power model is fitted on.
public struct PowerSample: Sendable, Hashable, Codable {
    /// Busy fraction of all CPUs, 0…1.
    public var utilisation: Double
    /// Mean f / f_max, or `nil` where cpufreq is absent.
    public var frequencyRatio: Double?
    /// Measured power (W): counter delta over the interval / its length.
    public var watts: Double

    public init(utilisation: Double, frequencyRatio: Double?, watts: Double) {
        self.utilisation = utilisation
        self.frequencyRatio = frequencyRatio
        self.watts = watts
    }
}

/// Fits `CPUPowerModel`'s curve P = P_idle + P_dyn·u^c·q^k to power samples.
///
/// For each exponent pair on a grid (c from 0.20 to 2.00 in steps of 0.05; k in {0, 1, 2, 3} when every
/// sample has a frequency ratio, else 0) the weights (P_idle, P_dyn) are the closed-form weighted
/// least-squares solution minimising Σ((P̂ − P)/P)² (relative error, so low-load samples weigh as much
/// as high-load ones); pairs giving a negative weight are skipped; the pair with the lowest mean
/// absolute percentage error wins.
public enum PowerCurveFit {
    /// The utilisation exponent grid.
    public static let exponents: [Double] = (0...36).map { 0.20 + Double($0) * 0.05 }
    /// The frequency exponent grid (k = 3: P ∝ f·V² with V ∝ f).
    public static let frequencyExponents: [Double] = [0, 1, 2, 3]

    /// - Parameters:
    ///   - samples: at least 4 with power above 0 (others are ignored).
    ///   - useFrequency: allow k > 0 (still needs every sample to have a ratio).
    /// - Returns: the model (with `fitMAPE`), or `nil` when the samples cannot determine it (fewer than
    ///   4, or all within 5 % utilisation of each other).
    public static func fit(_ samples: [PowerSample], useFrequency: Bool = true, name: String = "learned-cpu",
                           version: Int = 0) -> CPUPowerModel? {
        let s = samples.filter { $0.watts > 0 && $0.utilisation.isFinite && $0.watts.isFinite }
        guard s.count >= 4 else { return nil }
        let us = s.map(\.utilisation)
        guard let lo = us.min(), let hi = us.max(), hi - lo >= 0.05 else { return nil }
        let ks = useFrequency && s.allSatisfy({ $0.frequencyRatio != nil }) ? frequencyExponents : [0]
        var best: (mape: Double, model: CPUPowerModel)?
        for c in exponents {
            for k in ks {
                guard let w = solve(s, exponent: c, frequencyExponent: k), w[0] >= 0, w[1] >= 0 else { continue }
                let m = CPUPowerModel(idlePower: PowerWatts(w[0]), dynamicWatts: w[1], exponent: c, frequencyExponent: k,
                                      name: name, version: version)
                let e = mape(m, s)
                if best == nil || e < best!.mape { best = (e, m) }
            }
        }
        guard var m = best?.model else { return nil }
        m.fitMAPE = best!.mape
        return m
    }

    /// Mean absolute percentage error (a fraction: 0.1 = 10 %) of `model` on `samples`.
    public static func mape(_ model: CPUPowerModel, _ samples: [PowerSample]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum = 0.0
        for x in samples {
            let p = model.power(utilisation: x.utilisation, frequencyRatio: x.frequencyRatio).watts
            sum += abs(p - x.watts) / x.watts
        }
        return sum / Double(samples.count)
    }

    /// Weighted least squares for one (c, k): normal equations (XᵀWX)w = XᵀWy with W = 1/y².
    static func solve(_ s: [PowerSample], exponent c: Double, frequencyExponent k: Double) -> [Double]? {
        var a = [[0.0, 0.0], [0.0, 0.0]]
        var b = [0.0, 0.0]
        for x in s {
            let u = min(max(x.utilisation, 0), 1)
            let q = min(max(x.frequencyRatio ?? 1, 0), 1.5)
            let f = [1, CPUPowerModel.pow(u, c) * (k == 0 ? 1 : CPUPowerModel.pow(q, k))]
            let w = 1 / (x.watts * x.watts)
            for i in 0..<2 {
                b[i] += w * f[i] * x.watts
                for j in 0..<2 { a[i][j] += w * f[i] * f[j] }
            }
        }
        return gaussianSolve(a, b)
    }

    /// Solves a small dense system by Gaussian elimination with partial pivoting; `nil` when singular.
    static func gaussianSolve(_ a0: [[Double]], _ b0: [Double]) -> [Double]? {
        var a = a0, b = b0
        let n = b.count
        let scale = a.flatMap { $0 }.map(abs).max() ?? 0
        guard scale > 0 else { return nil }
        for col in 0..<n {
            var piv = col
            for r in (col + 1)..<max(n, col + 1) where abs(a[r][col]) > abs(a[piv][col]) { piv = r }
            guard abs(a[piv][col]) > 1e-12 * scale else { return nil }
            a.swapAt(col, piv); b.swapAt(col, piv)
            for r in 0..<n where r != col {
                let k = a[r][col] / a[col][col]
                for j in col..<n { a[r][j] -= k * a[col][j] }
                b[r] -= k * b[col]
            }
        }
        return (0..<n).map { b[$0] / a[$0][$0] }
    }
}

/// The daemon's online power model on a host with counters: every measured interval becomes a
/// `PowerSample`; the model is fitted once enough samples span enough load, and refitted when its
/// rolling error on new intervals exceeds `recalibrationThreshold`.
///
/// Samples are kept in 20 utilisation bins (0–5 %, 5–10 %, …) of at most `samplesPerBin` each (the
/// newest replace the oldest), so hours at idle do not crowd out the few busy intervals.
public struct OnlinePowerModel: Sendable {
    /// Rolling MAPE above which the model is refitted (0.15 = 15 %).
    public var recalibrationThreshold: Double
    /// Intervals in the rolling error window, and the fewest new ones between two refits.
    public var window: Int
    /// Samples kept per utilisation bin.
    public var samplesPerBin: Int
    /// Intervals shorter than this are not used (their power mostly measures counter granularity).
    public var minimumSeconds: Double
    /// The current model, if fitted.
    public private(set) var model: CPUPowerModel?
    private var bins: [[PowerSample]] = Array(repeating: [], count: 20)
    private var recentErrors: [Double] = []
    private var sinceFit = 0

    public init(model: CPUPowerModel? = nil, recalibrationThreshold: Double = 0.15, window: Int = 30,
                samplesPerBin: Int = 16, minimumSeconds: Double = 0.5) {
        self.model = model
        self.recalibrationThreshold = recalibrationThreshold
        self.window = window
        self.samplesPerBin = samplesPerBin
        self.minimumSeconds = minimumSeconds
    }

    /// The samples currently kept.
    public var samples: [PowerSample] { bins.flatMap { $0 } }

    /// The rolling MAPE of the current model on the last `window` intervals, or `nil` before any.
    public var rollingError: Double? {
        recentErrors.isEmpty ? nil : recentErrors.reduce(0, +) / Double(recentErrors.count)
    }

    /// Adds one measured interval.
    /// - Returns: the new model when this interval caused a (re)fit, else `nil`.
    public mutating func observe(_ interval: NodeInterval) -> CPUPowerModel? {
        guard interval.source == .measured, let e = interval.energy, interval.seconds >= minimumSeconds else { return nil }
        return observe(PowerSample(utilisation: interval.utilisation, frequencyRatio: interval.frequencyRatio,
                                   watts: e.joules / interval.seconds))
    }

    /// Adds one sample. See `observe(_:)` for intervals.
    public mutating func observe(_ s: PowerSample) -> CPUPowerModel? {
        guard s.watts > 0.1, s.watts.isFinite else { return nil }
        let bin = min(Int(min(max(s.utilisation, 0), 1) * 20), 19)
        if bins[bin].count >= samplesPerBin { bins[bin].removeFirst() }
        bins[bin].append(s)
        sinceFit += 1
        if let m = model {
            let p = m.power(utilisation: s.utilisation, frequencyRatio: s.frequencyRatio).watts
            recentErrors.append(abs(p - s.watts) / s.watts)
            if recentErrors.count > window { recentErrors.removeFirst(recentErrors.count - window) }
            guard recentErrors.count >= min(window, 5), (rollingError ?? 0) > recalibrationThreshold,
                  sinceFit >= min(window, 5) else { return nil }
        } else if sinceFit < 4 {
            return nil
        }
        let version = (model?.version ?? 0) + 1
        guard let fitted = PowerCurveFit.fit(samples, name: "learned-cpu-v\(version)", version: version) else { return nil }
        model = fitted
        recentErrors.removeAll(keepingCapacity: true)
        sinceFit = 0
        return fitted
    }
}
