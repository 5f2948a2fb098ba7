import CVerdantSensors

/// The kernel's clock discipline, read with `adjtimex(2)` (modes = 0).
public enum ClockDiscipline {
    /// - Returns: the call's return value (`TIME_ERROR` = 5 when unsynchronized), `timex.status` and
    ///   `timex.maxerror` (µs); `nil` when the call fails.
    public static func read() -> (state: Int32, status: Int32, maxErrorMicroseconds: Int)? {
        var status: Int32 = 0
        var maxError = 0
        let r = verdant_clock_state(&status, &maxError)
        guard r >= 0 else { return nil }
        return (r, status, maxError)
    }
}
