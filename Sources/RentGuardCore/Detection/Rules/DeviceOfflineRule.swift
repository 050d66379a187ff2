/// Device supervision: a device is offline after `missed_reports` report intervals without
/// any message, or at once when its status says `online: false` (its Last Will).
///
/// Driven by event time: the deadline is the last message's time plus the allowance, and
/// the alarm is stamped with that deadline whatever the tick rate. Supervision of a device
/// that has not reported since the gateway started begins at the first event time the core
/// sees. Any message from the device (or `online: true`) returns it to normal.
public struct DeviceOfflineRule: DetectionRule {
    public static let id = "device_offline"
    public static let usesTicks = true

    public static let missedReports = RuleParameter(
        "missed_reports", 3, unit: "reports",
        source: "issue 4: offline after N missed reports, default 3",
        "Report intervals without a message before the device is offline.")
    public static let defaultInterval = RuleParameter(
        "default_report_interval_s", 60, unit: "s",
        source: "field practice in charging-pile code: heartbeat every 60–90 s (domain.md); used when a device has no report_interval_s",
        "Report interval of a device whose configuration gives none.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 0, unit: "s",
        source: "assumed: a device that reports again is back at once (chattering latches a flapping link)",
        "How long the device must stay reachable before the alarm clears.")

    public static let parameters = [missedReports, defaultInterval, clearHold]

    private let timeoutMs: [Int64]
    private let holdMs: [Int64]
    private let severity: [Severity]
    private let devices: [DeviceConfig]
    private var lastSeen: [Int64]
    private var offline: [Bool]
    private var queued: [Bool]
    private var started = false
    private var deadlines = DeadlineQueue()

    public init(config: BuildingConfig, thresholds: Thresholds) {
        devices = config.devices
        timeoutMs = config.devices.map { d in
            let n = thresholds.value(Self.id, Self.missedReports, device: d.id)
            let iv = d.reportIntervalSeconds ?? thresholds.value(Self.id, Self.defaultInterval, device: d.id)
            return Int64((n * iv * 1000).rounded())
        }
        holdMs = config.devices.map { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        severity = config.devices.map { $0.kind == .smokeDetector ? .major : .minor }
        lastSeen = Array(repeating: .min, count: config.devices.count)
        offline = Array(repeating: false, count: config.devices.count)
        queued = Array(repeating: false, count: config.devices.count)
    }

    public var nextDeadline: Int64 { started ? deadlines.next : .max }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .deviceOffline, let slot { offline[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        if reading.ts > lastSeen[slot] { lastSeen[slot] = reading.ts }
        if case .status(online: false) = reading.observation {
            guard !offline[slot] else { return }
            offline[slot] = true
            var ev = Evidence(rule: Self.id, trigger: "status_offline")
            ev.add("last_seen", reading.ts)
            out.append(.active(key(device), severity[slot], at: reading.ts, evidence: ev.json, clearHoldMs: holdMs[slot]))
            return
        }
        if offline[slot] && isLatest {
            offline[slot] = false
            out.append(.normal(key(device), at: reading.ts, clearHoldMs: holdMs[slot]))
        }
        if !queued[slot] && started && timeoutMs[slot] > 0 {
            queued[slot] = true
            deadlines.push(lastSeen[slot].addingClamped(timeoutMs[slot]), slot)
        }
    }

    public mutating func tick(now: Int64, into out: inout [Condition]) {
        if !started {
            started = true
            for i in lastSeen.indices where timeoutMs[i] > 0 {
                if lastSeen[i] == .min { lastSeen[i] = now }
                queued[i] = true
                deadlines.push(lastSeen[i].addingClamped(timeoutMs[i]), i)
            }
        }
        while let d = deadlines.popDue(now) {
            let slot = d.slot
            let due = lastSeen[slot].addingClamped(timeoutMs[slot])
            if due > d.at {
                deadlines.push(due, slot)
                continue
            }
            queued[slot] = false
            guard !offline[slot] else { continue }
            offline[slot] = true
            var ev = Evidence(rule: Self.id, trigger: "missed_reports")
            ev.add("last_seen", lastSeen[slot])
            ev.add("timeout_s", Double(timeoutMs[slot]) / 1000)
            ev.add("report_interval_s", devices[slot].reportIntervalSeconds)
            out.append(.active(key(devices[slot]), severity[slot], at: due, evidence: ev.json, clearHoldMs: holdMs[slot]))
        }
    }

    private func key(_ d: DeviceConfig) -> AlarmKey { AlarmKey(type: .deviceOffline, device: d.id, unit: d.unit) }
}
