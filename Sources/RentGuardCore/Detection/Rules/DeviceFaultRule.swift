/// A device reported a `fault` event, or a charger port reports state `fault`.
///
/// A fault event raises `device_fault` for the device (major for smoke detectors: a faulty
/// detector cannot see a fire; minor otherwise); it clears once the device has gone on
/// reporting telemetry for `clear_hold_s` without another fault event. A charger port in
/// state `fault` raises `device_fault` for that port; it clears when the port leaves `fault`.
public struct DeviceFaultRule: DetectionRule {
    public static let id = "device_fault"

    public static let clearHold = RuleParameter(
        "clear_hold_s", 3600, unit: "s",
        source: "assumed: one hour of normal reporting after the last fault event",
        "How long the device must report normally before a fault-event alarm clears.")
    public static let portClearHold = RuleParameter(
        "port_clear_hold_s", 60, unit: "s",
        source: "assumed: one report interval",
        "How long a charger port must stay out of `fault` before its alarm clears.")

    public static let parameters = [clearHold, portClearHold]

    private let holdMs: [Int64]
    private let portHoldMs: [Int64]
    private var asserted: [Bool]
    private var portFault: PortTable<Bool>

    public init(config: BuildingConfig, thresholds: Thresholds) {
        holdMs = config.devices.map { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        portHoldMs = config.devices.map { thresholds.ms(Self.id, Self.portClearHold, device: $0.id) }
        asserted = Array(repeating: false, count: config.devices.count)
        portFault = PortTable(slots: config.devices.count) { false }
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        guard alarm.key.type == .deviceFault, let slot else { return }
        if let p = alarm.key.port { portFault[slot, p] = true } else { asserted[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        var key: AlarmKey { AlarmKey(type: .deviceFault, device: device.id, unit: device.unit) }
        switch reading.observation {
        case let .event(e) where e.name == .fault:
            var ev = Evidence(rule: Self.id, trigger: "fault_event")
            if let d = e.detail { ev.add("detail", d) }
            if let p = e.port { ev.add("port", p) }
            ev.add("reading_ts", reading.ts)
            asserted[slot] = true
            out.append(.active(key, device.kind == .smokeDetector ? .major : .minor, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        case let .telemetry(t):
            guard isLatest else { return }
            if asserted[slot] {
                asserted[slot] = false
                out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
            }
            guard case let .charger(c) = t else { return }
            for p in c.ports {
                let isFault = p.state == .fault
                guard isFault != portFault[slot, p.port] else { continue }
                portFault[slot, p.port] = isFault
                let pk = AlarmKey(type: .deviceFault, device: device.id, port: p.port, unit: device.unit)
                if isFault {
                    var ev = Evidence(rule: Self.id, trigger: "port_state_fault")
                    ev.add("port", p.port)
                    ev.add("current_a", p.currentA)
                    ev.add("temperature_c", p.temperatureC)
                    ev.add("reading_ts", reading.ts)
                    out.append(.active(pk, .minor, at: reading.ts, evidence: ev.json, clearHoldMs: portHoldMs[slot]))
                } else {
                    out.append(.normal(pk, at: reading.ts, clearHoldMs: portHoldMs[slot]))
                }
            }
        default:
            return
        }
    }
}
