import Foundation
import Logging
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore

/// What the pipeline works with, passed in explicitly (no back-reference to its owner), so
/// that it runs in-process in tests with a real SQLite file and a hand-set clock.
public struct PipelineDependencies: Sendable {
    public var store: Store
    public var routing: Routing
    public var health: GatewayHealth
    public var devices: DeviceLedger
    public var statistics: IngestStatistics
    public var clock: any GatewayClock
    /// Where device commands go (the command service's queue).
    public var commands: @Sendable (CommandService.Outgoing) -> Void
    /// Run on event time (see `DetectionService.Options.eventClock`).
    public var eventClock: Bool
    public var logger: Logger

    public init(
        store: Store, routing: Routing, health: GatewayHealth, devices: DeviceLedger, statistics: IngestStatistics,
        clock: any GatewayClock, commands: @escaping @Sendable (CommandService.Outgoing) -> Void, eventClock: Bool, logger: Logger
    ) {
        self.store = store
        self.routing = routing
        self.health = health
        self.devices = devices
        self.statistics = statistics
        self.clock = clock
        self.commands = commands
        self.eventClock = eventClock
        self.logger = logger
    }
}

/// The ingest → detect → store pipeline's state: the core, the decoder, device state and
/// aggregates waiting to be flushed. One task owns it.
public struct Pipeline {
    let deps: PipelineDependencies
    var engine: DetectionEngine
    var decoder: IngestDecoder
    var aggregator: ReadingAggregator
    var deviceRows: [String: Store.DeviceRow] = [:]
    /// Rows changed since the last database flush, and since the last publication to the ledger.
    var dirtyDevices: Set<String> = []
    var unpublishedDevices: Set<String> = []
    var rejectLog = RateLimitedLog()
    var storeErrorLog = RateLimitedLog(intervalMs: 60_000)
    /// What the last flush drained and has not written yet (see `flush`).
    var pendingBuckets: [AggregateBucket] = []
    var pendingRows: [Store.DeviceRow] = []
    /// Alarm transitions whose write failed; retried on every tick, never dropped.
    var unpersisted: [AlarmTransition] = []
    var lastFlush: Int64
    var lastSummary: Int64
    var lastRetention: Int64 = 0
    var lastSnapshot: Int64
    /// The occupancy part last written: the estimator's next period then, and when.
    var occupancySaved: (nextPeriod: Int64?, at: Int64)? = nil
    var kinds: [String: DeviceKind]
    let gatewayStatusTopic: String
    var logger: Logger { deps.logger }
    var config: BuildingConfig

    public init(config: BuildingConfig, dependencies deps: PipelineDependencies) throws {
        self.deps = deps
        self.config = config
        let restored = try deps.store.activeAlarms()
        engine = DetectionEngine(config: config, restoring: restored, snapshot: Self.storedSnapshot(deps.store, config: config, logger: deps.logger))
        Self.logOccupancyRestore(engine.occupancyRestore, logger: deps.logger)
        decoder = IngestDecoder(config: config, futureCheck: !deps.eventClock)
        aggregator = ReadingAggregator(bucketMs: Int64(config.storage.aggregateMinutes) * 60_000)
        var k: [String: DeviceKind] = [:]
        for d in config.devices { k[d.id] = d.kind }
        kinds = k
        gatewayStatusTopic = "\(config.ingest.topicPrefix)/\(config.gateway.building)/\(config.gateway.id)/status"
        let rows = try deps.store.devices()
        for row in rows { deviceRows[row.deviceID] = row }
        let now = deps.clock.nowMs()
        deps.devices.seed(rows)
        deps.devices.publish([], now: deps.eventClock ? 0 : now)
        lastFlush = now
        lastSummary = now
        lastSnapshot = now
        if !restored.isEmpty {
            logger.notice("restored active alarms", metadata: ["count": "\(restored.count)", "ids": "\(restored.map(\.id).joined(separator: ","))"])
        }
        publishLiveState(now: now)
    }

