import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `Double` through C's `snprintf` with a fixed format (`%.1f`, `%+.0f`, `%.2e`, …): the same text
/// `String(format:)` gives (Foundation formats a double with the C library's `snprintf` in the POSIX
/// locale), without building an `NSString` and parsing the format per call, which cost microseconds
/// each: a year's table and HTML report format hundreds of thousands of numbers.
/// Test: `ReportFormattingTests` compares both over random and special values.
enum PrintfNumber {
    /// `v` formatted by `format`, a `StaticString` holding exactly one double conversion.
    static func string(_ format: StaticString, _ v: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { buf -> String in
            let fmt = UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self)
            let n = withVaList([v]) { vsnprintf(buf.baseAddress!, 48, fmt, $0) }
            guard n >= 0, n < 48 else { return String(format: format.description, v) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress!, count: Int(n)), as: UTF8.self)
        }
    }

    /// `%.<digits>f` of `v`: integer arithmetic where it is exact (`NumberText.fixedBytes`), else `vsnprintf`.
    static func fixed(_ v: Double, digits: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        if NumberText.fixedBytes(v, digits: digits, into: &bytes) { return String(decoding: bytes, as: UTF8.self) }
        switch digits {
        case 0: return string("%.0f", v)
        case 1: return string("%.1f", v)
        case 2: return string("%.2f", v)
        case 3: return string("%.3f", v)
        case 4: return string("%.4f", v)
        case 6: return string("%.6f", v)
        default: return String(format: "%.\(digits)f", v)
        }
    }
}
