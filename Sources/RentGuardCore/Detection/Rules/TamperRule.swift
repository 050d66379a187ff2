/// A device reported a `tamper` event (protocol v1 §1.2): raised at once. There is no
/// "tamper ended" event, so the alarm clears once the device has gone on reporting
/// telemetry for `clear_hold_s` without another tamper event.
public struct TamperRule: DetectionRule {
    public static let id = "tamper"

    public static let clearHold = RuleParameter(
        "clear_hold_s", 3600, unit: "s",
        source: "assumed: one hour of normal reporting after the last tamper event",
        "How long the device must report normally before the alarm clears.")

    public static let parameters = [clearHold]

    private let holdMs: [Int64]
    private var asserted: [Bool]

    public init(config: BuildingConfig, thresholds: Thresholds) {
        holdMs = config.devices.map { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        asserted = Array(repeating: false, count: config.devices.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .tamper, let slot { asserted[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        var key: AlarmKey { AlarmKey(type: .tamper, device: device.id, unit: device.unit) }
        switch reading.observation {
        case let .event(e) where e.name == .tamper:
            // Every tamper event re-arms (an active one cancels a pending clear).
            var ev = Evidence(rule: Self.id, trigger: "tamper_event")
            if let detail = e.detail { ev.add("detail", detail) }
            ev.add("reading_ts", reading.ts)
            asserted[slot] = true
            out.append(.active(key, .major, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        case .telemetry where asserted[slot] && isLatest:
            asserted[slot] = false
            out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
        default:
            return
        }
    }
}
