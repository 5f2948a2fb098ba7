import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Sends service state to systemd with `sd_notify(3)`. A no-op when `NOTIFY_SOCKET` is unset
/// (not started by systemd with `Type=notify`).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `state` (newline-separated `KEY=VALUE` assignments, see sd_notify(3)).
    /// - Returns: `true` when systemd received it, `false` when not under systemd or on error.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// Whether a notification can reach systemd: `NOTIFY_SOCKET` is set (sd_notify(3) sends nothing
    /// without it), so callers can skip building a status line nobody receives.
    public var isListening: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// `READY=1`: start-up finished (the database is open and the first sample taken).
    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    /// `STATUS=…`: a line shown by `systemctl status`.
    public func status(_ text: String) { notify("STATUS=\(text)") }
    /// The watchdog interval systemd expects pings within (`WATCHDOG_USEC`, when `WATCHDOG_PID` is
    /// unset or ours; sd_watchdog_enabled(3)), or `nil` when the watchdog is off.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// `WATCHDOG=1`: the service is alive. Send it only after real progress (a sample taken).
    public func watchdogPing() { notify("WATCHDOG=1") }

    /// `RELOADING=1` with `MONOTONIC_USEC` (CLOCK_MONOTONIC, µs), as systemd 253+ expects for
    /// `Type=notify-reload`; follow with `ready(status:)` when done.
    public func reloading(monotonicMicroseconds: UInt64) {
        notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds)\nSTATUS=Reloading configuration")
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { notify("STOPPING=1\nSTATUS=Shutting down") }
}
