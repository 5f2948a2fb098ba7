import Foundation
import VerdantCore

/// `ISO8601.string` without a format style per call: the instant's calendar fields written digit by digit,
/// `YYYY-MM-DDTHH:MM:SSZ` for whole seconds (within 0.5 ms, as `ISO8601.string` decides) and
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` otherwise, for years 1970…9999; anything else goes through `ISO8601.string`.
///
/// A year's report writes about 60,000 instants, 48,000 of them with milliseconds; Foundation's
/// `ISO8601FormatStyle` (a `Calendar` and `DateComponents` per call) was 7 % of `verdantd`'s time for a JSON
/// report (docs/performance.md).
///
/// The milliseconds are the ones Foundation prints, which are not always the ones a stored instant was
/// written with: the Gregorian calendar of swift-corelibs-foundation takes the nanosecond as
/// `Int((t − ⌊t⌋) × 10⁹)` of `t = timeIntervalSinceReferenceDate` (truncated), and the format style
/// truncates that to milliseconds, so an instant stored as `…11.486` whose `Double` lies a few dozen
/// nanoseconds below it prints `…11.485`. This reproduces that arithmetic; `ReportDateTests` checks it
/// byte for byte against `ISO8601.string` on 200,000 instants (stored milliseconds, random doubles, day,
/// month, year and leap-day boundaries, fractions near 0, 0.0005 and 1). Should a later Foundation round
/// instead (newer swift-foundation sources do), those tests fail and the fraction must follow it.
public enum ReportDate {
    /// `ISO8601.string(d)`.
    public static func iso(_ d: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Seconds from 1970-01-01 to 2001-01-01 (Foundation's reference date).
    static let referenceSeconds: Int64 = 978_307_200
    /// Seconds from 1970-01-01 to 10000-01-01: the fast path stops before it.
    static let year10000Seconds: Int64 = 253_402_300_800

    /// Appends `iso(d)`'s UTF-8 bytes to `out`.
    public static func append(_ d: Date, to out: inout [UInt8]) {
        let t = d.timeIntervalSince1970
        let whole = t.rounded(.down)
        let ref = d.timeIntervalSinceReferenceDate
        let inRange = ref >= -Double(referenceSeconds) && ref < Double(year10000Seconds - referenceSeconds)
        let refWhole = ref.rounded(.down)
        // `ISO8601.string`'s choice between the two forms, on the same value.
        if t - whole < 0.0005 {
            // The calendar's second is that of the reference-date count (`t` may have rounded up to the
            // next whole second where `ref` lies just below it).
            if inRange { appendFields(unixSeconds: Int64(refWhole) + referenceSeconds, milliseconds: nil, to: &out); return }
            guard abs(whole) < 1e13 else { out.append(contentsOf: ISO8601.string(d).utf8); return }
            appendFields(unixSeconds: Int64(whole), milliseconds: nil, to: &out)
            return
        }
        guard inRange else {
            out.append(contentsOf: ISO8601.string(d).utf8)
            return
        }
        let nanoseconds = Int((ref - refWhole) * 1_000_000_000)
        guard nanoseconds >= 0, nanoseconds < 1_000_000_000 else { out.append(contentsOf: ISO8601.string(d).utf8); return }
        appendFields(unixSeconds: Int64(refWhole) + referenceSeconds, milliseconds: nanoseconds / 1_000_000, to: &out)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` of a whole second since 1970 (UTC, proleptic Gregorian: `CivilDays`).
    static func appendFields(unixSeconds secs: Int64, milliseconds: Int?, to out: inout [UInt8]) {
        let days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400)
        let r = secs - days * 86400
        let c = ReportCalendar.civilDate(days)
        guard c.year >= 0, c.year <= 9999 else {
            out.append(contentsOf: (ReportCalendar.pad(c.year, 4) + "-" + ReportCalendar.pad(c.month, 2) + "-" + ReportCalendar.pad(c.day, 2) + "T"
                + ReportCalendar.pad(r / 3600, 2) + ":" + ReportCalendar.pad(r % 3600 / 60, 2) + ":" + ReportCalendar.pad(r % 60, 2)).utf8)
            if let milliseconds { out.append(46); out.append(contentsOf: ReportCalendar.pad(Int64(milliseconds), 3).utf8) }
            out.append(90)
            return
        }
        @inline(__always) func two(_ v: Int64) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        two(c.year / 100); two(c.year % 100); out.append(45); two(c.month); out.append(45); two(c.day); out.append(84)
        two(r / 3600); out.append(58); two(r % 3600 / 60); out.append(58); two(r % 60)
        if let ms = milliseconds {
            out.append(46)
            out.append(UInt8(48 + ms / 100)); out.append(UInt8(48 + ms / 10 % 10)); out.append(UInt8(48 + ms % 10))
        }
        out.append(90)
    }
}
