/// Smoke at a detector, with a pre-alarm and an alarm level.
///
/// - A detector reporting `"alarm": true` (with `alarm_kind` `smoke` or none) has made its
///   own listed smoke alarm decision (GB 20517 / UL 217 apply their own verification), so
///   the gateway raises `smoke` (major) at once (protocol v1 §1.1) — except within
///   `test_window_s` after a `test` event, when the flag is the test button's and is
///   recorded, not alarmed. Heat and CO decisions are the heat and CO rules'.
/// - Analog obscuration at or over the alarm level from a single detector goes through a
///   verification window (`verification_s`, ≤ 60 s): the alarm is raised when the level
///   still holds when the window runs out (stamped at that moment). The same reading with
///   heat (≥ the heat rule's fixed level) or CO (≥ the fire rule's CO level) is multi-sensor
///   and is never delayed.
/// - In a nuisance-prone zone (kitchen, bathroom) obscuration at or over the pre-alarm level
///   raises a `smoke` pre-alarm (warning) at once. Cooking plumes there routinely pass the
///   alarm level for a minute or two with no heat and no CO (UL 217 8th ed.'s cooking
///   nuisance test; NIST TN 1947), so an uncorroborated plume stays a pre-alarm — a warning
///   to the operator, not a major alarm to the registry — and escalates to major only when it
///   is *sustained* (at or over the alarm level for `nuisance_sustain_s`) or *rising* past
///   what any listed alarm would tolerate (`nuisance_alarm_obscuration_pct_per_m`, held for
///   the verification window). Heat or CO corroboration and the detector's own alarm flag
///   still raise at once. Elsewhere a pre-alarm is raised only when the pre-alarm level holds
///   for the verification window, and the alarm level is verified over `verification_s`.
/// - A `hush` event silences the detector's sounder only: it changes nothing here.
/// - The alarm clears after readings stay below the clear level, with the detector's own
///   flag off, for the hold time.
public struct SmokeRule: DetectionRule {
    public static let id = "smoke"
    public static let deviceKinds: [DeviceKind] = [.smokeDetector]
    public static let usesTicks = true

    public static let alarmObscuration = RuleParameter(
        "alarm_obscuration_pct_per_m", 5.0, unit: "%/m",
        source: "NIST TN 1455-1: average alarm point of listed photoelectric alarms ≈ 5 %/m (1.5 %/ft)",
        "Obscuration at or over which the gateway raises smoke from analog readings.")
    public static let preAlarmObscuration = RuleParameter(
        "pre_alarm_obscuration_pct_per_m", 3.3, unit: "%/m",
        source: "lower end of listed photoelectric ranges, 1 %/ft ≈ 3.3 %/m (domain.md, UL 217 listings)",
        "Obscuration at or over which a pre-alarm (warning) is raised.")
    public static let clearObscuration = RuleParameter(
        "clear_obscuration_pct_per_m", 2.5, unit: "%/m",
        source: "assumed: half the alarm level, for hysteresis",
        "Obscuration below which readings count as normal again.")
    public static let verification = RuleParameter(
        "verification_s", 60, unit: "s",
        source: "alarm verification: 60 s confirmation window for a single smoke alarm (Bosch; UL 864 practice, domain.md)",
        "How long analog smoke from one detector must persist before the alarm (at most 60 s).")
    public static let testWindow = RuleParameter(
        "test_window_s", 120, unit: "s",
        source: "assumed: a test-button sounding lasts well under 2 min",
        "After a test event, the detector's own alarm flag is recorded as a test, not alarmed.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 60, unit: "s",
        source: "assumed: one verification window (60 s, UL 864 practice in domain.md)",
        "How long readings must stay normal before the alarm clears.")

    public static let nuisanceSustain = RuleParameter(
        "nuisance_sustain_s", 300, unit: "s",
        source: "assumed after UL 2015 cooking-nuisance characterisation (Backstrom, Dubiel, Hunter) and NIST TN 1947 (Cleary 2016): cooking plumes at the alarm rise and decay within minutes; a fire's smoke keeps coming",
        "In a nuisance-prone zone, how long an uncorroborated plume must stay at or over the alarm level to escalate to major.")
    public static let nuisanceAlarmObscuration = RuleParameter(
        "nuisance_alarm_obscuration_pct_per_m", 12.5, unit: "%/m",
        source: "UL 217 / UL 268 sensitivity limits 0.5–4 %/ft: 4 %/ft ≈ 12.5 %/m is the least sensitive a listed smoke alarm may be (NIST TN 1455-1)",
        "In a nuisance-prone zone, obscuration at which an uncorroborated plume is a fire after the verification window.")

    public static let parameters = [alarmObscuration, preAlarmObscuration, clearObscuration, verification, testWindow, clearHold,
                                    nuisanceSustain, nuisanceAlarmObscuration]

