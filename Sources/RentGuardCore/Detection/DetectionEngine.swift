/// The detection core: decoded readings and clock ticks in; alarm transitions and device
/// commands out. Pure and deterministic: no I/O, no wall clock, no global state.
///
/// Time is event time: the newest of the device timestamps and ticks seen. A reading
/// older than that minus the lateness bound is refused as late (`CoreOutput.rejected`).
/// Readings within the bound but out of order are passed to the rules with
/// `isLatest == false`; rules that keep time windows insert them in order.
///
/// Time-driven decisions (verification windows, persistence, offline supervision) are
/// stamped with the moment they fell due, not with the tick that noticed them, so the same
/// readings give the same transitions at any tick rate and any replay speed.
public struct DetectionEngine: Sendable {
    public let config: BuildingConfig
    public let latenessMs: Int64
    public private(set) var now: Int64 = 0
    public private(set) var book: AlarmBook
    private var rules: [any DetectionRule]
    /// Device id → slot (its index in `config.devices`).
    private let slots: [String: Int]
    private let deviceConfigs: [DeviceConfig]
    /// Per slot, the rules that see its readings.
    private let kindOfSlot: [UInt8]
    private let rulesByKind: [[Int]]
    private let tickRules: [Int]
    private var lastSeen: [Int64]
    /// Unregistered device ids with their own alarm: at most `unregisteredAlarmLimit`.
    private var unregisteredReported: Set<String> = []
    /// Whether the gateway-wide alarm for the ids beyond the limit has been raised.
    private var unregisteredOverflowReported = false
    /// Reused between inputs so that a reading that changes nothing allocates nothing.
    private var scratch: [Condition] = []
    /// Occupancy per unit from the meters, and the group-rental assessment.
    private var occupancy: OccupancyEstimator
    /// What the snapshot's occupancy part gave back (nil: the snapshot had none, or there
    /// was no usable snapshot).
    public private(set) var occupancyRestore: OccupancyEstimator.RestoreReport? = nil
    /// Commands sent and not yet confirmed by the device (`relay_off` / `relay_on` event).
    private var pendingCommands: [PendingCommand] = []

    struct PendingCommand: Sendable {
        var alarmID: String
        var device: String
        var port: Int?
        var deadline: Int64
    }

    /// How long a device has to confirm a command before the alarm records `timed_out`
    /// (assumed: a few charger reporting intervals; field practice reports every 60–90 s).
    public static let commandConfirmationMs: Int64 = 120_000

    /// A damaged gateway (lost state, a replaced database) is `major`: it needs a technician
    /// soon, and alarms it held before the fault may be gone; it is not itself a fire.
    public static let gatewayFaultSeverity: Severity = .major

    /// How many unregistered device ids get an `unregistered_device` alarm of their own; the
    /// ids beyond are reported by one building-wide `unregistered_device` alarm (no device)
    /// and are not remembered, so that a flood of made-up ids keeps memory, the database and
    /// the registry's traffic flat (issue 11 item 2: 30,000 ids gave 30,000 alarms and 137 MB).
    /// Assumed: a misconfigured building has a handful of unknown devices, never dozens.
    public static let unregisteredAlarmLimit = 64

