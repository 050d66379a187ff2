/// What a unit's registration says about how many people live there, before any meter is read.
///
/// Most registrations are honest, so the registered count gets most of the prior mass
/// (`prior_honest`, default 0.8). The rest is split between under-registration (the group
/// rental's direction: more people than registered, `prior_under_share` of it) and
/// over-registration (people moved out, a second home). Under-registration by `j` persons has
/// weight ∝ exp(−(j − 1)/`prior_excess_scale`): small excesses are commoner than large ones,
/// but an excess of 8–10 (a group rental) keeps real prior mass. Over-registration by `j`
/// has weight ∝ exp(−(j − 1)). A unit without a registration (0) gets a declining prior over
/// 1…max, ∝ exp(−(n − 1)/3).
///
/// The prior is over persons present on occupied days, n = 1…max (an empty flat is handled
/// by the vacancy test, not by the prior).
struct RegistrationPrior: Sendable, Equatable, Codable {
    var honest: Double
    var underShare: Double
    var excessScale: Double

    /// P(n) for n = 0…maxPersons (index n; P(0) = 0).
    func probabilities(registered r: Int, maxPersons: Int) -> [Double] {
        let nmax = max(1, maxPersons)
        var p = Array(repeating: 0.0, count: nmax + 1)
        guard r >= 1 && r <= nmax else {
            for n in 1...nmax { p[n] = OccMath.exp(-Double(n - 1) / 3) }
            return Self.normalised(p)
        }
        let h = min(1, max(0, honest))
        var under = Array(repeating: 0.0, count: nmax + 1)
        var over = Array(repeating: 0.0, count: nmax + 1)
        let scale = max(0.1, excessScale)
        if r < nmax { for n in (r + 1)...nmax { under[n] = OccMath.exp(-Double(n - r - 1) / scale) } }
        if r > 1 { for n in 1..<r { over[n] = OccMath.exp(-Double(r - n - 1)) } }
        let su = under.reduce(0, +), so = over.reduce(0, +)
        var uShare = min(1, max(0, underShare))
        if su == 0 { uShare = 0 }
        if so == 0 { uShare = su > 0 ? 1 : 0 }
        let rest = (su == 0 && so == 0) ? 0 : 1 - h
        p[r] = 1 - rest
        for n in 1...nmax where n != r {
            if under[n] > 0 { p[n] += rest * uShare * under[n] / su }
            if over[n] > 0 { p[n] += rest * (1 - uShare) * over[n] / so }
        }
        return Self.normalised(p)
    }

    static func normalised(_ p: [Double]) -> [Double] {
        let s = p.reduce(0, +)
        return s > 0 ? p.map { $0 / s } : p
    }
}
