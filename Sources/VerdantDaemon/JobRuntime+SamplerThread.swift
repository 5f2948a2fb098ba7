/// The runtime runs on its own `SamplerThread`, and the sampler ticks there with the actor's
/// isolation, without a timer task or an actor hop per tick (SamplerThread.swift).
extension JobRuntime {
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        samplerThread.asUnownedSerialExecutor()
    }

    /// Calls `tick` on the runtime's thread, isolated to the runtime, now and then every `period`
    /// (monotonic clock), until `stopTicking()`.
    public nonisolated func startTicking(every period: Duration, _ tick: @escaping @Sendable (isolated JobRuntime) -> Void) {
        let (seconds, attoseconds) = period.components
        let nanos = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        samplerThread.startTicking(periodNanos: max(nanos, 1_000_000)) { [self] in
            self.assumeIsolated { tick($0) }
        }
    }

    /// No tick starts after this returns; releases the tick closure (and what it holds).
    public nonisolated func stopTicking() {
        samplerThread.stopTicking()
    }
}
