/// Estimates how many people live in each unit from its water, electricity and gas meters,
/// with honest bounds, and flags units that look like group rentals (issue 6).
///
/// Pure and deterministic: it reads only the readings it is given and the event time it is
/// advanced to (no clock, no I/O), and the same sequence of calls gives the same output.
///
/// Use: feed every decoded reading to `observe`; call `advance(to:)` with event time (e.g. on
/// every engine tick, or at `nextDeadline`). When a local period (default one day in the
/// gateway's zone, `gateway.timezone`) has been over for `closeGraceSeconds` (default 2 h),
/// it is closed: one `OccupancyEstimate` per unit with usable data, and group-rental
/// `Condition` edges. The model, calibration and parameters are described in docs/occupancy.md.
public struct OccupancyEstimator: Sendable {
    struct DayUse: Sendable {
        var period: Int64
        /// Active use: scaled to the whole period, night base (leak, standby) subtracted.
        var use: Double
    }

    /// What one kind of meter said about a unit in the period being closed.
    struct KindDay: Sendable {
        var usable: Bool
        var use: Double
        var coverage: Double
        var nightBasePerHour: Double?
        var resets: Int
        var jumps: Int
        var gaps: Int
        var meters: Int
    }

    /// One kind's estimate for a unit: the period's and the rolling one.
    struct KindEstimate: Sendable {
        var kind: OccupancyMeterKind
        var model: UseModel
        var day: (est: Double, low: Double, high: Double, sd: Double, vacant: Bool)?
        var rolling: (est: Double, low: Double, high: Double, sd: Double, mean: Double, days: Int, occupied: Int)?
        var daySigma: Double
        var spikeCapped = false
    }

    let settings: OccupancySettings
    let clock: PeriodClock
    let graceMs: Int64
    let units: [UnitConfig]
    private var meterOfDevice: [String: Int] = [:]
    private var meters: [MeterTrack] = []
    /// unit slot → kind index → meter indexes.
    private var unitMeters: [[[Int]]]
    /// unit slot → kind index → usable periods, oldest first.
    private var history: [[[DayUse]]]
    private var trackers: [GroupRentalTracker]
    /// The earliest period not yet closed; nil until the first reading or advance.
    private var nextPeriod: Int64? = nil

    /// - Parameter options: local periods and their closing; by default days in the
    ///   gateway's zone (`config.gateway.zone`).
    public init(config: BuildingConfig, thresholds: Thresholds, options: OccupancyOptions? = nil) {
        let options = options ?? OccupancyOptions(zone: config.gateway.zone)
        settings = OccupancySettings(thresholds)
        clock = PeriodClock(options)
        graceMs = Int64(options.closeGraceSeconds) * 1000
        units = config.units
        var unitSlot: [String: Int] = [:]
        for (i, u) in config.units.enumerated() where unitSlot[u.id] == nil { unitSlot[u.id] = i }
        let kinds = OccupancyMeterKind.allCases.count
        unitMeters = Array(repeating: Array(repeating: [], count: kinds), count: config.units.count)
        history = Array(repeating: Array(repeating: [], count: kinds), count: config.units.count)
        trackers = Array(repeating: GroupRentalTracker(), count: config.units.count)
        for d in config.devices {
            guard meterOfDevice[d.id] == nil, let kind = OccupancyMeterKind(d.kind), let uid = d.unit, let slot = unitSlot[uid] else { continue }
            meterOfDevice[d.id] = meters.count
            unitMeters[slot][kind.index].append(meters.count)
            meters.append(MeterTrack(kind: kind, unit: slot))
        }
    }

    /// Rule ids and parameters, for configuration validation and docs.
    public static var parameters: [(rule: String, parameters: [RuleParameter])] {
        [(OccupancyRule.id, OccupancyRule.parameters), (GroupRentalRule.id, GroupRentalRule.parameters)]
    }

    /// Feed every decoded reading; readings from devices that are not meters of a unit, and
    /// events and status messages, are ignored.
    public mutating func observe(_ reading: Reading) {
        guard let m = meterOfDevice[reading.device], case let .telemetry(t) = reading.observation else { return }
        var register: Double? = nil
        var power: Double? = nil
        switch (meters[m].kind, t) {
        case let (.water, .water(w)): register = w.volumeL
        case let (.electricity, .power(p)):
            register = p.energyKWh
            power = p.powerW
        case let (.gas, .gas(g)): register = g.volumeM3
        default: return
        }
        guard register != nil || power != nil else { return }
        if nextPeriod == nil { nextPeriod = clock.period(of: reading.ts) }
        meters[m].observe(ts: reading.ts, register: register, powerW: power, clock: clock, firstOpen: nextPeriod!, limits: limits(meters[m].kind))
    }

