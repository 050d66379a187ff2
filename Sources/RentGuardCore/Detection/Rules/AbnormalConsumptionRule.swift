/// Consumption far outside the unit's own learned baseline (the ordinance's "abnormal
/// electricity use" lead): today's energy so far (local day) over `factor` × the median of
/// the unit's last `baseline_days` complete days, and at least `min_excess_kwh` over it.
///
/// Energy is integrated from `power_w` (each reading held until the next, at most
/// `max_gap_s`). A day counts for learning when at least `min_coverage` of it was covered.
/// The rule stays silent until `min_learned_days` are learned; the alarm (minor: a lead for
/// inspection) clears at the end of the local day. All learned state lives in the rule.
public struct AbnormalConsumptionRule: DetectionRule {
    public static let id = "abnormal_consumption"
    public static let deviceKinds: [DeviceKind] = [.powerMeter]

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

    public static let parameters = [factor, minExcess, baselineDays, minLearnedDays, minCoverage, maxGap]

    struct Params: Sendable {
        var factor = 4.0, minExcess = 10.0, days = 14, minDays = 7, coverage = 0.8
        var maxGapMs: Int64 = 900_000, offset = LocalTimeZone.chinaStandardTime
    }
    struct State: Sendable {
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

    public init(config: BuildingConfig, thresholds: Thresholds) {
        params = config.devices.map { d in
            var p = Params()
            p.factor = thresholds.value(Self.id, Self.factor, device: d.id)
            p.minExcess = thresholds.value(Self.id, Self.minExcess, device: d.id)
            p.days = max(1, Int(thresholds.value(Self.id, Self.baselineDays, device: d.id)))
            p.minDays = max(1, Int(thresholds.value(Self.id, Self.minLearnedDays, device: d.id)))
            p.coverage = thresholds.value(Self.id, Self.minCoverage, device: d.id)
            p.maxGapMs = thresholds.ms(Self.id, Self.maxGap, device: d.id)
            p.offset = config.gateway.zone  // local time is the gateway's (gateway.timezone)
            return p
        }
        state = Array(repeating: State(), count: config.devices.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .abnormalConsumption, let slot { state[slot].asserted = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard isLatest, case let .telemetry(.power(t)) = reading.observation else { return }
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
