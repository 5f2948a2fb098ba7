import Foundation
import Testing
import VerdantCore
@testable import VerdantReport

/// `ReportDate.append` writes exactly `ISO8601.string` (Foundation's `ISO8601FormatStyle`) for instants as
/// reports hold them: whole seconds, stored milliseconds (`Double(s − 978307200) + ms / 1000`, as the store
/// decodes them), random doubles, and the edges: day, month, year and leap-day boundaries, fractions just
/// below and above 0.0005 s (where `ISO8601.string` switches form) and just below a whole second, years
/// 1970 and 9999 and outside the fast path.
@Suite struct ReportDateTests {
    static func text(_ d: Date) -> String {
        var out: [UInt8] = []
        ReportDate.append(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Midnights (and the seconds either side) of month starts, leap days and year ends, 1970…2100 and 9999.
    static var boundaries: [Double] {
        var days: [Int64] = []
        for year in Int64(1970)...2100 {
            for month in Int64(1)...12 { days.append(CivilDays.days(year: year, month: month, day: 1)) }
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { days.append(CivilDays.days(year: year, month: 2, day: 29)) }
        }
        days.append(CivilDays.days(year: 9999, month: 12, day: 31))
        return days.flatMap { d -> [Double] in
            let s = Double(d * 86400)
            return [s, s - 1, s + 1, s + 86399]
        }
    }

    static let fractions: [Double] = [0, 0.0001, 0.0004, 0.000499, 0.0005, 0.000501, 0.001, 0.0015, 0.1, 0.123, 0.4995, 0.5, 0.9,
                                      0.999, 0.9994, 0.9995, 0.9996, 0.9999, 0.99999, 0.999999]

    @Test func boundariesAndFractionsMatchFoundation() {
        var checked = 0
        for s in Self.boundaries {
            for f in Self.fractions {
                for d in [Date(timeIntervalSince1970: s + f), Date(timeIntervalSince1970: s - f)] {
                    #expect(Self.text(d) == ISO8601.string(d), "\(d.timeIntervalSince1970)")
                    checked += 1
                }
            }
        }
        #expect(checked > 100_000)
    }

    @Test func storedMillisecondsMatchFoundation() {
        var rng = SystemRandomNumberGenerator()
        for k in 0..<60_000 {
            // Whole seconds across 1970…2100, then every millisecond of one second.
            let secs = Int64.random(in: 0...4_102_444_800, using: &rng)
            let ms = k < 1000 ? Int64(k) : Int64.random(in: 0...999, using: &rng)
            let d = Date(timeIntervalSinceReferenceDate: Double(secs - 978_307_200) + Double(ms) / 1000)
            #expect(Self.text(d) == ISO8601.string(d), "\(secs) \(ms)")
        }
    }

    @Test func randomInstantsMatchFoundation() {
        var rng = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.3), Date(timeIntervalSince1970: -86_400.5),
                             Date(timeIntervalSince1970: 253_402_300_799.5), Date(timeIntervalSince1970: 253_402_300_800.25),
                             Date(timeIntervalSince1970: -62_135_596_800.5), Date(timeIntervalSinceReferenceDate: 0.0007),
                             Date(timeIntervalSinceReferenceDate: -0.0007), Date(timeIntervalSinceReferenceDate: 1 - 0x1p-52)]
        for _ in 0..<60_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &rng)))
            dates.append(Date(timeIntervalSince1970: Double.random(in: -3e9...3e11, using: &rng)))
        }
        for d in dates { #expect(Self.text(d) == ISO8601.string(d), "\(d.timeIntervalSince1970)") }
        #expect(ReportDate.iso(dates[3]) == ISO8601.string(dates[3]))
    }
}
