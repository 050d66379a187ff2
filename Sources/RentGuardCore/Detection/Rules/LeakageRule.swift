/// Earth leakage (residual current) at a meter: ≥ `alarm_ma` held for `persistence_s`
/// raises `leakage` (major); ≥ `critical_ma` critical. The decision is taken when the
/// persistence runs out (each reading's value held until the next), within GB 31252's 30 s.
public struct LeakageRule: DetectionRule {
    public static let id = "leakage"
    public static let deviceKinds: [DeviceKind] = [.powerMeter]
    public static let usesTicks = true

    public static let alarmLevel = RuleParameter(
        "alarm_ma", 300, unit: "mA",
        source: "GB 50116-2013 §9.2.3: residual-current alarm set at 300–500 mA (domain.md), lower end",
        "Residual current that raises leakage.")
    public static let criticalLevel = RuleParameter(
        "critical_ma", 500, unit: "mA",
        source: "GB 50116-2013 §9.2.3: upper end of the 300–500 mA setting range (domain.md)",
        "Residual current that makes leakage critical.")
    public static let persistence = RuleParameter(
        "persistence_s", 10, unit: "s",
        source: "assumed: \"sustained\", well inside GB 31252-2014's alarm within 30 s (domain.md)",
        "How long the residual current must hold before the alarm.")
    public static let clearLevel = RuleParameter(
        "clear_ma", 200, unit: "mA",
        source: "GB 50116 background: normal leakage is 100–200 mA (domain.md)",
        "Residual current under which readings count as normal.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 300, unit: "s",
        source: "assumed: five minutes of normal readings",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [alarmLevel, criticalLevel, persistence, clearLevel, clearHold]

    struct Params: Sendable {
        var alarm = 300.0, critical = 500.0, clear = 200.0
        var persistMs: Int64 = 10_000, holdMs: Int64 = 300_000
    }
    struct State: Sendable, Codable {
        var severity: Severity? = nil
        var last = 0.0
        var lastTs: Int64 = .min
    }

    private let params: [Params]
    private let devices: [DeviceConfig]
    private var state: [State]
    private var persist = Persistence()

    /// The devices of `deviceKinds`: the arrays below are indexed by their dense index.
    private let subset: DeviceSubset

    public init(config: BuildingConfig, thresholds: Thresholds) {
        let subset = DeviceSubset(config, kinds: Self.deviceKinds)
        self.subset = subset
        devices = config.devices
        params = subset.map(config) { d in
            var p = Params()
            p.alarm = thresholds.value(Self.id, Self.alarmLevel, device: d.id)
            p.critical = thresholds.value(Self.id, Self.criticalLevel, device: d.id)
            p.clear = thresholds.value(Self.id, Self.clearLevel, device: d.id)
            p.persistMs = thresholds.ms(Self.id, Self.persistence, device: d.id)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            return p
        }
        state = Array(repeating: State(), count: subset.count)
    }

    public var nextDeadline: Int64 { persist.next }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        if alarm.key.type == .leakage, let slot { state[slot].severity = alarm.severity }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.power(t)) = reading.observation, let ma = t.residualCurrentMA else { return }
        let p = params[slot]
        let code = Persistence.code(slot, 0)
        state[slot].last = ma
        state[slot].lastTs = reading.ts
        if ma >= p.alarm {
            let sev: Severity = ma >= p.critical ? .critical : .major
            if persist.over(code, at: reading.ts, persistMs: p.persistMs), state[slot].severity == nil || state[slot].severity! < sev {
                out.append(raise(slot, sev, at: reading.ts, since: persist.pendingSince(code)))
            }
        } else {
            persist.reset(code)
            if state[slot].severity != nil, ma < p.clear {
                state[slot].severity = nil
                out.append(.normal(key(device), at: reading.ts, clearHoldMs: p.holdMs))
            }
        }
    }

    public mutating func tick(now: Int64, into out: inout [Condition]) {
        let ps = params
        for d in persist.due(now, persistMs: { ps[Persistence.slot($0)].persistMs }) {
            let slot = Persistence.slot(d.code)
            let p = params[slot]
            let sev: Severity = state[slot].last >= p.critical ? .critical : .major
            guard state[slot].severity == nil || state[slot].severity! < sev else { continue }
            out.append(raise(slot, sev, at: d.at, since: d.at - p.persistMs))
        }
    }

    private mutating func raise(_ slot: Int, _ sev: Severity, at: Int64, since: Int64?) -> Condition {
        state[slot].severity = sev
        let p = params[slot]
        var ev = Evidence(rule: Self.id, trigger: "residual_current")
        ev.add("residual_current_ma", state[slot].last)
        ev.add("alarm_ma", p.alarm)
        ev.add("critical_ma", p.critical)
        ev.add("persistence_s", Double(p.persistMs) / 1000)
        if let since { ev.add("over_since", since) }
        ev.add("reading_ts", state[slot].lastTs)
        return .active(key(devices[subset.slot(slot)]), sev, at: at, evidence: ev.json, clearHoldMs: p.holdMs)
    }

    private func key(_ d: DeviceConfig) -> AlarmKey { AlarmKey(type: .leakage, device: d.id, unit: d.unit) }
}

extension LeakageRule: PersistentRule {
    /// The last residual current, and since when it has been over the alarm level.
    struct DeviceState: Sendable, Codable {
        var state: State
        var overSince: Int64?
    }

    func deviceState(slot: Int) -> DeviceState? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return state[slot].lastTs == .min ? nil : DeviceState(state: state[slot], overSince: persist.entries(slot: slot)[0])
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        state[slot] = s.state
        state[slot].severity = nil  // from the active alarms
        if let since = s.overSince { persist.restore(Persistence.code(slot, 0), since: since, persistMs: params[slot].persistMs, now: now) }
    }
}