    /// Restores a `group_rental_suspected` alarm that was active before a restart, so that the
    /// unit clears only after `clear_days` periods without a criterion.
    public mutating func restore(_ alarm: Alarm) {
        guard alarm.key.type == .groupRentalSuspected, alarm.isActive, let u = alarm.key.unit,
            let slot = units.firstIndex(where: { $0.id == u })
        else { return }
        trackers[slot].active = true
    }

    /// The event time at which the next period closes (`Int64.max` before any reading).
    public var nextDeadline: Int64 {
        guard let p = nextPeriod else { return .max }
        return clock.start(p + 1) &+ graceMs
    }

    /// Event time has advanced to `now`: closes every period that ended at least
    /// `closeGraceSeconds` ago and returns their estimates and group-rental conditions.
    public mutating func advance(to now: Int64) -> OccupancyOutput {
        var out = OccupancyOutput()
        guard var p = nextPeriod else { return out }
        let last = clock.period(of: now &- graceMs) - 1  // the last period that may close
        while p <= last {
            // Periods without any reading change nothing: skip them at once.
            var earliest: Int64 = .max
            for m in meters { if let e = m.earliestOpen, e < earliest { earliest = e } }
            if earliest > p {
                p = min(earliest, last + 1)
                nextPeriod = p
                continue
            }
            close(p, into: &out)
            p += 1
            nextPeriod = p
        }
        return out
    }

    private func limits(_ k: OccupancyMeterKind) -> MeterTrack.Limits {
        MeterTrack.Limits(
            maxPerHour: settings.meters[k.index].maxPerHour, maxIntervalMs: settings.maxIntervalMs, nightStartMs: settings.nightStartMs,
            nightEndMs: settings.nightEndMs, nightMaxIntervalMs: settings.nightMaxIntervalMs, powerHoldMs: settings.powerHoldMs)
    }

    // MARK: - Closing a period