    /// - Parameters:
    ///   - rules: the rule types to run; `RuleCatalog.all` by default.
    ///   - restoring: active alarms from the store, so that a restart neither repeats nor forgets them.
    ///   - snapshot: what an earlier engine had learned (`snapshot()`): event time, the rules'
    ///     learned state of every device whose configuration is unchanged, pending clears and
    ///     chatter counts. A snapshot of another version or building is ignored
    ///     (`EngineSnapshot.incompatibility(with:)` says why). The alarms win where the two
    ///     disagree: which alarms a rule has raised always comes from `restoring`.
    public init(
        config: BuildingConfig, rules: [any DetectionRule.Type] = RuleCatalog.all, restoring alarms: [Alarm] = [],
        snapshot: EngineSnapshot? = nil
    ) {
        self.config = config
        self.latenessMs = Int64(config.ingest.latenessSeconds * 1000)
        let thresholds = Thresholds(config: config)
        var ruleValues: [any DetectionRule] = rules.map { $0.init(config: config, thresholds: thresholds) }
        var s: [String: Int] = [:]
        for (i, dev) in config.devices.enumerated() where s[dev.id] == nil { s[dev.id] = i }
        self.slots = s
        self.deviceConfigs = config.devices
        let kinds = DeviceKind.allCases
        self.kindOfSlot = config.devices.map { d in UInt8(kinds.firstIndex(of: d.kind) ?? 0) }
        self.rulesByKind = kinds.map { k in rules.indices.filter { rules[$0].deviceKinds.contains(k) } }
        self.tickRules = rules.indices.filter { rules[$0].usesTicks }
        self.lastSeen = Array(repeating: .min, count: config.devices.count)
        var book = AlarmBook(
            building: config.gateway.building, restoring: alarms, policy: LifecyclePolicy(thresholds: thresholds),
            incidents: IncidentGrouping(config: config, thresholds: thresholds))
        let snap = snapshot.flatMap { $0.incompatibility(with: config) == nil ? $0 : nil }
        if let snap {
            book.restore(snap.book)
            Self.restoreRuleStates(snap, config: config, into: &ruleValues)
        }
        for a in alarms where a.isActive {
            if a.key.type == .unregisteredDevice {
                if let dev = a.key.device { unregisteredReported.insert(dev) } else { unregisteredOverflowReported = true }
            }
            // A clearing alarm's rule has already reported normal: it does not own it any more.
            guard !book.isClearing(a.key) else { continue }
            let slot = a.key.device.flatMap { s[$0] }
            for i in ruleValues.indices { ruleValues[i].restore(a, slot: slot) }
        }
        self.book = book
        self.rules = ruleValues
        var estimator = OccupancyEstimator(config: config, thresholds: thresholds)
        if let o = snap?.occupancy {
            if let state = o.state {
                occupancyRestore = estimator.restore(state)
            } else {
                var r = OccupancyEstimator.RestoreReport()
                r.discarded = o.unreadable ?? "unreadable"
                occupancyRestore = r
            }
        }
        estimator.restoreFlags(from: alarms.filter(\.isActive))
        self.occupancy = estimator
        scratch.reserveCapacity(16)
        if let snap {
            now = snap.now
            for (id, t) in snap.lastSeen { if let slot = s[id] { lastSeen[slot] = t } }
            for id in snap.unregisteredReported where unregisteredReported.count < Self.unregisteredAlarmLimit { unregisteredReported.insert(id) }
            unregisteredOverflowReported = unregisteredOverflowReported || snap.unregisteredOverflowReported
            pendingCommands = snap.pendingCommands.filter { book.alarm(id: $0.alarmID) != nil }
                .map { PendingCommand(alarmID: $0.alarmID, device: $0.device, port: $0.port, deadline: $0.deadline) }
        }
    }

    /// Gives each persistent rule the state of every device whose configuration is unchanged.
    private static func restoreRuleStates(_ snap: EngineSnapshot, config: BuildingConfig, into rules: inout [any DetectionRule]) {
        var seen: Set<String> = []
        let unchanged: [Bool] = config.devices.map { d in
            seen.insert(d.id).inserted && snap.devices[d.id] == d.stateFingerprint(in: config)
        }
        for i in rules.indices {
            guard var rule = rules[i] as? any PersistentRule else { continue }
            if let states = snap.rules.states[type(of: rule).id] {
                for (slot, d) in config.devices.enumerated() where unchanged[slot] {
                    if let state = states[d.id] { _ = rule.restoreErased(state, slot: slot, now: snap.now) }
                }
            }
            rule.restored(now: snap.now)
            rules[i] = rule
        }
    }

    /// What this engine has learned, to be given back to `init(config:restoring:snapshot:)`
    /// after a restart or a reload.
    public func snapshot() -> EngineSnapshot {
        var devices: [String: String] = [:]
        var seen: [String: Int64] = [:]
        for (id, slot) in slots {
            devices[id] = deviceConfigs[slot].stateFingerprint(in: config)
            if lastSeen[slot] != .min { seen[id] = lastSeen[slot] }
        }
        var states: [String: [String: any Codable & Sendable]] = [:]
        for rule in rules {
            guard let p = rule as? any PersistentRule else { continue }
            var m: [String: any Codable & Sendable] = [:]
            for (id, slot) in slots { if let st = p.erasedDeviceState(slot: slot) { m[id] = st } }
            if !m.isEmpty { states[type(of: p).id] = m }
        }
        return EngineSnapshot(
            version: EngineSnapshot.currentVersion, building: config.gateway.building, now: now, devices: devices, lastSeen: seen,
            unregisteredReported: unregisteredReported.sorted(), unregisteredOverflowReported: unregisteredOverflowReported,
            pendingCommands: pendingCommands.map { .init(alarmID: $0.alarmID, device: $0.device, port: $0.port, deadline: $0.deadline) },
            book: book.snapshot(), rules: .init(states), occupancy: .init(occupancy.snapshot()))
    }

    /// Each device's offline timeout (ms) as supervision applies it now: `missed_reports` ×
    /// its configured or learned report interval (`DeviceOfflineRule.offlineTimeoutMs`).
    public var offlineTimeouts: [String: Int64] {
        for rule in rules { if let r = rule as? DeviceOfflineRule { return r.offlineTimeouts } }
        return [:]
    }

