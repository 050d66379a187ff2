/// Battery thermal runaway at a charger port (critical; `port_off` where allowed).
///
/// - The GB 38031-2020 Annex A signature: the temperature rises at ≥ `runaway_rate_c_per_s`
///   (1 °C/s) between every pair of samples for ≥ `runaway_duration_s` (3 s), together with
///   a voltage drop of more than `voltage_drop_pct` (25 %) from the port's recent maximum or
///   the temperature reaching `max_temperature_c`.
/// - Precursors, as early as port telemetry allows (GB 38031-2025 wants a warning within
///   5 min; off-gas comes minutes before heat but ports carry no gas sensor): while
///   charging or full, a rise of `precursor_rise_c_per_min` or more over at least
///   `precursor_window_s` with the plug at or over `precursor_min_c`; or a voltage sag of
///   `precursor_voltage_drop_pct` from the recent maximum while the temperature rises.
/// Both are critical: a precursor is raised at once and the signature updates it.
/// Samples are kept in event-time order (late readings within the bound are inserted).
public struct ChargerThermalRunawayRule: DetectionRule {
    public static let id = "charger_thermal_runaway"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let runawayRate = RuleParameter(
        "runaway_rate_c_per_s", 1, unit: "°C/s",
        source: "GB 38031-2020 App. A: temperature rise ≥ 1 °C/s (domain.md)",
        "Rise rate of the thermal-runaway signature.")
    public static let runawayDuration = RuleParameter(
        "runaway_duration_s", 3, unit: "s",
        source: "GB 38031-2020 App. A: for ≥ 3 s (domain.md)",
        "How long the rise must last.")
    public static let voltageDrop = RuleParameter(
        "voltage_drop_pct", 25, unit: "%",
        source: "GB 38031-2020 App. A: voltage drop > 25 % (domain.md)",
        "Voltage drop from the recent maximum that, with the rise, is runaway.")
    public static let maxTemperature = RuleParameter(
        "max_temperature_c", 80, unit: "°C",
        source: "assumed: GB 38031 uses the maker's maximum operating temperature; 80 °C is above any Li-ion charging limit",
        "Temperature that, with the rise, is runaway.")
    public static let precursorRise = RuleParameter(
        "precursor_rise_c_per_min", 5, unit: "°C/min",
        source: "assumed: 2.5 × the plug over-temperature rise limit; a healthy charge warms by a few °C per hour",
        "Sustained rise while charging that is a runaway precursor.")
    public static let precursorWindow = RuleParameter(
        "precursor_window_s", 60, unit: "s",
        source: "assumed: one report interval; GB 38031-2025 wants a warning within 5 min (domain.md)",
        "Shortest span the precursor rise is measured over.")
    public static let precursorMinTemperature = RuleParameter(
        "precursor_min_c", 45, unit: "°C",
        source: "assumed: above ambient plus normal charging self-heating",
        "Plug temperature from which a fast rise is a precursor.")
    public static let precursorVoltageDrop = RuleParameter(
        "precursor_voltage_drop_pct", 10, unit: "%",
        source: "assumed: an internal short sags the pack voltage before the heat shows",
        "Voltage sag from the recent maximum that, with a rising temperature, is a precursor.")
    public static let clearBelow = RuleParameter(
        "clear_below_c", 45, unit: "°C",
        source: "assumed: the precursor level",
        "Temperature under which (not rising) readings count as normal.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 900, unit: "s",
        source: "assumed: a cell that vented can reignite; 15 min of normal readings",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [runawayRate, runawayDuration, voltageDrop, maxTemperature, precursorRise, precursorWindow,
                                    precursorMinTemperature, precursorVoltageDrop, clearBelow, clearHold]

    struct Params: Sendable {
        var rate = 1.0, durationMs: Int64 = 3000, drop = 0.25, maxT = 80.0
        var preRise = 5.0, preWindowMs: Int64 = 60_000, preMin = 45.0, preDrop = 0.10
        var clear = 45.0, holdMs: Int64 = 900_000
        var portOff = false
    }
    struct Port: Sendable, Codable {
        var stage: UInt8 = 0  // 0 none, 1 precursor, 2 signature
        var temps = SampleWindow(maxCount: 48)
        var volts = SampleWindow(maxCount: 48)
    }

    private let params: [Params]
    private var ports: PortTable<Port>
    /// Voltage reference: the maximum over this window.
    private static let voltageWindowMs: Int64 = 600_000

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        params = subset.map(config) { d in
            var p = Params()
            p.rate = thresholds.value(Self.id, Self.runawayRate, device: d.id)
            p.durationMs = thresholds.ms(Self.id, Self.runawayDuration, device: d.id)
            p.drop = thresholds.value(Self.id, Self.voltageDrop, device: d.id) / 100
            p.maxT = thresholds.value(Self.id, Self.maxTemperature, device: d.id)
            p.preRise = thresholds.value(Self.id, Self.precursorRise, device: d.id)
            p.preWindowMs = thresholds.ms(Self.id, Self.precursorWindow, device: d.id)
            p.preMin = thresholds.value(Self.id, Self.precursorMinTemperature, device: d.id)
            p.preDrop = thresholds.value(Self.id, Self.precursorVoltageDrop, device: d.id) / 100
            p.clear = thresholds.value(Self.id, Self.clearBelow, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.portOff = d.allows("port_off")
            return p
        }
        ports = PortTable(slots: subset.count) { Port() }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .chargerThermalRunaway, let slot, let port = alarm.key.port else { return }
        ports[slot, port].stage = 1
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard case let .telemetry(.charger(c)) = reading.observation else { return }
        let p = params[slot]
        for r in c.ports {
            guard let temp = r.temperatureC else { continue }
            let k = key(device, r.port)
            let cond: Condition? = ports.update(slot: slot, port: r.port) { st in
                st.temps.insert(reading.ts, temp, keepMs: max(p.preWindowMs * 3, 30_000))
                if let v = r.voltageV { st.volts.insert(reading.ts, v, keepMs: Self.voltageWindowMs) }
                guard let t = st.temps.latest else { return nil }
                let vMax = st.volts.max(since: (st.volts.latestTs ?? 0) - Self.voltageWindowMs)
                let vNow = st.volts.latest
                let dropFrac: Double? = (vMax != nil && vNow != nil && vMax! > 0) ? (vMax! - vNow!) / vMax! : nil
                let sustained = st.temps.sustainedRiseMs(minRatePerSecond: p.rate)
                let ratePerMin = (st.temps.ratePerSecond(windowMs: p.preWindowMs * 3, minSpanMs: p.preWindowMs) ?? 0) * 60
                let active = r.state == .charging || r.state == .full || (r.currentA ?? 0) > 0.05
                var trigger: String? = nil
                var stage: UInt8 = 0
                if sustained >= p.durationMs && ((dropFrac ?? 0) > p.drop || t >= p.maxT) {
                    trigger = "gb38031_signature"; stage = 2
                } else if active && ratePerMin >= p.preRise && t >= p.preMin {
                    trigger = "precursor_temperature_rise"; stage = 1
                } else if active && (dropFrac ?? 0) >= p.preDrop && ratePerMin >= p.preRise / 5 && t >= p.preMin - 10 {
                    trigger = "precursor_voltage_sag"; stage = 1
                }
                if let trigger {
                    guard stage > st.stage else { return nil }
                    let first = st.stage == 0
                    st.stage = stage
                    var ev = Evidence(rule: Self.id, trigger: trigger)
                    ev.add("port", r.port)
                    ev.add("state", r.state.rawValue)
                    ev.add("temperature_c", t)
                    ev.add("rise_c_per_min", (ratePerMin * 100).rounded() / 100)
                    ev.add("sustained_rise_s", Double(sustained) / 1000)
                    ev.add("voltage_v", vNow)
                    ev.add("recent_max_voltage_v", vMax)
                    if let d = dropFrac { ev.add("voltage_drop_pct", (d * 1000).rounded() / 10) }
                    ev.add("current_a", r.currentA)
                    ev.add("runaway_rate_c_per_s", p.rate)
                    ev.add("max_temperature_c", p.maxT)
                    ev.add("reading_ts", reading.ts)
                    // The command goes with the first raise; the signature after a precursor updates the alarm.
                    let cmd = first && p.portOff
                        ? ConditionCommand(device: device.id, command: "port_off", port: r.port, reason: "charger_thermal_runaway") : nil
                    return .active(k, .critical, at: reading.ts, evidence: ev.json, clearHoldMs: p.holdMs, command: cmd)
                }
                if st.stage > 0, isLatest, t < p.clear, ratePerMin < p.preRise / 5 {
                    st.stage = 0
                    return .normal(k, at: reading.ts, clearHoldMs: p.holdMs)
                }
                return nil
            } ?? nil
            if let cond { out.append(cond) }
        }
    }

    private func key(_ d: DeviceConfig, _ port: Int) -> AlarmKey {
        AlarmKey(type: .chargerThermalRunaway, device: d.id, port: port, unit: d.unit)
    }
}

extension ChargerThermalRunawayRule: PersistentRule {
    /// Per port: the recent temperatures and voltages.
    func deviceState(slot: Int) -> [Port]? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return ports.row(slot).isEmpty ? nil : ports.row(slot)
    }

    mutating func restoreDeviceState(_ s: [Port], slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        ports.setRow(slot, s.map { var p = $0; p.stage = 0; return p })  // stage: from the active alarms
    }
}
