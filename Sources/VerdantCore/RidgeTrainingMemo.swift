import Foundation

/// Trained models shared between `RidgeIntensityForecaster`s that replay the same trace (pure, no I/O).
///
/// A training is a function of its inputs only: the history before the origin, the origin, the slot
/// length, the horizon and the configuration (`RidgeIntensityForecaster.train`). Several replays of
/// one scenario (`verdant simulate` at submission, with `--replan`, non-interruptible and
/// interruptible, other churn thresholds: scripts/planning-forecast/replan, scripts/simulate-table
/// --replay) each retrain their own forecaster weekly, mostly at the same instants; with one memo
/// shared between their forecasters each such model is trained once. A forecaster still retrains on
/// its own schedule (`needsRetrain`); the memo only hands back the model a training at that instant
/// on the same history gave before, so every forecast is bit-identical to training again.
/// Not used by the daemon (one forecaster, trained daily).
public final class RidgeTrainingMemo {
    struct Key: Hashable {
        var origin: Double, count: Int, slotSeconds: Int, horizonSlots: Int
        var configuration: RidgeIntensityForecaster.Configuration
    }
    private var models: [Key: (history: [Double?], model: TrainedIntensityModel?)] = [:]
    /// Trainings handed back / run, over the memo's life.
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// One fit cache for the trainings the memo runs (they come in any order from several forecasters).
    /// nil: every window fitted afresh.
    public var fitCache: RidgeFitCache? = RidgeFitCache()

    public init() {}

    /// The model trained on `history` for `origin`: from the memo when the same training ran before
    /// (same history, value for value), otherwise trained now (with the memo's `RidgeFitCache`) and kept.
    func model(history: ArraySlice<Double?>, origin: Date, slotSeconds: Int, horizonSlots: Int,
               configuration: RidgeIntensityForecaster.Configuration) -> TrainedIntensityModel? {
        let key = Key(origin: origin.timeIntervalSince1970, count: history.count, slotSeconds: slotSeconds,
                      horizonSlots: horizonSlots, configuration: configuration)
        if let kept = models[key], Self.same(kept.history, history) {
            hits += 1
            return kept.model
        }
        misses += 1
        let m = RidgeIntensityForecaster.train(history: history, origin: origin, slotSeconds: slotSeconds, horizonSlots: horizonSlots,
                                               configuration: configuration, fitCache: fitCache)
        models[key] = (Array(history), m)
        return m
    }

    /// Equal value for value, bit for bit (nil equal to nil).
    static func same(_ a: [Double?], _ b: ArraySlice<Double?>) -> Bool {
        guard a.count == b.count else { return false }
        var i = b.startIndex
        for x in a {
            switch (x, b[i]) {
            case (nil, nil): break
            case let (u?, v?): if u.bitPattern != v.bitPattern { return false }
            default: return false
            }
            i += 1
        }
        return true
    }
}
