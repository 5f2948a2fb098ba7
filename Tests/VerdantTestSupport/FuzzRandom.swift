import Foundation

// Shared by the fuzz targets of VerdantCarbonTests (provider parsers, intensity import) and
// VerdantDaemonTests (configuration and policy files, API submissions); docs/reliability.md lists the
// runs per target.

/// Seeded mutation fuzzing (a property-based test without a framework): each run takes a valid seed
/// input and applies 1 to 8 random edits (flip a byte, insert random or structural bytes, delete or
/// duplicate a range, truncate, splice two seeds). Property: the parser returns or throws its own
/// error type with a message; it never crashes or hangs. Runs per target: `FuzzRandom.runs` (2,000;
/// `VERDANT_FUZZ_RUNS` overrides), seed `VERDANT_FUZZ_SEED` (default 10) so a failure replays.
public struct FuzzRandom: Sendable {
    /// Runs per fuzz target: 2,000, or `VERDANT_FUZZ_RUNS`.
    public static let runs = Int(ProcessInfo.processInfo.environment["VERDANT_FUZZ_RUNS"] ?? "") ?? 2000
    /// The seed every target's generator starts from: 10, or `VERDANT_FUZZ_SEED` (a failure replays with it).
    public static let seed = UInt64(ProcessInfo.processInfo.environment["VERDANT_FUZZ_SEED"] ?? "") ?? 10
    public var state: UInt64

    /// A generator for one target; `salt` tells targets apart.
    public init(_ salt: UInt64) { state = (Self.seed &* 0x9E3779B97F4A7C15) ^ salt | 1 }

    /// The next 64 random bits (xorshift64, Marsaglia 2003).
    public mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }

    /// A number in 0..<n (0 when n ≤ 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    /// Structural and edge-case byte strings inserted by the mutator.
    public static let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\n", "\r\n", "null", "-1", "1e309", "NaN", "\u{0}",
                                    "9999-99-99T99:99:99Z", "2020-06-01T00:00:00Z", "\u{FEFF}", "\\u0000", "é", "🌱", "0x10",
                                    "-0", "18446744073709551616", ",,,,", "\"\":", "true"].map { Array($0.utf8) }

    /// One mutant of `seed` (or of `seed` spliced with `other`).
    public mutating func mutate(_ seed: [UInt8], other: [UInt8]) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + below(8)) {
            switch below(7) {
            case 0 where !b.isEmpty: b[below(b.count)] ^= UInt8(1 << below(8))
            case 1: b.insert(contentsOf: (0..<(1 + below(8))).map { _ in UInt8(truncatingIfNeeded: next()) }, at: below(b.count + 1))
            case 2: b.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(b.count + 1))
            case 3 where !b.isEmpty:
                let i = below(b.count), n = min(b.count - i, 1 + below(64))
                b.removeSubrange(i..<(i + n))
            case 4 where !b.isEmpty:
                let i = below(b.count), n = min(b.count - i, 1 + below(64))
                b.insert(contentsOf: b[i..<(i + n)], at: below(b.count + 1))
            case 5: b = Array(b.prefix(below(b.count + 1)))
            default:
                let cut = below(b.count + 1), from = below(other.count + 1)
                b = Array(b.prefix(cut)) + Array(other.suffix(from: from))
            }
        }
        return b
    }
}
