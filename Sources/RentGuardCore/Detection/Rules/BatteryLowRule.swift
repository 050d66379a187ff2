/// Low battery: a `battery_low` event, or `battery_pct` under `low_pct`.
///
/// Clears when `battery_pct` is back at or over `clear_pct` (hysteresis), or, for a device
/// that reports no percentage, when `event_expiry_s` passes without another `battery_low`
/// event (GB 20517 alarms check their battery at least every 24 h and repeat the warning).
public struct BatteryLowRule: DetectionRule {
    public static let id = "battery_low"

    public static let lowPct = RuleParameter(
        "low_pct", 20, unit: "%",
        source: "assumed: common vendor low-battery point; GB 20517 requires the warning, not the level",
        "battery_pct under which battery_low is raised.")
    public static let clearPct = RuleParameter(
        "clear_pct", 30, unit: "%",
        source: "assumed: 10 points of hysteresis (a replaced battery reads near 100 %)",
        "battery_pct at or over which the alarm clears.")
    public static let eventExpiry = RuleParameter(
        "event_expiry_s", 90_000, unit: "s",
        source: "GB 20517-2025: battery checked at least every 24 h (domain.md); 25 h allows for one late check",
        "An event-only low battery clears when no new event came within this time.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 0, unit: "s",
        source: "assumed: the percentage already has hysteresis",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [lowPct, clearPct, eventExpiry, clearHold]

    private let low: [Double]
    private let clear: [Double]
    private let expiryMs: [Int64]
    private let holdMs: [Int64]
    private var asserted: [Bool]
    private var lastEvent: [Int64]

    public init(config: BuildingConfig, thresholds: Thresholds) {
        low = config.devices.map { thresholds.value(Self.id, Self.lowPct, device: $0.id) }
        clear = config.devices.map { thresholds.value(Self.id, Self.clearPct, device: $0.id) }
        expiryMs = config.devices.map { thresholds.ms(Self.id, Self.eventExpiry, device: $0.id) }
        holdMs = config.devices.map { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        asserted = Array(repeating: false, count: config.devices.count)
        lastEvent = Array(repeating: .min, count: config.devices.count)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .batteryLow, let slot { asserted[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        var key: AlarmKey { AlarmKey(type: .batteryLow, device: device.id, unit: device.unit) }
        switch reading.observation {
        case let .event(e) where e.name == .batteryLow:
            lastEvent[slot] = max(lastEvent[slot], reading.ts)
            guard !asserted[slot] else { return }
            asserted[slot] = true
            var ev = Evidence(rule: Self.id, trigger: "battery_low_event")
            ev.add("reading_ts", reading.ts)
            out.append(.active(key, .minor, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
        case let .telemetry(.smoke(t)):
            guard isLatest else { return }
            if let pct = t.batteryPct {
                if !asserted[slot], pct < low[slot] {
                    asserted[slot] = true
                    var ev = Evidence(rule: Self.id, trigger: "battery_pct")
                    ev.add("battery_pct", pct)
                    ev.add("low_pct", low[slot])
                    ev.add("reading_ts", reading.ts)
                    out.append(.active(key, .minor, at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
                } else if asserted[slot], pct >= clear[slot] {
                    asserted[slot] = false
                    lastEvent[slot] = .min
                    out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
                }
            } else if asserted[slot], lastEvent[slot] != .min, reading.ts - lastEvent[slot] >= expiryMs[slot] {
                asserted[slot] = false
                lastEvent[slot] = .min
                out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs[slot]))
            }
        default:
            return
        }
    }
}

extension BatteryLowRule: PersistentRule {
    /// When the detector last sent `battery_low` (its alarm expires after the event window).
    func deviceState(slot: Int) -> Int64? { lastEvent[slot] == .min ? nil : lastEvent[slot] }

    mutating func restoreDeviceState(_ s: Int64, slot: Int, now: Int64) { lastEvent[slot] = s }
}
