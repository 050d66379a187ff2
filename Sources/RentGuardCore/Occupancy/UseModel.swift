/// How a unit's daily use relates to the number of people present, for one kind of meter:
///
///     use(0) = 0,   use(n) = a + b·n   for n ≥ 1,   linear between 0 and 1
///
/// where `a` is the fixed part of a household (cleaning, the toilet's share, a fridge's
/// cycling above the night base) and `b` the per-person part. Real use scatters around this
/// line by a factor: ln(actual / use(n)) has a between-unit spread `sigma` (habits differ
/// from household to household; that spread does not shrink with more days) plus the unit's
/// own day-to-day spread (which does).
struct UseModel: Sendable, Equatable {
    enum Source: String, Sendable {
        /// Fitted on the building's own units and their registered occupants.
        case building
        /// Explicit per-person figure from the configuration.
        case configured
        /// Published figure (docs/occupancy.md), the building could not calibrate.
        case fallback
    }

    var a: Double
    var b: Double
    /// Between-unit spread of ln(use / model), robust.
    var sigma: Double
    /// Uncertainty of the fitted line itself (standard error of a median fit).
    var sigmaCalibration: Double
    var source: Source
    /// Units that calibrated it.
    var units: Int
    /// Calibrating units left out of the refit as outliers.
    var trimmed = 0
    var note: String?

    /// Expected daily use of `n` people.
    func use(_ n: Double) -> Double {
        n <= 1 ? max(0, n) * (a + b) : a + b * n
    }

    /// People present for a daily use `u` (the inverse of `use`).
    func persons(_ u: Double) -> Double {
        guard u > 0, b > 0 else { return 0 }
        let one = a + b
        return u < one ? u / one : (u - a) / b
    }

    var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("source", .string(source.rawValue)),
            ("fixed_per_day", .number(OccMath.round(a, 3))),
            ("per_person_day", .number(OccMath.round(b, 3))),
            ("sigma_log", .number(OccMath.round(sigma, 3))),
            ("calibration_units", JSONValue(units)),
        ]
        if trimmed > 0 { m.append(("outliers_trimmed", JSONValue(trimmed))) }
        if let note { m.append(("note", .string(note))) }
        return .object(m)
    }
}

/// One unit's calibration point: its registered occupants and its typical occupied-day use.
struct CalibrationPoint: Sendable {
    var slot: Int
    var registered: Double
    var use: Double
}

/// Robust calibration of `UseModel` on the building's units (leave-one-out).
///
/// Registered occupants are a prior that is right for most units but wrong for some (the very
/// units the estimator is after), so the fit is built from medians: the median use of each
/// registered size, then a line through those medians weighted by how many units each holds.
/// The spread is the scaled median absolute deviation of the log residuals. The unit being
/// estimated is always left out of its own calibration, so its registration (honest or not)
/// cannot pull its own estimate.
enum Calibration {
    struct Limits: Sendable {
        var minUnits: Int
        var minSigma: Double
        var minSlopeFraction: Double
    }

    /// Residuals trimmed before the refit: |ln(use / model) − median| above this many robust σ.
    static let trimSigmas = 2.5

    /// The building's model without unit `skip` (nil: with every unit); nil when fewer than
    /// `minUnits` units calibrate.
    ///
    /// Two passes: a line through the per-size medians, then the same on the units within
    /// 2.5 robust σ of it (a unit using six times what its registration predicts is the
    /// estimator's subject, not its calibration). The spread is measured on every unit.
    static func fit(_ points: [CalibrationPoint], skipping skip: Int?, limits: Limits) -> UseModel? {
        let pts = skip.map { s in points.filter { $0.slot != s } } ?? points
        guard pts.count >= max(2, limits.minUnits) else { return nil }
        guard var model = line(pts, limits: limits) else { return nil }
        let r0 = residuals(pts, model)
        if let s0 = OccMath.robustSD(r0.map(\.r)), s0 > 0, let med = OccMath.median(r0.map(\.r)) {
            let kept = r0.filter { abs($0.r - med) <= trimSigmas * max(s0, limits.minSigma) }.map(\.p)
            if kept.count < pts.count, kept.count >= max(2, limits.minUnits), let refit = line(kept, limits: limits) {
                model = refit
                model.trimmed = pts.count - kept.count
            }
        }
        let s = max(limits.minSigma, OccMath.robustSD(residuals(pts, model).map(\.r)) ?? limits.minSigma)
        model.sigma = s
        model.units = pts.count
        // Standard error of a median-based line: ≈ 1.2533 σ / √N.
        model.sigmaCalibration = 1.253_3 * s / Double(pts.count).squareRoot()
        return model
    }

    private static func residuals(_ pts: [CalibrationPoint], _ m: UseModel) -> [(p: CalibrationPoint, r: Double)] {
        pts.compactMap { p in
            let e = m.use(p.registered)
            return e > 0 && p.use > 0 ? (p, OccMath.ln(p.use / e)) : nil
        }
    }

    /// A line through the median use of each registered size, weighted by the units in each.
    private static func line(_ pts: [CalibrationPoint], limits: Limits) -> UseModel? {
        guard let perCapita = OccMath.median(pts.map { $0.use / $0.registered }), perCapita > 0 else { return nil }
        var groups: [Double: [Double]] = [:]
        for p in pts { groups[p.registered, default: []].append(p.use) }
        let sizes = groups.keys.sorted()
        var a = 0.0, b = perCapita
        var note: String? = nil
        if sizes.count >= 2 {
            var w = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for n in sizes {
                let vals = groups[n]!
                let c = Double(vals.count)
                let m = OccMath.median(vals)!
                w += c; sx += c * n; sy += c * m; sxx += c * n * n; sxy += c * n * m
            }
            let den = w * sxx - sx * sx
            var fb = den > 0 ? (w * sxy - sx * sy) / den : 0
            var fa = w > 0 ? (sy - fb * sx) / w : 0
            if fa < 0 {
                // A negative fixed part is not physical: a line through the origin instead.
                fa = 0
                fb = sxx > 0 ? sxy / sxx : perCapita
            }
            if fb >= limits.minSlopeFraction * perCapita && fb > 0 {
                a = fa
                b = fb
            } else {
                note = "per-person slope too flat to separate people from households; proportional"
            }
        } else {
            note = "one registered size only; proportional"
        }
        return UseModel(a: a, b: b, sigma: 0, sigmaCalibration: 0, source: .building, units: pts.count, note: note)
    }

    /// The spread of the building's units around a given (configured) line, for honest bounds
    /// around an explicit figure; nil when too few units.
    static func spread(_ points: [CalibrationPoint], around model: UseModel, skipping skip: Int?, limits: Limits) -> Double? {
        let pts = points.filter { $0.slot != skip }
        guard pts.count >= max(2, limits.minUnits) else { return nil }
        let r = pts.compactMap { p -> Double? in
            let e = model.use(p.registered)
            return e > 0 && p.use > 0 ? OccMath.ln(p.use / e) : nil
        }
        return OccMath.robustSD(r).map { max(limits.minSigma, $0) }
    }
}
