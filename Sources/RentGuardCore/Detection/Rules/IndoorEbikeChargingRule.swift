/// An e-bike charged inside a flat, seen at the flat's meter (domain.md: a steady extra load
/// of about 100–300 W for hours, mostly overnight, ending in a low float tail).
///
/// A step detector over a learned baseline, on the meter's power *floor*:
/// 1. The floor is the minimum power over two consecutive `block_min` blocks (30 min by
///    default): cycling loads (fridge, freezer) and short ones (kettle, microwave) vanish from it.
/// 2. The flat's base load is the median of its daily floor minima over the last
///    `baseline_days` (the rule stays silent until `min_learned_days` are learned).
/// 3. A plateau starts when the floor rises `min_step_w`–`max_step_w` over the base load,
///    starting within the night window. The plateau level is the lowest excess seen while
///    the floor stays at or over `plateau_keep` of it (other loads on top are ignored).
/// 4. It must hold for `min_plateau_h`, then end in a CC-CV taper: at least one block
///    between `taper_low` and `plateau_keep` of the plateau before the excess falls under
///    `taper_low` (a load switched off drops in one step; a charger tapers), within `max_taper_h`.
/// The alarm (minor: a behaviour to correct, not a fire) is raised when the taper completes,
/// and clears `clear_hold_s` later. Blocks are closed by readings in event time; readings of
/// an already closed block are ignored; a gap of a whole block resets the plateau.
public struct IndoorEbikeChargingRule: DetectionRule {
    public static let id = "indoor_ebike_charging"
    public static let deviceKinds: [DeviceKind] = [.powerMeter]

    public static let blockMinutes = RuleParameter(
        "block_min", 15, unit: "min",
        source: "assumed: floors of two 15 min blocks remove fridge/freezer cycles (measured on household-power 2007-Q1)",
        "Length of one floor block.")
    public static let minStep = RuleParameter(
        "min_step_w", 80, unit: "W",
        source: "domain.md: typical chargers 2–5 A ≈ 100–300 W; 80 W allows a 2 A charger at 40 V",
        "Smallest excess over the base load that can be a charger.")
    public static let maxStep = RuleParameter(
        "max_step_w", 350, unit: "W",
        source: "domain.md: ≈ 100–300 W; GB 17761 packs ≤ 48 V (GB 43854 ≤ 60 V) at ≤ 5 A plus charger losses",
        "Largest excess over the base load that can be a charger.")
    public static let minPlateau = RuleParameter(
        "min_plateau_h", 2, unit: "h",
        source: "domain.md: a 48 V 15 Ah pack takes about 5 h at 3 A; 2 h of constant-current phase at the least",
        "How long the plateau must last.")
    public static let plateauKeep = RuleParameter(
        "plateau_keep", 0.75, unit: "× plateau",
        source: "assumed; tuned on household-power 2007-Q1 (0 false alarms in 90 days)",
        "Share of the plateau level the floor must keep to stay on the plateau.")
    public static let taperLow = RuleParameter(
        "taper_low", 0.5, unit: "× plateau",
        source: "assumed; tuned on household-power 2007-Q1 (0 false alarms in 90 days)",
        "Share of the plateau under which the taper is complete.")
    public static let maxTaper = RuleParameter(
        "max_taper_h", 2, unit: "h",
        source: "NASA Ames B0025 CC-CV charges: the constant-voltage taper lasts about 1–1.5 h",
        "Longest taper.")
    public static let nightStart = RuleParameter(
        "night_start_h", 19, unit: "h (local)",
        source: "domain.md: mostly overnight; assumed 19:00–06:00",
        "Start of the window in which the plateau must begin.")
    public static let nightEnd = RuleParameter(
        "night_end_h", 6, unit: "h (local)",
        source: "domain.md: mostly overnight; assumed 19:00–06:00",
        "End of the night window.")
    public static let baselineDays = RuleParameter(
        "baseline_days", 7, unit: "days",
        source: "assumed: one week of daily floor minima",
        "Days whose floor minima make the base load.")
    public static let minLearnedDays = RuleParameter(
        "min_learned_days", 3, unit: "days",
        source: "assumed",
        "Days of learning before the rule may raise.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 3600, unit: "s",
        source: "assumed: one hour",
        "How long after the charge is detected the alarm clears.")

    public static let parameters = [blockMinutes, minStep, maxStep, minPlateau, plateauKeep, taperLow, maxTaper, nightStart, nightEnd,
                                    baselineDays, minLearnedDays, clearHold]

    struct Params: Sendable {
        var blockMs: Int64 = 900_000, lo = 80.0, hi = 350.0, plateauMs: Int64 = 7_200_000
        var keep = 0.75, low = 0.5, taperMs: Int64 = 7_200_000
        var nightStart = 19.0, nightEnd = 6.0, offset = LocalTimeZone.chinaStandardTime
        var days = 7, minDays = 3, holdMs: Int64 = 3_600_000
    }
    struct State: Sendable {
        var block: Int64 = .min
        var blockMin = Double.infinity
        var prevBlockMin = Double.infinity
        var day: Int64 = .min
        var dayMinFloor = Double.infinity
        var dayMins: [Double] = []
        var base = 0.0
        // Plateau
        var inPlateau = false
        var start: Int64 = 0
        var level = 0.0
        var lastFull: Int64 = 0
        var taperBlocks = 0
    }

    private let params: [Params]
    private var state: [State]