    private mutating func close(_ p: Int64, into out: inout OccupancyOutput) {
        let s = settings
        let periodMs = clock.length(p)
        let periodHours = Double(periodMs) / 3_600_000
        var closed: [MeterPeriod?] = Array(repeating: nil, count: meters.count)
        for i in meters.indices { closed[i] = meters[i].close(p) }

        // 1. Each unit's use of each kind in the period.
        let kinds = OccupancyMeterKind.allCases
        var today: [[KindDay?]] = Array(repeating: Array(repeating: nil, count: kinds.count), count: units.count)
        let keep = max(s.rollingDays, s.calibrationDays)
        for u in units.indices {
            for k in kinds {
                let ids = unitMeters[u][k.index].filter { closed[$0] != nil || meters[$0].lastSeenPeriod >= p - Int64(s.rollingDays) + 1 }
                if !ids.isEmpty {
                    var kd = KindDay(usable: true, use: 0, coverage: 1, nightBasePerHour: nil, resets: 0, jumps: 0, gaps: 0, meters: ids.count)
                    for i in ids {
                        let mp = closed[i] ?? MeterPeriod()
                        let cov = Double(mp.coveredMs) / Double(periodMs)
                        kd.coverage = min(kd.coverage, cov)
                        kd.resets += mp.resets
                        kd.jumps += mp.jumps
                        kd.gaps += mp.gaps
                        guard cov >= s.minDayCoverage else {
                            kd.usable = false
                            continue
                        }
                        let scaled = mp.volume / cov
                        var base = 0.0
                        if mp.nightIntervals >= 2, let r = mp.nightMinPerHour, r > 0 {
                            base = r
                            kd.nightBasePerHour = (kd.nightBasePerHour ?? 0) + r
                        }
                        kd.use += max(0, scaled - base * periodHours)
                    }
                    if kd.usable { history[u][k.index].append(DayUse(period: p, use: kd.use)) }
                    today[u][k.index] = kd
                }
                // Forget what no window needs any more.
                let h = history[u][k.index]
                if let first = h.first, first.period <= p - Int64(keep) {
                    history[u][k.index] = h.filter { $0.period > p - Int64(keep) }
                }
            }
        }

        // 2. The building's calibration points, per kind.
        var points: [[CalibrationPoint]] = []
        for k in kinds { points.append(calibrationPoints(k, p)) }
        var fullFits: [UseModel??] = Array(repeating: nil, count: kinds.count)

        // 3. Each unit with usable data in the period.
        let start = clock.start(p), end = clock.start(p + 1)
        for u in units.indices {
            guard kinds.contains(where: { today[u][$0.index]?.usable == true }) else { continue }
            var parts: [KindEstimate] = []
            for k in kinds where !history[u][k.index].isEmpty {
                guard let model = model(k, unit: u, points: points[k.index], cache: &fullFits[k.index]) else { continue }
                parts.append(estimate(k, unit: u, period: p, model: model))
            }
            guard let day = Self.fuse(parts.compactMap { $0.day.map { ($0.est, $0.low, $0.high, $0.sd, $0.vacant) } }) else { continue }
            let rolling = Self.fuse(parts.compactMap { $0.rolling.map { ($0.est, $0.low, $0.high, $0.sd, false) } })
            let unit = units[u]
            let publicVenue = (unit.roomsRented ?? 0) >= s.publicVenueRooms

            var reasons: [String] = []
            var grEvidence: [(String, JSONValue)] = []
            if let r = rolling {
                let v = GroupRentalTracker.evaluate(unit: unit, rolling: r.est, low: r.low, settings: s, windowDays: s.rollingDays)
                let edge = trackers[u].step(holds: !v.criteria.isEmpty, daysRunning: s.daysRunning, clearDays: s.clearDays)
                let tr = trackers[u]
                reasons = v.reasons
                if !v.criteria.isEmpty {
                    reasons.append("criteria held \(tr.holdRun) assessed days running (\(s.daysRunning) needed)")
                } else if tr.active {
                    reasons.append("suspected; no criterion for \(tr.clearRun) days (clears after \(s.clearDays))")
                }
                grEvidence = [
                    ("criteria", .array(v.criteria.map { .string($0) })),
                    ("persons_used", .number(OccMath.round(v.persons))),
                    ("persons_basis", .string(s.useLowBound ? "rolling_low" : "rolling")),
                    ("area_per_person_m2", v.areaPerPerson.map { .number(OccMath.round($0)) } ?? .null),
                    ("area_threshold_m2", .number(v.areaThreshold)),
                    ("hold_run_days", JSONValue(tr.holdRun)),
                    ("clear_run_days", JSONValue(tr.clearRun)),
                    ("days_running", JSONValue(s.daysRunning)),
                ]
                if let edge {
                    let key = AlarmKey(type: .groupRentalSuspected, unit: unit.id)
                    if edge {
                        var ev: [(String, JSONValue)] = [
                            ("rule", .string(GroupRentalRule.id)),
                            ("trigger", .string(v.criteria.joined(separator: ","))),
                            ("unit", .string(unit.id)),
                            ("period_start", JSONValue(start)),
                            ("period_end", JSONValue(end)),
                            ("rolling_estimate", .number(OccMath.round(r.est))),
                            ("rolling_low", .number(OccMath.round(r.low))),
                            ("rolling_high", .number(OccMath.round(r.high))),
                            ("window_days", JSONValue(s.rollingDays)),
                            ("registered_occupants", JSONValue(unit.registeredOccupants)),
                            ("area_m2", .number(unit.areaM2)),
                            ("complete_flat", .bool(unit.completeFlat)),
                            ("rooms_rented", unit.roomsRented.map { JSONValue($0) } ?? .null),
                            ("public_venue_managed", .bool(publicVenue)),
                            ("reasons", .array(reasons.map { .string($0) })),
                        ]
                        ev.append(contentsOf: grEvidence)
                        ev.append(("meters", .array(parts.map { Self.kindJSON($0, today[u][$0.kind.index]) })))
                        out.conditions.append(.active(key, .warning, at: end, evidence: .object(ev), clearHoldMs: 0))
                    } else {
                        out.conditions.append(.normal(key, at: end, clearHoldMs: 0))
                    }
                }
            }
            let evidence: JSONValue = .object([
                ("meters", .array(parts.map { Self.kindJSON($0, today[u][$0.kind.index]) })),
                ("group_rental", .object(grEvidence)),
            ])
            out.estimates.append(
                OccupancyEstimate(
                    unit: unit.id, periodStart: start, periodEnd: end, estimated: day.est, low: day.low, high: day.high,
                    rolling: rolling?.est, rollingLow: rolling?.low, rollingHigh: rolling?.high,
                    registeredOccupants: unit.registeredOccupants, areaM2: unit.areaM2,
                    groupRentalSuspected: trackers[u].active, reasons: reasons, publicVenueManaged: publicVenue,
                    evidence: evidence))
        }
    }

