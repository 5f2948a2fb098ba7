import Foundation

/// Maps the monotonic clock onto trace time for replay: trace(t) = anchor + (t − t₀) × speed.
///
/// With speed 3600 one trace hour passes per real second, so a demo or a test watches a day pass in
/// 24 s. Without replay Verdant uses the system's UTC wall clock instead.
public struct ReplayClock: Sendable, Hashable {
    /// Trace time at `anchorMonotonicNanos`.
    public let anchor: Date
    /// CLOCK_MONOTONIC (ns) at which trace time was `anchor`.
    public let anchorMonotonicNanos: UInt64
    /// Trace seconds per real second (> 0).
    public let speed: Double

    public init(anchor: Date, anchorMonotonicNanos: UInt64, speed: Double) {
        self.anchor = anchor
        self.anchorMonotonicNanos = anchorMonotonicNanos
        self.speed = speed
    }

    /// Trace time at monotonic instant `nanos`.
    public func traceTime(atMonotonicNanos nanos: UInt64) -> Date {
        let real = nanos >= anchorMonotonicNanos ? Double(nanos - anchorMonotonicNanos) / 1e9 : -Double(anchorMonotonicNanos - nanos) / 1e9
        return anchor.addingTimeInterval(real * speed)
    }

    /// Real seconds until trace time reaches `t` (0 when it already has).
    public func realSeconds(until t: Date, fromMonotonicNanos nanos: UInt64) -> Double {
        max(0, t.timeIntervalSince(traceTime(atMonotonicNanos: nanos)) / speed)
    }
}
