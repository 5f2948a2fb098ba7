import Foundation

/// SplitMix64, the project's one seeded pseudorandom generator: simulations with noise, synthetic
/// benchmark data and randomised tests are reproducible from their seed (a failure can be replayed).
///
/// Source: G. L. Steele Jr., D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014 (the generator and its mixing function), with the constants of S. Vigna's reference
/// `splitmix64.c` (prng.di.unimi.it, public domain): the state advances by the golden-ratio increment
/// 0x9E3779B97F4A7C15 and each output is the state through the two multiply–xorshift rounds.
/// The sequence from a seed is the reference one: seed 0 gives 0xE220A8397B1DCDAF first.
/// Not for cryptography.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose state starts at `seed` (the first output mixes seed + 0x9E3779B97F4A7C15).
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1): the top 53 bits of `next()` over 2⁵³ (every value a multiple of 2⁻⁵³).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A standard normal draw (Box–Muller transform).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
