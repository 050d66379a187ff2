/// The probability of each head count for one unit, from all the evidence at once
/// (docs/occupancy.md §4):
///
/// - the registration, as the prior (`RegistrationPrior`);
/// - each meter's recent level against the building's calibrated scale (cross-sectional:
///   blurred by the spread of household habits σ_b, about ±40 % in real households);
/// - each meter's recent level against the unit's **own** baseline (its use in the weeks
///   before): the household's habits cancel out, so a step of a third is visible where a
///   comparison across households sees nothing smaller than a doubling.
///
/// Two latent counts: n₀ in the baseline weeks and n₁ now. n₀ has the registration prior;
/// n₁ = n₀ with probability 1 − ρ (`change_probability`), else it is drawn around n₀ with the
/// same shape as the registration prior (excesses likelier than deficits). Per meter kind k,
///
///     ȳ₁ₖ ~ N(ln useₖ(n₁), σ₁ₖ²)              (recent level vs the building)
///     Dₖ = ȳ₁ₖ − ȳ₀ₖ − gₖ ~ t₄(ln useₖ(n₁) − ln useₖ(n₀), τₖ)   (own step, Student-t, ν = 10)
///
/// with gₖ the building's common shift between the two windows (season) and τₖ the building's
/// spread of such shifts. Meter kinds are not independent evidence (a frugal household is
/// frugal with water and power alike; a season moves both), so their log-likelihoods are
/// summed with the weight 1/(1 + c(K − 1)) for K kinds (`kind_correlation` c).
struct OccupancyPosterior: Sendable, Equatable {
    /// P(n₁ = n), n = 0…max.
    var p: [Double]
    /// P(n₀ = n), the baseline weeks; nil without own-history evidence.
    var baseline: [Double]?
    /// P(n₁ ≠ n₀): the unit changed between its baseline and now.
    var changeProbability: Double?

    /// Degrees of freedom of the own-step likelihood (Student-t): heavier tails than a normal's.
    static let stepNu = 10.0

    struct Evidence: Sendable {
        /// ln use(n) for n = 0…max (index 0 unused).
        var logUse: [Double]
        var y: Double
        var sigma: Double
        /// Own step: (D, τ); nil without a baseline.
        var step: (d: Double, tau: Double)?
    }

    /// - Parameters:
    ///   - prior: P(n₀ = n) from the registration, n = 0…max.
    ///   - transition: T[n₀][n₁], rows summing to 1.
    static func compute(prior: [Double], transition: [[Double]], evidence: [Evidence], kindCorrelation c: Double) -> OccupancyPosterior {
        let nmax = prior.count - 1
        let k = Double(evidence.count)
        let w = 1 / (1 + max(0, c) * max(0, k - 1))
        var l1 = Array(repeating: 0.0, count: nmax + 1)
        for n in 1...max(1, nmax) where n <= nmax {
            var s = 0.0
            for e in evidence {
                let z = (e.y - e.logUse[n]) / max(1e-6, e.sigma)
                s -= z * z / 2
            }
            l1[n] = w * s
        }
        let steps = evidence.filter { $0.step != nil }
        var post = Array(repeating: 0.0, count: nmax + 1)
        guard !steps.isEmpty else {
            // No own history: n₀ only matters through the prior it passes on.
            var prior1 = Array(repeating: 0.0, count: nmax + 1)
            for n0 in 1...max(1, nmax) where n0 <= nmax && prior[n0] > 0 {
                for n1 in 1...nmax { prior1[n1] += prior[n0] * transition[n0][n1] }
            }
            let top = l1[1...].max() ?? 0
            for n in 1...max(1, nmax) where n <= nmax { post[n] = prior1[n] * OccMath.exp(l1[n] - top) }
            return OccupancyPosterior(p: RegistrationPrior.normalised(post), baseline: nil, changeProbability: nil)
        }
        let wd = 1 / (1 + max(0, c) * Double(steps.count - 1))
        var joint = Array(repeating: Array(repeating: -Double.infinity, count: nmax + 1), count: nmax + 1)
        var top = -Double.infinity
        for n0 in 1...nmax where prior[n0] > 0 {
            let lp0 = OccMath.ln(prior[n0])
            for n1 in 1...nmax where transition[n0][n1] > 0 {
                var s = 0.0
                for e in steps {
                    // Student-t (ν = 10): a household's own use drifts with heavier tails than
                    // a normal's (a holiday month, a new appliance), a group rental's step is
                    // still many τ away.
                    let z = (e.step!.d - (e.logUse[n1] - e.logUse[n0])) / max(1e-6, e.step!.tau)
                    s -= (Self.stepNu + 1) / 2 * OccMath.ln(1 + z * z / Self.stepNu)
                }
                let v = lp0 + OccMath.ln(transition[n0][n1]) + l1[n1] + wd * s
                joint[n0][n1] = v
                if v > top { top = v }
            }
        }
        var base = Array(repeating: 0.0, count: nmax + 1)
        var total = 0.0, changed = 0.0
        for n0 in 1...nmax {
            for n1 in 1...nmax where joint[n0][n1] > -Double.infinity {
                let x = OccMath.exp(joint[n0][n1] - top)
                post[n1] += x
                base[n0] += x
                total += x
                if n0 != n1 { changed += x }
            }
        }
        return OccupancyPosterior(
            p: RegistrationPrior.normalised(post), baseline: RegistrationPrior.normalised(base),
            changeProbability: total > 0 ? changed / total : nil)
    }

    /// The transition n₀ → n₁: stay with probability 1 − ρ, else move with the prior's shape around n₀.
    static func transition(prior: RegistrationPrior, changeProbability rho: Double, maxPersons nmax: Int) -> [[Double]] {
        var t = Array(repeating: Array(repeating: 0.0, count: nmax + 1), count: nmax + 1)
        let move = RegistrationPrior(honest: 0, underShare: prior.underShare, excessScale: prior.excessScale)
        for n0 in 1...max(1, nmax) where n0 <= nmax {
            let q = move.probabilities(registered: n0, maxPersons: nmax)
            for n1 in 1...nmax { t[n0][n1] = (n1 == n0 ? 1 - rho : 0) + rho * q[n1] }
        }
        return t
    }

    /// The smallest n whose cumulative probability reaches `q`.
    func quantile(_ q: Double) -> Double {
        var c = 0.0
        for n in p.indices {
            c += p[n]
            if c >= q - 1e-12 { return Double(n) }
        }
        return Double(p.count - 1)
    }

    /// The posterior median: the head count that minimises the expected absolute error.
    var median: Double { quantile(0.5) }

    var mean: Double {
        var m = 0.0
        for n in p.indices { m += Double(n) * p[n] }
        return m
    }

    /// P(n₁ ≥ x).
    func probability(atLeast x: Double) -> Double {
        var s = 0.0
        for n in p.indices where Double(n) >= x - 1e-9 { s += p[n] }
        return min(1, s)
    }

    /// The most probable baseline count (for evidence).
    var baselineMode: Int? {
        guard let b = baseline else { return nil }
        var best = 0
        for n in b.indices where b[n] > b[best] { best = n }
        return best
    }
}
