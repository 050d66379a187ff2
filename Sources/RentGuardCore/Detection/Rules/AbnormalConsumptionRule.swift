/// Consumption far outside the unit's own learned baseline (the ordinance's "abnormal
/// electricity use" lead): today's energy so far (local day) over `factor` × the median of
/// the unit's last `baseline_days` complete days, and at least `min_excess_kwh` over it.
///
/// Energy is integrated from `power_w` (each reading held until the next, at most
/// `max_gap_s`). A day counts for learning when at least `min_coverage` of it was covered.
/// The rule stays silent until `min_learned_days` are learned; the alarm (minor: a lead for
/// inspection) clears at the end of the local day. All learned state lives in the rule.
///
/// At a water meter the rule looks for a leak: continuous flow. Smart water meters flag a
/// leak when the flow does not stop for a whole hour within a day (the "leak" info code of
/// Kamstrup's MULTICAL 21 / flowIQ meters, as we understand it; not checked against the
/// vendor's manual here); a household's flow stops at night. So the register
/// (or the integrated `flow_l_per_min` when there is no register) is split into clock hours,
/// and `abnormal_consumption` (minor, trigger `continuous_flow`) is raised when each of the
/// last `leak_hours` hours used at least `leak_min_l_per_h`, at least `leak_night_hours` of
/// them in the night window (`leak_night_start_h`–`leak_night_end_h` local). An hour under
/// the minimum clears it. A gap longer than `leak_max_gap_s` or a register going backwards
/// (a meter swap) restarts the count.
public struct AbnormalConsumptionRule: DetectionRule {
    public static let id = "abnormal_consumption"
    public static let deviceKinds: [DeviceKind] = [.powerMeter, .waterMeter]

    public static let factor = RuleParameter(
        "factor", 4, unit: "× baseline",
        source: "assumed; measured on household-power 2007-Q1: 3× gave 4 false alarms in 90 days (days after a low-use fortnight reach 3.0×), 4× none",
        "Multiple of the learned daily median that is abnormal.")
    public static let minExcess = RuleParameter(
        "min_excess_kwh", 10, unit: "kWh",
        source: "assumed: about four people's daily use (2.6 kWh/person/day, domain.md)",
        "Smallest excess over the median that is abnormal.")
    public static let baselineDays = RuleParameter(
        "baseline_days", 14, unit: "days",
        source: "assumed: two weeks, both weekends",
        "Days in the learned baseline.")
    public static let minLearnedDays = RuleParameter(
        "min_learned_days", 7, unit: "days",
        source: "assumed: one week",
        "Days of learning before the rule may raise.")
    public static let minCoverage = RuleParameter(
        "min_coverage", 0.8, unit: "fraction of a day",
        source: "assumed",
        "Share of a day that must be covered by readings for it to be learned.")
    public static let maxGap = RuleParameter(
        "max_gap_s", 900, unit: "s",
        source: "assumed: a reading is not held longer than 15 min",
        "Longest time one reading's power is held.")

    public static let leakMinFlow = RuleParameter(
        "leak_min_l_per_h", 10, unit: "L/h",
        source: "assumed; chosen on a prototype count over the whole DAIAD trial A year (5 L/h: 0.8 alarms per 100 meter-days, 10 L/h: 0.12); a running toilet leaks 0.5–several L/min",
        "Smallest hourly use that counts as flow in an hour (water meters).")
    public static let leakHours = RuleParameter(
        "leak_hours", 12, unit: "h",
        source: "assumed after smart-meter leak flags (continuous flow, no hour at rest within a day); 12 h with night hours in it, chosen on the same DAIAD prototype count (8 h: 0.3, 16 h: 0.09 per 100 meter-days at 10 L/h)",
        "Consecutive hours with flow that make a leak (water meters).")
    public static let leakNightHours = RuleParameter(
        "leak_night_hours", 3, unit: "h",
        source: "assumed: night flow is the classic leak signature (minimum night flow); 3 of the night window's hours",
        "How many of those hours must fall in the night window.")
    public static let leakNightStart = RuleParameter(
        "leak_night_start_h", 23, unit: "h (local)",
        source: "assumed: households sleep 23:00–05:00",
        "Start of the night window for water leaks.")
    public static let leakNightEnd = RuleParameter(
        "leak_night_end_h", 5, unit: "h (local)",
        source: "assumed: households sleep 23:00–05:00",
        "End of the night window for water leaks.")
    public static let leakMaxGap = RuleParameter(
        "leak_max_gap_s", 7200, unit: "s",
        source: "assumed: hourly meters (DAIAD) miss a reading now and then; longer gaps restart the count",
        "Longest interval between water readings that is spread over its hours.")

