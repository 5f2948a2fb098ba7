import Foundation

/// Numbers written straight into a report's bytes, without a `String` per number where the text can
/// be produced exactly by integer arithmetic; everything else goes through the same formatter as
/// before (`Double.description`, C `vsnprintf`). A year's report writes about a million numbers.
/// Tests: `ReportFormattingTests` (against `String(format:)` and `Double.description`).
enum NumberText {
    /// Below this, an integral `Double` is written by `description` as its decimal digits and `.0`
    /// (Swift switches to exponent notation only from 2^53 on; the bound keeps well inside that).
    static let integralLimit = 2_147_483_648.0

    /// Appends `v.description` (Swift's shortest round-trip form, `5200.0`, `0.1`, `1e-05`), or without
    /// the `.0` of a whole number when `dropZeroFraction` (`5200`, as `JSONEncoder` writes it).
    /// `v` must be finite.
    static func appendShortest(_ v: Double, to out: inout [UInt8], dropZeroFraction: Bool) {
        if v == v.rounded(.towardZero), abs(v) < integralLimit, !(v == 0 && v.sign == .minus) {
            appendInteger(Int64(v), to: &out)
            if !dropZeroFraction { out.append(46); out.append(48) }
            return
        }
        // `v.description` without its `String`: the runtime entry point `description` itself formats with
        // (swift/stdlib/public/core/FloatingPointToString.swift: `swift_float64ToString`, the shortest
        // round-trip digits; ABI, so present in every Swift runtime), into a buffer on the stack filled
        // with "0" characters first, as `description` fills its own (the formatter leaves some zero digits,
        // such as the one after `2147483648.`, to that fill). Tested byte for byte against `description`
        // (`ReportNumberTextTests`).
        let zeros: UInt64 = 0x3030_3030_3030_3030
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (zeros, zeros, zeros, zeros)
        withUnsafeMutableBytes(of: &buffer) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = Int(truncatingIfNeeded: swiftFloat64ToString(p, UInt(raw.count), v, false))
            if dropZeroFraction && n >= 2 && p[n - 1] == 48 && p[n - 2] == 46 { n -= 2 }
            out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        }
    }

    /// Appends the decimal digits of `v` (with `-` when negative).
    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(45) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(48 + m % 10)
                m /= 10
                n += 1
            } while m > 0
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }

    /// Powers of ten that are exact doubles, for `%.Nf` with N ≤ 6.
    static let powers: [Double] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000]

    /// `%.<digits>f` of `v` exactly as C's `printf` writes it (round half to even on the exact binary
    /// value, `-` whenever the sign bit is set, `-0.0` included), or `nil` where this arithmetic is not
    /// exact: NaN, infinities, `digits` > 6, or |v| × 10^digits ≥ 2^52.
    ///
    /// Exactness: `p = 10^digits` is an exact double; `prod = |v|·p` rounded and `err = fma(|v|, p, −prod)`
    /// (exact: the residual of a product is representable) give the exact product `prod + err`. With
    /// `r` = `prod` rounded to an integer (ties to even) and `frac = prod − r` (exact by Sterbenz's lemma),
    /// the exact product's nearest integer differs from `r` only when `frac` is ±½ and `err` pushes it
    /// over; otherwise |frac| ≤ ½ − ulp and |err| ≤ ulp/2 keep it on `r`'s side.
    static func fixedBytes(_ v: Double, digits: Int, into out: inout [UInt8]) -> Bool {
        guard v.isFinite, digits >= 0, digits < powers.count else { return false }
        let p = powers[digits]
        let a = abs(v)
        let prod = a * p
        guard prod < 4_503_599_627_370_496 else { return false }   // 2^52
        let err = fmaResidual(a, p, prod)
        var r = prod.rounded(.toNearestOrEven)
        let frac = prod - r
        if frac == 0.5 && err > 0 { r += 1 }
        if frac == -0.5 && err < 0 { r -= 1 }
        var n = UInt64(r)
        if v.sign == .minus { out.append(45) }
        let scale = UInt64(p)
        let whole = n / scale
        appendInteger(Int64(whole), to: &out)
        if digits > 0 {
            out.append(46)
            n -= whole * scale
            var q = scale / 10
            while q > 0 { out.append(UInt8(48 + n / q)); n %= q; q /= 10 }
        }
        return true
    }

    /// The exact residual `a·p − prod` (one fused multiply-add).
    @inline(__always) static func fmaResidual(_ a: Double, _ p: Double, _ prod: Double) -> Double {
        (-prod).addingProduct(a, p)
    }
}

/// The Swift runtime's `Double` to text (`Double.description`'s digits): writes at most `length` bytes to
/// `buffer` (at least 32, pre-filled with ASCII "0") and returns how many it wrote. Declared by the standard library the
/// same way (`_float64ToStringImpl`, stdlib/public/core/Runtime.swift and FloatingPointToString.swift).
@_silgen_name("swift_float64ToString")
private func swiftFloat64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ length: UInt, _ value: Double, _ debug: Bool) -> UInt64
