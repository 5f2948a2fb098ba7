import Foundation

/// The signal a checkpoint-mode interruptible job gets at the end of each of its run intervals
/// (`verdant submit --checkpoint-signal SIGUSR1`): it saves its progress and exits within the grace
/// period (else it is stopped), and is started again with the same command at its next run interval,
/// with `VERDANT_RESTART_COUNT` set to the number of restarts so far (0 at the first start).
public enum CheckpointSignal {
    /// Signal names accepted, with Linux's numbers (signal(7), x86-64 and arm64).
    public static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "USR1": 10, "USR2": 12, "ALRM": 14, "TERM": 15,
    ]
    /// The environment variable that carries the restart count.
    public static let restartCountVariable = "VERDANT_RESTART_COUNT"
    /// Grace period (s) between the signal and the stop, when the submission gives none.
    public static let defaultGraceSeconds: Double = 30

    /// Parses `SIGUSR1`, `USR1` or `10` (any case). Only the catchable signals in `numbers`, or a
    /// real-time signal 34…64, are accepted: SIGKILL and SIGSTOP cannot be caught, so no checkpoint
    /// could be written. - Returns: the number, or nil.
    public static func parse(_ text: String) -> Int32? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let n = Int32(t) { return numbers.values.contains(n) || (34...64).contains(n) ? n : nil }
        if t.hasPrefix("SIG") { t.removeFirst(3) }
        return numbers[t]
    }

    /// The name of `signal` for messages (`SIGUSR1`), or its number.
    public static func name(_ signal: Int32) -> String {
        numbers.first { $0.value == signal }.map { "SIG\($0.key)" } ?? "signal \(signal)"
    }
}
