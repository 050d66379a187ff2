/// The detection core: decoded readings and clock ticks in; alarm transitions and device
/// commands out. Pure and deterministic: no I/O, no wall clock, no global state.
///
/// Time is event time: the newest of the device timestamps and ticks seen. A reading
/// older than that minus the lateness bound is refused as late (`CoreOutput.rejected`).
public struct DetectionEngine: Sendable {
    public let config: BuildingConfig
    public let latenessMs: Int64
    public private(set) var now: Int64 = 0
    public private(set) var book: AlarmBook
    private var rules: [any DetectionRule]
    private var devices: [String: DeviceConfig]
    private var lastSeen: [String: Int64] = [:]
    private var unregisteredReported: Set<String> = []

    /// - Parameters:
    ///   - rules: the rule types to run; `RuleCatalog.all` by default.
    ///   - restoring: active alarms from the store, so that a restart neither repeats nor forgets them.
    public init(config: BuildingConfig, rules: [any DetectionRule.Type] = RuleCatalog.all, restoring alarms: [Alarm] = []) {
        self.config = config
        self.latenessMs = Int64(config.ingest.latenessSeconds * 1000)
        let thresholds = Thresholds(config: config)
        self.rules = rules.map { $0.init(config: config, thresholds: thresholds) }
        var d: [String: DeviceConfig] = [:]
        for dev in config.devices { d[dev.id] = dev }
        self.devices = d
        self.book = AlarmBook(building: config.gateway.building, restoring: alarms)
        for a in alarms where a.key.type == .unregisteredDevice {
            if let dev = a.key.device { unregisteredReported.insert(dev) }
        }
    }

    public var activeAlarms: [Alarm] { book.active.values.sorted { $0.key < $1.key } }

    /// Handles one input; returns what it caused, in a deterministic order.
    public mutating func handle(_ input: CoreInput) -> [CoreOutput] {
        var out: [CoreOutput] = []
        handle(input, into: &out)
        return out
    }

    public mutating func handle(_ input: CoreInput, into out: inout [CoreOutput]) {
        switch input {
        case let .reading(r):
            guard let device = devices[r.device] else {
                out.append(.rejected(Rejection(.unknownDevice, "device '\(r.device)' is not in the device registry", device: r.device)))
                return
            }
            if r.ts < now - latenessMs {
                out.append(.rejected(Rejection(.lateReading, "reading at \(r.ts) is \((now - r.ts) / 1000) s older than the newest event time (lateness bound \(latenessMs / 1000) s)", device: r.device)))
                return
            }
            let previous = lastSeen[r.device]
            let isLatest = previous.map { r.ts >= $0 } ?? true
            if isLatest { lastSeen[r.device] = r.ts }
            advance(to: r.ts, into: &out)
            var conditions: [Condition] = []
            for i in rules.indices {
                rules[i].observe(r, device: device, isLatest: isLatest, into: &conditions)
            }
            apply(conditions, into: &out)
        case let .tick(t):
            advance(to: t, into: &out)
        case let .acknowledge(id, by, note, at):
            advance(to: at, into: &out)
            book.acknowledge(id: id, by: by, note: note, at: max(at, now), into: &out)
        case let .unregisteredDevice(id, topic, at):
            advance(to: at, into: &out)
            guard unregisteredReported.insert(id).inserted else { return }
            let c = Condition.active(
                AlarmKey(type: .unregisteredDevice, device: id), .warning, at: at,
                evidence: ["topic": .string(topic), "reason": "device id not in the gateway's device registry"],
                clearHoldMs: .max)
            book.apply(c, location: nil, now: now, into: &out)
        case let .commandResult(alarmID, device, port, acknowledged, at):
            advance(to: at, into: &out)
            book.recordCommandResult(alarmID: alarmID, device: device, port: port, acknowledged: acknowledged, at: at)
        }
    }

    private mutating func advance(to t: Int64, into out: inout [CoreOutput]) {
        guard t > now else { return }
        now = t
        var conditions: [Condition] = []
        for i in rules.indices { rules[i].tick(now: now, into: &conditions) }
        apply(conditions, into: &out)
        book.clearDue(now: now, into: &out)
    }

    private mutating func apply(_ conditions: [Condition], into out: inout [CoreOutput]) {
        for c in conditions {
            book.apply(c, location: location(for: c.key), now: now, into: &out)
        }
    }

    private func location(for key: AlarmKey) -> String? {
        if let d = key.device, let dev = devices[d] {
            return dev.location ?? dev.zone?.rawValue
        }
        return nil
    }
}
