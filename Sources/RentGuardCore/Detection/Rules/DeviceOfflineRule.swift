/// Device supervision: a device is offline after `missed_reports` report intervals without
/// any message, or at once when its status says `online: false` (its Last Will).
///
/// The report interval is the device's `report_interval_s`; without one it is learned from
/// the device's own traffic (`ReportCadence`: the `learn_percentile` of its recent gaps, at
/// least `default_report_interval_s`, at most `max_learned_interval_s`), and the default
/// until the device has shown a gap. `offlineTimeoutMs` is the one formula, shared with the
/// daemon's device census.
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

    public static let learnPercentile = RuleParameter(
        "learn_percentile", 90, unit: "%",
        source: "assumed (issue 11 item 10: a high percentile of recent gaps); over the last 32 gaps, so that up to 3 outages among them do not stretch the cadence",
        "Percentile of a device's recent gaps between reports taken as its report interval when its configuration gives none.")
    public static let maxLearnedInterval = RuleParameter(
        "max_learned_interval_s", 86_400, unit: "s",
        source: "assumed: the slowest meters report daily",
        "Largest report interval learned from a device's traffic.")

    public static let parameters = [missedReports, defaultInterval, clearHold, learnPercentile, maxLearnedInterval]

    /// The report interval (s) supervision expects of `device`: its `report_interval_s`, or the
    /// cadence learned from its traffic, or the default before it has shown a gap.
    public static func reportIntervalSeconds(_ device: DeviceConfig, thresholds: Thresholds, cadence: ReportCadence?) -> Double {
        if let configured = device.reportIntervalSeconds { return configured }
        let fallback = thresholds.value(id, defaultInterval, device: device.id)
        let pct = thresholds.value(id, learnPercentile, device: device.id) / 100
        guard let learned = cadence?.intervalMs(percentile: pct) else { return fallback }
        let cap = max(fallback, thresholds.value(id, maxLearnedInterval, device: device.id))
        return min(cap, max(fallback, Double(learned) / 1000))
    }

    /// How long (ms) `device` may stay silent before it is offline: `missed_reports` × its
    /// report interval (see `reportIntervalSeconds`). 0 turns supervision off.
    public static func offlineTimeoutMs(_ device: DeviceConfig, thresholds: Thresholds, cadence: ReportCadence?) -> Int64 {
        let n = thresholds.value(id, missedReports, device: device.id)
        let ms = n * reportIntervalSeconds(device, thresholds: thresholds, cadence: cadence) * 1000
        guard ms.isFinite, ms > 0 else { return 0 }
        return ms >= 9e18 ? .max / 4 : Int64(ms.rounded())
    }

    private var timeoutMs: [Int64]
    private let holdMs: [Int64]
    private let severity: [Severity]
    private let devices: [DeviceConfig]
    private let thresholds: Thresholds
    private var lastSeen: [Int64]
    private var offline: [Bool]
    /// The deadline queued for each slot (`Int64.max`: none); older queue entries are stale.
    private var queuedAt: [Int64]
    /// Cadence learned per slot, for devices without `report_interval_s` (nil otherwise).
    private var cadence: [ReportCadence?]
    private var started = false
    private var deadlines = DeadlineQueue()

    public init(config: BuildingConfig, thresholds: Thresholds) {
        devices = config.devices
        self.thresholds = thresholds
        cadence = config.devices.map { $0.reportIntervalSeconds == nil ? ReportCadence() : nil }
        timeoutMs = config.devices.map { Self.offlineTimeoutMs($0, thresholds: thresholds, cadence: nil) }
        holdMs = config.devices.map { thresholds.ms(Self.id, Self.clearHold, device: $0.id) }
        severity = config.devices.map { $0.kind == .smokeDetector ? .major : .minor }
        lastSeen = Array(repeating: .min, count: config.devices.count)
        offline = Array(repeating: false, count: config.devices.count)
        queuedAt = Array(repeating: .max, count: config.devices.count)
    }

    public var nextDeadline: Int64 { started ? deadlines.next : .max }

    /// The offline timeout (ms) of each device, as supervision applies it now.
    public var offlineTimeouts: [String: Int64] {
        var m: [String: Int64] = [:]
        for (i, d) in devices.enumerated() where m[d.id] == nil { m[d.id] = timeoutMs[i] }
        return m
    }

    /// Queues the slot's deadline (last message + timeout) unless an earlier one is queued.
    private mutating func schedule(_ slot: Int) {
        guard timeoutMs[slot] > 0 else { return }
        let due = lastSeen[slot].addingClamped(timeoutMs[slot])
        guard due < queuedAt[slot] else { return }
        queuedAt[slot] = due
        deadlines.push(due, slot)
    }

    public mutating func restore(_ alarm: Alarm, slot: Int?) {
        if alarm.key.type == .deviceOffline, let slot { offline[slot] = true }
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        if reading.ts > lastSeen[slot] { lastSeen[slot] = reading.ts }
        if cadence[slot] != nil, isLatest {
            let before = cadence[slot]!.gaps.count
            cadence[slot]!.observe(reading.ts)
            if cadence[slot]!.gaps.count != before || cadence[slot]!.gaps.count == ReportCadence.capacity {
                timeoutMs[slot] = Self.offlineTimeoutMs(device, thresholds: thresholds, cadence: cadence[slot])
            }
        }
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
        if started { schedule(slot) }
    }

    public mutating func tick(now: Int64, into out: inout [Condition]) {
        if !started {
            started = true
            for i in lastSeen.indices where timeoutMs[i] > 0 {
                if lastSeen[i] == .min { lastSeen[i] = now }
                schedule(i)
            }
        }
        while let d = deadlines.popDue(now) {
            let slot = d.slot
            guard d.at == queuedAt[slot] else { continue }  // superseded by an earlier deadline
            queuedAt[slot] = .max
            let due = lastSeen[slot].addingClamped(timeoutMs[slot])
            if due > d.at {
                schedule(slot)
                continue
            }
            guard !offline[slot] else { continue }
            offline[slot] = true
            var ev = Evidence(rule: Self.id, trigger: "missed_reports")
            ev.add("last_seen", lastSeen[slot])
            ev.add("timeout_s", Double(timeoutMs[slot]) / 1000)
            ev.add("report_interval_s", devices[slot].reportIntervalSeconds)
            if devices[slot].reportIntervalSeconds == nil {
                ev.add("expected_interval_s", Self.reportIntervalSeconds(devices[slot], thresholds: thresholds, cadence: cadence[slot]))
                ev.add("interval_learned", cadence[slot]?.gaps.isEmpty == false)
            }
            out.append(.active(key(devices[slot]), severity[slot], at: due, evidence: ev.json, clearHoldMs: holdMs[slot]))
        }
    }

    private func key(_ d: DeviceConfig) -> AlarmKey { AlarmKey(type: .deviceOffline, device: d.id, unit: d.unit) }
}

extension DeviceOfflineRule: PersistentRule {
    /// The device's last message and its learned cadence.
    struct DeviceState: Sendable, Codable {
        var lastSeen: Int64
        var cadence: ReportCadence?
    }

    func deviceState(slot: Int) -> DeviceState? {
        lastSeen[slot] == .min ? nil : DeviceState(lastSeen: lastSeen[slot], cadence: cadence[slot])
    }

    mutating func restoreDeviceState(_ s: DeviceState, slot: Int, now: Int64) {
        lastSeen[slot] = s.lastSeen
        if cadence[slot] != nil, let c = s.cadence {
            cadence[slot] = c
            timeoutMs[slot] = Self.offlineTimeoutMs(devices[slot], thresholds: thresholds, cadence: c)
        }
    }

    /// Supervision had started before the snapshot: it goes on from the restored last messages.
    mutating func restored(now: Int64) {
        guard now > 0, !started else { return }
        started = true
        for i in lastSeen.indices where timeoutMs[i] > 0 {
            if lastSeen[i] == .min { lastSeen[i] = now }
            schedule(i)
        }
    }
}
