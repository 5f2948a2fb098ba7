import Foundation
import Testing
import VerdantCore
@testable import VerdantReport

/// `PrintfNumber` (C `vsnprintf`) writes the same text as `String(format:)` for every format the
/// table and HTML renderers use, over random magnitudes and the special values; `ReportDate.append`
/// the same bytes as `ReportDate.iso`.
@Suite struct ReportFormattingTests {
    static let specials: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -0.5, 0.05, 0.005, 0.125, 9.995, 99.95, 999.5, 1e7, 9_999_999.5,
                                     1e-300, 5e-324, -1e-7, 1e15, 1e22, 1.7976931348623157e308, .infinity, -.infinity, .nan]

    @Test func theSameTextAsStringFormat() {
        var values = Self.specials
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let m = Double.random(in: 1...10, using: &rng), e = Int.random(in: -12...16, using: &rng)
            values.append((Bool.random(using: &rng) ? 1 : -1) * m * pow(10, Double(e)))
        }
        for v in values {
            #expect(PrintfNumber.string("%.0f", v) == String(format: "%.0f", v), "\(v)")
            #expect(PrintfNumber.string("%+.0f", v) == String(format: "%+.0f", v), "\(v)")
            #expect(PrintfNumber.string("%.2e", v) == String(format: "%.2e", v), "\(v)")
            #expect(PrintfNumber.string("%.1e", v) == String(format: "%.1e", v), "\(v)")
            for d in [0, 1, 2, 3, 4, 6] where abs(v) < 1e30 || !v.isFinite {
                #expect(PrintfNumber.fixed(v, digits: d) == String(format: "%.\(d)f", v), "\(v) \(d)")
            }
            #expect(ReportText.compact(v) == Self.compactByStringFormat(v), "\(v)")
        }
        // Longer than the buffer: still the whole text.
        #expect(PrintfNumber.fixed(1e40, digits: 2) == String(format: "%.2f", 1e40))
    }

    /// `ReportText.compact` as it was written with `String(format:)`.
    static func compactByStringFormat(_ v: Double) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1e7 { return String(format: "%.2e", v) }
        if a >= 1000 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        if a >= 0.01 { return String(format: "%.2f", v) }
        return String(format: "%.1e", v)
    }

    @Test func dateBytesEqualISO8601String() {
        var rng = SystemRandomNumberGenerator()
        for k in 0..<3000 {
            let s = k < 6 ? [0, 0.25, 951_782_400, 253_402_300_799, 4_102_444_799, 1_709_251_199][k]
                : Double(Int64.random(in: 0...253_402_300_799, using: &rng))
            let d = Date(timeIntervalSince1970: s)
            var bytes: [UInt8] = [34]
            ReportDate.append(d, to: &bytes)
            #expect(String(decoding: bytes.dropFirst(), as: UTF8.self) == ISO8601.string(d), "\(s)")
        }
    }
}
