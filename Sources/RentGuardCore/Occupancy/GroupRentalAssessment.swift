/// The ordinance's group-rental criteria (../shared/domain.md), evaluated on a unit's rolling
/// occupancy estimate each closed period.
///
/// Any one of these, holding on `days_running` (K, default 7) assessed periods in a row,
/// raises `group_rental_suspected`; none holding on `clear_days` periods in a row clears it.
/// Periods without an estimate (no usable data) neither extend nor break a run.
///
/// - tenants: the rolling low bound reaches `tenants_min` (10);
/// - area: area ÷ persons is below 10 m² (complete flat) or 5 m² (non-complete dwelling), with
///   at least `area_min_persons` (4) persons;
/// - per room: persons ÷ `rooms_rented` above `max_persons_per_room` (off by default; Shanghai 2);
/// - registered: persons exceed the registered occupants by `registered_margin` (2) or more
///   (a negative margin turns it off).
///
/// "Persons" is the rolling low bound (`use_low_bound` = 1, default): a flag sends an inspector
/// to people's homes, so it should hold even at the pessimistic end of the estimate.
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
    }

    static func evaluate(unit: UnitConfig, rolling: Double, low: Double, settings s: OccupancySettings, windowDays: Int) -> Verdict {
        var v = Verdict()
        let persons = s.useLowBound ? low : rolling
        let which = s.useLowBound ? "low bound" : "estimate"
        v.persons = persons
        let window = "\(windowDays)-day rolling"
        if s.tenantsMin > 0, low >= s.tenantsMin {
            v.criteria.append("tenants")
            v.reasons.append("\(window) low bound \(fmt(low)) persons ≥ \(fmt(s.tenantsMin)) tenants")
        }
        let threshold = unit.completeFlat ? s.areaComplete : s.areaNonComplete
        v.areaThreshold = threshold
        if unit.areaM2 > 0, persons > 0 {
            let app = unit.areaM2 / persons
            v.areaPerPerson = app
            if threshold > 0, persons >= s.areaMinPersons, app < threshold {
                v.criteria.append("area")
                v.reasons.append(
                    "\(fmt(unit.areaM2)) m² for \(fmt(persons)) persons (\(window) \(which)) = \(fmt(app)) m² per person < \(fmt(threshold)) m² (\(unit.completeFlat ? "complete flat" : "non-complete dwelling"))")
            }
        }
        if s.maxPersonsPerRoom > 0, let rooms = unit.roomsRented, rooms > 0 {
            let ppr = persons / Double(rooms)
            if ppr > s.maxPersonsPerRoom {
                v.criteria.append("per_room")
                v.reasons.append("\(fmt(persons)) persons (\(window) \(which)) in \(rooms) rented rooms = \(fmt(ppr)) per room > \(fmt(s.maxPersonsPerRoom))")
            }
        }
        if s.registeredMargin >= 0 {  // negative: criterion off
            let excess = persons - Double(unit.registeredOccupants)
            if excess >= s.registeredMargin && persons > 0 {
                v.criteria.append("registered")
                v.reasons.append(
                    "\(fmt(persons)) persons (\(window) \(which)) exceed \(unit.registeredOccupants) registered by \(fmt(excess)) ≥ \(fmt(s.registeredMargin))")
            }
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
