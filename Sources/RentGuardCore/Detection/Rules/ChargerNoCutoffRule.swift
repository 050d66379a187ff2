/// A port that reports `full` but does not cut off (应急管理部令第5号: charging facilities
/// must cut power automatically when full).
///
/// Raised (major; `port_off` where allowed — the cut the charger failed to make) when, in
/// state `full`, the port's power stays over `float_threshold_w` beyond `float_time_min`,
/// or stays over `cutoff_power_w` beyond `max_float_min`. Current is used when power is
/// missing (power ≈ current × voltage, or × 48 V nominal). Clears when the port leaves
/// `full` or its power drops under `cutoff_power_w`.
public struct ChargerNoCutoffRule: DetectionRule {
    public static let id = "charger_no_cutoff"
    public static let deviceKinds: [DeviceKind] = [.charger]

    public static let floatThreshold = RuleParameter(
        "float_threshold_w", 45, unit: "W",
        source: "field practice in charging-pile code: \"full\" below 20–45 W (domain.md)",
        "Power above which a `full` port is still charging.")
    public static let floatTime = RuleParameter(
        "float_time_min", 45, unit: "min",
        source: "field practice in charging-pile code: 45–120 min of float (domain.md), lower end",
        "How long a `full` port may draw over the float threshold.")
    public static let cutoffPower = RuleParameter(
        "cutoff_power_w", 3, unit: "W",
        source: "field practice in charging-pile code: under ~3 W is \"plug removed\"/off (domain.md)",
        "Power under which the port counts as cut off.")
    public static let maxFloat = RuleParameter(
        "max_float_min", 120, unit: "min",
        source: "field practice in charging-pile code: 45–120 min of float, then cut (domain.md), upper end",
        "How long a `full` port may float before it must be cut.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 60, unit: "s",
        source: "assumed: one report interval",
        "How long the port must stay cut before the alarm clears.")

    public static let parameters = [floatThreshold, floatTime, cutoffPower, maxFloat, clearHold]

    struct Params: Sendable {
        var floatW = 45.0, floatMs: Int64 = 2_700_000, cutW = 3.0, maxFloatMs: Int64 = 7_200_000, holdMs: Int64 = 60_000
        var portOff = false
    }
    struct Port: Sendable, Codable {
        var fullSince: Int64? = nil
        var overFloatSince: Int64? = nil
        var asserted = false
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
            p.floatW = thresholds.value(Self.id, Self.floatThreshold, device: d.id)
            p.floatMs = Int64(thresholds.value(Self.id, Self.floatTime, device: d.id) * 60_000)
            p.cutW = thresholds.value(Self.id, Self.cutoffPower, device: d.id)
            p.maxFloatMs = Int64(thresholds.value(Self.id, Self.maxFloat, device: d.id) * 60_000)
            p.holdMs = thresholds.ms(Self.id, Self.clearHold, device: d.id)
            p.portOff = d.allows("port_off")
            return p
        }
        ports = PortTable(slots: subset.count) { Port() }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        let slot = slot.flatMap { subset.index(ofSlot: $0) }
        guard alarm.key.type == .chargerNoCutoff, let slot, let port = alarm.key.port else { return }
        ports[slot, port].asserted = true
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        guard isLatest, case let .telemetry(.charger(c)) = reading.observation else { return }
        let p = params[slot]
        for r in c.ports {
            var st = ports[slot, r.port]
            let power = r.powerW ?? r.currentA.map { $0 * (r.voltageV ?? 48) } ?? 0
            if r.state == .full {
                if st.fullSince == nil { st.fullSince = reading.ts }
                if power > p.floatW { st.overFloatSince = st.overFloatSince ?? reading.ts } else { st.overFloatSince = nil }
                let inFull = reading.ts - st.fullSince!
                var trigger: String? = nil
                if let s = st.overFloatSince, reading.ts - s >= p.floatMs { trigger = "charging_after_full" }
                else if inFull >= p.maxFloatMs && power > p.cutW { trigger = "no_cut_after_float" }
                if let trigger, !st.asserted {
                    st.asserted = true
                    var ev = Evidence(rule: Self.id, trigger: trigger)
                    ev.add("port", r.port)
                    ev.add("power_w", power)
                    ev.add("current_a", r.currentA)
                    ev.add("full_since", st.fullSince!)
                    ev.add("float_threshold_w", p.floatW)
                    ev.add("float_time_min", Double(p.floatMs) / 60_000)
                    ev.add("cutoff_power_w", p.cutW)
                    ev.add("max_float_min", Double(p.maxFloatMs) / 60_000)
                    ev.add("reading_ts", reading.ts)
                    let cmd = p.portOff ? ConditionCommand(device: device.id, command: "port_off", port: r.port, reason: "charger_no_cutoff") : nil
                    out.append(.active(key(device, r.port), .major, at: reading.ts, evidence: ev.json, clearHoldMs: p.holdMs, command: cmd))
                } else if st.asserted && power <= p.cutW {
                    st.asserted = false
                    out.append(.normal(key(device, r.port), at: reading.ts, clearHoldMs: p.holdMs))
                }
            } else {
                st.fullSince = nil
                st.overFloatSince = nil
                if st.asserted {
                    st.asserted = false
                    out.append(.normal(key(device, r.port), at: reading.ts, clearHoldMs: p.holdMs))
                }
            }
            ports[slot, r.port] = st
        }
    }

    private func key(_ d: DeviceConfig, _ port: Int) -> AlarmKey {
        AlarmKey(type: .chargerNoCutoff, device: d.id, port: port, unit: d.unit)
    }
}

extension ChargerNoCutoffRule: PersistentRule {
    /// Per port: since when it has been full, and floating above the float level.
    func deviceState(slot: Int) -> [Port]? {
        guard let slot = subset.index(ofSlot: slot) else { return nil }
        return ports.row(slot).isEmpty ? nil : ports.row(slot)
    }

    mutating func restoreDeviceState(_ s: [Port], slot: Int, now: Int64) {
        guard let slot = subset.index(ofSlot: slot) else { return }
        ports.setRow(slot, s.map { var p = $0; p.asserted = false; return p })  // asserted: from the active alarms
    }
}