    /// The transitions still waiting for the database.
    public var unpersistedCount: Int { unpersisted.count }

    public mutating func handle(_ event: PipelineInbox.Event) {
        switch event {
        case let .messages(batch, receivedAt):
            for m in batch { ingest(m, receivedAt: receivedAt) }
            publishLiveState(now: receivedAt)
        case let .tick(now):
            run(.tick(now))
            housekeeping(now: now)
        case let .input(input):
            run(input)
        case let .reconfigure(new):
            reconfigure(new)
        }
    }

    /// Hands the devices that changed, event time and the active alarms to the live views.
    mutating func publishLiveState(now: Int64) {
        let reference = deps.eventClock ? engine.now : now
        let stats = deps.statistics.snapshot
        deps.devices.publish(
            unpublishedDevices.compactMap { deviceRows[$0] }, now: reference,
            received: stats.filter { $0.key.hasPrefix("in.") }.values.reduce(0, +),
            rejected: stats.filter { $0.key.hasPrefix("reject.") }.values.reduce(0, +))
        unpublishedDevices.removeAll(keepingCapacity: true)
        let active = engine.activeAlarms.count
        let waiting = unpersisted.count
        deps.health.update {
            $0.activeAlarms = active
            $0.unpersistedTransitions = waiting
        }
    }

    /// A reloaded configuration: new devices, units and thresholds; active alarms are kept.
    mutating func reconfigure(_ new: BuildingConfig) {
        config = new
        engine = engine.reconfigured(new)
        decoder = IngestDecoder(config: new, futureCheck: !deps.eventClock)
        var k: [String: DeviceKind] = [:]
        for d in new.devices { k[d.id] = d.kind }
        kinds = k
    }

    mutating func ingest(_ m: MQTTMessage, receivedAt: Int64) {
        if m.topic == gatewayStatusTopic { return }  // our own status, not a device
        #if DEBUG
        Self.crashIfTestMarker(m.payload)
        #endif
        switch decoder.decode(topic: m.topic, payload: m.payload, receivedAt: receivedAt) {
        case let .success(readings):
            for var reading in readings {
                if deps.eventClock, !reading.timestampFromDevice {
                    // No device time (an LWT, zigbee2mqtt availability): on event time, "now" is the core's.
                    guard engine.now > 0 else { continue }
                    reading.ts = engine.now
                }
                deps.statistics.received(kind: kinds[reading.device], channel: Self.channel(reading.observation))
                if !deps.eventClock, receivedAt - reading.ts > engine.latenessMs {
                    // A device clock behind ours, or a message the broker kept while we were away:
                    // keep the data on our clock rather than refuse it as late.
                    deps.statistics.increment("clock_skew_corrected")
                    reading.ts = receivedAt
                }
                record(reading)
                run(.reading(reading))
            }
        case let .failure(rejection):
            deps.statistics.rejected(rejection.reason)
            if rejection.reason == .unknownDevice, let device = rejection.device {
                run(.unregisteredDevice(id: device, topic: m.topic, at: unregisteredTime(m, receivedAt: receivedAt)))
            }
            logRejection(rejection, topic: m.topic, now: receivedAt)
        }
    }

    /// When an unregistered device's message happened. On event time the device's own `ts`
    /// (or the core's current time), never the wall clock: that would move event time ahead.
    func unregisteredTime(_ m: MQTTMessage, receivedAt: Int64) -> Int64 {
        guard deps.eventClock else { return receivedAt }
        if m.payload.count <= config.ingest.maxPayloadBytes, let json = try? JSONParser.parse(m.payload),
            let ts = json["ts"]?.doubleValue, ts == ts.rounded(), ts >= Double(FieldLimits.minTimestampMs), ts < 9e15
        {
            return max(Int64(ts), engine.now)
        }
        return engine.now > 0 ? engine.now : receivedAt
    }

