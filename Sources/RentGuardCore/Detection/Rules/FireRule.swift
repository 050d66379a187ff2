/// Multi-criteria fire (critical, raised at once — never verified).
///
/// Following domain.md's suggested default, `fire` is raised for a unit when
/// - a detector's smoke (its own smoke decision, or obscuration ≥ the smoke alarm level)
///   coincides at that detector with heat (its own heat decision, or the heat rule's fixed or
///   rate-of-rise criteria) or with CO (its own CO decision, or CO ≥ `co_ppm`); or
/// - two detectors are in alarm (smoke or heat) together in one unit, in adjacent units
///   (`UnitConfig.adjacent`), or listed as `near` each other.
///
/// The key is the unit (`fire:u:<unit>`), or the detector for shared places with no unit.
/// A detector's state holds until its next reading (a detector destroyed by the fire stays
/// "in alarm"; offline supervision reports its silence). A `hush` never clears a fire; a
/// detector's own flag within the smoke rule's `test_window_s` after a `test` is not smoke.
public struct FireRule: DetectionRule {
    public static let id = "fire"
    public static let deviceKinds: [DeviceKind] = [.smokeDetector]

    public static let coLevel = RuleParameter(
        "co_ppm", 70, unit: "ppm",
        source: "domain.md suggested multi-criteria default: smoke with CO ≥ 70 ppm (UL 2034's lowest alarm concentration)",
        "CO concentration that, with smoke at the same detector, is fire.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five report intervals of normal readings",
        "How long every detector must stay normal before fire clears.")

    public static let parameters = [coLevel, clearHold]

    struct Det: Sendable, Codable {
        /// `smoke` includes the smoke decision; `heat` and `co` are the analog criteria only.
        var smoke = false, heat = false, co = false
        var obscuration: Double? = nil, temperature: Double? = nil, coPpm: Double? = nil, rate: Double? = nil
        /// The detector's own smoke decision.
        var flag = false
        /// The detector's own heat and CO decisions (v1.1; optional so that snapshots written
        /// before them still decode).
        var heatFlag: Bool? = nil, coFlag: Bool? = nil
        var testUntil: Int64 = .min
        var ts: Int64 = .min
        var heatNow: Bool { heat || heatFlag == true }
        var coNow: Bool { co || coFlag == true }
        var inAlarm: Bool { smoke || heatNow }
    }

    /// The building's devices (the configuration's array, shared); indexed by slot.
    private let devices: [DeviceConfig]
    /// The detectors: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset
    private let fireKey: [AlarmKey]
    /// Detectors sharing a fire key, and each detector's neighbourhood (same unit, adjacent units, near).
    private let members: [AlarmKey: [Int]]
    private let neighbours: [[Int]]
    private let heat: [HeatRule.Criteria]
    private let smokeLevel: [Double]
    private let testMs: [Int64]
    private let coLevel: [Double]
    private let holdMs: Int64
    private var windows: [SampleWindow]
    private var det: [Det]
    private var asserted: Set<AlarmKey> = []

