/// The ordinance's group-rental criteria (../shared/domain.md), evaluated on a unit's posterior
/// head count (`OccupancyPosterior`) each closed period.
///
/// Any one of these, holding on `days_running` (K, default 7) assessed periods in a row,
/// raises `group_rental_suspected`; none holding on `clear_days` periods in a row clears it.
/// Periods without an estimate (no usable data) neither extend nor break a run.
///
/// - tenants: at least `tenants_min` (10) persons;
/// - area: area ÷ persons is below 10 m² (complete flat) or 5 m² (non-complete dwelling), with
///   at least `area_min_persons` (4) persons;
/// - per room: persons ÷ `rooms_rented` above `max_persons_per_room` (off by default; Shanghai 2);
/// - registered: at least registered + `registered_margin` (2) persons
///   (a negative margin turns it off).
///
/// Each criterion holds on a day when the unit's posterior probability of meeting it reaches
/// `flag_probability` (0.9): a flag sends an inspector to people's homes, so it must be
/// likely, not merely possible.
struct GroupRentalTracker: Sendable {
    var active = false
    var holdRun = 0
    var clearRun = 0

    struct Verdict: Sendable {
        var criteria: [String] = []
        var reasons: [String] = []
        var persons: Double = 0
        var areaPerPerson: Double? = nil
        var areaThreshold: Double = 0
        /// Each criterion's posterior probability of being met.
        var probabilities: [(String, Double)] = []
    }

    /// The criteria on the unit's posterior head count. With `use_low_bound` = 1 (default) a
    /// criterion holds when the posterior probability that it is met reaches
    /// `flag_probability`; with 0, when the point estimate (posterior median) meets it. Without a
    /// posterior (a mostly vacant window) nothing holds.
    static func evaluate(unit: UnitConfig, posterior: OccupancyPosterior?, rolling: Double, settings s: OccupancySettings, windowDays: Int) -> Verdict {
        var v = Verdict()
        v.persons = rolling
        let threshold = unit.completeFlat ? s.areaComplete : s.areaNonComplete
        v.areaThreshold = threshold
        if unit.areaM2 > 0, rolling > 0 { v.areaPerPerson = unit.areaM2 / rolling }
        guard let post = posterior else { return v }
        let window = "\(windowDays)-day"
        /// Holds when P(n ≥ x) is high enough (or the median reaches x).
        func check(_ name: String, atLeast x: Double, _ what: String) {
            let pr = post.probability(atLeast: x)
            v.probabilities.append((name, pr))
            let holds = s.useLowBound ? pr >= s.flagProbability : rolling >= x - 1e-9
            guard holds else { return }
            v.criteria.append(name)
            v.reasons.append("P(\(what)) = \(fmt(100 * pr)) % (\(window) posterior, estimate \(fmt(rolling)), \(s.useLowBound ? "≥ \(fmt(100 * s.flagProbability)) %" : "median"))")
        }
        if s.tenantsMin > 0 {
            check("tenants", atLeast: s.tenantsMin.rounded(.up), "≥ \(fmt(s.tenantsMin)) tenants")
        }
        if unit.areaM2 > 0, threshold > 0 {
            // area ÷ n < threshold ⇔ n > area ÷ threshold; and n ≥ area_min_persons.
            let q = unit.areaM2 / threshold
            let over = q.rounded(.down) + 1
            let need = max(over, s.areaMinPersons.rounded(.up), 1)
            check(
                "area", atLeast: need,
                "≥ \(fmt(need)) persons in \(fmt(unit.areaM2)) m², < \(fmt(threshold)) m² per person (\(unit.completeFlat ? "complete flat" : "non-complete dwelling"))")
        }
        if s.maxPersonsPerRoom > 0, let rooms = unit.roomsRented, rooms > 0 {
            let limit = s.maxPersonsPerRoom * Double(rooms)
            let need = limit.rounded(.down) + 1
            check("per_room", atLeast: need, "> \(fmt(s.maxPersonsPerRoom)) per room in \(rooms) rented rooms")
        }
        if s.registeredMargin >= 0 {  // negative: criterion off
            let need = Double(unit.registeredOccupants) + max(1, s.registeredMargin.rounded(.up))
            check("registered", atLeast: need, "≥ \(fmt(need)) persons, \(unit.registeredOccupants) registered + \(fmt(s.registeredMargin))")
        }
        return v
    }

    /// Advances the run counters with one assessed period; returns the edge, if any.
    mutating func step(holds: Bool, daysRunning: Int, clearDays: Int) -> Bool? {
        if holds {
            holdRun += 1
            clearRun = 0
            if !active && holdRun >= daysRunning {
                active = true
                return true
            }
        } else {
            clearRun += 1
            holdRun = 0
            if active && clearRun >= clearDays {
                active = false
                return false
            }
        }
        return nil
    }

    /// One decimal, without a trailing ".0".
    static func fmt(_ v: Double) -> String {
        let r = OccMath.round(v, 1)
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        return String(r)
    }
}
