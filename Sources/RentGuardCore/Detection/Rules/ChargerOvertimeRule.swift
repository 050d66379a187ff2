/// A charging session that goes on too long.
///
/// A session starts with a `session_start` event for the port, or with the first reading
/// in which the port is `charging`; it ends with `session_end` or when the port is `idle`.
/// At `warn_h` (8 h) `charger_overtime` is raised (minor); at `cut_h` (12 h) it escalates
/// (major) and, where the configuration allows `port_off`, the port is switched off.
public struct ChargerOvertimeRule: DetectionRule {
    public static let id = "charger_overtime"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let warnHours = RuleParameter(
        "warn_h", 8, unit: "h",
        source: "Beijing group standard (2021): one charge no more than 8 h (domain.md)",
        "Session length that raises a warning.")
    public static let cutHours = RuleParameter(
        "cut_h", 12, unit: "h",
        source: "field practice in public charging-pile code: sessions capped at 12 h (domain.md)",
        "Session length at which the port is cut.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 0, unit: "s",
        source: "assumed: the session's end is definite",
        "How long after the session's end the alarm clears.")

    public static let parameters = [warnHours, cutHours, clearHold]

    struct Port: Sendable, Codable {
        var start: Int64? = nil
        var severity: Severity? = nil
    }

    private let warnMs: [Int64]
    private let cutMs: [Int64]
    private let holdMs: [Int64]
    private let portOff: [Bool]
    private var ports: PortTable<Port>

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        warnMs = subset.map(config) { Int64(thresholds.value(Self.id, Self.warnHours, device: $0.id) * 3_600_000) }
        cutMs = subset.map(config) { Int64(thresholds.value(Self.id, Self.cutHours, device: $0.id) * 3_600_000) }
        holdMs = subset.map(config) { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        portOff = subset.map(config) { $0.allows("port_off") }
        ports = PortTable(slots: subset.count) { Port() }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .chargerOvertime, let slot, let port = alarm.key.port else { return }
        ports[slot, port].severity = alarm.severity
        ports[slot, port].start = alarm.evidence["session_start"]?.doubleValue.flatMap { Int64(exactly: $0.rounded()) } ?? alarm.startedAt
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        switch reading.observation {
        case let .event(e):
            guard let port = e.port else { return }
            if e.name == .sessionStart {
                ports[slot, port].start = reading.ts
            } else if e.name == .sessionEnd {
                end(device, slot, port, at: reading.ts, into: &out)
            }
        case let .telemetry(.charger(c)):
            guard isLatest else { return }
            for r in c.ports {
                switch r.state {
                case .idle:
                    end(device, slot, r.port, at: reading.ts, into: &out)
                case .charging, .full, .fault:
                    var st = ports[slot, r.port]
                    if st.start == nil {
                        guard r.state == .charging else { continue }
                        st.start = reading.ts
                    }
                    let elapsed = reading.ts - st.start!
                    var sev: Severity? = nil
                    if elapsed >= cutMs[slot] { sev = .major } else if elapsed >= warnMs[slot] { sev = .minor }
                    if let sev, st.severity == nil || st.severity! < sev {
                        st.severity = sev
                        var ev = Evidence(rule: Self.id, trigger: sev == .major ? "cut_limit" : "warn_limit")
                        ev.add("port", r.port)
                        ev.add("state", r.state.rawValue)
                        ev.add("session_start", st.start!)
                        ev.add("elapsed_h", (Double(elapsed) / 36_000).rounded() / 100)
                        ev.add("warn_h", Double(warnMs[slot]) / 3_600_000)
                        ev.add("cut_h", Double(cutMs[slot]) / 3_600_000)
                        ev.add("energy_wh", r.energyWh)
                        ev.add("reading_ts", reading.ts)
                        let cmd = sev == .major && portOff[slot]
                            ? ConditionCommand(device: device.id, command: "port_off", port: r.port, reason: "charger_overtime") : nil
                        out.append(.active(key(device, r.port), sev, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot], command: cmd))
                    }
                    ports[slot, r.port] = st
                }
            }
        default:
            return
        }
    }

    private mutating func end(_ device: DeviceConfig, _ slot: Int, _ port: Int, at ts: Int64, into out: inout [Condition]) {
        var st = ports[slot, port]
        guard st.start != nil || st.severity != nil else { return }
        st.start = nil
        if st.severity != nil {
            st.severity = nil
            out.append(.normal(key(device, port), at: ts, clearHoldMs: holdMs[slot]))
        }
        ports[slot, port] = st
    }

    private func key(_ d: DeviceConfig, _ port: Int) -> AlarmKey {
        AlarmKey(type: .chargerOvertime, device: d.id, port: port, unit: d.unit)
    }
}

extension ChargerOvertimeRule: PersistentRule {
    /// Per port: when its charging session started.
    func deviceState(slot: Int) -> [Port]? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return ports.row(slot).isEmpty ? nil : ports.row(slot)
    }

    mutating func restoreDeviceState(_ s: [Port], slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        ports.setRow(slot, s.map { var p = $0; p.severity = nil; return p })  // severity: from the active alarms
    }
}
