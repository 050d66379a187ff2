/// Carbon monoxide on a UL 2034-style time-and-concentration curve.
///
/// The body's carboxyhaemoglobin (COHb) follows a first-order uptake model:
/// dCOHb/dt = (k · ppm − COHb) / τ, integrated exactly between readings (each reading's
/// concentration held until the next one, at most `max_gap_s`). The alarm is raised when
/// COHb reaches `alarm_cohb_pct`. With the defaults (k = 0.16 %/ppm, τ = 45 min, 10 %):
/// 30 ppm never alarms (equilibrium 4.8 %); 70 ppm alarms after ≈ 100 min (UL 2034:
/// 60–240); 150 ppm after ≈ 24 min (10–50); 400 ppm after ≈ 7.6 min (4–15).
/// Out-of-order readings are not integrated (the held value already covered their time).
///
/// A CO alarm's own decision (`"alarm": true` with `"alarm_kind": "co"`, protocol v1.1; a
/// zigbee2mqtt `carbon_monoxide`) is a listed (UL 2034-style) decision and raises
/// `co` (critical, like the model's) at once (protocol v1 §1.1), except within the smoke
/// rule's `test_window_s` after a `test` event. The alarm clears when the decision is off and
/// the modelled COHb (if the detector reports ppm) is under the clear level.
public struct CORule: DetectionRule {
    public static let id = "co"
    public static let deviceKinds: [DeviceKind] = [.smokeDetector]

    public static let uptake = RuleParameter(
        "cohb_pct_per_ppm", 0.16, unit: "%/ppm",
        source: "assumed: equilibrium COHb ≈ 0.16 %/ppm, fitted with time_constant_min to the UL 2034 alarm points (domain.md)",
        "Equilibrium COHb per ppm of CO.")
    public static let timeConstant = RuleParameter(
        "time_constant_min", 45, unit: "min",
        source: "assumed: fitted to UL 2034 (70 ppm 60–240 min, 150 ppm 10–50 min, 400 ppm 4–15 min; τ ∈ [27, 88] min fits all)",
        "Uptake time constant τ.")
    public static let alarmLevel = RuleParameter(
        "alarm_cohb_pct", 10, unit: "% COHb",
        source: "UL 2034 alarm points correspond to ≈ 10 % COHb (the standard's basis); fit in time_constant_min",
        "Modelled COHb at which CO is raised.")
    public static let clearLevel = RuleParameter(
        "clear_cohb_pct", 5, unit: "% COHb",
        source: "assumed: half the alarm level, for hysteresis",
        "Modelled COHb under which readings count as normal.")
    public static let maxGap = RuleParameter(
        "max_gap_s", 900, unit: "s",
        source: "assumed: a reading is not held longer than 15 min",
        "Longest time one reading's concentration is held.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five report intervals",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [uptake, timeConstant, alarmLevel, clearLevel, maxGap, clearHold]

    struct Params: Sendable {
        var k = 0.16, tauMs = 2_700_000.0, alarm = 10.0, clear = 5.0
        var maxGapMs: Int64 = 900_000, holdMs: Int64 = 300_000
    }

    struct State: Sendable, Codable {
        var cohb = 0.0
        var lastPpm = 0.0
        var lastTs: Int64 = .min
        var asserted = false
    }

    private var params: [Params]
    private var state: [State]
    /// The detector's own CO decision, and the test window (not kept across restarts: a
    /// detector repeats its state, and the active alarm is restored from the store).
    private var flag: [Bool]
    private var testUntil: [Int64]
    private var testMs: [Int64]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            p.k = thresholds.value(Self.id, Self.uptake, device: d.id)
            p.tauMs = thresholds.value(Self.id, Self.timeConstant, device: d.id) * 60_000
            p.alarm = thresholds.value(Self.id, Self.alarmLevel, device: d.id)
            p.clear = thresholds.value(Self.id, Self.clearLevel, device: d.id)
            p.maxGapMs = thresholds.ms(Self.id, Self.maxGap, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            return p
        }
        state = Array(repeating: State(), count: subset.count)
        flag = Array(repeating: false, count: subset.count)
        testUntil = Array(repeating: .min, count: subset.count)
        testMs = subset.map(config) { thresholds.ms(SmokeRule.id, SmokeRule.testWindow, device: $0.id) }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .co, let slot { state[slot].asserted = true }
    }