    public static let parameters = [factor, minExcess, baselineDays, minLearnedDays, minCoverage, maxGap,
                                    leakMinFlow, leakHours, leakNightHours, leakNightStart, leakNightEnd, leakMaxGap]

    struct Params: Sendable {
        var factor = 4.0, minExcess = 10.0, days = 14, minDays = 7, coverage = 0.8
        var maxGapMs: Int64 = 900_000, offset = LocalTimeZone.chinaStandardTime
        var leakMin = 10.0, leakHours = 12, leakNight = 3, nightStart = 23.0, nightEnd = 5.0, leakGapMs: Int64 = 7_200_000
    }
    /// A water meter's hourly flow count.
    struct Water: Sendable, Codable {
        var lastTs: Int64 = .min
        var lastL = 0.0
        var hour: Int64 = .min
        var litres = 0.0
        var run = 0
        var nightRun = 0
        var runStart: Int64 = 0
        var minHourL = Double.infinity
        var asserted = false
    }
    struct State: Sendable, Codable {
        var day: Int64 = .min
        var kwh = 0.0
        var coveredMs: Int64 = 0
        var lastW = 0.0
        var lastTs: Int64 = .min
        var history: [Double] = []
        var median = 0.0
        var asserted = false
    }

    private let params: [Params]
    private var state: [State]
    private var water: [Water]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            p.factor = thresholds.value(Self.id, Self.factor, device: d.id)
            p.minExcess = thresholds.value(Self.id, Self.minExcess, device: d.id)
            p.days = max(1, Int(thresholds.value(Self.id, Self.baselineDays, device: d.id)))
            p.minDays = max(1, Int(thresholds.value(Self.id, Self.minLearnedDays, device: d.id)))
            p.coverage = thresholds.value(Self.id, Self.minCoverage, device: d.id)
            p.maxGapMs = thresholds.ms(Self.id, Self.maxGap, device: d.id)
            p.offset = config.gateway.zone  // local time is the gateway's (gateway.timezone)
            p.leakMin = thresholds.value(Self.id, Self.leakMinFlow, device: d.id)
            p.leakHours = max(1, Int(thresholds.value(Self.id, Self.leakHours, device: d.id)))
            p.leakNight = max(0, Int(thresholds.value(Self.id, Self.leakNightHours, device: d.id)))
            p.nightStart = thresholds.value(Self.id, Self.leakNightStart, device: d.id)
            p.nightEnd = thresholds.value(Self.id, Self.leakNightEnd, device: d.id)
            p.leakGapMs = thresholds.ms(Self.id, Self.leakMaxGap, device: d.id)
            return p
        }
        state = Array(repeating: State(), count: subset.count)
        water = Array(repeating: Water(), count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .abnormalConsumption, let slot { state[slot].asserted = true; water[slot].asserted = true }
    }

    private static let hourMs: Int64 = 3_600_000

    /// Water meters: spread the register's increase over clock hours; judge each closed hour.
    private mutating func observeWater(_ reading: Reading, _ t: WaterTelemetry, device: DeviceConfig, slot: Int, into out: inout [Condition]) {
        let p = params[slot]
        var w = water[slot]
        defer { water[slot] = w }
        let ts = reading.ts
        // The register, or the flow integrated (held from the previous reading) when there is none.
        let register: Double
        if let v = t.volumeL { register = v }
        else if let f = t.flowLPerMin { register = w.lastTs == .min ? 0 : w.lastL + f * Double(max(0, ts - w.lastTs)) / 60_000 }
        else { return }
        defer { w.lastTs = ts; w.lastL = register }
        guard w.lastTs != .min, ts > w.lastTs else { return }
        let dl = register - w.lastL
        if ts - w.lastTs > p.leakGapMs || dl < 0 {
            // A gap or a register going backwards: nothing is known about the hours in between.
            w.run = 0; w.nightRun = 0; w.minHourL = .infinity
            w.hour = ts / Self.hourMs
            w.litres = 0
            return
        }
        let rate = dl / Double(ts - w.lastTs)  // litres per ms over the interval
        var from = w.lastTs
        if w.hour == .min { w.hour = from / Self.hourMs }
        while from < ts {
            let h = from / Self.hourMs
            if h != w.hour {
                closeHour(&w, p, device: device, at: ts, into: &out)
                w.hour = h
                w.litres = 0
            }
            let segEnd = min(ts, (h + 1) * Self.hourMs)
            w.litres += rate * Double(segEnd - from)
            from = segEnd
        }
        if ts % Self.hourMs == 0, ts / Self.hourMs != w.hour {
            // The reading falls exactly on the hour boundary: the hour before is complete.
            closeHour(&w, p, device: device, at: ts, into: &out)
            w.hour = ts / Self.hourMs
            w.litres = 0
        }
    }

    private func closeHour(_ w: inout Water, _ p: Params, device: DeviceConfig, at ts: Int64, into out: inout [Condition]) {
        let key = AlarmKey(type: .abnormalConsumption, device: device.id, unit: device.unit)
        guard w.litres >= p.leakMin else {
            w.run = 0; w.nightRun = 0; w.minHourL = .infinity
            if w.asserted {
                w.asserted = false
                out.append(.normal(key, at: ts, clearHoldMs: 0))
            }
            return
        }
        if w.run == 0 { w.runStart = w.hour * Self.hourMs }
        w.run += 1
        w.minHourL = min(w.minHourL, w.litres)
        // The hour's middle decides whether it is a night hour.
        if inHourWindow(localHour(w.hour * Self.hourMs + Self.hourMs / 2, utcOffsetHours: p.offset), start: p.nightStart, end: p.nightEnd) {
            w.nightRun += 1
        }
        guard !w.asserted, w.run >= p.leakHours, w.nightRun >= p.leakNight else { return }
        w.asserted = true
        var ev = Evidence(rule: Self.id, trigger: "continuous_flow")
        ev.add("flow_since", w.runStart)
        ev.add("hours_with_flow", w.run)
        ev.add("night_hours_with_flow", w.nightRun)
        ev.add("min_hourly_l", (w.minHourL * 10).rounded() / 10)
        ev.add("leak_min_l_per_h", p.leakMin)
        ev.add("leak_hours", p.leakHours)
        ev.add("reading_ts", ts)
        out.append(.active(key, .minor, at: ts, evidence: ev.json, clearHoldMs: 0))
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest else { return }
        if case let .telemetry(.water(t)) = reading.observation {
            observeWater(reading, t, device: device, slot: slot, into: &out)
            return
        }
        guard case let .telemetry(.power(t)) = reading.observation else { return }
        guard let w = t.powerW ?? t.currentA.map({ $0 * (t.voltageV ?? 220) }) else { return }
        let p = params[slot]
        var s = state[slot]
        defer { state[slot] = s }
        let key = AlarmKey(type: .abnormalConsumption, device: device.id, unit: device.unit)
        let day = localDay(reading.ts, utcOffsetHours: p.offset)
        if s.lastTs != .min {
            // Integrate the held power up to this reading, splitting at local midnight.
            var from = s.lastTs
            let to = min(reading.ts, s.lastTs + p.maxGapMs)
            while from < to {
                let fromDay = localDay(from, utcOffsetHours: p.offset)
                let dayEnd = startOfLocalDay(fromDay + 1, utcOffsetHours: p.offset)
                let segEnd = min(to, dayEnd)
                if fromDay != s.day { rollDay(&s, p, to: fromDay, key: key, at: reading.ts, into: &out) }
                s.kwh += s.lastW * Double(segEnd - from) / 3_600_000_000
                s.coveredMs += segEnd - from
                from = segEnd
            }
        }
        if day != s.day { rollDay(&s, p, to: day, key: key, at: reading.ts, into: &out) }
        s.lastW = w
        s.lastTs = reading.ts
        guard !s.asserted, s.history.count >= p.minDays else { return }
        if s.kwh > p.factor * s.median, s.kwh - s.median >= p.minExcess {
            s.asserted = true
            var ev = Evidence(rule: Self.id, trigger: "daily_energy_over_baseline")
            ev.add("energy_today_kwh", (s.kwh * 100).rounded() / 100)
            ev.add("baseline_median_kwh", (s.median * 100).rounded() / 100)
            ev.add("factor", p.factor)
            ev.add("min_excess_kwh", p.minExcess)
            ev.add("learned_days", s.history.count)
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, .minor, at: reading.ts, evidence: ev.json, clearHoldMs: 0))
        }
    }

    private func rollDay(_ s: inout State, _ p: Params, to day: Int64, key: AlarmKey, at ts: Int64, into out: inout [Condition]) {
        if s.day != .min, Double(s.coveredMs) >= p.coverage * 86_400_000 {
            s.history.append(s.kwh)
            if s.history.count > p.days { s.history.removeFirst(s.history.count - p.days) }
            let v = s.history.sorted()
            s.median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        if s.asserted {
            s.asserted = false
            out.append(.normal(key, at: ts, clearHoldMs: 0))
        }
        s.day = day
        s.kwh = 0
        s.coveredMs = 0
    }
}

extension AbnormalConsumptionRule: PersistentRule {
    /// The learned daily baseline (14 days to rebuild) and the water meter's hourly count.
    struct DeviceState: Sendable, Codable {
        var power: State
        var water: Water
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return DeviceState(power: state[slot], water: water[slot])
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        state[slot] = s.power
        water[slot] = s.water
        state[slot].asserted = false  // from the active alarms
        water[slot].asserted = false
    }
}
