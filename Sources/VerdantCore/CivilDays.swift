/// Conversions between a count of days since 1970-01-01 and a proleptic Gregorian date, by integer
/// arithmetic only (no `Calendar`, no time zone: the day count is a UTC day).
///
/// Source: Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms",
/// http://howardhinnant.github.io/date_algorithms.html (`days_from_civil`, `civil_from_days`; public
/// domain). The algorithms shift the year to start on March 1 so that the leap day is the last day of
/// the shifted year, and split time into 400-year eras of 146,097 days each; 719,468 is the number of
/// days from 0000-03-01 to 1970-01-01. Exact for every date whose day count fits an `Int64` after the
/// shift (far beyond years −1,000,000…1,000,000), before 1970 (negative day counts) included.
///
/// The one copy used by ISO-8601 parsing (`ISO8601Instant`), report calendar keys (`ReportCalendar`),
/// and the store's date text (`StorageDate`, `ReportJobReads`).
public enum CivilDays {
    /// Days in a 400-year Gregorian era (400 × 365 + 97 leap days).
    public static let daysPerEra: Int64 = 146_097
    /// Days from 0000-03-01 (the start of the shifted era 0) to 1970-01-01.
    public static let daysFrom0000March1To1970: Int64 = 719_468

    /// The proleptic Gregorian (year, month 1–12, day 1–31) of the UTC day `days` days after
    /// 1970-01-01 (negative: before it). Hinnant's `civil_from_days`. Example: 0 → (1970, 1, 1),
    /// −1 → (1969, 12, 31), 11,016 → (2000, 2, 29).
    public static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + daysFrom0000March1To1970
        let era = (z >= 0 ? z : z - (daysPerEra - 1)) / daysPerEra
        let doe = z - era * daysPerEra                                           // day of era, 0…146,096
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365         // year of era, 0…399
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                        // day of March-based year, 0…365
        let mp = (5 * doy + 2) / 153                                             // March-based month, 0…11
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to the proleptic Gregorian date `year`-`month`-`day` (negative: before it).
    /// Hinnant's `days_from_civil`. `month` must be 1–12 and `day` 1–31; the date is not checked
    /// against the month's length (callers that need it validate first: 02-30 counts as 03-01 or 03-02).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                                  // 0…399
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // 0…365
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy                          // 0…146,096
        return era * daysPerEra + doe - daysFrom0000March1To1970
    }
}
