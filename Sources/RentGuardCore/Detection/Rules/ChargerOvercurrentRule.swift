/// Overcurrent at a charger port against the port's rating (`rated_port_current_a`).
///
/// Current over `overcurrent_factor` × rating (or power over `fault_power_w`) must persist
/// for `persistence_s` — a charger's inrush is not an alarm — then `charger_overcurrent`
/// is raised (major). Over `critical_factor` × rating it is critical and, where the
/// configuration allows `port_off`, the port is switched off. Each reading's value is held
/// until the next, and the decision is stamped when the persistence runs out.
public struct ChargerOvercurrentRule: DetectionRule {
    public static let id = "charger_overcurrent"
    public static let deviceKinds: [DeviceKind] = [.charger]
    public static let usesTicks = true

    public static let defaultRating = RuleParameter(
        "default_rated_port_current_a", 5.5, unit: "A",
        source: "field practice in public charging-pile code: per-port cap 5–5.5 A (domain.md)",
        "Port rating used when the device has no rated_port_current_a.")
    public static let overcurrentFactor = RuleParameter(
        "overcurrent_factor", 1.0, unit: "× rating",
        source: "field practice: the per-port cap is the limit (domain.md)",
        "Current over this multiple of the rating is overcurrent.")
    public static let criticalFactor = RuleParameter(
        "critical_factor", 1.5, unit: "× rating",
        source: "assumed: half again over the cap is a fault, not a heavy pack",
        "Current over this multiple of the rating is critical (port_off).")
    public static let faultPower = RuleParameter(
        "fault_power_w", 1100, unit: "W",
        source: "field practice in charging-pile code: readings over 1,100 W treated as faulty (domain.md)",
        "Port power over this is critical overcurrent.")
    public static let persistence = RuleParameter(
        "persistence_s", 5, unit: "s",
        source: "assumed: charger inrush lasts well under a second to a few seconds",
        "How long the current must stay over before the alarm.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 60, unit: "s",
        source: "assumed: one report interval",
        "How long the current must stay under the limit before the alarm clears.")

    public static let parameters = [defaultRating, overcurrentFactor, criticalFactor, faultPower, persistence, clearHold]

    struct Params: Sendable {
        var limit = 5.5, critical = 8.25, faultW = 1100.0, rated = 5.5
        var persistMs: Int64 = 5000, holdMs: Int64 = 60_000
        var portOff = false
    }
    struct Port: Sendable, Codable {
        var severity: Severity? = nil
        var current = 0.0, power = 0.0
        var pendingCritical = false
    }

    private let params: [Params]
    private let devices: [DeviceConfig]
    private var ports: PortTable<Port>
    private var persist = Persistence()

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        devices = config.devices
        params = subset.map(config) { d in
            var p = Params()
            p.rated = d.ratedPortCurrentA ?? thresholds.value(Self.id, Self.defaultRating, device: d.id)
            p.limit = p.rated * thresholds.value(Self.id, Self.overcurrentFactor, device: d.id)
            p.critical = p.rated * thresholds.value(Self.id, Self.criticalFactor, device: d.id)
            p.faultW = thresholds.value(Self.id, Self.faultPower, device: d.id)
            p.persistMs = thresholds.ms(Self.id, Self.persistence, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.portOff = d.allows("port_off")
            return p
        }
        ports = PortTable(slots: subset.count) { Port() }
    }

    public var nextDeadline: Int64 { persist.next }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .chargerOvercurrent, let slot, let port = alarm.key.port else { return }
        ports[slot, port].severity = alarm.severity
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.charger(c)) = reading.observation else { return }
        let p = params[slot]
        for r in c.ports {
            let i = r.currentA ?? 0, w = r.powerW ?? 0
            let code = Persistence.code(slot, r.port)
            var st = ports[slot, r.port]
            st.current = i
            st.power = w
            let critical = i > p.critical || w > p.faultW
            if critical || i > p.limit {
                st.pendingCritical = critical
                let sev: Severity = critical ? .critical : .major
                if persist.over(code, at: reading.ts, persistMs: p.persistMs), (st.severity ?? .warning) < sev || st.severity == nil {
                    st.severity = sev
                    out.append(condition(device, slot, r.port, sev, at: reading.ts, st))
                }
            } else {
                persist.reset(code)
                if st.severity != nil, i <= p.limit * 0.95 {
                    st.severity = nil
                    out.append(.normal(key(device, r.port), at: reading.ts, clearHoldMs: p.holdMs))
                }
            }
            ports[slot, r.port] = st
        }
    }

    public mutating func tick(now: Int64, into out: inout [Condition]) {
        let ps = params
        for d in persist.due(now, persistMs: { ps[Persistence.slot($0)].persistMs }) {
            let slot = Persistence.slot(d.code), port = Persistence.port(d.code)
            var st = ports[slot, port]
            let sev: Severity = st.pendingCritical ? .critical : .major
            guard st.severity == nil || st.severity! < sev else { continue }
            st.severity = sev
            ports[slot, port] = st
            out.append(condition(devices[subset.slot(slot)], slot, port, sev, at: d.at, st))
        }
    }

    private func key(_ d: DeviceConfig, _ port: Int) -> AlarmKey {
        AlarmKey(type: .chargerOvercurrent, device: d.id, port: port, unit: d.unit)
    }

    private func condition(_ d: DeviceConfig, _ slot: Int, _ port: Int, _ sev: Severity, at: Int64, _ st: Port) -> Condition {
        let p = params[slot]
        var ev = Evidence(rule: Self.id, trigger: sev == .critical ? "critical_overcurrent" : "overcurrent")
        ev.add("port", port)
        ev.add("current_a", st.current)
        ev.add("power_w", st.power)
        ev.add("rated_port_current_a", p.rated)
        ev.add("limit_a", p.limit)
        ev.add("critical_a", p.critical)
        ev.add("fault_power_w", p.faultW)
        ev.add("persistence_s", Double(p.persistMs) / 1000)
        ev.add("reading_ts", at)
        let cmd = sev == .critical && p.portOff
            ? ConditionCommand(device: d.id, command: "port_off", port: port, reason: "charger_overcurrent") : nil
        return .active(key(d, port), sev, at: at, evidence: ev.json, clearHoldMs: p.holdMs, command: cmd)
    }
}

extension ChargerOvercurrentRule: PersistentRule {
    /// Per port: the last current and power, and since when it has been over the limit.
    struct DeviceState: Sendable, Codable {
        var ports: [Port]
        var overSince: [Int: Int64]
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return ports.row(slot).isEmpty ? nil : DeviceState(ports: ports.row(slot), overSince: persist.entries(slot: slot))
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        ports.setRow(slot, s.ports.map { var p = $0; p.severity = nil; return p })  // severity: from the active alarms
        for (port, since) in s.overSince { persist.restore(Persistence.code(slot, port), since: since, persistMs: params[slot].persistMs, now: now) }
    }
}
