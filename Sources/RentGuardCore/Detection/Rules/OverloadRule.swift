/// Overload at a flat's meter against its rated (breaker) current, on an inverse-time curve
/// like a miniature circuit breaker's (assumed after IEC 60898-1 time-current
/// characteristics): never at 1.13 × In, within the hour at 1.45 × In, about a minute at
/// 2.55 × In, instantaneous from the magnetic-trip multiple (B curve: 3–5 × In).
///
/// Each reading's current is held until the next one (at most `max_gap_s`); the time spent
/// at multiple r adds dt / T(r) to a thermal "dose", which cools with `cooling_time_constant_s`
/// below 1.13 × In. `overload` is raised minor at `warn_dose` (the breaker is getting close)
/// and major at 1 (the breaker's own trip point); a brief inrush adds almost nothing.
///
/// A monitoring system must warn *before* the breaker: a sustained load over the rating
/// raises an `overload` pre-warning (severity warning) once it has held, graded by how far
/// above: over 1 × In for `prewarn_s`, over `no_trip_multiple` for `prewarn_over_no_trip_s`,
/// over `trip_multiple` for `prewarn_over_trip_s` (each reading held until the next; a
/// reading under the grade's level restarts that grade's persistence). The inverse-time
/// curve still decides the minor and major alarms.
public struct OverloadRule: DetectionRule {
    public static let id = "overload"
    public static let deviceKinds: [DeviceKind] = [.powerMeter]

    public static let defaultRating = RuleParameter(
        "default_rated_current_a", 40, unit: "A",
        source: "assumed: a common flat supply breaker; set rated_current_a per meter",
        "Rated current used when the meter has no rated_current_a.")
    public static let noTripMultiple = RuleParameter(
        "no_trip_multiple", 1.13, unit: "× In",
        source: "IEC 60898-1 conventional non-tripping current 1.13 In (assumed after IEC 60898-1 time-current characteristics)",
        "At or under this multiple the curve never trips.")
    public static let tripMultiple = RuleParameter(
        "trip_multiple", 1.45, unit: "× In",
        source: "IEC 60898-1 conventional tripping current 1.45 In, trips within 1 h (assumed after IEC 60898-1)",
        "Multiple with a trip time of trip_time_s.")
    public static let tripTime = RuleParameter(
        "trip_time_s", 1800, unit: "s",
        source: "assumed: inside IEC 60898-1's \"within 1 h\" at 1.45 In",
        "Time to trip at trip_multiple.")
    public static let shortMultiple = RuleParameter(
        "short_multiple", 2.55, unit: "× In",
        source: "IEC 60898-1: 2.55 In trips between 1 s and 60 s (In ≤ 32 A) (assumed after IEC 60898-1)",
        "Multiple with a trip time of short_time_s.")
    public static let shortTime = RuleParameter(
        "short_time_s", 60, unit: "s",
        source: "IEC 60898-1: 2.55 In trips in at most 60 s (assumed after IEC 60898-1)",
        "Time to trip at short_multiple.")
    public static let instantMultiple = RuleParameter(
        "instant_multiple", 5, unit: "× In",
        source: "IEC 60898-1 type B magnetic trip 3–5 In (assumed after IEC 60898-1), upper end",
        "At or over this multiple the alarm is immediate.")
    public static let warnDose = RuleParameter(
        "warn_dose", 0.5, unit: "fraction of trip",
        source: "assumed: warn at half the breaker's thermal trip",
        "Thermal dose that raises a warning (minor).")
    public static let coolingTimeConstant = RuleParameter(
        "cooling_time_constant_s", 600, unit: "s",
        source: "assumed: bimetal cooling of a small breaker, minutes",
        "Time constant with which the dose cools below the no-trip multiple.")
    public static let maxGap = RuleParameter(
        "max_gap_s", 900, unit: "s",
        source: "assumed: a reading is not held longer than 15 min",
        "Longest time one reading's current is held.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five minutes under the rating",
        "How long the load must stay under the rating (dose cooled) before the alarm clears.")