    public init(config: BuildingConfig, thresholds: Thresholds) {
        params = config.devices.map { d in
            var p = Params()
            p.blockMs = Int64(thresholds.value(Self.id, Self.blockMinutes, device: d.id) * 60_000)
            p.lo = thresholds.value(Self.id, Self.minStep, device: d.id)
            p.hi = thresholds.value(Self.id, Self.maxStep, device: d.id)
            p.plateauMs = Int64(thresholds.value(Self.id, Self.minPlateau, device: d.id) * 3_600_000)
            p.keep = thresholds.value(Self.id, Self.plateauKeep, device: d.id)
            p.low = thresholds.value(Self.id, Self.taperLow, device: d.id)
            p.taperMs = Int64(thresholds.value(Self.id, Self.maxTaper, device: d.id) * 3_600_000)
            p.nightStart = thresholds.value(Self.id, Self.nightStart, device: d.id)
            p.nightEnd = thresholds.value(Self.id, Self.nightEnd, device: d.id)
            p.offset = config.gateway.zone  // local time is the gateway's (gateway.timezone)
            p.days = max(1, Int(thresholds.value(Self.id, Self.baselineDays, device: d.id)))
            p.minDays = max(1, Int(thresholds.value(Self.id, Self.minLearnedDays, device: d.id)))
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            if p.blockMs <= 0 { p.blockMs = 900_000 }
            return p
        }
        state = Array(repeating: State(), count: config.devices.count)
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard case let .telemetry(.power(t)) = reading.observation else { return }
        guard let w = t.powerW ?? t.currentA.map({ $0 * (t.voltageV ?? 220) }) else { return }
        let p = params[slot]
        let block = reading.ts >= 0 ? reading.ts / p.blockMs : (reading.ts - p.blockMs + 1) / p.blockMs
        var s = state[slot]
        defer { state[slot] = s }
        if block == s.block {
            s.blockMin = min(s.blockMin, w)
            return
        }
        if block < s.block { return }  // a reading of an already closed block
        if s.block != .min {
            closeBlock(&s, p, device: device, endTs: (s.block + 1) * p.blockMs, at: reading.ts, gap: block > s.block + 1, into: &out)
        }
        s.block = block
        s.blockMin = w
    }

    private func closeBlock(_ s: inout State, _ p: Params, device: DeviceConfig, endTs: Int64, at ts: Int64, gap: Bool, into out: inout [Condition]) {
        let floor = min(s.prevBlockMin, s.blockMin)
        s.prevBlockMin = gap ? .infinity : s.blockMin
        // Learn: the day's minimum floor, closed at local midnight.
        let day = localDay(endTs - 1, utcOffsetHours: p.offset)
        if day != s.day {
            if s.day != .min, s.dayMinFloor.isFinite {
                s.dayMins.append(s.dayMinFloor)
                if s.dayMins.count > p.days { s.dayMins.removeFirst(s.dayMins.count - p.days) }
                s.base = median(s.dayMins)
            }
            s.day = day
            s.dayMinFloor = .infinity
        }
        if floor.isFinite { s.dayMinFloor = min(s.dayMinFloor, floor) }
        guard floor.isFinite, !gap, s.dayMins.count >= p.minDays else {
            s.inPlateau = false
            return
        }
        let blockStart = endTs - p.blockMs
        let e = floor - s.base
        if s.inPlateau {
            if e >= p.keep * s.level && e >= p.lo {
                s.lastFull = blockStart
                s.taperBlocks = 0
                if e < s.level { s.level = e }
                return
            }
            if e >= p.low * s.level {
                s.taperBlocks += 1
                if Int64(s.taperBlocks) * p.blockMs > p.taperMs { s.inPlateau = false }
                return
            }
            // The excess fell under the taper's low mark: a charge if it held and tapered.
            let held = s.lastFull + p.blockMs - s.start
            // The floor of two blocks rises one block after the load starts.
            let began = s.start - p.blockMs
            let night = inHourWindow(localHour(began, utcOffsetHours: p.offset), start: p.nightStart, end: p.nightEnd)
            if held >= p.plateauMs, s.taperBlocks >= 1, night {
                var ev = Evidence(rule: Self.id, trigger: "plateau_then_taper")
                ev.add("base_load_w", s.base)
                ev.add("plateau_excess_w", s.level)
                ev.add("plateau_start", began)
                ev.add("plateau_hours", (Double(held) / 36_000).rounded() / 100)
                ev.add("taper_blocks", s.taperBlocks)
                ev.add("floor_w", floor)
                ev.add("min_step_w", p.lo)
                ev.add("max_step_w", p.hi)
                ev.add("min_plateau_h", Double(p.plateauMs) / 3_600_000)
                ev.add("reading_ts", ts)
                let key = AlarmKey(type: .indoorEbikeCharging, device: device.id, unit: device.unit)
                out.append(.active(key, .minor, at: ts, evidence: ev.json, clearHoldMs: p.holdMs))
                out.append(.normal(key, at: ts, clearHoldMs: p.holdMs))
            }
            s.inPlateau = false
        }
        if e >= p.lo && e <= p.hi {
            s.inPlateau = true
            s.start = blockStart
            s.level = e
            s.lastFull = blockStart
            s.taperBlocks = 0
        }
    }

    private func median(_ xs: [Double]) -> Double {
        let v = xs.sorted()
        guard !v.isEmpty else { return 0 }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}
