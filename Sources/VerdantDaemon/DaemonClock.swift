import Foundation
import VerdantCore
import VerdantSensors

/// The daemon's notion of now: trace time in replay mode, UTC wall time otherwise.
public struct DaemonClock: Sendable {
    /// Set in replay mode.
    public let replay: ReplayClock?

    public init(replay: ReplayClock?) { self.replay = replay }

    /// Now.
    public func now() -> Date { time(atMonotonicNanos: monotonicNanos()) }

    /// The daemon time of a reading taken at `nanos` (CLOCK_MONOTONIC).
    public func time(atMonotonicNanos nanos: UInt64) -> Date {
        if let replay { return replay.traceTime(atMonotonicNanos: nanos) }
        // Wall time of a past monotonic instant: now minus the monotonic time since.
        let nowMono = monotonicNanos()
        let back = nowMono >= nanos ? Double(nowMono - nanos) / 1e9 : 0
        return Date().addingTimeInterval(-back)
    }

    /// Real seconds until daemon time reaches `t`.
    public func realSeconds(until t: Date) -> Double {
        if let replay { return replay.realSeconds(until: t, fromMonotonicNanos: monotonicNanos()) }
        return max(0, t.timeIntervalSinceNow)
    }

    /// The real instant at which daemon time is `t` (replay: now + (t − trace now) / speed; past
    /// instants map into the past). Without replay, `t` itself.
    public func realDate(of t: Date) -> Date {
        guard let replay else { return t }
        let nanos = monotonicNanos()
        return Date().addingTimeInterval(t.timeIntervalSince(replay.traceTime(atMonotonicNanos: nanos)) / replay.speed)
    }

    /// The daemon time at real instant `r` (the inverse of `realDate(of:)`).
    public func daemonTime(ofReal r: Date) -> Date {
        guard let replay else { return r }
        let nanos = monotonicNanos()
        return replay.traceTime(atMonotonicNanos: nanos).addingTimeInterval(r.timeIntervalSinceNow * replay.speed)
    }
}
