import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Instants as `verdant` shows them to people (issue 12): in the local time zone (`TZ`, else the
/// system's `/etc/localtime`, as `TimeZone.current` resolves it), with the zone's abbreviation on every
/// instant (`CEST`, `CET`, `UTC`), so a table that spans a daylight-saving change stays unambiguous.
/// `--json` and `--format csv` keep ISO-8601 UTC (`ISO8601.string`); only human output uses this.
///
/// For the process's own zone the C library does the work (`localtime_r`, `strftime`): it reads the
/// same tzdata as the rest of the system and gives the POSIX abbreviations people know (`CEST`, `EDT`,
/// `UTC`), where Foundation's ICU formatter with the POSIX locale writes `GMT+2` and `GMT`. Any other
/// zone (given explicitly) goes through `DateFormatter` and `TimeZone.abbreviation(for:)`.
final class TimeDisplay {
    let timeZone: TimeZone
    private let isProcessZone: Bool
    private let minuteFormatter: DateFormatter
    private let secondFormatter: DateFormatter

    /// - Parameter timeZone: the zone to show instants in (default: the process's local zone).
    init(timeZone: TimeZone = TimeZone.current) {
        tzset()
        self.timeZone = timeZone
        isProcessZone = timeZone.identifier == TimeZone.current.identifier
        func formatter(_ format: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = timeZone
            f.dateFormat = format
            return f
        }
        minuteFormatter = formatter("yyyy-MM-dd HH:mm")
        secondFormatter = formatter("yyyy-MM-dd HH:mm:ss")
    }

    /// `strftime` of the local time, or `DateFormatter` plus the zone's abbreviation for another zone.
    private func format(_ d: Date, c: String, _ f: DateFormatter) -> String {
        if isProcessZone {
            var t = time_t(d.timeIntervalSince1970.rounded(.down))
            var parts = tm()
            if localtime_r(&t, &parts) != nil {
                var buf = [CChar](repeating: 0, count: 64)
                let n = strftime(&buf, buf.count, c, &parts)
                if n > 0 { return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            }
        }
        return f.string(from: d) + " " + (timeZone.abbreviation(for: d) ?? timeZone.identifier)
    }

    /// The local zone of this process, shared by the tables of one run.
    nonisolated(unsafe) static let local = TimeDisplay()

    /// `2020-06-01 11:45 CEST`: an instant to the minute (tables).
    func minute(_ d: Date) -> String { format(d, c: "%Y-%m-%d %H:%M %Z", minuteFormatter) }

    /// `2020-06-01 11:45:03 CEST`: an instant to the second (details, status).
    func second(_ d: Date) -> String { format(d, c: "%Y-%m-%d %H:%M:%S %Z", secondFormatter) }

    /// `2020-06-01 11:45 – 12:45 CEST` when both ends fall on the same local day in the same zone
    /// abbreviation, else both ends in full (`2020-06-01 23:30 CEST – 2020-06-02 00:30 CEST`).
    func range(_ a: Date, _ b: Date) -> String {
        let sa = minute(a), sb = minute(b)
        let pa = sa.split(separator: " "), pb = sb.split(separator: " ")
        if pa.count == 3, pb.count == 3, pa[0] == pb[0], pa[2] == pb[2] {
            return "\(pa[0]) \(pa[1]) – \(pb[1]) \(pb[2])"
        }
        return "\(sa) – \(sb)"
    }
}
