/// The station's total port power against its cap (`station_power_cap_w`).
/// Over `warn_fraction` of the cap (no new sessions in field practice): warning; over the cap: major.
public struct StationOverloadRule: DetectionRule {
    public static let id = "station_overload"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let defaultCap = RuleParameter(
        "default_station_power_cap_w", 8700, unit: "W",
        source: "field practice in charging-pile code: station cap about 8.7 kW (domain.md)",
        "Station cap used when the device has no station_power_cap_w.")
    public static let warnFraction = RuleParameter(
        "warn_fraction", 0.9, unit: "× cap",
        source: "field practice: no new sessions above 7.8 kW of an 8.7 kW cap ≈ 0.9 (domain.md)",
        "Share of the cap that raises a warning.")
    public static let clearFraction = RuleParameter(
        "clear_fraction", 0.85, unit: "× cap",
        source: "assumed: hysteresis under the warning level",
        "Share of the cap under which the alarm may clear.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 60, unit: "s",
        source: "assumed: one report interval",
        "How long the total must stay under the clear level before the alarm clears.")

    public static let parameters = [defaultCap, warnFraction, clearFraction, clearHold]

    private let cap: [Double]
    private let warn: [Double]
    private let clear: [Double]
    private let holdMs: [Int64]
    private var severity: [Severity?]

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        cap = subset.map(config) { $0.stationPowerCapW ?? thresholds.value(Self.id, Self.defaultCap, device: $0.id) }
        warn = subset.map(config) { thresholds.value(Self.id, Self.warnFraction, device: $0.id) }
        clear = subset.map(config) { thresholds.value(Self.id, Self.clearFraction, device: $0.id) }
        holdMs = subset.map(config) { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        severity = Array(repeating: nil, count: subset.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .stationOverload, let slot { severity[slot] = alarm.severity }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.charger(c)) = reading.observation else { return }
        var total = 0.0
        for p in c.ports { total += p.powerW ?? p.currentA.map { $0 * (p.voltageV ?? 48) } ?? 0 }
        let cap = self.cap[slot]
        let key = AlarmKey(type: .stationOverload, device: device.id, unit: device.unit)
        let sev: Severity? = total > cap ? .major : (total > warn[slot] * cap ? .warning : nil)
        if let sev {
            guard severity[slot] == nil || severity[slot]! < sev else { return }
            severity[slot] = sev
            var ev = Evidence(rule: Self.id, trigger: sev == .major ? "over_cap" : "near_cap")
            ev.add("total_power_w", total)
            ev.add("station_power_cap_w", cap)
            ev.add("warn_fraction", warn[slot])
            ev.add("ports", c.ports.count)
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, sev, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        } else if severity[slot] != nil, total < clear[slot] * cap {
            severity[slot] = nil
            out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
        }
    }
}
