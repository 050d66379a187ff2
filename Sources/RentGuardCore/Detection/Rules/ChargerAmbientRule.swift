/// The charging cabinet's ambient temperature (`ambient_c`): `charger_overheat` for the
/// station as a whole (no port). Minor at `warn_ambient_c`, major at `alarm_ambient_c`.
public struct ChargerAmbientRule: DetectionRule {
    public static let id = "charger_ambient"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let warnAmbient = RuleParameter(
        "warn_ambient_c", 45, unit: "°C",
        source: "assumed: typical upper operating ambient of e-bike charging equipment (40–45 °C)",
        "Cabinet temperature that raises a warning (minor).")
    public static let alarmAmbient = RuleParameter(
        "alarm_ambient_c", 60, unit: "°C",
        source: "assumed: no charging equipment is rated for a 60 °C ambient; a fire in or near the cabinet",
        "Cabinet temperature that raises an alarm (major).")
    public static let clearBelow = RuleParameter(
        "clear_below_c", 40, unit: "°C",
        source: "assumed: 5 °C hysteresis under the warning level",
        "Cabinet temperature under which readings count as normal.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five report intervals",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [warnAmbient, alarmAmbient, clearBelow, clearHold]

    private let warn: [Double]
    private let alarm: [Double]
    private let clear: [Double]
    private let holdMs: [Int64]
    private var severity: [Severity?]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        warn = subset.map(config) { thresholds.value(Self.id, Self.warnAmbient, device: $0.id) }
        alarm = subset.map(config) { thresholds.value(Self.id, Self.alarmAmbient, device: $0.id) }
        clear = subset.map(config) { thresholds.value(Self.id, Self.clearBelow, device: $0.id) }
        holdMs = subset.map(config) { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        severity = Array(repeating: nil, count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .chargerOverheat, alarm.key.port == nil, let slot { severity[slot] = alarm.severity }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.charger(c)) = reading.observation, let a = c.ambientC else { return }
        let key = AlarmKey(type: .chargerOverheat, device: device.id, unit: device.unit)
        let sev: Severity? = a >= alarm[slot] ? .major : (a >= warn[slot] ? .minor : nil)
        if let sev {
            guard severity[slot] == nil || severity[slot]! < sev else { return }
            severity[slot] = sev
            var ev = Evidence(rule: Self.id, trigger: sev == .major ? "ambient_alarm" : "ambient_warning")
            ev.add("ambient_c", a)
            ev.add("warn_ambient_c", warn[slot])
            ev.add("alarm_ambient_c", alarm[slot])
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, sev, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        } else if severity[slot] != nil, a < clear[slot] {
            severity[slot] = nil
            out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
        }
    }
}
