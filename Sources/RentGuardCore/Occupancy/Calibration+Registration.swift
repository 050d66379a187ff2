/// The building's scale, fitted with each unit's registration as a prior rather than as the
/// truth (docs/occupancy.md §3).
///
/// A building where half the units are group rentals breaks a median-per-registered-size
/// fit: the "typical" 2-registered flat then holds four people, and every estimate is halved.
/// Here each calibrating unit's true size is latent, with the registration prior of
/// `RegistrationPrior` (mostly honest; if not, more likely under- than over-registered), and
/// the model
///
///     ln(use) ~ N(ln s + ln(f + n), σ²)      (n ≥ 1 persons; use = a + b·n with b = s, a = s·f)
///
/// is fitted by maximum marginal likelihood (EM over the latent sizes). The fixed-part ratio f
/// is chosen among `fixedRatios` by the same likelihood. EM starts at the honest centre (the
/// densest third of the units' use at their registrations: under-registration only lifts use),
/// with σ the spread of the units below that centre. Units a registration cannot explain are absorbed as under- or
/// over-registered instead of stretching the scale or σ.
extension Calibration {
    static let fixedRatios: [Double] = [0, 0.5, 1, 1.5]
    static let emIterations = 30

    static func fitWithRegistrationPrior(
        _ points: [CalibrationPoint], prior: RegistrationPrior, maxPersons nmax: Int, limits: Limits
    ) -> UseModel? {
        let pts = points.filter { $0.use > 0 && $0.registered >= 1 }
        guard pts.count >= max(2, limits.minUnits) else { return nil }
        let priors = pts.map { prior.probabilities(registered: Int($0.registered), maxPersons: nmax) }
        let ys = pts.map { OccMath.ln($0.use) }
        var best: (ll: Double, f: Double, ls: Double, s: Double)? = nil
        for f in fixedRatios {
            let lf = (0...nmax).map { n in n == 0 ? -Double.infinity : OccMath.ln(f + Double(n)) }
            let atReg = zip(ys, pts).map { $0 - OccMath.ln(f + $1.registered) }
            // The honest centre: the middle of the densest third of the units' residuals at
            // their registrations (a shorth). Under-registered units sit above it, however many
            // they are, as long as the honest third is the tightest cluster.
            let start = Self.shorth(atReg, count: max(3, (pts.count + 2) / 3))
            // σ: from the units below the honest centre only (1.4826 × the median distance
            // below it). Under-registration, the fraud we look for, only ever lifts a unit's use,
            // so the lower half of the spread is the honest households' habits. (Mixture EM
            // alone would shrink σ by explaining ordinary habits as wrong registrations.)
            do {
                var sg = max(limits.minSigma, Self.lowerSpread(atReg, centre: start) ?? limits.minSigma)
                var ls = start
                var ll = -Double.infinity
                for round in 0..<2 {  // EM for the scale; then σ about it, and EM again
                    for _ in 0..<emIterations {
                        var sumR = 0.0, sumW = 0.0
                        ll = 0
                        for i in pts.indices {
                            var lw = Array(repeating: -Double.infinity, count: nmax + 1)
                            var top = -Double.infinity
                            for n in 1...nmax where priors[i][n] > 0 {
                                let z = (ys[i] - ls - lf[n]) / sg
                                lw[n] = OccMath.ln(priors[i][n]) - z * z / 2
                                if lw[n] > top { top = lw[n] }
                            }
                            var tot = 0.0
                            var w = Array(repeating: 0.0, count: nmax + 1)
                            for n in 1...nmax where lw[n] > -Double.infinity {
                                w[n] = OccMath.exp(lw[n] - top)
                                tot += w[n]
                            }
                            ll += top + OccMath.ln(tot) - OccMath.ln(sg)
                            for n in 1...nmax where w[n] > 0 {
                                sumR += w[n] / tot * (ys[i] - lf[n])
                                sumW += w[n] / tot
                            }
                        }
                        let newLs = sumR / sumW
                        let done = abs(newLs - ls) < 1e-5
                        ls = newLs
                        if done { break }
                    }
                    if round == 0, let r = Self.lowerSpread(atReg, centre: ls) {
                        sg = max(limits.minSigma, r)
                    }
                }
                if best == nil || ll > best!.ll + 1e-9 { best = (ll, f, ls, sg) }
            }
        }
        guard let b = best else { return nil }
        let s = OccMath.exp(b.ls)
        return UseModel(
            a: s * b.f, b: s, sigma: b.s, sigmaCalibration: 1.253_3 * b.s / Double(pts.count).squareRoot(),
            source: .building, units: pts.count, note: nil)
    }
}

extension Calibration {
    /// 1.4826 × the median of (centre − r) over the residuals r below `centre`: the spread of
    /// the lower half, which under-registered units (whose use is lifted) cannot widen.
    /// The midpoint of the shortest interval holding `count` of the values.
    static func shorth(_ v: [Double], count: Int) -> Double {
        let s = v.sorted()
        let h = min(max(1, count), s.count)
        var best = (width: Double.infinity, mid: s[s.count / 2])
        for i in 0...(s.count - h) {
            let w = s[i + h - 1] - s[i]
            if w < best.width { best = (w, (s[i] + s[i + h - 1]) / 2) }
        }
        return best.mid
    }

    static func lowerSpread(_ r: [Double], centre: Double) -> Double? {
        let below = r.filter { $0 < centre }.map { centre - $0 }
        guard below.count >= 2 else { return nil }
        return OccMath.median(below).map { 1.482_6 * $0 }
    }
}

/// How much a unit's own use moves between its baseline weeks and its recent window when
/// nothing changes in it, measured on the building (docs/occupancy.md §4).
///
/// `shift` is the median change across the building's units (the season, a heat wave: it
/// moves everybody) and `sigma` the robust spread around it, floored at `min_change_sigma_log`.
/// A group rental's step is an outlier here and does not widen it.
struct ChangeModel: Sendable, Equatable, Codable {
    var shift: Double
    var sigma: Double
    var units: Int
    /// From the building (true) or the assumed `fallback_change_sigma_log` (false).
    var measured: Bool

    static func fit(_ changes: [Double], minUnits: Int, minSigma: Double, fallbackSigma: Double) -> ChangeModel {
        guard changes.count >= max(2, minUnits), let g = OccMath.median(changes), let s = OccMath.robustSD(changes) else {
            return ChangeModel(shift: 0, sigma: max(minSigma, fallbackSigma), units: changes.count, measured: false)
        }
        return ChangeModel(shift: g, sigma: max(minSigma, s), units: changes.count, measured: true)
    }
}
