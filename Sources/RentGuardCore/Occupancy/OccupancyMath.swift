/// Small numeric helpers for the occupancy estimator, in pure Swift.
///
/// The core links no maths library on purpose: the natural logarithm and the exponential
/// are computed here by range reduction and series, so that estimates are bit-for-bit the
/// same on every platform (determinism is a requirement of the core). Accuracy is within a
/// few ulps on the ranges used (positive volumes; exponents within ±50), far below anything
/// that matters for a head count.
enum OccMath {
    static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    /// Natural logarithm of a positive finite number; `-infinity` for 0, NaN for negatives.
    static func ln(_ x: Double) -> Double {
        guard x > 0 else { return x == 0 ? -.infinity : .nan }
        guard x.isFinite else { return x }
        // x = m · 2^e with m in [1, 2); move m to [√½, √2) so that the series converges fast.
        var e = Double(Int(x.exponent))
        var m = x.significand
        if m > 1.414_213_562_373_095_1 {
            m /= 2
            e += 1
        }
        // ln m = 2 atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        while k < 60 {
            let add = term / k
            sum += add
            if abs(add) < 1e-18 * abs(sum) { break }
            term *= t2
            k += 2
        }
        return 2 * sum + e * ln2
    }

    /// e^x; 0 for very negative x, +infinity for very large x.
    static func exp(_ x: Double) -> Double {
        guard x.isFinite else { return x.isNaN ? x : (x > 0 ? x : 0) }
        if x > 709 { return .infinity }
        if x < -745 { return 0 }
        // x = k ln2 + r, |r| ≤ ln2 / 2.
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        var term = 1.0
        var sum = 1.0
        var i = 1.0
        while i < 40 {
            term *= r / i
            sum += term
            if abs(term) < 1e-18 * sum { break }
            i += 1
        }
        return scale(sum, by: Int(k))
    }

    /// v · 2^k without overflow in the intermediate steps.
    private static func scale(_ v: Double, by k: Int) -> Double {
        var v = v
        var k = k
        while k > 1000 {
            v *= Double(sign: .plus, exponent: 1000, significand: 1)
            k -= 1000
        }
        while k < -1000 {
            v *= Double(sign: .plus, exponent: -1000, significand: 1)
            k += 1000
        }
        return v * Double(sign: .plus, exponent: k, significand: 1)
    }

    /// The median of `values` (the mean of the middle two for an even count); nil when empty.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return medianOfSorted(s)
    }

    static func medianOfSorted(_ s: [Double]) -> Double? {
        guard !s.isEmpty else { return nil }
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Median of a sorted array with the element at `skip` left out (leave-one-out).
    static func medianOfSorted(_ s: [Double], skipping skip: Int) -> Double? {
        let n = s.count - 1
        guard n > 0 else { return nil }
        func at(_ i: Int) -> Double { s[i < skip ? i : i + 1] }
        return n % 2 == 1 ? at(n / 2) : (at(n / 2 - 1) + at(n / 2)) / 2
    }

    /// Scaled median absolute deviation: a robust standard deviation (1.4826 · MAD for normal data).
    static func robustSD(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = median(values) else { return nil }
        return median(values.map { abs($0 - m) }).map { 1.482_6 * $0 }
    }

    static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        var s = 0.0
        for v in values { s += v }
        return s / Double(values.count)
    }

    /// Sample standard deviation; nil for fewer than two values.
    static func sd(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        var s = 0.0
        for v in values { s += (v - m) * (v - m) }
        return (s / Double(values.count - 1)).squareRoot()
    }

    /// Φ(−z): the standard normal's upper tail beyond z (Abramowitz & Stegun 7.1.26, error < 1.5e-7).
    static func normalTail(_ z: Double) -> Double {
        let x = abs(z) / 2.0.squareRoot()
        let t = 1 / (1 + 0.327_591_1 * x)
        let poly = t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
        let erfc = poly * exp(-x * x)
        return z >= 0 ? erfc / 2 : 1 - erfc / 2
    }

    /// Floor division for event-time arithmetic (rounds toward −∞).
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Rounds to `places` decimals, for stable, readable JSON.
    static func round(_ v: Double, _ places: Int = 2) -> Double {
        guard v.isFinite else { return v }
        var f = 1.0
        for _ in 0..<places { f *= 10 }
        return (v * f).rounded() / f
    }
}
