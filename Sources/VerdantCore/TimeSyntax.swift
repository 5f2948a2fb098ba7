import Foundation

/// ISO-8601 instants as Verdant reads and writes them: always UTC on output (`2020-06-01T12:00:00Z`).
public enum ISO8601 {
    /// Formats `date` as `YYYY-MM-DDTHH:MM:SSZ`, with fractional seconds only when there are some
    /// (milliseconds).
    public static func string(_ date: Date) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        if date.timeIntervalSince1970 - whole < 0.0005 {
            return date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        }
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// Parses an ISO-8601 instant with an explicit offset (`Z`, `+00:00`, `+01:00`), with or without
    /// fractional seconds, with `T` or a space between date and time. A time without an offset
    /// (`2020-01-01 00:15:00`, the form of ENTSO-E exports) is read as UTC; that rule is documented in
    /// docs/configuration.md.
    /// - Returns: `nil` when the text is not such an instant.
    public static func parse(_ text: String) -> Date? {
        var s = text.trimmingSpacesAndTabs
        guard s.count >= 19 else {
            if s.count == 10, let d = parse(s + "T00:00:00Z") { return d }
            return nil
        }
        let chars = Array(s)
        if chars[10] == " " { s = String(chars[0..<10]) + "T" + String(chars[11...]) }
        let hasOffset = s.hasSuffix("Z") || s.dropFirst(19).contains("+") || s.dropFirst(19).contains("-")
        if !hasOffset { s += "Z" }
        if let d = ISO8601Instant.parse(s) { return d }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(s, strategy: Date.ISO8601FormatStyle())
    }
}

/// Durations as a person types them: `90s`, `45m`, `6h`, `2d`, `1h30m`, a bare number of seconds,
/// or ISO-8601 (`PT1H30M`, `P1D`).
public enum DurationSyntax {
    /// Parses a duration.
    /// - Returns: seconds, or `nil` when the text is not a positive duration in one of the forms above.
    public static func parseSeconds(_ text: String) -> Double? {
        let s = text.trimmingSpacesAndTabs.lowercased()
        guard !s.isEmpty else { return nil }
        if let v = Double(s) { return v > 0 && v.isFinite ? v : nil }
        if s.hasPrefix("p") { return parseISO(s) }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for c in s {
            if c.isNumber || c == "." { number.append(c); continue }
            guard let v = Double(number) else { return nil }
            let unit: Double
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 604_800
            default: return nil
            }
            total += v * unit
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, total > 0 else { return nil }
        return total
    }

    private static func parseISO(_ s: String) -> Double? {
        var total = 0.0
        var number = ""
        var inTime = false
        for c in s.dropFirst() {
            if c == "t" { inTime = true; continue }
            if c.isNumber || c == "." { number.append(c); continue }
            guard let v = Double(number) else { return nil }
            switch (c, inTime) {
            case ("w", false): total += v * 604_800
            case ("d", false): total += v * 86400
            case ("h", true): total += v * 3600
            case ("m", true): total += v * 60
            case ("s", true): total += v
            default: return nil
            }
            number = ""
        }
        return number.isEmpty && total > 0 ? total : nil
    }

    /// Formats seconds compactly: `1h30m`, `45s`, `2d4h`.
    public static func format(seconds: Double) -> String {
        // Beyond ~31 million years Int cannot hold it; such a value is only ever shown in an error.
        guard seconds.isFinite, seconds < 1e15 else { return "\(seconds)s" }
        var rest = Int(seconds.rounded())
        if rest <= 0 { return "0s" }
        var out = ""
        for (unit, name) in [(86400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            out += "\(rest / unit)\(name)"
            rest %= unit
        }
        return out
    }

    /// Resolves a deadline given as a duration from `now` or an ISO-8601 instant.
    /// - Returns: the instant, or `nil` when the text is neither.
    public static func resolveDeadline(_ text: String, now: Date) -> Date? {
        if let secs = parseSeconds(text) { return now.addingTimeInterval(secs) }
        return ISO8601.parse(text)
    }
}
