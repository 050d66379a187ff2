/// An e-bike charged inside a flat, seen at the flat's meter while the charge is running.
///
/// An e-bike charger is a constant-current / constant-voltage (CC-CV) load: 80–400 W at the
/// meter (48 V or 60 V packs at 1.5–4 A), switched on in one step, creeping up slowly while
/// the pack voltage rises (NASA Ames B0025: +10–20 % over the CC phase), then tapering over
/// 1–3 h. It never cycles (fridges, freezers, heaters and water heaters do) and it is steady
/// (TVs and PCs are ragged). The rule works on the meter's power *floor*, which removes
/// everything that is not on all the time:
/// 1. Power is cut into `block_min` blocks; each block keeps its minimum. The floor is the
///    minimum over the last `floor_blocks` blocks (30 min): fridge and freezer cycles, kettles
///    and microwaves vanish from it; a charger stays in it.
/// 2. A *step*: the floor rises by `min_step_w`–`max_step_w` over the floor of the window just
///    before it (the base load right before the charge, so a base load that moves over the
///    day does not matter). The charge is then a candidate, started in the first block of
///    the window whose minimum passed half the step. The floor before the step must be
///    *quiet*: within `context_w` of the flat's base load (the median of its daily floor
///    minima over `baseline_days`; until `min_learned_days` are learned, the lowest floor
///    seen so far): over a busy evening's floor, 80–400 W steps come and go all the time.
/// 3. The candidate must *hold*: for `hold_min` after the step the floor's excess over that
///    reference stays at or over `keep` × the step (a fridge's or a TV's own off-switch drops
///    it) and *steady*: the excess moves by at most `steady` × the step between consecutive
///    blocks (a ragged load's floor jumps; a charger's creeps). A floor that jumps far over
///    `max_step_w` (a water heater on top) neither counts nor breaks the hold.
/// 4. Then `indoor_ebike_charging` is raised (minor: a behaviour to correct, not a fire), if
///    the charge started within the `night_start_h`–`night_end_h` window (domain.md: mostly
///    overnight), and cleared `clear_hold_s` after the excess is gone.
/// Blocks are closed by readings in event time; a reading of an already closed block is
/// ignored; a gap of a whole block restarts everything. Per-meter state is fixed-size: the
/// block minima live in one ring allocated at start-up.
public struct IndoorEbikeChargingRule: DetectionRule {
    public static let id = "indoor_ebike_charging"
    public static let deviceKinds: [DeviceKind] = [.powerMeter]

    public static let blockMinutes = RuleParameter(
        "block_min", 5, unit: "min",
        source: "assumed: five 1-min readings (thirty 10-s readings) per block",
        "Length of one block; each keeps its minimum power.")
    public static let floorBlocks = RuleParameter(
        "floor_blocks", 6, unit: "blocks",
        source: "assumed: a 30 min floor removes fridge/freezer cycles (measured on household-power 2007, training months)",
        "Blocks in the floor's window.")
    public static let minStep = RuleParameter(
        "min_step_w", 80, unit: "W",
        source: "issue 12: chargers 80–400 W at the meter (48 V at 1.5 A ≈ 80 W); tuned on household-power 2007 training months (60 W: 3× the false alarms for 3 % more recall)",
        "Smallest rise of the floor that can be a charger.")
    public static let maxStep = RuleParameter(
        "max_step_w", 350, unit: "W",
        source: "a 60 V pack (16 cells, 67.2 V full) at 4 A through a 0.82-efficient charger ≈ 330 W; tuned on household-power 2007 training months (450 W: twice the false alarms, no more charges found)",
        "Largest rise of the floor that can be a charger.")
    public static let hold = RuleParameter(
        "hold_min", 90, unit: "min",
        source: "tuned on household-power 2007 training months (odd months): 50 min found 26 % of injected charges at 5.4 false alarms per 100 meter-days, 90 min 16 % at 1.1",
        "How long the raised floor must hold after the step.")
    public static let keep = RuleParameter(
        "keep", 0.75, unit: "× step",
        source: "assumed; tuned on household-power 2007 training months: allows an early CV taper",
        "Share of the step the floor's excess must keep while holding.")
    public static let steady = RuleParameter(
        "steady", 0.2, unit: "× step",
        source: "assumed; tuned on household-power 2007 training months: a charger's floor creeps (NASA B0025: < 1 % per 5 min), a TV's or PC's jumps",
        "Largest change of the excess between consecutive blocks while holding.")
    public static let context = RuleParameter(
        "context_w", 100, unit: "W",
        source: "assumed; tuned on household-power 2007 training months (odd months): steps over a busy floor are mostly other appliances",
        "How far over the learned base load the floor before a step may be.")
    public static let baselineDays = RuleParameter(
        "baseline_days", 7, unit: "days",
        source: "assumed: one week of daily floor minima",
        "Days whose floor minima make the base load.")
    public static let minLearnedDays = RuleParameter(
        "min_learned_days", 3, unit: "days",
        source: "assumed",
        "Days of learning before the learned base load replaces the lowest floor seen so far.")
    public static let nightStart = RuleParameter(
        "night_start_h", 18, unit: "h (local)",
        source: "domain.md: mostly overnight; assumed 18:00–06:00",
        "Start of the window in which the charge must start.")
    public static let nightEnd = RuleParameter(
        "night_end_h", 6, unit: "h (local)",
        source: "domain.md: mostly overnight; assumed 18:00–06:00",
        "End of that window.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 3600, unit: "s",
        source: "assumed: one hour after the excess is gone",
        "How long after the charge's excess is gone the alarm clears.")

