import Foundation

/// Ridge fits kept from one training of `RidgeIntensityForecaster` to the next (pure, no I/O).
///
/// A training fits the ridge (and its log-target twin) on `validationFolds` windows ending a whole
/// number of weeks before the origin, then on the window ending at the origin. When the next training
/// comes exactly a week later (the weekly retrain of a forecaster asked at every slot, as in
/// `verdant simulate --replan`), its fold j is the previous training's fold j − 1 and its fold 1 the
/// previous final fit: the same rows of the same history, so the same fit. This cache hands those back
/// instead of fitting them again (8 of 9 fits per training, most of the training's cost,
/// docs/scheduling.md "Every trace").
///
/// A fit on window [from, to) reads the history only before `to` (features, targets, and the first
/// known value that fills leading gaps), so it is reused only when the new history agrees with the one
/// it was fitted on over [0, to), that prefix holds a known value, and every other input (feature
/// layout, configuration, slot length, instant of history[0], horizon) is equal: the result is
/// bit-identical to fitting again. Only fits used or made by the latest training are kept.
public final class RidgeFitCache {
    struct Key: Hashable {
        var from: Int, to: Int, horizonSlots: Int, slotSeconds: Int, logLevels: Bool
        var start0: Double
        var configuration: RidgeIntensityForecaster.Configuration
    }
    private var fits: [Key: FeatureDesign.Fit?] = [:]
    private var used: Set<Key> = []
    /// The history of the latest training.
    private var history: [Double?] = []
    /// Length of the prefix the current training's history shares with the previous one.
    private var sharedPrefix = 0
    /// Index of the first known value of the current history (nil: none).
    private var firstKnown: Int?
    /// Fits reused / made, over the cache's life (for tests and benchmarks).
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init() {}

    /// Starts a training on `newHistory`: keeps the fits whose window lies in the prefix it shares
    /// with the previous training's history.
    func begin(history newHistory: ArraySlice<Double?>) {
        var k = 0
        let limit = min(history.count, newHistory.count)
        var i = newHistory.startIndex
        while k < limit {
            let a = history[k], b = newHistory[i]
            // Same optional value, bit for bit (NaN equal to NaN, nil to nil).
            let same: Bool
            switch (a, b) {
            case (nil, nil): same = true
            case let (x?, y?): same = x.bitPattern == y.bitPattern
            default: same = false
            }
            guard same else { break }
            k += 1; i += 1
        }
        sharedPrefix = k
        firstKnown = newHistory.firstIndex(where: { ($0 ?? .nan).isFinite }).map { $0 - newHistory.startIndex }
        history = Array(newHistory)
        fits = fits.filter { used.contains($0.key) && $0.key.to <= sharedPrefix }
        used = []
    }

    /// The fit of `design` on [from, to), from the cache when it was made on the same data.
    func fit(_ design: FeatureDesign, values: ForwardFilled, history h: ArraySlice<Double?>, start0: Date, from: Int, to: Int,
             horizonSlots: Int, lambda: Double, floor: Double) -> FeatureDesign.Fit? {
        let key = Key(from: from, to: to, horizonSlots: horizonSlots, slotSeconds: design.slotSeconds, logLevels: design.logLevels,
                      start0: start0.timeIntervalSince1970, configuration: design.c)
        // lambda and floor come from the configuration; checked here so a caller passing others is not served a stale fit.
        let reusable = lambda == design.c.lambda && floor == design.c.weightFloorGramsPerKWh && (firstKnown.map { $0 < to } ?? false)
        if reusable, let cached = fits[key] {
            hits += 1
            used.insert(key)
            return cached
        }
        misses += 1
        let f = design.fit(values: values, history: h, start0: start0, from: from, to: to, horizonSlots: horizonSlots,
                           lambda: lambda, floor: floor)
        if reusable {
            fits[key] = .some(f)
            used.insert(key)
        }
        return f
    }
}
