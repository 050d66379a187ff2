import Foundation

/// The simulator's only source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Never `SystemRandomNumberGenerator`: the same seed must give byte-for-byte the same
/// traffic on every platform and every run. Each device (and each unit's household) gets
/// its own stream, forked from the scenario seed by a stable hash of a label, so that
/// adding a device to a building does not change any other device's traffic.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words from SplitMix64 (Vigna's recommended seeding).
    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&sm)
        s1 = splitmix(&sm)
        s2 = splitmix(&sm)
        s3 = splitmix(&sm)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// A generator for `label`, independent of every other label's.
    public init(seed: UInt64, label: String) {
        self.init(seed: seed ^ SimRandom.fnv1a(label))
    }

    /// A child stream; does not advance this generator.
    public func fork(_ label: String) -> SimRandom {
        SimRandom(seed: (s0 &+ s3) ^ SimRandom.fnv1a(label))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// Uniform integer in `range` (slightly biased for huge ranges; fine for simulation).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }

    /// Standard normal (Box–Muller, one of the pair).
    public mutating func normal() -> Double {
        var u1 = unit()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Exponentially distributed with the given mean.
    public mutating func exponential(mean: Double) -> Double {
        var u = unit()
        if u < 1e-300 { u = 1e-300 }
        return -mean * log(u)
    }

    /// FNV-1a 64-bit: a stable hash of a label (Swift's `Hasher` is seeded per process).
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