    struct Params: Sendable {
        var alarm = 5.0, pre = 3.3, clear = 2.5
        var verifyMs: Int64 = 60_000, testMs: Int64 = 120_000, holdMs: Int64 = 60_000
        var sustainMs: Int64 = 300_000, nuisanceHigh = 12.5
        var heatFixed = 57.0, coLevel = 70.0
        var nuisance = false
    }

    struct State: Sendable, Codable {
        /// 0 none, 1 pre-alarm asserted, 2 alarm asserted.
        var stage: UInt8 = 0
        var alarmSince: Int64? = nil
        var preSince: Int64? = nil
        var lastObscuration: Double = 0
        var lastTs: Int64 = .min
        var testUntil: Int64 = .min
        var lastTestAt: Int64? = nil
    }

    private var params: [Params]
    private var state: [State]
    private var deadlines = DeadlineQueue()
    private let devices: [DeviceConfig]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        devices = config.devices
        params = subset.map(config) { d in
            guard d.kind == .smokeDetector else { return Params() }
            var p = Params()
            p.alarm = thresholds.value(Self.id, Self.alarmObscuration, device: d.id)
            p.pre = thresholds.value(Self.id, Self.preAlarmObscuration, device: d.id)
            p.clear = thresholds.value(Self.id, Self.clearObscuration, device: d.id)
            p.verifyMs = min(thresholds.ms(Self.id, Self.verification, device: d.id), 60_000)
            p.testMs = thresholds.ms(Self.id, Self.testWindow, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.sustainMs = max(p.verifyMs, thresholds.ms(Self.id, Self.nuisanceSustain, device: d.id))
            p.nuisanceHigh = thresholds.value(Self.id, Self.nuisanceAlarmObscuration, device: d.id)
            p.heatFixed = thresholds.value(HeatRule.id, HeatRule.fixedTemperature, device: d.id)
            p.coLevel = thresholds.value(FireRule.id, FireRule.coLevel, device: d.id)
            p.nuisance = d.zone?.isNuisanceProne ?? false
            return p
        }
        state = Array(repeating: State(), count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .smoke, let slot else { return }
        state[slot].stage = alarm.severity >= .major ? 2 : 1
    }

    public var nextDeadline: Int64 { deadlines.next }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        let p = params[slot]
        switch reading.observation {
        case let .event(e):
            if e.name == .test {
                state[slot].testUntil = max(state[slot].testUntil, reading.ts + p.testMs)
                state[slot].lastTestAt = reading.ts
            }
            return
        case .status:
            return
        case let .telemetry(tel):
            guard case let .smoke(t) = tel else { return }
            var s = state[slot]
            defer { state[slot] = s }
            let testing = reading.ts <= s.testUntil
            let flag = t.decision(.smoke) == true && !testing
            let o = t.obscurationPctPerM
            if isLatest, let o { s.lastObscuration = o; s.lastTs = reading.ts }

            if flag {
                s.alarmSince = nil
                if s.stage < 2 {
                    s.stage = 2
                    out.append(condition(device, slot, .major, trigger: "detector_alarm", t, reading.ts, s))
                }
                return
            }
            guard isLatest else {
                return  // an older analog value does not change the verification in progress
            }
            if let o, o >= p.alarm {
                let multi = (t.temperatureC ?? -.infinity) >= p.heatFixed || (t.coPpm ?? 0) >= p.coLevel
                let newlyPending = s.alarmSince == nil
                if newlyPending { s.alarmSince = reading.ts }
                if s.preSince == nil { s.preSince = reading.ts }
                let held = reading.ts - s.alarmSince!
                let verified = p.nuisance
                    ? (held >= p.sustainMs || (o >= p.nuisanceHigh && held >= p.verifyMs))
                    : held >= p.verifyMs
                if s.stage < 2 && (multi || verified) {
                    s.stage = 2
                    let trigger = multi ? "obscuration_multi_sensor"
                        : !p.nuisance ? "obscuration_verified"
                        : held >= p.sustainMs ? "nuisance_zone_sustained" : "nuisance_zone_high_obscuration"
                    out.append(condition(device, slot, .major, trigger: trigger, t, reading.ts, s))
                } else if s.stage < 2 {
                    if p.nuisance && s.stage < 1 {
                        s.stage = 1
                        out.append(condition(device, slot, .warning, trigger: "pre_alarm", t, reading.ts, s))
                    }
                    if newlyPending {
                        deadlines.push(s.alarmSince! + p.verifyMs, slot)
                        if p.nuisance { deadlines.push(s.alarmSince! + p.sustainMs, slot) }
                    }
                }
                return
            }
            s.alarmSince = nil
            if let o, o >= p.pre {
                let newlyPending = s.preSince == nil
                if newlyPending { s.preSince = reading.ts }
                if s.stage < 1 && (p.nuisance || reading.ts - s.preSince! >= p.verifyMs) {
                    s.stage = 1
                    out.append(condition(device, slot, .warning, trigger: "pre_alarm", t, reading.ts, s))
                } else if s.stage < 1 && newlyPending {
                    deadlines.push(s.preSince! + p.verifyMs, slot)
                }
                return
            }
            if let o, o >= p.clear { return }  // hysteresis band: neither rising nor normal
            s.preSince = nil
            // Normal only on positive evidence: a battery-only report says nothing about smoke.
            let analogNormal = o.map { $0 < p.clear }
            let flagNormal = t.decision(.smoke).map { !$0 || testing }
            if s.stage > 0, analogNormal != nil || flagNormal != nil, analogNormal ?? true, flagNormal ?? true {
                s.stage = 0
                out.append(.normal(key(device), at: reading.ts, clearHoldMs: p.holdMs))
            }
        }
    }