    /// The same engine on a reloaded configuration: active alarms (with their lifecycle
    /// state, chattering latches included), event time, and the rules' learned state of every
    /// device whose configuration did not change are kept (through `snapshot()`), and the
    /// occupancy estimator's state of the units and meters that still match. Devices that
    /// changed start again and relearn.
    public func reconfigured(_ new: BuildingConfig) -> DetectionEngine {
        var e = DetectionEngine(config: new, restoring: activeAlarms, snapshot: snapshot())
        e.now = now
        e.unregisteredReported = unregisteredReported
        e.unregisteredOverflowReported = unregisteredOverflowReported
        for (id, slot) in slots where lastSeen[slot] != .min {
            if let newSlot = e.slots[id] { e.lastSeen[newSlot] = lastSeen[slot] }
        }
        return e
    }

    public var activeAlarms: [Alarm] { book.active.values.sorted { $0.key < $1.key } }

    /// Handles one input; returns what it caused, in a deterministic order.
    public mutating func handle(_ input: CoreInput) -> [CoreOutput] {
        var out: [CoreOutput] = []
        handle(input, into: &out)
        return out
    }

    public mutating func handle(_ input: CoreInput, into out: inout [CoreOutput]) {
        let first = out.count
        handleInput(input, into: &out)
        // Remember the commands this input caused, to record the device's answer (or silence).
        if out.count > first {
            for o in out[first...] {
                if case let .command(c) = o, let id = c.alarmID {
                    pendingCommands.append(PendingCommand(alarmID: id, device: c.device, port: c.port, deadline: c.ts + Self.commandConfirmationMs))
                }
            }
        }
    }

    private mutating func handleInput(_ input: CoreInput, into out: inout [CoreOutput]) {
        switch input {
        case let .reading(r):
            handleReading(r, into: &out)
        case let .tick(t):
            advance(to: t, into: &out)
        case let .acknowledge(id, by, note, at):
            advance(to: at, into: &out)
            book.acknowledge(id: id, by: by, note: note, at: max(at, now), into: &out)
        case let .unregisteredDevice(id, topic, at):
            advance(to: at, into: &out)
            reportUnregistered(id, topic: topic, at: at, into: &out)
        case let .commandResult(alarmID, device, port, acknowledged, at):
            advance(to: at, into: &out)
            book.recordCommandResult(alarmID: alarmID, device: device, port: port, acknowledged: acknowledged, at: at)
        case let .gatewayFault(fault, evidence, at):
            var members: [(String, JSONValue)] = [("fault", .string(fault))]
            if case let .object(m) = evidence { members += m.filter { $0.0 != "fault" } }
            // Held until an operator deals with it: nothing the gateway reads can clear it.
            let c = Condition.active(
                AlarmKey(type: .gatewayFault, device: config.gateway.id), Self.gatewayFaultSeverity, at: at,
                evidence: .object(members), clearHoldMs: .max)
            book.apply(c, location: nil, now: now, into: &out)
        case let .brokerDrops(dropped, since, at):
            // Raised (or kept) by each rise of the counter, and due to clear an hour after
            // the last one: the normal condition that follows at once starts the hold.
            let key = AlarmKey(type: .gatewayFault)
            let evidence: JSONValue = .object([
                ("fault", "broker_dropped_messages"),
                ("detail", .string("the building broker dropped \(dropped) messages since \(BrokerDropWatch.utcText(since))")),
                ("dropped", JSONValue(dropped)), ("since", JSONValue(since)),
                ("source", .string(BrokerDropWatch.droppedTopic)),
            ])
            book.apply(.active(key, Self.gatewayFaultSeverity, at: at, evidence: evidence, clearHoldMs: BrokerDropWatch.quietClearMs), location: nil, now: now, into: &out)
            book.apply(.normal(key, at: at, clearHoldMs: BrokerDropWatch.quietClearMs), location: nil, now: now, into: &out)
        }
    }