    /// Units with a registered size and enough occupied days: (registered, mean occupied-day use).
    private func calibrationPoints(_ k: OccupancyMeterKind, _ p: Int64) -> [CalibrationPoint] {
        let s = settings
        let from = p - Int64(s.calibrationDays)
        var cand: [(slot: Int, n: Double, vals: [Double], median: Double)] = []
        for u in units.indices where units[u].registeredOccupants >= 1 {
            let vals = history[u][k.index].filter { $0.period > from && $0.period <= p }.map(\.use)
            guard vals.count >= s.minCalibrationDays, let med = OccMath.median(vals) else { continue }
            cand.append((u, Double(units[u].registeredOccupants), vals, med))
        }
        // A first, plain per-capita figure sets the vacancy threshold for calibration.
        guard let perCapita = OccMath.median(cand.map { $0.median / $0.n }), perCapita > 0 else { return [] }
        let theta = s.vacantFraction * perCapita
        var pts: [CalibrationPoint] = []
        for c in cand {
            let occ = c.vals.filter { $0 >= theta && $0 > 0 }
            // A unit that is mostly empty is no evidence of what its registered people use.
            guard occ.count >= s.minCalibrationDays, let m = Self.cappedMean(occ, factor: s.spikeFactor), m > 0 else { continue }
            pts.append(CalibrationPoint(slot: c.slot, registered: c.n, use: m))
        }
        return pts
    }

    /// The model for unit `u`: explicit figure, else the building's fit without `u`, else the published fallback.
    private func model(_ k: OccupancyMeterKind, unit u: Int, points: [CalibrationPoint], cache: inout UseModel??) -> UseModel? {
        let s = settings
        let meter = s.meters[k.index]
        let lim = Calibration.Limits(minUnits: s.minCalibrationUnits, minSigma: s.minSigma, minSlopeFraction: s.minSlopeFraction)
        if meter.perPerson > 0 {
            var m = UseModel(a: meter.fixed, b: meter.perPerson, sigma: s.fallbackSigma, sigmaCalibration: 0, source: .configured, units: 0, note: nil)
            let others = points.filter { $0.slot != u }
            if let sp = Calibration.spread(points, around: m, skipping: u, limits: lim) {
                m.sigma = sp
                m.units = others.count
            }
            return m
        }
        let inPoints = points.contains { $0.slot == u }
        let fitted: UseModel?
        if inPoints {
            fitted = Calibration.fit(points, skipping: u, limits: lim)
        } else {
            if cache == nil { cache = .some(Calibration.fit(points, skipping: nil, limits: lim)) }
            fitted = cache!
        }
        if let fitted { return fitted }
        if meter.fallbackPerPerson > 0 {
            return UseModel(
                a: 0, b: meter.fallbackPerPerson, sigma: s.fallbackSigma, sigmaCalibration: 0, source: .fallback, units: 0,
                note: "building calibration unavailable (\(points.filter { $0.slot != u }.count) units < \(s.minCalibrationUnits))")
        }
        return nil
    }

