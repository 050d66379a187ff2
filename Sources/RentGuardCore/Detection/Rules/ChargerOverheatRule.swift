/// Plug / socket over-temperature at a charger port, and its rate of rise while charging.
///
/// - `temperature_c` ≥ `stop_temperature_c` (65 °C): critical; field practice stops
///   charging there, so where the configuration allows `port_off` the port is switched off.
/// - ≥ `warn_temperature_c`: minor.
/// - While the port is `charging`, a rise of `rise_c_per_min` or more over `rise_window_s`: major.
/// Clears when the plug is under `clear_below_c` and no longer rising, after the hold.
/// Samples are kept in event-time order (late readings within the bound are inserted).
public struct ChargerOverheatRule: DetectionRule {
    public static let id = "charger_overheat"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let stopTemperature = RuleParameter(
        "stop_temperature_c", 65, unit: "°C",
        source: "field practice in public charging-pile code: port temperature above 65 °C stops charging (domain.md)",
        "Plug temperature at which charging must stop (critical, port_off).")
    public static let warnTemperature = RuleParameter(
        "warn_temperature_c", 55, unit: "°C",
        source: "assumed: 10 °C of warning under the stop level",
        "Plug temperature that raises a warning (minor).")
    public static let riseRate = RuleParameter(
        "rise_c_per_min", 2, unit: "°C/min",
        source: "assumed: a healthy plug warms by a few °C over a whole charge; 2 °C/min sustained is a bad contact",
        "Rise of the plug temperature while charging that is an alarm (major).")
    public static let riseWindow = RuleParameter(
        "rise_window_s", 300, unit: "s",
        source: "assumed: five report intervals, to ignore single-sample noise",
        "Window over which the rise is measured.")
    public static let clearBelow = RuleParameter(
        "clear_below_c", 50, unit: "°C",
        source: "assumed: 5 °C under the warning level, for hysteresis",
        "Plug temperature under which readings count as normal.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five report intervals",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [stopTemperature, warnTemperature, riseRate, riseWindow, clearBelow, clearHold]

    struct Params: Sendable {
        var stop = 65.0, warn = 55.0, rise = 2.0, clear = 50.0
        var windowMs: Int64 = 300_000, holdMs: Int64 = 300_000
        var portOff = false
    }
    struct Port: Sendable, Codable {
        var severity: Severity? = nil
        var window = SampleWindow(maxCount: 24)
    }

    private let params: [Params]
    private var ports: PortTable<Port>

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            p.stop = thresholds.value(Self.id, Self.stopTemperature, device: d.id)
            p.warn = thresholds.value(Self.id, Self.warnTemperature, device: d.id)
            p.rise = thresholds.value(Self.id, Self.riseRate, device: d.id)
            p.clear = thresholds.value(Self.id, Self.clearBelow, device: d.id)
            p.windowMs = thresholds.ms(Self.id, Self.riseWindow, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.portOff = d.allows("port_off")
            return p
        }
        ports = PortTable(slots: subset.count) { Port() }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .chargerOverheat, let slot, let port = alarm.key.port else { return }
        ports[slot, port].severity = alarm.severity
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard case let .telemetry(.charger(c)) = reading.observation else { return }
        let p = params[slot]
        for r in c.ports {
            guard let temp = r.temperatureC else { continue }
            let k = key(device, r.port)
            let cond: Condition? = ports.update(slot: slot, port: r.port) { st in
                st.window.insert(reading.ts, temp, keepMs: p.windowMs)
                guard let latest = st.window.latest else { return nil }
                // A rate over at least half the window, so that one noisy pair does not decide.
                let rate = (st.window.ratePerSecond(windowMs: p.windowMs, minSpanMs: p.windowMs / 2) ?? 0) * 60
                var sev: Severity? = nil
                var trigger = ""
                if latest >= p.stop { sev = .critical; trigger = "stop_temperature" }
                else if r.state == .charging && rate >= p.rise { sev = .major; trigger = "rate_of_rise" }
                else if latest >= p.warn { sev = .minor; trigger = "warn_temperature" }
                if let sev {
                    guard st.severity == nil || st.severity! < sev else { return nil }
                    st.severity = sev
                    var ev = Evidence(rule: Self.id, trigger: trigger)
                    ev.add("port", r.port)
                    ev.add("state", r.state.rawValue)
                    ev.add("temperature_c", latest)
                    ev.add("rise_c_per_min", (rate * 100).rounded() / 100)
                    ev.add("current_a", r.currentA)
                    ev.add("stop_temperature_c", p.stop)
                    ev.add("warn_temperature_c", p.warn)
                    ev.add("rise_limit_c_per_min", p.rise)
                    ev.add("reading_ts", reading.ts)
                    let cmd = sev == .critical && p.portOff
                        ? ConditionCommand(device: device.id, command: "port_off", port: r.port, reason: "charger_overheat") : nil
                    return .active(k, sev, at: reading.ts, evidence: ev.json, clearHoldMs: p.holdMs, command: cmd)
                }
                if st.severity != nil, isLatest, latest < p.clear, rate < p.rise / 2 {
                    st.severity = nil
                    return .normal(k, at: reading.ts, clearHoldMs: p.holdMs)
                }
                return nil
            } ?? nil
            if let cond { out.append(cond) }
        }
    }

    private func key(_ d: DeviceConfig, _ port: Int) -> AlarmKey {
        AlarmKey(type: .chargerOverheat, device: d.id, port: port, unit: d.unit)
    }
}

extension ChargerOverheatRule: PersistentRule {
    /// Per port: the recent temperatures (the rise window).
    func deviceState(slot: Int) -> [Port]? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return ports.row(slot).isEmpty ? nil : ports.row(slot)
    }

    mutating func restoreDeviceState(_ s: [Port], slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        ports.setRow(slot, s.map { var p = $0; p.severity = nil; return p })  // severity: from the active alarms
    }
}