    mutating func run(_ input: CoreInput) {
        let outputs = engine.handle(input)
        if outputs.isEmpty { return }
        for output in outputs {
            switch output {
            case let .alarm(t):
                persist(t)
            case let .command(c):
                send(c)
            case let .occupancy(e):
                enqueue(e)
            case let .rejected(r):
                deps.statistics.rejected(r.reason)
                logRejection(r, topic: nil, now: engine.now)
            }
        }
    }

    /// Writes the transition and its outbox rows in one transaction, then wakes delivery.
    mutating func persist(_ t: AlarmTransition) {
        deps.statistics.alarm(t)
        let a = t.alarm
        logger.log(level: a.severity >= .major ? .warning : .notice, "alarm \(a.state.rawValue)", metadata: [
            "alarm_id": "\(a.id)", "type": "\(a.key.type)", "severity": "\(a.severity.rawValue)",
            "device": "\(a.key.device ?? "-")", "unit": "\(a.key.unit ?? "-")",
        ])
        // Behind a failed write, later transitions queue too, so that one alarm's stay in order.
        if !unpersisted.isEmpty || !write(t) { unpersisted.append(t) }
        deps.routing.ring()
    }

    /// One line per failure streak, then at most one a minute, whatever the number of
    /// transitions waiting (a full disk must not flood the journal too).
    mutating func write(_ t: AlarmTransition) -> Bool {
        let now = deps.clock.nowMs()
        let rows = deps.routing.current.plan.rows(for: t, createdAt: now)
        do {
            try deps.store.recordAlarmTransition(t, outbox: rows)
            return true
        } catch {
            if let suppressed = storeErrorLog.admit("alarm_write", now: now) {
                logger.critical("cannot write an alarm transition to the database; keeping it in memory and retrying every tick", metadata: [
                    "alarm_id": "\(t.alarm.id)", "error": "\(error)", "waiting_in_memory": "\(unpersisted.count + 1)",
                    "suppressed_since_last": "\(suppressed)",
                ])
            }
            return false
        }
    }

    /// Occupancy estimates go to the registry through the outbox (lowest alarm-free priority).
    func enqueue(_ e: OccupancyEstimate) {
        deps.statistics.increment("occupancy.estimates")
        deps.health.update { $0.occupancy[e.unit] = e }
        logger.info("occupancy estimate", metadata: [
            "unit": "\(e.unit)", "estimated": "\(e.estimated)", "low": "\(e.low)", "high": "\(e.high)",
            "registered": "\(e.registeredOccupants)", "group_rental_suspected": "\(e.groupRentalSuspected)",
        ])
        do {
            try deps.store.enqueue(deps.routing.current.plan.rows(for: e, createdAt: deps.clock.nowMs()))
            deps.routing.ring()
        } catch {
            logger.error("cannot queue an occupancy estimate", metadata: ["unit": "\(e.unit)", "error": "\(error)"])
        }
    }

    /// A command as the device understands it (protocol v1, or its profile's own format).
    func send(_ c: DeviceCommand) {
        guard let out = decoder.encode(c) else {
            logger.error("the device's profile cannot carry this command; its outcome will time out", metadata: [
                "device": "\(c.device)", "cmd": "\(c.command)",
            ])
            return
        }
        logger.warning("sending device command", metadata: ["device": "\(c.device)", "cmd": "\(c.command)", "port": "\(c.port.map(String.init) ?? "-")", "alarm_id": "\(c.alarmID ?? "-")"])
        deps.commands(.init(device: c.device, command: c.command, topic: out.topic, payload: out.payload))
    }

