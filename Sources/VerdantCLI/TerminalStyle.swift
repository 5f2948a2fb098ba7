import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How `verdant` writes for a human (issue 12): colour only on a terminal and never when `NO_COLOR`
/// is set to anything non-empty (no-color.org) or `TERM=dumb`; lines wrapped to the terminal's width
/// (`TIOCGWINSZ`, else `$COLUMNS`, else 80); instants in the local time zone (`TZ`), while JSON keeps UTC.
struct TerminalStyle: Sendable {
    let colorEnabled: Bool
    let width: Int
    let timeZone: TimeZone

    /// The style for standard output (`fd` 1) or standard error (2) of this process.
    static func current(fd: Int32 = 1, environment: [String: String] = ProcessInfo.processInfo.environment) -> TerminalStyle {
        let tty = isatty(fd) == 1
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        var ws = winsize()
        var width = 0
        if tty, ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0 { width = Int(ws.ws_col) }
        if width <= 0 { width = Int(environment["COLUMNS"] ?? "") ?? 80 }
        return TerminalStyle(colorEnabled: tty && !noColor, width: max(40, width), timeZone: TimeZone.current)
    }

    enum Color: String { case green = "32", yellow = "33", red = "31", bold = "1", dim = "2" }

    /// `text` in `color` when colour is enabled, else unchanged.
    func paint(_ text: String, _ color: Color) -> String {
        colorEnabled ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Wraps `text` at word boundaries to `width`, continuation lines indented by `indent` spaces.
    func wrap(_ text: String, indent: Int, firstIndent: Int? = nil) -> String {
        var lines: [String] = []
        var line = String(repeating: " ", count: firstIndent ?? indent)
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if lineHasWord, line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent)
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// An instant for display: `2026-11-29 20:15:03 CET` in the local time zone.
    func displayTime(_ d: Date) -> String {
        timeZone == TimeDisplay.local.timeZone ? TimeDisplay.local.second(d) : TimeDisplay(timeZone: timeZone).second(d)
    }
}