    /// COHb after holding `ppm` for `dtMs` from `cohb` (exact solution of the first-order model).
    static func integrate(cohb: Double, ppm: Double, dtMs: Double, k: Double, tauMs: Double) -> Double {
        let eq = k * ppm
        return eq + (cohb - eq) * expDet(-dtMs / tauMs)
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        if case let .event(e) = reading.observation, e.name == .test {
            testUntil[slot] = max(testUntil[slot], reading.ts + testMs[slot])
            return
        }
        guard isLatest, case let .telemetry(.smoke(t)) = reading.observation else { return }
        let decision = t.decision(.co)
        guard t.coPpm != nil || decision != nil else { return }
        let p = params[slot]
        var s = state[slot]
        defer { state[slot] = s }
        let key = AlarmKey(type: .co, device: device.id, unit: device.unit)
        if let decision { flag[slot] = decision && reading.ts > testUntil[slot] }
        guard let ppm = t.coPpm else {
            // The detector's decision alone (a CO alarm that publishes no concentration).
            if flag[slot], !s.asserted {
                s.asserted = true
                out.append(.active(key, .critical, at: reading.ts, evidence: detectorEvidence(p, s, ppm: nil, reading.ts), clearHoldMs: p.holdMs))
            } else if !flag[slot], s.asserted, s.lastTs == .min || s.cohb < p.clear {
                s.asserted = false
                out.append(.normal(key, at: reading.ts, clearHoldMs: p.holdMs))
            }
            return
        }
        if s.lastTs != .min {
            let dt = Double(min(reading.ts - s.lastTs, p.maxGapMs))
            if dt > 0 { s.cohb = Self.integrate(cohb: s.cohb, ppm: s.lastPpm, dtMs: dt, k: p.k, tauMs: p.tauMs) }
        }
        s.lastPpm = ppm
        s.lastTs = reading.ts
        if flag[slot], !s.asserted {
            s.asserted = true
            out.append(.active(key, .critical, at: reading.ts, evidence: detectorEvidence(p, s, ppm: ppm, reading.ts), clearHoldMs: p.holdMs))
        } else if !s.asserted, s.cohb >= p.alarm {
            s.asserted = true
            var ev = Evidence(rule: Self.id, trigger: "cohb_model")
            ev.add("co_ppm", ppm)
            ev.add("modelled_cohb_pct", (s.cohb * 100).rounded() / 100)
            ev.add("alarm_cohb_pct", p.alarm)
            ev.add("time_constant_min", p.tauMs / 60_000)
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, .critical, at: reading.ts, evidence: ev.json, clearHoldMs: p.holdMs))
        } else if s.asserted, !flag[slot], s.cohb < p.clear {
            s.asserted = false
            out.append(.normal(key, at: reading.ts, clearHoldMs: p.holdMs))
        }
    }

    /// The evidence of a CO alarm raised on the detector's own decision.
    private func detectorEvidence(_ p: Params, _ s: State, ppm: Double?, _ ts: Int64) -> JSONValue {
        var ev = Evidence(rule: Self.id, trigger: "detector_alarm")
        ev.add("alarm_kind", AlarmKind.co.rawValue)
        ev.add("co_ppm", ppm)
        if s.lastTs != .min { ev.add("modelled_cohb_pct", (s.cohb * 100).rounded() / 100) }
        ev.add("alarm_cohb_pct", p.alarm)
        ev.add("reading_ts", ts)
        return ev.json
    }
}

extension CORule: PersistentRule {
    /// The modelled COHb and the last reading it integrates from.
    func deviceState(slot: Int) -> State? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return state[slot].lastTs == .min ? nil : state[slot]
    }

    mutating func restoreDeviceState(_ s: State, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        state[slot] = s
        state[slot].asserted = false  // from the active alarms
    }
}
