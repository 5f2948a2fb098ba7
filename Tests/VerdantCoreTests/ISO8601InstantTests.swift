import Foundation
import Testing
@testable import VerdantCore

/// The arithmetic ISO-8601 path (`ISO8601Instant`) against hand-computed instants and against
/// Foundation's `Date.ISO8601FormatStyle`, which `ISO8601.parse` used alone before.
@Suite struct ISO8601InstantTests {
    @Test func handComputedInstants() throws {
        // 2020-06-01: 18,414 days after 1970-01-01 (50 years with 13 leap days = 18,263, + 151 days
        // of Jan..May 2020, a leap year) -> 18,414 × 86,400 = 1,590,969,600 s.
        #expect(ISO8601Instant.parse("2020-06-01T00:00:00Z")?.timeIntervalSince1970 == 1_590_969_600)
        #expect(ISO8601Instant.parse("2020-06-01T12:34:56Z")?.timeIntervalSince1970 == TimeInterval(1_590_969_600 + 45_296))
        // +02:00 is two hours ahead of UTC: 12:00+02:00 = 10:00Z.
        #expect(ISO8601Instant.parse("2020-06-01T12:00:00+02:00")?.timeIntervalSince1970 == TimeInterval(1_590_969_600 + 36_000))
        #expect(ISO8601Instant.parse("2020-06-01T00:00:00-05:30")?.timeIntervalSince1970 == TimeInterval(1_590_969_600 + 19_800))
        #expect(ISO8601Instant.parse("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(ISO8601Instant.parse("2024-02-29T23:59:59Z")?.timeIntervalSince1970 == 1_709_251_199)
        let half = try #require(ISO8601Instant.parse("2020-06-01T00:00:00.5Z"))
        #expect(half.timeIntervalSince1970 == 1_590_969_600.5)
        let ms = try #require(ISO8601Instant.parse("2020-06-01T00:00:00.250Z"))
        #expect(ms.timeIntervalSince1970 == 1_590_969_600.25)
    }

    /// Forms this path leaves to Foundation (it returns nil, `ISO8601.parse` falls back).
    @Test func leavesOtherFormsToFoundation() {
        for text in ["2020-02-30T00:00:00Z", "2019-02-29T00:00:00Z", "2020-06-01T24:00:00Z", "2020-06-01T23:60:00Z",
                     "2020-06-01T23:59:60Z", "1969-12-31T23:59:59Z", "2020-06-01 00:00:00Z", "2020-06-01T00:00:00",
                     "2020-06-01T00:00:00+0200", "2020-06-01T00:00:00+02", "2020-06-01T00:00:00.Z", "2020-06-01T00:00:00z",
                     "2020-06-01T00:00:00Zjunk", "2020-13-01T00:00:00Z", "2020-06-01T00:00:00.1234567890Z", "x020-06-01T00:00:00Z", ""] {
            #expect(ISO8601Instant.parse(text) == nil, "\(text)")
        }
    }

    /// `ISO8601.parse` gives what it gave with Foundation alone, on 5,000 random instants 1970…2100 in
    /// the fast path's forms (whole seconds, 1–6 fraction digits, `Z` and offsets), to the microsecond.
    @Test func agreesWithFoundation() throws {
        var g = SeededGenerator(seed: 8601)
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for _ in 0..<5000 {
            let seconds = Int.random(in: 0..<4_102_444_800, using: &g)
            let days = seconds / 86_400, secondOfDay = seconds % 86_400
            let (y, m, d) = civil(days)
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
            let fractionDigits = Int.random(in: 0...6, using: &g)
            if fractionDigits > 0 {
                text += "." + (0..<fractionDigits).map { _ in String(Int.random(in: 0...9, using: &g)) }.joined()
            }
            switch Int.random(in: 0...2, using: &g) {
            case 0: text += "Z"
            case 1: text += String(format: "+%02d:%02d", Int.random(in: 0...14, using: &g), [0, 30, 45].randomElement(using: &g)!)
            default: text += String(format: "-%02d:%02d", Int.random(in: 0...12, using: &g), [0, 30].randomElement(using: &g)!)
            }
            let ours = try #require(ISO8601Instant.parse(text), "\(text)")
            let foundation = try #require((try? Date(text, strategy: fractional)) ?? (try? Date(text, strategy: plain)), "\(text)")
            #expect(abs(ours.timeIntervalSince1970 - foundation.timeIntervalSince1970) < 1e-6, "\(text)")
            #expect(ISO8601.parse(text) == ours)
        }
    }

    @Test func trimsSpacesAndTabsLikeFoundation() {
        for text in ["  90s\t", "\u{00A0}2h\u{2003}", "\n5m\n", "", " \t ", "a b", "\u{3000}x"] {
            #expect(text.trimmingSpacesAndTabs == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
        }
        #expect(DurationSyntax.parseSeconds(" 1h30m\t") == 5400)
        #expect(ISO8601.parse(" 2020-06-01 00:00:00 ")?.timeIntervalSince1970 == 1_590_969_600)
    }

    /// Proleptic Gregorian date of a day number since 1970-01-01 (`CivilDays`, as `Int`s for `String(format:)`).
    private func civil(_ days: Int) -> (Int, Int, Int) {
        let c = CivilDays.date(fromDays: Int64(days))
        return (Int(c.year), Int(c.month), Int(c.day))
    }
}