    public static let parameters = [blockMinutes, floorBlocks, minStep, maxStep, hold, keep, steady, context, baselineDays, minLearnedDays,
                                    nightStart, nightEnd, clearHold]

    /// Blocks kept per meter (the ring): two floor windows at most.
    static let ringSize = 32

    struct Params: Sendable {
        var blockMs: Int64 = 300_000, w = 6, lo = 80.0, hi = 350.0, holdBlocks = 18
        var keep = 0.75, steady = 0.2, context = 100.0, days = 7, minDays = 3
        var nightStart = 18.0, nightEnd = 6.0, offset = LocalTimeZone.chinaStandardTime, holdMs: Int64 = 3_600_000
    }
    struct State: Sendable, Codable {
        var block: Int64 = .min
        var blockMin = Double.infinity
        /// Blocks closed since the last restart (the ring holds the last `ringSize`).
        var closed = 0
        // Candidate
        var candidate = false
        var ref = 0.0
        var step = 0.0
        var start: Int64 = 0
        var held = 0
        var lastExcess = 0.0
        var asserted = false
        // Learned base load: the median of the daily floor minima.
        var day: Int64 = .min
        var dayMinFloor = Double.infinity
        var dayMins: [Double] = []
        var base = Double.infinity
        /// The lowest floor since the rule started (the base load until days are learned).
        var lowest = Double.infinity
    }

