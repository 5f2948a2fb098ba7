import Foundation
import Testing
@testable import VerdantReport

/// `NumberText.appendShortest`, which formats through the runtime's `swift_float64ToString` instead of a
/// `String` per number, writes exactly `Double.description` (and, with `dropZeroFraction`, without a final
/// `.0`) over every kind of finite double: random bit patterns (all exponents, subnormals), values of a
/// report's magnitudes with 17 significant digits, and the extremes.
@Suite struct ReportNumberTextTests {
    static func shortest(_ v: Double, drop: Bool) -> String {
        var out: [UInt8] = [120]   // something before: the number is appended
        NumberText.appendShortest(v, to: &out, dropZeroFraction: drop)
        return String(decoding: out.dropFirst(), as: UTF8.self)
    }

    @Test func everyKindOfDoubleIsItsDescription() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
                                -.leastNormalMagnitude, 0.1 + 0.2, 1.0 / 3, 386.60254037836177, 0.0016666666666666668, 1e16, 1e-7,
                                2_147_483_648.5, -2_147_483_649, 123_456_789_012_345_680, 5e-324]
        for _ in 0..<100_000 {
            let v = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            if v.isFinite { values.append(v) }
            values.append(Double.random(in: 0..<1, using: &rng) * pow(10, Double(Int.random(in: -6...9, using: &rng))))
        }
        var wrong = 0
        for v in values {
            var text = v.description
            if Self.shortest(v, drop: false) != text { wrong += 1; Issue.record("\(text)") }
            if text.hasSuffix(".0") { text.removeLast(2) }
            if Self.shortest(v, drop: true) != text { wrong += 1; Issue.record("\(text) (drop)") }
        }
        #expect(wrong == 0)
        #expect(values.count > 150_000)
    }
}
