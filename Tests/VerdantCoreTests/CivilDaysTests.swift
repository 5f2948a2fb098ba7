import Testing
import VerdantCore

/// `CivilDays` (Hinnant's `civil_from_days` / `days_from_civil`) on dates whose day counts are
/// computed by hand below, before and after 1970, across the 100- and 400-year leap rules.
@Suite struct CivilDaysTests {
    /// (days since 1970-01-01, year, month, day), each count worked out by hand:
    static let known: [(Int64, Int64, Int64, Int64)] = [
        (0, 1970, 1, 1),
        (-1, 1969, 12, 31),
        // 1970…1999: 30 × 365 + 7 leap days (1972…1996) = 10,957 → 2000-01-01; + 31 (Jan) + 28 = 2000-02-29.
        (10_957, 2000, 1, 1),
        (11_016, 2000, 2, 29),          // 2000 is divisible by 400: a leap year
        (11_017, 2000, 3, 1),
        // 1970…2099: 130 × 365 + 32 leap days (1972…2096) = 47,482 → 2100-01-01; + 31 + 28 = 2100-03-01.
        (47_540, 2100, 2, 28),
        (47_541, 2100, 3, 1),           // 2100 is divisible by 100, not 400: no 02-29
        // 2020-06-01: 50 × 365 + 13 leap days (1972…2020) = 18,263 → 2020-01-01; + 152 - 1 (Jan…May of a leap year).
        (18_414, 2020, 6, 1),
        // 1900…1969: 70 × 365 + 17 leap days (1904…1968; 1900 is not one) = 25,567 days before 1970.
        (-25_567, 1900, 1, 1),
        (-25_508, 1900, 3, 1),          // 1900-02 has 28 days: 31 + 28 = 59 days after 1900-01-01
        // 0000-03-01 starts Hinnant's era 0: 719,468 days before 1970; year 0 (= 1 BC) is a leap year.
        (-719_468, 0, 3, 1),
        (-719_469, 0, 2, 29),
        // 400 years before 2000-01-01 is exactly one era (146,097 days): 1600-01-01.
        (10_957 - 146_097, 1600, 1, 1),
        // One era before 0000-03-01: -0400-03-01 (a negative era, the `z < 0` branch).
        (-719_468 - 146_097, -400, 3, 1),
    ]

    @Test func knownDatesFromDays() {
        for (days, y, m, d) in Self.known {
            let c = CivilDays.date(fromDays: days)
            #expect(c.year == y && c.month == m && c.day == d, "\(days) → \(c)")
        }
    }

    @Test func knownDatesToDays() {
        for (days, y, m, d) in Self.known {
            #expect(CivilDays.days(year: y, month: m, day: d) == days, "\(y)-\(m)-\(d)")
        }
    }

    /// Walking day by day over two eras around 1970 (1770-01-01…2569-12-31), each day is
    /// the next day of the calendar: day + 1 in the month, or the 1st of the next month after the
    /// month's last day (30/31, 28/29 by the Gregorian rule), and both functions invert each other.
    @Test func consecutiveDaysFollowTheGregorianCalendar() {
        func daysIn(_ m: Int64, _ y: Int64) -> Int64 {
            switch m {
            case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }
        var expected = (year: Int64(1770), month: Int64(1), day: Int64(1))
        let first = CivilDays.days(year: 1770, month: 1, day: 1)
        #expect(first == -73_048)   // 200 years × 365 + 48 leap days (1772…1968, not 1800/1900) before 1970
        for days in first..<(first + 2 * 146_097) {
            let c = CivilDays.date(fromDays: days)
            guard c == expected, CivilDays.days(year: c.year, month: c.month, day: c.day) == days else {
                Issue.record("\(days): \(c) ≠ \(expected), or does not convert back")
                return
            }
            if expected.day < daysIn(expected.month, expected.year) {
                expected.day += 1
            } else if expected.month < 12 {
                expected = (expected.year, expected.month + 1, 1)
            } else {
                expected = (expected.year + 1, 1, 1)
            }
        }
        #expect(expected == (2570, 1, 1))
    }
}