    public static let prewarn = RuleParameter(
        "prewarn_s", 300, unit: "s",
        source: "assumed: a load over the breaker's rating for 5 min is no inrush (motor starts and kettles' surges last seconds) and leaves the 1 h of IEC 60898-1 at 1.45 In far ahead",
        "How long the current must stay over 1 × In before a pre-warning.")
    public static let prewarnOverNoTrip = RuleParameter(
        "prewarn_over_no_trip_s", 120, unit: "s",
        source: "assumed: over IEC 60898-1's non-tripping current 1.13 In the breaker may trip within the hour; warn after 2 min (issue 12: 1.3 In must warn within 5 min)",
        "How long the current must stay over no_trip_multiple before a pre-warning.")
    public static let prewarnOverTrip = RuleParameter(
        "prewarn_over_trip_s", 30, unit: "s",
        source: "assumed: over IEC 60898-1's conventional tripping current 1.45 In a trip can come within minutes",
        "How long the current must stay over trip_multiple before a pre-warning.")

    public static let parameters = [defaultRating, noTripMultiple, tripMultiple, tripTime, shortMultiple, shortTime, instantMultiple,
                                    warnDose, coolingTimeConstant, maxGap, clearHold, prewarn, prewarnOverNoTrip, prewarnOverTrip]

    struct Params: Sendable {
        var rated = 40.0, noTrip = 1.13, trip = 1.45, tripS = 1800.0, short = 2.55, shortS = 60.0, instant = 5.0
        var warn = 0.5, coolMs = 600_000.0, maxGapMs: Int64 = 900_000, holdMs: Int64 = 300_000
        var prewarnMs: Int64 = 300_000, prewarnNoTripMs: Int64 = 120_000, prewarnTripMs: Int64 = 30_000

        /// Trip time in seconds at multiple r (infinity at or under the no-trip multiple).
        func tripTime(_ r: Double) -> Double {
            if r <= noTrip { return .infinity }
            if r >= instant { return 0 }
            if r <= trip { return tripS * (trip - noTrip) / (r - noTrip) }
            func logInterp(_ r0: Double, _ t0: Double, _ r1: Double, _ t1: Double) -> Double {
                let f = (logDet(r) - logDet(r0)) / (logDet(r1) - logDet(r0))
                return expDet(logDet(t0) + f * (logDet(t1) - logDet(t0)))
            }
            if r <= short { return logInterp(trip, tripS, short, shortS) }
            return logInterp(short, shortS, instant, 0.1)
        }
    }
    struct State: Sendable, Codable {
        var dose = 0.0
        var lastRatio = 0.0
        var lastTs: Int64 = .min
        var severity: Severity? = nil
        var peakRatio = 0.0
        /// Since when the current has stayed over 1 × In, over no_trip_multiple, over trip_multiple.
        var overSince: Int64 = .max
        var overNoTripSince: Int64 = .max
        var overTripSince: Int64 = .max
    }

