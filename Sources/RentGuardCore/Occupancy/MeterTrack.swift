/// Local periods (days by default) on the event-time axis, in the gateway's zone. A local
/// day that holds a daylight-saving change is 23 or 25 hours long.
struct PeriodClock: Sendable, Equatable {
    let zone: LocalTimeZone
    /// The nominal length of a period (local wall-clock time).
    let periodMs: Int64

    init(_ options: OccupancyOptions) {
        zone = options.zone
        periodMs = Int64(options.periodSeconds) * 1000
    }

    /// The index of the local period holding `ts`.
    func period(of ts: Int64) -> Int64 { OccMath.floorDiv(zone.localMs(ts), periodMs) }
    /// UTC start (ms) of local period `p`.
    func start(_ p: Int64) -> Int64 { zone.utc(fromLocal: p &* periodMs) }
    /// The real length of period `p` (ms), at least 1.
    func length(_ p: Int64) -> Int64 { max(1, start(p + 1) &- start(p)) }
}

/// What one meter measured in one local period.
struct MeterPeriod: Sendable, Equatable {
    /// Quantity attributed to the period (L, kWh or m³), before scaling and leak correction.
    var volume: Double = 0
    /// How much of the period is covered by accepted register intervals (ms).
    var coveredMs: Int64 = 0
    /// The lowest rate seen in a short interval inside the night window (per hour).
    var nightMinPerHour: Double? = nil
    var nightIntervals: Int = 0
    /// Register drops (meter reset or replacement): the baseline restarted.
    var resets: Int = 0
    /// Register rises faster than the meter can run (swap, glitch): not counted.
    var jumps: Int = 0
    /// Gaps longer than `max_interval_h`: not counted.
    var gaps: Int = 0
}

/// One meter's register baseline and its open periods.
///
/// Consumption is the difference of a cumulative register between consecutive readings,
/// spread evenly over the interval and split across period boundaries by time. So missing
/// readings inside a day lose nothing (the next reading's difference holds the volume); only
/// intervals that are implausible are dropped, and the period's coverage says how much of it
/// is known.
struct MeterTrack: Sendable {
    let kind: OccupancyMeterKind
    let unit: Int
    var lastTs: Int64? = nil
    var lastRegister: Double? = nil
    var lastPower: (ts: Int64, w: Double)? = nil
    /// Once a meter reports its energy register, its power samples are not integrated.
    var usesRegister = false
    var periods: [Int64: MeterPeriod] = [:]
    /// The last period in which this meter reported anything.
    var lastSeenPeriod: Int64 = .min

    init(kind: OccupancyMeterKind, unit: Int) {
        self.kind = kind
        self.unit = unit
    }

    struct Limits: Sendable {
        var maxPerHour: Double
        var maxIntervalMs: Int64
        var nightStartMs: Int64
        var nightEndMs: Int64
        var nightMaxIntervalMs: Int64
        var powerHoldMs: Int64
    }

    /// A register reading (`register`) or, for a power meter without a register, a power sample.
    mutating func observe(ts: Int64, register: Double?, powerW: Double?, clock: PeriodClock, firstOpen: Int64, limits: Limits) {
        let p = clock.period(of: ts)
        if p > lastSeenPeriod { lastSeenPeriod = p }
        if let v = register, v.isFinite {
            usesRegister = true
            guard let t0 = lastTs, let v0 = lastRegister else {
                lastTs = ts
                lastRegister = v
                return
            }
            guard ts > t0 else { return }  // late or duplicate: the register already moved past it
            let delta = v - v0
            let dt = ts - t0
            lastTs = ts
            lastRegister = v
            if delta < 0 {
                mark(p, firstOpen) { $0.resets += 1 }
                return
            }
            if dt > limits.maxIntervalMs {
                mark(p, firstOpen) { $0.gaps += 1 }
                return
            }
            if delta > limits.maxPerHour * Double(dt) / 3_600_000 + 1e-9 {
                mark(p, firstOpen) { $0.jumps += 1 }
                return
            }
            spread(delta, from: t0, to: ts, clock: clock, firstOpen: firstOpen, limits: limits)
        } else if kind == .electricity, !usesRegister, let w = powerW, w.isFinite, w >= 0 {
            if let last = lastPower, ts > last.ts {
                let dt = ts - last.ts
                if dt <= limits.powerHoldMs {
                    // Sample and hold: the previous power over the interval.
                    spread(last.w / 1000 * Double(dt) / 3_600_000, from: last.ts, to: ts, clock: clock, firstOpen: firstOpen, limits: limits)
                }
            }
            if lastPower == nil || ts > lastPower!.ts { lastPower = (ts, w) }
        }
    }

    private mutating func mark(_ p: Int64, _ firstOpen: Int64, _ f: (inout MeterPeriod) -> Void) {
        guard p >= firstOpen else { return }
        f(&periods[p, default: MeterPeriod()])
    }

    /// Spreads `amount` evenly over [t0, t1) and records the night minimum rate.
    private mutating func spread(_ amount: Double, from t0: Int64, to t1: Int64, clock: PeriodClock, firstOpen: Int64, limits: Limits) {
        let dt = t1 - t0
        guard dt > 0 else { return }
        var a = t0
        while a < t1 {
            let p = clock.period(of: a)
            let end = min(t1, clock.start(p + 1))
            if p >= firstOpen {
                let share = amount * Double(end - a) / Double(dt)
                periods[p, default: MeterPeriod()].volume += share
                periods[p, default: MeterPeriod()].coveredMs += end - a
            }
            a = end
        }
        // Night base rate: a short interval wholly inside the night window of its period.
        if dt <= limits.nightMaxIntervalMs {
            let p = clock.period(of: t0)
            let s = clock.start(p)
            if p >= firstOpen, t0 >= s + limits.nightStartMs, t1 <= s + limits.nightEndMs {
                let rate = amount / (Double(dt) / 3_600_000)
                var mp = periods[p, default: MeterPeriod()]
                mp.nightMinPerHour = min(mp.nightMinPerHour ?? rate, rate)
                mp.nightIntervals += 1
                periods[p] = mp
            }
        }
    }

    /// Removes and returns what was measured in period `p` (closing it).
    mutating func close(_ p: Int64) -> MeterPeriod? { periods.removeValue(forKey: p) }

    /// The earliest open period with data, if any.
    var earliestOpen: Int64? { periods.keys.min() }
}
