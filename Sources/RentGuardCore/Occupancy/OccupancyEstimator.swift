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
        /// What this meter alone says against the building's scale (no registration prior).
        var rolling: (est: Double, low: Double, high: Double, sd: Double, mean: Double, days: Int, occupied: Int)?
        var daySigma: Double
        var spikeCapped = false
        /// The unit's own baseline: mean occupied-day use in the weeks before the rolling
        /// window, its occupied days, and the step ln(rolling ÷ baseline) − building shift.
        var baseline: (mean: Double, days: Int, step: Double)?
        var change: ChangeModel?
        /// Evidence for the posterior (only when the rolling window has enough occupied days).
        var evidence: OccupancyPosterior.Evidence?
    }

    let settings: OccupancySettings
    let clock: PeriodClock
    let graceMs: Int64
    let units: [UnitConfig]
    var meterOfDevice: [String: Int] = [:]
    var meters: [MeterTrack] = []
    /// unit slot → kind index → meter indexes.
    var unitMeters: [[[Int]]]
    /// Charger ports linked to units (`unit_ports`): their session counters feed `meters`.
    var chargingPorts = ChargingPorts()
    /// unit slot → kind index → usable periods, oldest first.
    var history: [[[DayUse]]]
    var trackers: [GroupRentalTracker]
    /// T[n₀][n₁] of the posterior (depends on parameters only).
    private let transition: [[Double]]
    /// The earliest period not yet closed; nil until the first reading or advance.
    var nextPeriod: Int64? = nil

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
        transition = OccupancyPosterior.transition(prior: settings.prior, changeProbability: settings.changeProbability, maxPersons: settings.maxPersons)
        for d in config.devices {
            guard meterOfDevice[d.id] == nil, let kind = OccupancyMeterKind(d.kind), let uid = d.unit, let slot = unitSlot[uid] else { continue }
            meterOfDevice[d.id] = meters.count
            unitMeters[slot][kind.index].append(meters.count)
            meters.append(MeterTrack(kind: kind, unit: slot))
        }
        for link in ChargingPorts.links(config, unitSlot: unitSlot) {
            chargingPorts.add(link, meter: meters.count)
            unitMeters[link.slot][OccupancyMeterKind.charging.index].append(meters.count)
            meters.append(MeterTrack(kind: .charging, unit: link.slot))
        }
    }

    /// Rule ids and parameters, for configuration validation and docs.
    public static var parameters: [(rule: String, parameters: [RuleParameter])] {
        [(OccupancyRule.id, OccupancyRule.parameters), (GroupRentalRule.id, GroupRentalRule.parameters)]
    }

    /// Feed every decoded reading; readings from devices that are not meters of a unit or
    /// chargers with ports linked to a unit (`unit_ports`), and status messages, are ignored.
    public mutating func observe(_ reading: Reading) {
        if chargingPorts.handles(reading.device) {
            for c in chargingPorts.observe(reading) {
                if nextPeriod == nil { nextPeriod = clock.period(of: reading.ts) }
                meters[c.meter].observe(ts: reading.ts, register: c.registerKWh, powerW: nil, clock: clock, firstOpen: nextPeriod!, limits: limits(.charging))
            }
            return
        }
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
            nightEndMs: settings.nightEndMs, nightMaxIntervalMs: k.subtractsNightBase ? settings.nightMaxIntervalMs : 0, powerHoldMs: settings.powerHoldMs)
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
        let keep = max(s.rollingDays + s.baselineDays, s.calibrationDays)
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

        // 2. The building's calibration per kind: its scale (registrations as a prior) and
        //    how much units' own use moves between their baseline and rolling windows.
        var models: [UseModel?] = []
        var changes: [ChangeModel] = []
        for k in kinds {
            let m = model(k, points: calibrationPoints(k, p))
            models.append(m)
            changes.append(m.map { changeModel(k, period: p, model: $0) } ?? ChangeModel(shift: 0, sigma: s.fallbackChangeSigma, units: 0, measured: false))
        }

        // 3. Each unit with usable data in the period.
        let start = clock.start(p), end = clock.start(p + 1)
        let tail = OccMath.normalTail(s.z)
        for u in units.indices {
            guard kinds.contains(where: { today[u][$0.index]?.usable == true }) else { continue }
            var parts: [KindEstimate] = []
            for k in kinds where !history[u][k.index].isEmpty {
                guard let model = models[k.index] else { continue }
                parts.append(estimate(k, unit: u, period: p, model: model, change: changes[k.index]))
            }
            guard let day = Self.fuse(parts.filter(\.kind.entersDayEstimate).compactMap { $0.day.map { ($0.est, $0.low, $0.high, $0.sd, $0.vacant) } }) else { continue }
            var rolling = Self.fuse(parts.compactMap { $0.rolling.map { ($0.est, $0.low, $0.high, $0.sd, false) } })
            let ev = parts.compactMap(\.evidence)
            var posterior: OccupancyPosterior? = nil
            if ev.isEmpty, let r = rolling {
                // A mostly empty window (a holiday, a second home) says nothing about how many
                // live here: the registration stands as the estimate, the low bound says that
                // nobody may be there now. No criterion can hold on it.
                let prior = OccupancyPosterior(
                    p: s.prior.probabilities(registered: units[u].registeredOccupants, maxPersons: s.maxPersons), baseline: nil, changeProbability: nil)
                rolling = (prior.median, 0, max(r.high, prior.quantile(1 - tail)))
            }
            if !ev.isEmpty {
                let prior = s.prior.probabilities(registered: units[u].registeredOccupants, maxPersons: s.maxPersons)
                let post = OccupancyPosterior.compute(prior: prior, transition: transition, evidence: ev, kindCorrelation: s.kindCorrelation)
                posterior = post
                rolling = (post.median, post.quantile(tail), post.quantile(1 - tail))
            }
            let unit = units[u]
            let publicVenue = (unit.roomsRented ?? 0) >= s.publicVenueRooms

            var reasons: [String] = []
            var grEvidence: [(String, JSONValue)] = []
            if let r = rolling {
                let v = GroupRentalTracker.evaluate(unit: unit, posterior: posterior, rolling: r.est, settings: s, windowDays: s.rollingDays)
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
                    ("persons_basis", .string(s.useLowBound ? "posterior_probability" : "posterior_median")),
                    ("flag_probability", .number(s.flagProbability)),
                    ("probabilities", .object(v.probabilities.map { ($0.0, .number(OccMath.round($0.1, 3))) })),
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
                        if let post = posterior { ev.append(("posterior", Self.posteriorJSON(post, registered: unit.registeredOccupants))) }
                        ev.append(("meters", .array(parts.map { Self.kindJSON($0, today[u][$0.kind.index]) })))
                        out.conditions.append(.active(key, .warning, at: end, evidence: .object(ev), clearHoldMs: 0))
                    } else {
                        out.conditions.append(.normal(key, at: end, clearHoldMs: 0))
                    }
                }
            }
            var evFields: [(String, JSONValue)] = [("meters", .array(parts.map { Self.kindJSON($0, today[u][$0.kind.index]) }))]
            if let post = posterior { evFields.append(("posterior", Self.posteriorJSON(post, registered: unit.registeredOccupants))) }
            evFields.append(("group_rental", .object(grEvidence)))
            let evidence: JSONValue = .object(evFields)
            // The registry's figures (protocol v1.1 §3.2): the posterior, or before the window
            // has enough days the registration prior's median and bounds.
            let best: (est: Double, low: Double, high: Double)
            if let r = rolling {
                best = r
            } else {
                let prior = OccupancyPosterior(
                    p: s.prior.probabilities(registered: unit.registeredOccupants, maxPersons: s.maxPersons), baseline: nil, changeProbability: nil)
                best = (prior.median, prior.quantile(tail), prior.quantile(1 - tail))
            }
            out.estimates.append(
                OccupancyEstimate(
                    unit: unit.id, periodStart: start, periodEnd: end, estimated: best.est, low: best.low, high: best.high,
                    basis: posterior == nil ? .registration : .posterior, dayEstimated: day.est, dayLow: day.low, dayHigh: day.high,
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

    /// The building's model: explicit figure, else the building's fit with the registrations as a
    /// prior, else the published fallback.
    private func model(_ k: OccupancyMeterKind, points: [CalibrationPoint]) -> UseModel? {
        let s = settings
        let meter = s.meters[k.index]
        let lim = Calibration.Limits(minUnits: s.minCalibrationUnits, minSigma: s.minSigma, minSlopeFraction: s.minSlopeFraction)
        if meter.perPerson > 0 {
            var m = UseModel(a: meter.fixed, b: meter.perPerson, sigma: s.fallbackSigma, sigmaCalibration: 0, source: .configured, units: 0, note: nil)
            if let sp = Calibration.spread(points, around: m, skipping: nil, limits: lim) {
                m.sigma = sp
                m.units = points.count
            }
            return m
        }
        if let fitted = Calibration.fitWithRegistrationPrior(points, prior: s.prior, maxPersons: s.maxPersons, limits: lim) { return fitted }
        if meter.fallbackPerPerson > 0 {
            return UseModel(
                a: 0, b: meter.fallbackPerPerson, sigma: s.fallbackSigma, sigmaCalibration: 0, source: .fallback, units: 0,
                note: "building calibration unavailable (\(points.count) units < \(s.minCalibrationUnits))")
        }
        return nil
    }

    /// A unit's rolling and baseline occupied days of kind `k` (spike-capped means), if both are long enough.
    private func windows(_ k: OccupancyMeterKind, unit u: Int, period p: Int64, theta: Double) -> (recent: [Double], base: [Double]) {
        let s = settings
        let h = history[u][k.index]
        let r0 = p - Int64(s.rollingDays)
        let b0 = r0 - Int64(s.baselineDays)
        var recent: [Double] = [], base: [Double] = []
        for d in h where d.use >= theta && d.use > 0 {
            if d.period > r0 && d.period <= p { recent.append(d.use) } else if d.period > b0 && d.period <= r0 { base.append(d.use) }
        }
        return (recent, base)
    }

    /// The building's spread of units' own changes between their baseline and rolling windows.
    private func changeModel(_ k: OccupancyMeterKind, period p: Int64, model: UseModel) -> ChangeModel {
        let s = settings
        let theta = s.vacantFraction * model.use(1)
        var d: [Double] = []
        for u in units.indices {
            let w = windows(k, unit: u, period: p, theta: theta)
            guard w.recent.count >= s.minRollingDays, w.base.count >= s.minBaselineDays,
                let a = Self.cappedMean(w.recent, factor: s.spikeFactor), let b = Self.cappedMean(w.base, factor: s.spikeFactor), a > 0, b > 0
            else { continue }
            d.append(OccMath.ln(a / b))
        }
        return ChangeModel.fit(d, minUnits: s.minCalibrationUnits, minSigma: s.minChangeSigma, fallbackSigma: s.fallbackChangeSigma)
    }

    private func estimate(_ k: OccupancyMeterKind, unit u: Int, period p: Int64, model: UseModel, change: ChangeModel) -> KindEstimate {
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
            if useOccupied, mean > 0 {
                var ev = OccupancyPosterior.Evidence(
                    logUse: (0...s.maxPersons).map { $0 == 0 ? -Double.infinity : OccMath.ln(max(1e-12, model.use(Double($0)))) },
                    y: OccMath.ln(mean), sigma: sd, step: nil)
                let w = windows(k, unit: u, period: p, theta: theta)
                if w.base.count >= s.minBaselineDays, let b = Self.cappedMean(w.base, factor: s.spikeFactor), b > 0 {
                    let step = OccMath.ln(mean / b) - change.shift
                    e.baseline = (b, w.base.count, step)
                    e.change = change
                    ev.step = (step, change.sigma)
                }
                e.evidence = ev
            }
        }
        return e
    }

    static func posteriorJSON(_ post: OccupancyPosterior, registered: Int) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("median", .number(post.median)),
            ("mean", .number(OccMath.round(post.mean))),
            ("p_registered", .number(OccMath.round(registered >= 0 && registered < post.p.count ? post.p[registered] : 0, 3))),
            ("p_at_least_registered_plus_1", .number(OccMath.round(post.probability(atLeast: Double(registered + 1)), 3))),
            ("p_at_least_registered_plus_2", .number(OccMath.round(post.probability(atLeast: Double(registered + 2)), 3))),
        ]
        if let b = post.baselineMode { m.append(("baseline_mode", JSONValue(b))) }
        if let c = post.changeProbability { m.append(("p_changed", .number(OccMath.round(c, 3)))) }
        return .object(m)
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
        if let b = e.baseline {
            m.append(("baseline_use_\(q)", r(b.mean)))
            m.append(("baseline_days", JSONValue(b.days)))
            m.append(("own_step_log", r(b.step)))
        }
        if let c = e.change {
            m.append(("change_shift_log", r(c.shift)))
            m.append(("change_sigma_log", r(c.sigma)))
            m.append(("change_units", JSONValue(c.units)))
        }
        m.append(("day_sigma_log", r(e.daySigma)))
        m.append(("model", e.model.json))
        return .object(m)
    }
}