    /// Device state and reading aggregates, kept in memory and flushed in batches.
    mutating func record(_ r: Reading) {
        let kind = kinds[r.device]?.rawValue ?? "unknown"
        var row = deviceRows[r.device] ?? Store.DeviceRow(deviceID: r.device, kind: kind, lastSeen: r.ts, online: nil, lastValues: "{}")
        row.lastSeen = max(row.lastSeen, r.ts)
        switch r.observation {
        case let .status(online):
            row.online = online
        case .event:
            break
        case let .telemetry(t):
            row.online = true
            let values = Self.values(t)
            for (field, v) in values { aggregator.add(device: r.device, field: field, value: v, ts: r.ts) }
            row.lastValues = JSONValue.object(values.map { ($0.0, .number($0.1)) } + [("ts", JSONValue(r.ts))]).serialized()
        }
        deviceRows[r.device] = row
        dirtyDevices.insert(r.device)
        unpublishedDevices.insert(r.device)
    }

    static func values(_ t: Telemetry) -> [(String, Double)] {
        var v: [(String, Double)] = []
        func add(_ k: String, _ x: Double?) { if let x { v.append((k, x)) } }
        switch t {
        case let .smoke(s):
            add("smoke_obscuration_pct_per_m", s.obscurationPctPerM); add("temperature_c", s.temperatureC)
            add("co_ppm", s.coPpm); add("battery_pct", s.batteryPct)
            if let a = s.alarm { v.append(("alarm", a ? 1 : 0)) }
        case let .charger(c):
            add("ambient_c", c.ambientC)
            for p in c.ports {
                add("p\(p.port).current_a", p.currentA); add("p\(p.port).power_w", p.powerW)
                add("p\(p.port).temperature_c", p.temperatureC); add("p\(p.port).voltage_v", p.voltageV)
            }
        case let .power(p):
            add("power_w", p.powerW); add("current_a", p.currentA); add("voltage_v", p.voltageV)
            add("energy_kwh", p.energyKWh); add("residual_current_ma", p.residualCurrentMA)
        case let .water(w):
            add("volume_l", w.volumeL); add("flow_l_per_min", w.flowLPerMin)
        case let .gas(g):
            add("volume_m3", g.volumeM3); add("flow_m3_per_h", g.flowM3PerH)
        }
        return v
    }

    mutating func housekeeping(now: Int64) {
        publishLiveState(now: now)
        updateHealth(now: now)
        if !unpersisted.isEmpty {
            // In order, stopping at the first failure: one alarm's transitions stay in order,
            // and a full disk costs one attempt per tick, not one per waiting transition.
            var written = 0
            while written < unpersisted.count, write(unpersisted[written]) { written += 1 }
            if written > 0 {
                unpersisted.removeFirst(written)
                logger.notice("alarm transitions written to the database after a failure", metadata: [
                    "written": "\(written)", "still_waiting": "\(unpersisted.count)",
                ])
                deps.routing.ring()
            }
        }
        if Double(now - lastFlush) >= config.storage.flushIntervalSeconds * 1000 {
            flush(now: now)
        } else if !pendingBuckets.isEmpty || !pendingRows.isEmpty {
            writeFlushSlice(limit: Self.flushSliceRows)
        }
        if now - lastSnapshot >= Self.snapshotIntervalMs { saveSnapshot(now: now) }
        if now - lastSummary >= 60_000 {
            lastSummary = now
            logger.info("status", metadata: ["summary": "\(summary())"])
        }
    }

    /// Device state and aggregates are written a slice at a time: a building of 10,000
    /// devices flushes tens of thousands of rows, and written at once they would stall the
    /// pipeline (and an alarm behind them) for tens of milliseconds.
    static let flushSliceRows = 1_000

