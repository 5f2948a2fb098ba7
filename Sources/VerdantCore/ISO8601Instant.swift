import Foundation

/// The common ISO-8601 instant forms, parsed by arithmetic: `YYYY-MM-DDTHH:MM:SS`, then optionally
/// `.` and 1–9 digits of fraction, then `Z` or `±HH:MM`. `ISO8601.parse` tries this first and falls
/// back to Foundation's `Date.ISO8601FormatStyle` for anything else, so the accepted language is
/// unchanged.
///
/// Why: Foundation's ISO-8601 parse goes through `TimeZone`/ICU, whose code and data (the ICU data
/// file is linked into a static `verdantd`) stay resident once touched; verdantd parses every row of
/// its intensity trace this way at start-up (docs/performance.md, "Memory"). This path touches none.
///
/// Only years 1970…9999 are taken here (before that Foundation's Gregorian calendar switches to
/// Julian dates before 1582-10-15, which this proleptic arithmetic does not), and only valid
/// calendar fields (month 1–12, day within the month, hour < 24, minute and second < 60, offset
/// ≤ 18 h with minutes < 60); anything else returns `nil` and is left to Foundation. Results equal
/// Foundation's to the microsecond (`ISO8601InstantTests`).
enum ISO8601Instant {
    /// The instant `text` names, or `nil` when it is not one of the forms above.
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
        guard b.count >= 20 else { return nil }
        func digits(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for i in at..<at + n {
                let d = Int(b[i]) - 0x30
                guard d >= 0, d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D, let day = digits(8, 2),
              b[10] == 0x54, let hour = digits(11, 2), b[13] == 0x3A, let minute = digits(14, 2), b[16] == 0x3A,
              let second = digits(17, 2)
        else { return nil }
        guard (1970...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == 0x2E {
            i += 1
            var numerator = 0
            var denominator = 1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                guard denominator < 1_000_000_000 else { return nil }
                numerator = numerator * 10 + Int(b[i] - 0x30)
                denominator *= 10
                i += 1
            }
            guard denominator > 1 else { return nil }
            fraction = Double(numerator) / Double(denominator)
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        if b[i] == 0x5A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            guard b.count - i == 6, let oh = digits(i + 1, 2), b[i + 3] == 0x3A, let om = digits(i + 4, 2),
                  oh <= 18, om < 60
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let unixSeconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(unixSeconds) + fraction)
    }

    /// Days in `month` of `year` in the Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (`CivilDays.days(year:month:day:)`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        Int(CivilDays.days(year: Int64(year), month: Int64(month), day: Int64(day)))
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs: what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` removes (Unicode general category Zs, and U+0009), done
    /// with the standard library's Unicode tables instead of a CoreFoundation character set.
    public var trimmingSpacesAndTabs: String {
        let scalars = unicodeScalars
        func isSpace(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}