    public mutating func tick(now: Int64, into out: inout [Condition]) {
        while let d = deadlines.popDue(now) {
            let slot = d.slot
            let p = params[slot]
            var s = state[slot]
            // Still pending, and the last reading still at the level: verified at the deadline
            // (in a nuisance-prone zone: at the high level after the verification window, or
            // at the alarm level after the sustain window).
            if let since = s.alarmSince, s.stage < 2, !p.nuisance, since + p.verifyMs == d.at, s.lastObscuration >= p.alarm {
                s.stage = 2
                out.append(condition(devices[subset.slot(slot)], slot, .major, trigger: "obscuration_verified", nil, d.at, s))
            } else if let since = s.alarmSince, s.stage < 2, p.nuisance, since + p.verifyMs == d.at, s.lastObscuration >= p.nuisanceHigh {
                s.stage = 2
                out.append(condition(devices[subset.slot(slot)], slot, .major, trigger: "nuisance_zone_high_obscuration", nil, d.at, s))
            } else if let since = s.alarmSince, s.stage < 2, p.nuisance, since + p.sustainMs == d.at, s.lastObscuration >= p.alarm {
                s.stage = 2
                out.append(condition(devices[subset.slot(slot)], slot, .major, trigger: "nuisance_zone_sustained", nil, d.at, s))
            } else if let since = s.preSince, since + p.verifyMs == d.at, s.stage < 1, s.lastObscuration >= p.pre {
                s.stage = 1
                out.append(condition(devices[subset.slot(slot)], slot, .warning, trigger: "pre_alarm", nil, d.at, s))
            }
            state[slot] = s
        }
    }

    private func key(_ d: DeviceConfig) -> AlarmKey { AlarmKey(type: .smoke, device: d.id, unit: d.unit) }

    private func condition(_ d: DeviceConfig, _ slot: Int, _ sev: Severity, trigger: String, _ t: SmokeTelemetry?, _ at: Int64, _ s: State) -> Condition {
        let p = params[slot]
        var ev = Evidence(rule: Self.id, trigger: trigger)
        ev.add("smoke_obscuration_pct_per_m", t?.obscurationPctPerM ?? s.lastObscuration)
        ev.add("alarm_obscuration_pct_per_m", p.alarm)
        ev.add("pre_alarm_obscuration_pct_per_m", p.pre)
        if trigger == "obscuration_verified" || trigger == "nuisance_zone_high_obscuration" { ev.add("verification_s", Double(p.verifyMs) / 1000) }
        if trigger == "nuisance_zone_sustained" { ev.add("nuisance_sustain_s", Double(p.sustainMs) / 1000) }
        if trigger == "nuisance_zone_high_obscuration" { ev.add("nuisance_alarm_obscuration_pct_per_m", p.nuisanceHigh) }
        if let since = s.alarmSince { ev.add("above_alarm_level_since", since) }
        if p.nuisance { ev.add("nuisance_prone_zone", true) }
        if let temp = t?.temperatureC { ev.add("temperature_c", temp) }
        if let co = t?.coPpm { ev.add("co_ppm", co) }
        if let lt = s.lastTestAt { ev.add("last_test_at", lt) }
        ev.add("reading_ts", s.lastTs == .min ? at : (t != nil ? at : s.lastTs))
        return .active(key(d), sev, at: at, evidence: ev.json, clearHoldMs: p.holdMs)
    }
}

extension SmokeRule: PersistentRule {
    /// The obscuration verification timers (and their queued deadlines), the last reading
    /// and the test window.
    struct DeviceState: Sendable, Codable {
        var state: State
        var deadlines: [Int64]
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return state[slot].lastTs == .min && state[slot].testUntil == .min ? nil : DeviceState(state: state[slot], deadlines: deadlines.entries(slot: slot))
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        state[slot] = s.state
        state[slot].stage = 0  // from the active alarms
        for t in s.deadlines where t > now { deadlines.push(t, slot) }
    }
}
