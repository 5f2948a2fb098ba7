import Foundation
import VerdantCore
import VerdantSensors

/// The UTC wall clock the daemon reads outside replay: `Date()` in production (`SystemWallClock`);
/// tests step it (issue 10, clock changes) to show that a wall-clock step never gives a negative or
/// spiking power, never moves a planned start into the past and never runs a job twice.
public protocol WallClock: Sendable {
    /// The wall time now, UTC. It may step backwards or forwards (settimeofday, NTP step).
    func now() -> Date
}

/// The system's wall clock (CLOCK_REALTIME through `Date()`).
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// The daemon's notion of now: trace time in replay mode, UTC wall time otherwise.
///
/// Durations never come from the wall clock: every reading carries its CLOCK_MONOTONIC instant, and
/// a wall time is derived from it when needed (`time(atMonotonicNanos:)`), always in the wall clock's
/// current frame. So two instants derived at the same moment differ by exactly their monotonic
/// distance, even right after the wall clock stepped.
public struct DaemonClock: Sendable {
    /// Set in replay mode.
    public let replay: ReplayClock?
    /// The wall clock read outside replay.
    public let wall: any WallClock

    public init(replay: ReplayClock?, wall: any WallClock = SystemWallClock()) {
        self.replay = replay
        self.wall = wall
    }

    /// Now.
    public func now() -> Date { time(atMonotonicNanos: monotonicNanos()) }

    /// The daemon time of a reading taken at `nanos` (CLOCK_MONOTONIC), in the wall clock's current frame.
    public func time(atMonotonicNanos nanos: UInt64) -> Date {
        if let replay { return replay.traceTime(atMonotonicNanos: nanos) }
        // Wall time of a past monotonic instant: now minus the monotonic time since. The two clocks are
        // read back to back; anything that stops the thread between the reads (preemption, or a page
        // fault that reads code from disk, e.g. the first run of this code after `ResidentCodeRelease`
        // paged it out) would shift the mapping, and so a sample's boundary, by that long. So the
        // monotonic clock is read again after the wall clock, and the pair is taken again (at most
        // three times) when more than 200 µs passed between them.
        var nowMono = monotonicNanos()
        var wallNow = wall.now()
        for _ in 0..<2 {
            let after = monotonicNanos()
            if after &- nowMono <= 200_000 { break }
            nowMono = after
            wallNow = wall.now()
        }
        let back = nowMono >= nanos ? Double(nowMono - nanos) / 1e9 : 0
        return wallNow.addingTimeInterval(-back)
    }

    /// Real seconds until daemon time reaches `t` (0 when it has passed).
    public func realSeconds(until t: Date) -> Double {
        if let replay { return replay.realSeconds(until: t, fromMonotonicNanos: monotonicNanos()) }
        return max(0, t.timeIntervalSince(wall.now()))
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