    private let params: [Params]
    private var state: [State]
    /// Block minima, `ringSize` per slot (slot-major), written at block close only.
    private var ring: [Double]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            let blockMin = thresholds.value(Self.id, Self.blockMinutes, device: d.id)
            p.blockMs = blockMin > 0 ? Int64(blockMin * 60_000) : 300_000
            p.w = min(Self.ringSize / 2, max(1, Int(thresholds.value(Self.id, Self.floorBlocks, device: d.id))))
            p.lo = thresholds.value(Self.id, Self.minStep, device: d.id)
            p.hi = thresholds.value(Self.id, Self.maxStep, device: d.id)
            p.holdBlocks = max(1, Int((thresholds.value(Self.id, Self.hold, device: d.id) * 60_000 / Double(p.blockMs)).rounded()))
            p.keep = thresholds.value(Self.id, Self.keep, device: d.id)
            p.steady = thresholds.value(Self.id, Self.steady, device: d.id)
            p.context = thresholds.value(Self.id, Self.context, device: d.id)
            p.days = max(1, Int(thresholds.value(Self.id, Self.baselineDays, device: d.id)))
            p.minDays = max(1, Int(thresholds.value(Self.id, Self.minLearnedDays, device: d.id)))
            p.nightStart = thresholds.value(Self.id, Self.nightStart, device: d.id)
            p.nightEnd = thresholds.value(Self.id, Self.nightEnd, device: d.id)
            p.offset = config.gateway.zone  // local time is the gateway's (gateway.timezone)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            return p
        }
        state = Array(repeating: State(), count: subset.count)
        ring = Array(repeating: .infinity, count: subset.count * Self.ringSize)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .indoorEbikeCharging, let slot { state[slot].asserted = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard case let .telemetry(.power(t)) = reading.observation else { return }
        guard let w = t.powerW ?? t.currentA.map({ $0 * (t.voltageV ?? 220) }) else { return }
        let blockMs = params[slot].blockMs
        let block = reading.ts >= 0 ? reading.ts / blockMs : (reading.ts - blockMs + 1) / blockMs
        let current = state[slot].block
        if block == current {
            if w < state[slot].blockMin { state[slot].blockMin = w }
            return
        }
        if block < current { return }  // a reading of an already closed block
        if current != .min { closeBlock(slot, device: device, gap: block > current + 1, at: reading.ts, into: &out) }
        state[slot].block = block
        state[slot].blockMin = w
    }

    /// The minimum of the `n` blocks ending `back` blocks before the newest (0: the newest).
    @inline(__always)
    private func floor(_ slot: Int, _ s: State, back: Int, n: Int) -> Double {
        var m = Double.infinity
        let base = slot * Self.ringSize
        for i in back..<(back + n) {
            let j = (s.closed - 1 - i) % Self.ringSize
            m = min(m, ring[base + j])
        }
        return m
    }

    private mutating func closeBlock(_ slot: Int, device: DeviceConfig, gap: Bool, at ts: Int64, into out: inout [Condition]) {
        let p = params[slot]
        var s = state[slot]
        defer { state[slot] = s }
        let key = AlarmKey(type: .indoorEbikeCharging, device: device.id, unit: device.unit)
        if gap {
            s.closed = 0
            s.candidate = false
        }
        ring[slot * Self.ringSize + s.closed % Self.ringSize] = s.blockMin
        s.closed += 1
        guard s.closed >= 2 * p.w else { return }
        let now = floor(slot, s, back: 0, n: p.w)
        let blockStart = s.block * p.blockMs
        // Learn the base load: each local day's lowest floor, closed at local midnight.
        let day = localDay(blockStart, utcOffsetHours: p.offset)
        if day != s.day {
            if s.day != .min, s.dayMinFloor.isFinite {
                s.dayMins.append(s.dayMinFloor)
                if s.dayMins.count > p.days { s.dayMins.removeFirst(s.dayMins.count - p.days) }
                var v = s.dayMins
                v.sort()
                s.base = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
            }
            s.day = day
            s.dayMinFloor = .infinity
        }
        s.dayMinFloor = min(s.dayMinFloor, now)
        s.lowest = min(s.lowest, now)

        if s.candidate {
            let e = now - s.ref
            if e < p.keep * s.step {
                s.candidate = false  // switched off, or the base load fell under it
            } else if e > p.hi * 1.5 {
                // Something big on top: neither counts nor breaks the hold.
            } else if abs(e - s.lastExcess) > p.steady * s.step, s.lastExcess <= p.hi * 1.5 {
                s.candidate = false  // ragged: not a charger's floor
            } else {
                s.held += 1
                if s.held >= p.holdBlocks, !s.asserted {
                    s.asserted = true
                    var ev = Evidence(rule: Self.id, trigger: "steady_step_held")
                    ev.add("charge_start", s.start)
                    ev.add("base_load_w", s.ref)
                    ev.add("step_w", (s.step * 10).rounded() / 10)
                    ev.add("excess_w", (e * 10).rounded() / 10)
                    ev.add("held_min", Double(Int64(s.held) * p.blockMs) / 60_000)
                    ev.add("min_step_w", p.lo)
                    ev.add("max_step_w", p.hi)
                    ev.add("reading_ts", ts)
                    out.append(.active(key, .minor, at: ts, evidence: ev.json, clearHoldMs: p.holdMs))
                }
            }
            if e <= p.hi * 1.5 { s.lastExcess = e }
            if s.candidate { return }
        }
        if s.asserted {
            // The charge's excess is gone (or a restored alarm with no charge in sight).
            s.asserted = false
            out.append(.normal(key, at: ts, clearHoldMs: p.holdMs))
        }

        // A new step: the floor now against the floor of the window just before it.
        let before = floor(slot, s, back: p.w, n: p.w)
        let step = now - before
        // Until `min_learned_days` are learned, the lowest floor seen so far stands in for the base load.
        let baseLoad = s.dayMins.count >= p.minDays ? s.base : s.lowest
        guard step >= p.lo, step <= p.hi, before <= baseLoad + p.context else { return }
        // The start: the first block of the window whose minimum passed half the step.
        var first = p.w - 1
        let base = slot * Self.ringSize
        for i in stride(from: p.w - 1, through: 0, by: -1) {
            let j = (s.closed - 1 - i) % Self.ringSize
            if ring[base + j] >= before + step / 2 { first = i; break }
        }
        let start = blockStart - Int64(first) * p.blockMs
        guard inHourWindow(localHour(start, utcOffsetHours: p.offset), start: p.nightStart, end: p.nightEnd) else { return }
        s.candidate = true
        s.ref = before
        s.step = step
        s.start = start
        s.held = 0
        s.lastExcess = step
    }
}

extension IndoorEbikeChargingRule: PersistentRule {
    /// The learned base load (daily floor minima), the open candidate and the block minima.
    struct DeviceState: Sendable, Codable {
        var state: State
        var ring: [Double]
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        guard state[slot].block != .min else { return nil }
        return DeviceState(state: state[slot], ring: Array(ring[slot * Self.ringSize..<(slot + 1) * Self.ringSize]))
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard s.ring.count == Self.ringSize else { return }
        state[slot] = s.state
        state[slot].asserted = false  // from the active alarms
        ring.replaceSubrange(slot * Self.ringSize..<(slot + 1) * Self.ringSize, with: s.ring)
    }
}