    private let params: [Params]
    private var state: [State]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            p.rated = d.ratedCurrentA ?? thresholds.value(Self.id, Self.defaultRating, device: d.id)
            p.noTrip = thresholds.value(Self.id, Self.noTripMultiple, device: d.id)
            p.trip = thresholds.value(Self.id, Self.tripMultiple, device: d.id)
            p.tripS = thresholds.value(Self.id, Self.tripTime, device: d.id)
            p.short = thresholds.value(Self.id, Self.shortMultiple, device: d.id)
            p.shortS = thresholds.value(Self.id, Self.shortTime, device: d.id)
            p.instant = thresholds.value(Self.id, Self.instantMultiple, device: d.id)
            p.warn = thresholds.value(Self.id, Self.warnDose, device: d.id)
            p.coolMs = thresholds.value(Self.id, Self.coolingTimeConstant, device: d.id) * 1000
            p.maxGapMs = thresholds.ms(Self.id, Self.maxGap, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.prewarnMs = thresholds.ms(Self.id, Self.prewarn, device: d.id)
            p.prewarnNoTripMs = thresholds.ms(Self.id, Self.prewarnOverNoTrip, device: d.id)
            p.prewarnTripMs = thresholds.ms(Self.id, Self.prewarnOverTrip, device: d.id)
            return p
        }
        state = Array(repeating: State(), count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .overload, let slot { state[slot].severity = alarm.severity }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.power(t)) = reading.observation else { return }
        guard let current = t.currentA ?? t.powerW.map({ $0 / (t.voltageV ?? 220) }) else { return }
        let p = params[slot]
        var s = state[slot]
        defer { state[slot] = s }
        if s.lastTs != .min {
            let dt = Double(min(reading.ts - s.lastTs, p.maxGapMs))
            if dt > 0 {
                if s.lastRatio > p.noTrip {
                    let tt = p.tripTime(s.lastRatio)
                    s.dose += tt <= 0 ? 1 : dt / 1000 / tt
                } else {
                    s.dose *= expDet(-dt / p.coolMs)
                }
            }
        }
        let ratio = current / p.rated
        // Sustained-over-rating persistence per grade (a reading's value holds until the next;
        // a gap longer than max_gap_s restarts it).
        let gap = s.lastTs != .min && reading.ts - s.lastTs > p.maxGapMs
        s.overSince = ratio > 1 ? (gap ? reading.ts : min(s.overSince, reading.ts)) : .max
        s.overNoTripSince = ratio > p.noTrip ? (gap ? reading.ts : min(s.overNoTripSince, reading.ts)) : .max
        s.overTripSince = ratio > p.trip ? (gap ? reading.ts : min(s.overTripSince, reading.ts)) : .max
        s.lastRatio = ratio
        s.lastTs = reading.ts
        if ratio > p.noTrip { s.peakRatio = max(s.peakRatio, ratio) }
        let key = AlarmKey(type: .overload, device: device.id, unit: device.unit)
        var sev: Severity? = nil
        var trigger = ""
        if ratio >= p.instant { sev = .major; trigger = "instantaneous_multiple" }
        else if s.dose >= 1 { sev = .major; trigger = "inverse_time_trip" }
        else if s.dose >= p.warn { sev = .minor; trigger = "inverse_time_warning" }
        else if s.overTripSince != .max, reading.ts - s.overTripSince >= p.prewarnTripMs { sev = .warning; trigger = "sustained_over_trip_multiple" }
        else if s.overNoTripSince != .max, reading.ts - s.overNoTripSince >= p.prewarnNoTripMs { sev = .warning; trigger = "sustained_over_no_trip_multiple" }
        else if s.overSince != .max, reading.ts - s.overSince >= p.prewarnMs { sev = .warning; trigger = "sustained_over_rating" }
        if let sev {
            guard s.severity == nil || s.severity! < sev else { return }
            s.severity = sev
            var ev = Evidence(rule: Self.id, trigger: trigger)
            ev.add("current_a", current)
            ev.add("rated_current_a", p.rated)
            ev.add("multiple", (ratio * 1000).rounded() / 1000)
            ev.add("peak_multiple", (s.peakRatio * 1000).rounded() / 1000)
            ev.add("thermal_dose", (min(s.dose, 99) * 1000).rounded() / 1000)
            ev.add("trip_time_at_multiple_s", ratio > p.noTrip ? (p.tripTime(ratio) * 10).rounded() / 10 : nil)
            if sev == .warning {
                let since = trigger == "sustained_over_trip_multiple" ? s.overTripSince
                    : trigger == "sustained_over_no_trip_multiple" ? s.overNoTripSince : s.overSince
                ev.add("over_since", since)
                ev.add("held_s", Double(reading.ts - since) / 1000)
            }
            ev.add("power_w", t.powerW)
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, sev, at: reading.ts, evidence: ev.json, clearHoldMs: p.holdMs))
        } else if s.severity != nil, ratio <= 1, s.dose < p.warn / 5 {
            s.severity = nil
            s.peakRatio = 0
            out.append(.normal(key, at: reading.ts, clearHoldMs: p.holdMs))
        } else if s.severity == nil, ratio <= 1 {
            s.peakRatio = 0
        }
    }
}

/// ln x without Foundation (x > 0): x = m · 2^e with m in [1, 2), ln m by the atanh series.
func logDet(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x == 0 ? -.infinity : (x.isInfinite ? .infinity : .nan) }
    let e = Double(x.exponent)
    let m = x.significand  // [1, 2)
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y, sum = 0.0
    var n = 1.0
    while n < 60 {
        sum += term / n
        term *= y2
        n += 2
    }
    return 2 * sum + e * 0.693_147_180_559_945_3
}

extension OverloadRule: PersistentRule {
    /// The thermal dose of the flat's wiring and the over-current timers.
    func deviceState(slot: Int) -> State? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return state[slot].lastTs == .min ? nil : state[slot]
    }

    mutating func restoreDeviceState(_ s: State, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        state[slot] = s
        state[slot].severity = nil  // from the active alarms
    }
}