    /// Drains device state and aggregates for the database and writes the first slice; the
    /// rest goes a slice per tick. `all` (at shutdown) writes everything now, and the core's
    /// learned state. Prunes old aggregates daily.
    public mutating func flush(now: Int64, all: Bool = false) {
        lastFlush = now
        if all { writeFlushSlice(limit: .max) }
        if pendingBuckets.isEmpty, pendingRows.isEmpty {
            pendingBuckets = aggregator.drain()
            pendingRows = dirtyDevices.sorted().compactMap { deviceRows[$0] }
            dirtyDevices.removeAll()
        }
        writeFlushSlice(limit: all ? .max : Self.flushSliceRows)
        // At shutdown the core's learned state goes too (on a schedule otherwise).
        if all { saveSnapshot(now: now, final: true) }
        guard now - lastRetention > 86_400_000 else { return }
        lastRetention = now
        do {
            let cutoff = now - Int64(config.storage.retentionDays) * 86_400_000
            let pruned = try deps.store.pruneAggregates(olderThan: cutoff)
            let delivered = try deps.store.pruneDelivered(olderThan: cutoff)
            if pruned + delivered > 0 {
                logger.info("retention", metadata: ["aggregates_pruned": "\(pruned)", "delivered_pruned": "\(delivered)"])
            }
        } catch {
            logger.error("cannot prune old aggregates", metadata: ["error": "\(error)"])
        }
    }

    /// Writes up to `limit` rows of what the last flush drained; a failed slice stays for the
    /// next tick.
    mutating func writeFlushSlice(limit: Int) {
        do {
            let buckets = min(limit, pendingBuckets.count)
            if buckets > 0 {
                try deps.store.writeAggregates(Array(pendingBuckets.prefix(buckets)))
                pendingBuckets.removeFirst(buckets)
            }
            let rows = min(limit - buckets, pendingRows.count)
            if rows > 0 {
                try deps.store.upsertDevices(Array(pendingRows.prefix(rows)))
                pendingRows.removeFirst(rows)
            }
        } catch {
            if let suppressed = storeErrorLog.admit("flush", now: deps.clock.nowMs()) {
                logger.error("cannot flush device state and aggregates; retrying next tick", metadata: [
                    "error": "\(error)", "waiting_rows": "\(pendingBuckets.count + pendingRows.count)", "suppressed_since_last": "\(suppressed)",
                ])
            }
        }
    }

    mutating func logRejection(_ r: Rejection, topic: String?, now: Int64) {
        let key = r.reason.rawValue  // per reason, not per device: made-up ids must not flood the log
        guard let suppressed = rejectLog.admit(key, now: now) else { return }
        var md: Logger.Metadata = ["reason": "\(r.reason.rawValue)", "detail": "\(r.detail)"]
        if let d = r.device { md["device"] = "\(d)" }
        if let topic { md["topic"] = "\(topic.prefix(200))" }
        if suppressed > 0 { md["suppressed_since_last"] = "\(suppressed)" }
        logger.warning(r.reason == .unknownDevice ? "message from an unregistered device" : "message rejected", metadata: md)
    }

    /// Publishes the gateway's health for the heartbeat, the watchdog and the local API.
    func updateHealth(now: Int64) {
        deps.devices.publishOfflineTimeouts(engine.offlineTimeouts)
        let census = deps.devices.census(config)
        let stats = deps.statistics.snapshot
        deps.health.update {
            $0.devicesRegistered = census.registered
            $0.devicesOnline = census.online
            $0.devicesOffline = census.offline
            $0.devicesNeverSeen = census.neverSeen
            $0.lastPipelineTick = now
            $0.messagesReceived = stats.filter { $0.key.hasPrefix("in.") }.values.reduce(0, +)
            $0.messagesRejected = stats.filter { $0.key.hasPrefix("reject.") }.values.reduce(0, +)
            $0.offlineDevices = census.offlineIDs
        }
    }

    public func summary() -> String {
        let s = deps.statistics.snapshot
        let received = s.filter { $0.key.hasPrefix("in.") }.values.reduce(0, +)
        let rejected = s.filter { $0.key.hasPrefix("reject.") }.values.reduce(0, +)
        return "received=\(received) rejected=\(rejected) active_alarms=\(engine.activeAlarms.count)"
    }

    static func channel(_ o: Reading.Observation) -> String {
        switch o {
        case .telemetry: return "telemetry"
        case .event: return "event"
        case .status: return "status"
        }
    }
}
