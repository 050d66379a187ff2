import Testing
@testable import RentGuardCore

@Suite struct OccupancyPosteriorTests {
    static let prior = RegistrationPrior(honest: 0.8, underShare: 0.75, excessScale: 3)

    @Test func registrationPriorPutsMostMassOnTheRegisteredCount() {
        let p = Self.prior.probabilities(registered: 3, maxPersons: 30)
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        #expect(abs(p[3] - 0.8) < 1e-12)
        #expect(p[0] == 0)
        let under = p[4...].reduce(0, +), over = p[1..<3].reduce(0, +)
        #expect(abs(under - 0.15) < 1e-9)
        #expect(abs(over - 0.05) < 1e-9)
        #expect(p[4] > p[5] && p[5] > p[10] && p[10] > 0)  // big excesses keep some mass
        // A single registered person cannot be over-registered: all the rest is excess.
        let one = Self.prior.probabilities(registered: 1, maxPersons: 30)
        #expect(abs(one[2...].reduce(0, +) - 0.2) < 1e-9)
        // No registration: a declining prior over 1…max.
        let none = Self.prior.probabilities(registered: 0, maxPersons: 30)
        #expect(none[1] > none[2] && abs(none.reduce(0, +) - 1) < 1e-12)
    }

    static func evidence(y: Double, sigma: Double, step: (Double, Double)? = nil) -> OccupancyPosterior.Evidence {
        // use(n) = 60 + 100 n litres.
        OccupancyPosterior.Evidence(
            logUse: (0...30).map { $0 == 0 ? -.infinity : OccMath.ln(60 + 100 * Double($0)) }, y: y, sigma: sigma, step: step.map { (d: $0.0, tau: $0.1) })
    }

    @Test func weakEvidenceKeepsTheRegistrationStrongEvidenceMovesIt() {
        let prior = Self.prior.probabilities(registered: 2, maxPersons: 30)
        let t = OccupancyPosterior.transition(prior: Self.prior, changeProbability: 0.05, maxPersons: 30)
        // Use 30 % above a 2-person flat's, with habits spread ±40 %: still 2.
        let weak = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [Self.evidence(y: OccMath.ln(260 * 1.3), sigma: 0.4)], kindCorrelation: 0.5)
        #expect(weak.median == 2)
        #expect(weak.probability(atLeast: 4) < 0.5)
        // Four times a 2-person flat's use (3.5 σ): far more people than registered.
        let strong = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [Self.evidence(y: OccMath.ln(1040), sigma: 0.4)], kindCorrelation: 0.5)
        #expect(strong.median >= 6)
        #expect(strong.probability(atLeast: 4) > 0.9)
        #expect(strong.quantile(0.1) <= strong.median && strong.median <= strong.quantile(0.9))
    }

    @Test func ownStepIsStrongerThanTheBuildingComparison() {
        let prior = Self.prior.probabilities(registered: 2, maxPersons: 30)
        let t = OccupancyPosterior.transition(prior: Self.prior, changeProbability: 0.05, maxPersons: 30)
        // Recent use is 2.5 × a 2-person flat's; with habits spread ±60 % across households
        // that is no proof.
        let y = OccMath.ln(650)
        let across = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [Self.evidence(y: y, sigma: 0.6)], kindCorrelation: 0.5)
        #expect(across.probability(atLeast: 4) < 0.5)
        // But the same unit used 40 % of that over the four weeks before (a step of ln 2.5):
        // habits cancel out, and with τ = 0.15 the step says ≥ 2 more people.
        let own = OccupancyPosterior.compute(
            prior: prior, transition: t, evidence: [Self.evidence(y: y, sigma: 0.6, step: (OccMath.ln(2.5), 0.15))], kindCorrelation: 0.5)
        #expect(own.probability(atLeast: 4) > 0.9)
        #expect((own.changeProbability ?? 0) > 0.9)
        #expect(own.baselineMode == 1 || own.baselineMode == 2)
        // No step: agrees with the registration.
        let flat = OccupancyPosterior.compute(
            prior: prior, transition: t, evidence: [Self.evidence(y: OccMath.ln(360), sigma: 0.4, step: (0, 0.15))], kindCorrelation: 0.5)
        #expect(flat.median == 2)
        #expect((flat.changeProbability ?? 1) < 0.1)
    }

    @Test func correlatedKindsAreNotCountedTwice() {
        let prior = Self.prior.probabilities(registered: 2, maxPersons: 30)
        let t = OccupancyPosterior.transition(prior: Self.prior, changeProbability: 0.05, maxPersons: 30)
        let e = Self.evidence(y: OccMath.ln(500), sigma: 0.4)
        let one = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [e], kindCorrelation: 0.5)
        let twoIndependent = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [e, e], kindCorrelation: 0)
        let twoCorrelated = OccupancyPosterior.compute(prior: prior, transition: t, evidence: [e, e], kindCorrelation: 0.5)
        let p1 = one.probability(atLeast: 4), pi = twoIndependent.probability(atLeast: 4), pc = twoCorrelated.probability(atLeast: 4)
        #expect(p1 < pc && pc < pi, "\(p1) \(pc) \(pi)")
    }

    @Test func normalTailMatchesTheTable() {
        #expect(abs(OccMath.normalTail(1.2816) - 0.1) < 1e-4)
        #expect(abs(OccMath.normalTail(0) - 0.5) < 1e-7)
        #expect(abs(OccMath.normalTail(-1.96) - 0.975) < 1e-4)
    }
}
