import CSystemd

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

    /// `READY=1`: start-up finished (the database is open and the first sample taken).
    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    /// `STATUS=…`: a line shown by `systemctl status`.
    public func status(_ text: String) { notify("STATUS=\(text)") }
    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { notify("STOPPING=1\nSTATUS=Shutting down") }
}
