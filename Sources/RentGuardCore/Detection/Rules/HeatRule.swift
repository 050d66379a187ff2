/// Heat at a smoke detector's thermistor: a fixed temperature, or a rate of rise
/// (EN 54-5 class A1R style). Raised at once (heat is never verified, domain.md).
///
/// A heat detector's own decision (`"alarm": true` with `"alarm_kind": "heat"`, protocol
/// v1.1; a zigbee2mqtt heat alarm) raises `heat` at once too (protocol v1 §1.1), except
/// within the smoke rule's `test_window_s` after a `test` event. The alarm clears when the
/// decision is off and the temperature (if the detector reports one) is normal.
///
/// The rate is measured over the samples of the last `rate_window_s`, kept in event-time
/// order (out-of-order readings within the lateness bound are inserted where they belong).
public struct HeatRule: DetectionRule {
    public static let id = "heat"
    public static let deviceKinds: [DeviceKind] = [.smokeDetector]

    public static let fixedTemperature = RuleParameter(
        "fixed_temperature_c", 57, unit: "°C",
        source: "US combination detectors: fixed 57 °C (domain.md); within EN 54-5 A1 static response 54–65 °C",
        "Temperature at or over which heat is raised.")
    public static let fastRise = RuleParameter(
        "fast_rise_c_per_min", 9, unit: "°C/min",
        source: "US combination detectors: 15 °F/min ≈ 9 °C/min (domain.md)",
        "A rise at or over this rate raises heat at any temperature.")
    public static let slowRise = RuleParameter(
        "slow_rise_c_per_min", 4, unit: "°C/min",
        source: "Panasonic practice: a rise of more than 4 °C/min alarms at 46 °C (domain.md)",
        "A rise over this rate raises heat once the temperature reaches slow_rise_min_c.")
    public static let slowRiseMinTemperature = RuleParameter(
        "slow_rise_min_c", 46, unit: "°C",
        source: "Panasonic practice: a rise of more than 4 °C/min alarms at 46 °C (domain.md)",
        "Temperature from which the slow rate of rise counts.")
    public static let rateWindow = RuleParameter(
        "rate_window_s", 120, unit: "s",
        source: "assumed: covers one 60 s report interval with jitter",
        "Window over which the rate of rise is measured.")
    public static let rateMinSpan = RuleParameter(
        "rate_min_span_s", 20, unit: "s",
        source: "assumed: shorter spans amplify sensor noise",
        "Shortest span a rate may be computed over.")
    public static let clearBelow = RuleParameter(
        "clear_below_c", 50, unit: "°C",
        source: "assumed: hysteresis of 7 °C under the fixed level",
        "Temperature under which (with no fast rise) readings count as normal.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 120, unit: "s",
        source: "assumed: two report intervals",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [fixedTemperature, fastRise, slowRise, slowRiseMinTemperature, rateWindow, rateMinSpan, clearBelow, clearHold]

    /// The heat criteria of one detector (shared with the fire rule).
    struct Criteria: Sendable {
        var fixed = 57.0, fast = 9.0, slow = 4.0, slowMin = 46.0
        var windowMs: Int64 = 120_000, minSpanMs: Int64 = 20_000
        var clearBelow = 50.0

        init() {}
        init(_ th: Thresholds, device: String) {
            fixed = th.value(HeatRule.id, HeatRule.fixedTemperature, device: device)
            fast = th.value(HeatRule.id, HeatRule.fastRise, device: device)
            slow = th.value(HeatRule.id, HeatRule.slowRise, device: device)
            slowMin = th.value(HeatRule.id, HeatRule.slowRiseMinTemperature, device: device)
            windowMs = th.ms(HeatRule.id, HeatRule.rateWindow, device: device)
            minSpanMs = th.ms(HeatRule.id, HeatRule.rateMinSpan, device: device)
            clearBelow = th.value(HeatRule.id, HeatRule.clearBelow, device: device)
        }

        /// The criterion met by the newest temperature in `w`, if any.
        func met(_ w: SampleWindow) -> (trigger: String, rate: Double?)? {
            guard let t = w.latest else { return nil }
            let rate = w.ratePerSecond(windowMs: windowMs, minSpanMs: minSpanMs).map { $0 * 60 }
            if t >= fixed { return ("fixed_temperature", rate) }
            if let r = rate, r >= fast { return ("rate_of_rise_fast", r) }
            if let r = rate, r > slow, t >= slowMin { return ("rate_of_rise", r) }
            return nil
        }

        func normal(_ w: SampleWindow) -> Bool {
            guard let t = w.latest else { return false }
            let rate = w.ratePerSecond(windowMs: windowMs, minSpanMs: minSpanMs).map { $0 * 60 } ?? 0
            return t < clearBelow && rate < slow
        }
    }

    private var criteria: [Criteria]
    private var holdMs: [Int64]
    private var testMs: [Int64]
    private var windows: [SampleWindow]
    private var asserted: [Bool]
    /// The detector's own heat decision (not kept across restarts: a detector repeats its
    /// state, and the active alarm is restored from the store).
    private var flag: [Bool]
    private var testUntil: [Int64]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        criteria = subset.map(config) { $0.kind == .smokeDetector ? Criteria(thresholds, device: $0.id) : Criteria() }
        holdMs = subset.map(config) { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        testMs = subset.map(config) { thresholds.ms(SmokeRule.id, SmokeRule.testWindow, device: $0.id) }
        windows = Array(repeating: SampleWindow(maxCount: 16), count: subset.count)
        asserted = Array(repeating: false, count: subset.count)
        flag = Array(repeating: false, count: subset.count)
        testUntil = Array(repeating: .min, count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .heat, let slot { asserted[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        if case let .event(e) = reading.observation, e.name == .test {
            testUntil[slot] = max(testUntil[slot], reading.ts + testMs[slot])
            return
        }
        guard case let .telemetry(.smoke(t)) = reading.observation else { return }
        let decision = t.decision(.heat)
        guard t.temperatureC != nil || decision != nil else { return }
        if let decision, isLatest { flag[slot] = decision && reading.ts > testUntil[slot] }
        let c = criteria[slot]
        if let temp = t.temperatureC { windows[slot].insert(reading.ts, temp, keepMs: c.windowMs) }
        let key = AlarmKey(type: .heat, device: device.id, unit: device.unit)
        let m = t.temperatureC == nil ? nil : c.met(windows[slot])
        if flag[slot] || m != nil {
            guard !asserted[slot] else { return }
            asserted[slot] = true
            var ev = Evidence(rule: Self.id, trigger: m?.trigger ?? "detector_alarm")
            if m == nil { ev.add("alarm_kind", .string(AlarmKind.heat.rawValue)) }
            ev.add("temperature_c", windows[slot].latest)
            ev.add("rise_c_per_min", m?.rate)
            ev.add("fixed_temperature_c", c.fixed)
            ev.add("fast_rise_c_per_min", c.fast)
            ev.add("slow_rise_c_per_min", c.slow)
            ev.add("slow_rise_min_c", c.slowMin)
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, .major, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        } else if asserted[slot], isLatest, windows[slot].isEmpty || c.normal(windows[slot]) {
            asserted[slot] = false
            out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
        }
    }
}

extension HeatRule: PersistentRule {
    /// The detector's temperature window (the rate of rise).
    func deviceState(slot: Int) -> SampleWindow? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return windows[slot].isEmpty ? nil : windows[slot]
    }

    mutating func restoreDeviceState(_ s: SampleWindow, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        windows[slot] = s
    }
}
