/// A charger hazard with smoke or heat at a detector near the station: `fire` (critical, at once).
///
/// The charger side counts when any port's plug is at or over `hazard_temperature_c`, or
/// rising at `hazard_rise_c_per_min` or more, or the cabinet is at or over the ambient
/// alarm level. The detector side counts when a detector listed in the charger's `near`
/// (or listing the charger in its own `near`) reports its own smoke or heat decision (outside a test),
/// obscuration at or over the smoke alarm level, or heat (the heat rule's fixed level, or
/// a rise at its fast rate). The fire is keyed to the charger (`fire:<charger>`).
public struct ChargerFireRule: DetectionRule {
    public static let id = "charger_fire"
    public static let deviceKinds: [DeviceKind] = [.charger, .smokeDetector]

    public static let hazardTemperature = RuleParameter(
        "hazard_temperature_c", 55, unit: "°C",
        source: "assumed: the charger_overheat warning level",
        "Plug temperature from which a charger counts as a hazard.")
    public static let hazardRise = RuleParameter(
        "hazard_rise_c_per_min", 5, unit: "°C/min",
        source: "assumed: the thermal-runaway precursor rise",
        "Plug temperature rise (between two readings) from which a charger counts as a hazard.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five report intervals, as the fire rule",
        "How long both sides must stay normal before fire clears.")

    public static let parameters = [hazardTemperature, hazardRise, clearHold]

    struct Charger: Sendable {
        var hazard = false
        var maxTemp: Double? = nil, ambient: Double? = nil
        var hotPort: Int? = nil
        var lastTemps: [Int: (ts: Int64, t: Double)] = [:]
    }
    struct Det: Sendable {
        var rises = false
        var obscuration: Double? = nil, temperature: Double? = nil, flag = false
        var lastTemp: (ts: Int64, t: Double)? = nil
        var testUntil: Int64 = .min
        var ts: Int64 = .min
    }

    /// The building's devices (the configuration's array, shared); indexed by slot.
    private let devices: [DeviceConfig]
    /// The chargers and detectors: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset
    /// Charger → near detectors; detector → chargers it is near (dense indices).
    private let nearDetectors: [[Int]]
    private let nearChargers: [[Int]]
    private let hazardT: [Double]
    private let hazardRise: [Double]
    private let ambientAlarm: [Double]
    private let smokeLevel: [Double]
    private let heatFixed: [Double]
    private let heatFast: [Double]
    private let testMs: [Int64]
    private let holdMs: [Int64]
    private var chargers: [Charger]
    private var dets: [Det]
    private var asserted: [Bool]