    public init(config: BuildingConfig, thresholds: Thresholds) {
        devices = config.devices
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        let dets = subset.map(config) { (unit: $0.unit, id: $0.id, near: $0.near) }
        fireKey = dets.map { d in d.unit.map { AlarmKey(type: .fire, unit: $0) } ?? AlarmKey(type: .fire, device: d.id) }
        var m: [AlarmKey: [Int]] = [:]
        for (i, k) in fireKey.enumerated() { m[k, default: []].append(i) }
        members = m
        var adj: [String: Set<String>] = [:]
        for u in config.units {
            for a in u.adjacent { adj[u.id, default: []].insert(a); adj[a, default: []].insert(u.id) }
        }
        var byUnit: [String: [Int]] = [:]
        var byID: [String: Int] = [:]
        for (i, d) in dets.enumerated() {
            if let u = d.unit { byUnit[u, default: []].append(i) }
            if byID[d.id] == nil { byID[d.id] = i }
        }
        var near = Array(repeating: Set<Int>(), count: dets.count)
        for (i, d) in dets.enumerated() {
            for n in d.near { if let j = byID[n] { near[i].insert(j); near[j].insert(i) } }
        }
        neighbours = dets.enumerated().map { i, d in
            var s = near[i]
            if let u = d.unit {
                for j in byUnit[u] ?? [] { s.insert(j) }
                for a in adj[u] ?? [] { for j in byUnit[a] ?? [] { s.insert(j) } }
            }
            s.remove(i)
            return s.sorted()
        }
        heat = subset.map(config) { HeatRule.Criteria(thresholds, device: $0.id) }
        smokeLevel = subset.map(config) { thresholds.value(SmokeRule.id, SmokeRule.alarmObscuration, device: $0.id) }
        testMs = subset.map(config) { thresholds.ms(SmokeRule.id, SmokeRule.testWindow, device: $0.id) }
        coLevel = subset.map(config) { thresholds.value(Self.id, Self.coLevel, device: $0.id) }
        holdMs = thresholds.ms(Self.id, Self.clearHold)
        windows = Array(repeating: SampleWindow(maxCount: 16), count: subset.count)
        det = Array(repeating: Det(), count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .fire, members[alarm.key] != nil { asserted.insert(alarm.key) }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        switch reading.observation {
        case let .event(e) where e.name == .test:
            det[slot].testUntil = max(det[slot].testUntil, reading.ts + testMs[slot])
            return
        case let .telemetry(.smoke(t)):
            if let temp = t.temperatureC { windows[slot].insert(reading.ts, temp, keepMs: heat[slot].windowMs) }
            guard isLatest else { return }
            let before = det[slot]
            var d = before
            let testing = reading.ts <= d.testUntil
            if let f = t.decision(.smoke) { d.flag = f && !testing }
            if let f = t.decision(.heat) { d.heatFlag = f && !testing }
            if let f = t.decision(.co) { d.coFlag = f && !testing }
            if let o = t.obscurationPctPerM { d.obscuration = o }
            d.smoke = d.flag || (d.obscuration ?? 0) >= smokeLevel[slot]
            if t.temperatureC != nil {
                let m = heat[slot].met(windows[slot])
                d.heat = m != nil
                d.rate = m?.rate
                d.temperature = windows[slot].latest
            }
            if let co = t.coPpm { d.coPpm = co; d.co = co >= coLevel[slot] }
            d.ts = reading.ts
            det[slot] = d
            let changed = before.smoke != d.smoke || before.heatNow != d.heatNow || before.coNow != d.coNow
            guard changed else { return }
            // Re-evaluate this detector's unit and every unit it neighbours.
            var keys: [AlarmKey] = []
            keys.append(fireKey[slot])
            for j in neighbours[slot] where !keys.contains(fireKey[j]) { keys.append(fireKey[j]) }
            keys.sort()
            for k in keys { evaluate(k, at: reading.ts, into: &out) }
        default:
            return
        }
    }

    private mutating func evaluate(_ key: AlarmKey, at ts: Int64, into out: inout [Condition]) {
        var trigger: String? = nil
        var involved: [Int] = []
        for i in members[key] ?? [] {
            let d = det[i]
            if d.smoke && (d.heatNow || d.coNow) {
                trigger = d.heatNow ? "smoke_with_heat" : "smoke_with_co"
                involved = [i]
                break
            }
            if d.inAlarm, trigger == nil {
                let others = neighbours[i].filter { det[$0].inAlarm }
                if let first = others.first {
                    trigger = "two_detectors"
                    involved = [i, first]
                }
            }
        }
        if let trigger {
            guard !asserted.contains(key) else { return }
            asserted.insert(key)
            var ev = Evidence(rule: Self.id, trigger: trigger)
            var dets: [JSONValue] = []
            for i in involved {
                let d = det[i]
                let dev = devices[subset.slot(i)]
                var m: [(String, JSONValue)] = [("device", .string(dev.id))]
                if let u = dev.unit { m.append(("unit", .string(u))) }
                m.append(("smoke", .bool(d.smoke)))
                if d.flag { m.append(("detector_alarm", .bool(true))) }
                if d.heatFlag == true { m.append(("detector_heat_alarm", .bool(true))) }
                if d.coFlag == true { m.append(("detector_co_alarm", .bool(true))) }
                if let o = d.obscuration { m.append(("smoke_obscuration_pct_per_m", .number(o))) }
                if let t = d.temperature { m.append(("temperature_c", .number(t))) }
                if let r = d.rate { m.append(("rise_c_per_min", .number((r * 100).rounded() / 100))) }
                if let c = d.coPpm { m.append(("co_ppm", .number(c))) }
                m.append(("heat_criterion", .bool(d.heat)))
                m.append(("reading_ts", JSONValue(d.ts)))
                dets.append(.object(m))
            }
            ev.add("detectors", .array(dets))
            if let i = involved.first {
                ev.add("alarm_obscuration_pct_per_m", smokeLevel[i])
                ev.add("fixed_temperature_c", heat[i].fixed)
                ev.add("co_ppm_level", coLevel[i])
            }
            out.append(.active(key, .critical, at: ts, evidence: ev.json, clearHoldMs: holdMs))
        } else if asserted.contains(key) {
            // Normal only when every detector of the unit is out of alarm.
            let allNormal = (members[key] ?? []).allSatisfy { !det[$0].inAlarm && !det[$0].coNow }
            if allNormal {
                asserted.remove(key)
                out.append(.normal(key, at: ts, clearHoldMs: holdMs))
            }
        }
    }
}

extension FireRule: PersistentRule {
    /// The detector's last verdicts (smoke, heat, CO) and its temperature window.
    struct DeviceState: Sendable, Codable {
        var det: Det
        var window: SampleWindow
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return det[slot].ts == .min && windows[slot].isEmpty && det[slot].testUntil == .min ? nil : DeviceState(det: det[slot], window: windows[slot])
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        det[slot] = s.det
        windows[slot] = s.window
    }
}