    private func estimate(_ k: OccupancyMeterKind, unit u: Int, period p: Int64, model: UseModel) -> KindEstimate {
        let s = settings
        let window = history[u][k.index].filter { $0.period > p - Int64(s.rollingDays) && $0.period <= p }
        let theta = s.vacantFraction * model.use(1)
        let occupied = window.map(\.use).filter { $0 >= theta && $0 > 0 }
        let daySigma = occupied.count >= 3 ? (OccMath.sd(occupied.map { OccMath.ln($0) }) ?? s.defaultDaySigma) : s.defaultDaySigma
        var e = KindEstimate(kind: k, model: model, day: nil, rolling: nil, daySigma: daySigma)
        let z = s.z
        func bounds(_ u: Double, _ sd: Double) -> (Double, Double) {
            (model.persons(u * OccMath.exp(-z * sd)), model.persons(u * OccMath.exp(z * sd)))
        }
        // A spike is capped at spike_factor × the median occupied day (once there are enough).
        let cap = s.spikeFactor > 0 && occupied.count >= s.minRollingDays ? OccMath.median(occupied).map { s.spikeFactor * $0 } : nil
        if let t = window.last, t.period == p {
            let sd = (model.sigma * model.sigma + daySigma * daySigma + model.sigmaCalibration * model.sigmaCalibration).squareRoot()
            let vacant = t.use < theta
            var use = t.use
            if let cap, use > cap {
                use = cap
                e.spikeCapped = true
            }
            let (lo, hi) = bounds(use, sd)
            e.day = vacant ? (0, 0, hi, sd, true) : (model.persons(use), lo, hi, sd, false)
        }
        if window.count >= s.minRollingDays {
            let useOccupied = occupied.count >= s.minRollingDays
            let vals = useOccupied ? occupied : window.map(\.use)
            let mean = (useOccupied ? Self.cappedMean(vals, factor: s.spikeFactor) : OccMath.mean(vals)) ?? 0
            let n = Double(vals.count)
            let sd = (model.sigma * model.sigma + daySigma * daySigma / n + model.sigmaCalibration * model.sigmaCalibration).squareRoot()
            let (lo, hi) = bounds(mean, sd)
            let est = model.persons(mean)
            e.rolling = useOccupied ? (est, lo, hi, sd, mean, window.count, occupied.count) : (est, 0, hi, sd, mean, window.count, occupied.count)
        }
        return e
    }

    /// The mean with each value capped at `factor` × the median (winsorised; `factor` 0: plain mean).
    static func cappedMean(_ v: [Double], factor: Double) -> Double? {
        guard factor > 0, let med = OccMath.median(v) else { return OccMath.mean(v) }
        return OccMath.mean(v.map { min($0, factor * med) })
    }

    /// Combines the meters' estimates, weighting each by 1/σ² of its log model. The bounds are
    /// averaged with the same weights, not narrowed: the meters are not independent evidence
    /// (a frugal household is frugal with water and power alike).
    static func fuse(_ parts: [(Double, Double, Double, Double, Bool)]) -> (est: Double, low: Double, high: Double)? {
        guard !parts.isEmpty else { return nil }
        if parts.allSatisfy({ $0.4 }) {
            var hi = 0.0
            for p in parts { hi = max(hi, p.2) }
            return (0, 0, hi)
        }
        var w = 0.0, e = 0.0, l = 0.0, h = 0.0
        for p in parts {
            let wi = 1 / max(1e-6, p.3 * p.3)
            w += wi; e += wi * p.0; l += wi * p.1; h += wi * p.2
        }
        return (e / w, l / w, h / w)
    }

    static func kindJSON(_ e: KindEstimate, _ d: KindDay?) -> JSONValue {
        let q = e.kind.quantityUnit
        func r(_ v: Double) -> JSONValue { .number(OccMath.round(v, 3)) }
        var m: [(String, JSONValue)] = [("kind", .string(e.kind.rawValue))]
        if let d {
            m.append(("usable", .bool(d.usable)))
            m.append(("day_use_\(q)", d.usable ? r(d.use) : .null))
            m.append(("coverage", r(d.coverage)))
            m.append(("night_base_\(q)_per_h", d.nightBasePerHour.map(r) ?? .null))
            m.append(("meters", JSONValue(d.meters)))
            if d.resets > 0 { m.append(("register_resets", JSONValue(d.resets))) }
            if d.jumps > 0 { m.append(("implausible_jumps", JSONValue(d.jumps))) }
            if d.gaps > 0 { m.append(("long_gaps", JSONValue(d.gaps))) }
        }
        if let day = e.day {
            m.append(("vacant_day", .bool(day.vacant)))
            if e.spikeCapped { m.append(("spike_capped", .bool(true))) }
            m.append(("estimate", r(day.est)))
            m.append(("low", r(day.low)))
            m.append(("high", r(day.high)))
        }
        if let ro = e.rolling {
            m.append(("rolling_use_\(q)", r(ro.mean)))
            m.append(("rolling_days", JSONValue(ro.days)))
            m.append(("occupied_days", JSONValue(ro.occupied)))
            m.append(("rolling", r(ro.est)))
            m.append(("rolling_low", r(ro.low)))
            m.append(("rolling_high", r(ro.high)))
            m.append(("rolling_sigma_log", r(ro.sd)))
        }
        m.append(("day_sigma_log", r(e.daySigma)))
        m.append(("model", e.model.json))
        return .object(m)
    }
}