    /// One alarm per unregistered id up to the limit; past it, one building-wide alarm that
    /// names the ids already reported. Nothing per id is kept beyond the limit.
    private mutating func reportUnregistered(_ id: String, topic: String, at: Int64, into out: inout [CoreOutput]) {
        if unregisteredReported.contains(id) { return }
        let c: Condition
        if unregisteredReported.count < Self.unregisteredAlarmLimit {
            unregisteredReported.insert(id)
            c = Condition.active(
                AlarmKey(type: .unregisteredDevice, device: id), .warning, at: at,
                evidence: ["topic": .string(topic), "reason": "device id not in the gateway's device registry"],
                clearHoldMs: .max)
        } else {
            guard !unregisteredOverflowReported else { return }
            unregisteredOverflowReported = true
            let first = unregisteredReported.sorted().prefix(Self.unregisteredAlarmLimit).map { JSONValue.string($0) }
            c = Condition.active(
                AlarmKey(type: .unregisteredDevice), .warning, at: at,
                evidence: [
                    "topic": .string(topic),
                    "reason": "more unregistered device ids than the gateway reports one by one; further ids are only counted (rentguard_messages_rejected_total, reason unknown_device)",
                    "reported_ids": .array(Array(first)), "limit": JSONValue(Self.unregisteredAlarmLimit),
                ],
                clearHoldMs: .max)
        }
        book.apply(c, location: nil, now: now, into: &out)
    }

    private mutating func handleReading(_ r: Reading, into out: inout [CoreOutput]) {
        guard let slot = slots[r.device] else {
            out.append(.rejected(Rejection(.unknownDevice, "device '\(r.device)' is not in the device registry", device: r.device)))
            return
        }
        if r.ts < now - latenessMs {
            out.append(.rejected(Rejection(.lateReading, "reading at \(r.ts) is \((now - r.ts) / 1000) s older than the newest event time (lateness bound \(latenessMs / 1000) s)", device: r.device)))
            return
        }
        let isLatest = r.ts >= lastSeen[slot]
        if isLatest { lastSeen[slot] = r.ts }
        advance(to: r.ts, into: &out)
        let device = deviceConfigs[slot]  // one copy per reading, borrowed by every rule
        for i in rulesByKind[Int(kindOfSlot[slot])] {
            rules[i].observe(r, device: device, slot: slot, isLatest: isLatest, into: &scratch)
        }
        if !scratch.isEmpty { flushScratch(into: &out) }
        if !pendingCommands.isEmpty, case let .event(e) = r.observation, e.name == .relayOff || e.name == .relayOn {
            confirmCommands(device: r.device, port: e.port, at: r.ts)
        }
        switch device.kind {
        case .waterMeter, .powerMeter, .gasMeter, .charger: occupancy.observe(r)
        case .smokeDetector: break
        }
    }

    /// A device confirmed a command: the alarm's actions record it.
    private mutating func confirmCommands(device: String, port: Int?, at: Int64) {
        pendingCommands.removeAll { p in
            guard p.device == device, port == nil || p.port == nil || p.port == port else { return false }
            book.recordCommandResult(alarmID: p.alarmID, device: p.device, port: p.port, acknowledged: true, at: at)
            return true
        }
    }

    private mutating func advance(to t: Int64, into out: inout [CoreOutput]) {
        guard t > now else { return }
        if !pendingCommands.isEmpty {
            pendingCommands.removeAll { p in
                guard p.deadline <= t else { return false }
                book.recordCommandResult(alarmID: p.alarmID, device: p.device, port: p.port, acknowledged: false, at: p.deadline)
                return true
            }
        }
        // Deadlines that fell due before `t` are handled in time order (clears and the rules'
        // timed decisions interleaved), each at its own moment.
        var guardSteps = 0
        while guardSteps < 100_000 {
            guardSteps += 1
            var ruleDue = Int64.max
            for i in tickRules { ruleDue = min(ruleDue, rules[i].deadlineInPlace()) }
            let clearDue = book.nextClearDue
            let step = min(ruleDue, clearDue)
            guard step < t else { break }
            if step > now { now = step }
            if clearDue <= ruleDue {
                book.clearDue(now: step, into: &out)
            } else {
                for i in tickRules { rules[i].tick(now: step, into: &scratch) }
                if !scratch.isEmpty { flushScratch(into: &out) }
            }
        }
        now = t
        if t >= occupancy.nextDeadline {
            let o = occupancy.advance(to: t)
            for e in o.estimates { out.append(.occupancy(e)) }
            for c in o.conditions { book.apply(c, location: nil, now: now, into: &out) }
        }
        if !tickRules.isEmpty {
            for i in tickRules { rules[i].tick(now: t, into: &scratch) }
            if !scratch.isEmpty { flushScratch(into: &out) }
        }
        book.clearDue(now: t, into: &out)
    }

    private mutating func flushScratch(into out: inout [CoreOutput]) {
        for c in scratch {
            book.apply(c, location: location(for: c.key), now: now, into: &out)
        }
        scratch.removeAll(keepingCapacity: true)
    }

    private func location(for key: AlarmKey) -> String? {
        if let d = key.device, let slot = slots[d] {
            let dev = deviceConfigs[slot]
            return dev.location ?? dev.zone?.rawValue
        }
        return nil
    }
}