    public init(config: BuildingConfig, thresholds: Thresholds) {
        devices = config.devices
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        var byID: [String: Int] = [:]
        for (i, d) in config.devices.enumerated() where byID[d.id] == nil { byID[d.id] = i }
        var nd = Array(repeating: Set<Int>(), count: subset.count)
        for (slot, d) in config.devices.enumerated() {
            guard let i = subset.index(ofSlot: slot) else { continue }
            for n in d.near {
                guard let js = byID[n], let j = subset.index(ofSlot: js) else { continue }
                if d.kind == .charger, config.devices[js].kind == .smokeDetector { nd[i].insert(j) }
                if d.kind == .smokeDetector, config.devices[js].kind == .charger { nd[j].insert(i) }
            }
        }
        nearDetectors = nd.map { $0.sorted() }
        var nc = Array(repeating: [Int](), count: subset.count)
        for (c, ds) in nearDetectors.enumerated() { for d in ds { nc[d].append(c) } }
        nearChargers = nc
        hazardT = subset.map(config) { thresholds.value(Self.id, Self.hazardTemperature, device: $0.id) }
        hazardRise = subset.map(config) { thresholds.value(Self.id, Self.hazardRise, device: $0.id) }
        ambientAlarm = subset.map(config) { thresholds.value(ChargerAmbientRule.id, ChargerAmbientRule.alarmAmbient, device: $0.id) }
        smokeLevel = subset.map(config) { thresholds.value(SmokeRule.id, SmokeRule.alarmObscuration, device: $0.id) }
        heatFixed = subset.map(config) { thresholds.value(HeatRule.id, HeatRule.fixedTemperature, device: $0.id) }
        heatFast = subset.map(config) { thresholds.value(HeatRule.id, HeatRule.fastRise, device: $0.id) }
        testMs = subset.map(config) { thresholds.ms(SmokeRule.id, SmokeRule.testWindow, device: $0.id) }
        holdMs = subset.map(config) { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        chargers = Array(repeating: Charger(), count: subset.count)
        dets = Array(repeating: Det(), count: subset.count)
        asserted = Array(repeating: false, count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .fire, let slot, devices[slot].kind == .charger, let i = subset.index(ofSlot: slot) { asserted[i] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        switch reading.observation {
        case let .event(e) where e.name == .test && device.kind == .smokeDetector:
            dets[slot].testUntil = max(dets[slot].testUntil, reading.ts + testMs[slot])
        case let .telemetry(.charger(c)):
            guard isLatest, !nearDetectors[slot].isEmpty else { return }
            // Moved out (not copied), so that `lastTemps` stays uniquely referenced and is
            // updated in place: a copy would duplicate the dictionary on every reading.
            var ch = Charger()
            swap(&ch, &chargers[slot])
            var hazard = false
            ch.maxTemp = nil
            ch.hotPort = nil
            for p in c.ports {
                guard let t = p.temperatureC else { continue }
                var rise = 0.0
                if let prev = ch.lastTemps[p.port], reading.ts - prev.ts >= 1000 {
                    rise = (t - prev.t) / (Double(reading.ts - prev.ts) / 60_000)
                }
                ch.lastTemps[p.port] = (reading.ts, t)
                if t >= hazardT[slot] || rise >= hazardRise[slot] {
                    hazard = true
                    if ch.maxTemp == nil || t > ch.maxTemp! { ch.maxTemp = t; ch.hotPort = p.port }
                }
            }
            ch.ambient = c.ambientC
            if let a = c.ambientC, a >= ambientAlarm[slot] { hazard = true }
            ch.hazard = hazard
            chargers[slot] = ch
            evaluate(slot, at: reading.ts, into: &out)
        case let .telemetry(.smoke(t)):
            guard isLatest, !nearChargers[slot].isEmpty else { return }
            var d = dets[slot]
            let testing = reading.ts <= d.testUntil
            // The detector's own smoke or heat decision (a CO decision alone is not smoke or heat).
            let smokeOrHeat = [t.decision(.smoke), t.decision(.heat)].compactMap { $0 }
            if !smokeOrHeat.isEmpty { d.flag = smokeOrHeat.contains(true) && !testing }
            if let o = t.obscurationPctPerM { d.obscuration = o }
            var fastRise = false
            if let temp = t.temperatureC {
                if let prev = d.lastTemp, reading.ts - prev.ts >= 1000 {
                    fastRise = (temp - prev.t) / (Double(reading.ts - prev.ts) / 60_000) >= heatFast[slot]
                }
                d.lastTemp = (reading.ts, temp)
                d.temperature = temp
            }
            let before = d.rises
            d.rises = d.flag || (d.obscuration ?? 0) >= smokeLevel[slot] || (d.temperature ?? -.infinity) >= heatFixed[slot] || fastRise
            d.ts = reading.ts
            dets[slot] = d
            if before != d.rises { for c in nearChargers[slot] { evaluate(c, at: reading.ts, into: &out) } }
        default:
            return
        }
    }

    private mutating func evaluate(_ c: Int, at ts: Int64, into out: inout [Condition]) {
        let risen = nearDetectors[c].filter { dets[$0].rises }
        let d = devices[subset.slot(c)]
        let key = AlarmKey(type: .fire, device: d.id, unit: d.unit)
        if chargers[c].hazard, let first = risen.first {
            guard !asserted[c] else { return }
            asserted[c] = true
            let ch = chargers[c], det = dets[first]
            var ev = Evidence(rule: Self.id, trigger: "charger_hazard_with_near_detector")
            ev.add("charger", d.id)
            if let p = ch.hotPort { ev.add("port", p) }
            ev.add("port_temperature_c", ch.maxTemp)
            ev.add("ambient_c", ch.ambient)
            ev.add("detector", devices[subset.slot(first)].id)
            ev.add("detector_alarm", det.flag)
            ev.add("smoke_obscuration_pct_per_m", det.obscuration)
            ev.add("detector_temperature_c", det.temperature)
            ev.add("hazard_temperature_c", hazardT[c])
            ev.add("reading_ts", ts)
            let cmd = d.allows("port_off") && ch.hotPort != nil
                ? ConditionCommand(device: d.id, command: "port_off", port: ch.hotPort, reason: "fire") : nil
            out.append(.active(key, .critical, at: ts, evidence: ev.json, clearHoldMs: holdMs[c], command: cmd))
        } else if asserted[c], !chargers[c].hazard, risen.isEmpty {
            asserted[c] = false
            out.append(.normal(key, at: ts, clearHoldMs: holdMs[c]))
        }
    }
}
