import Foundation
import RentGuardCore
import RentGuardHTTP
import RentGuardMQTT
import RentGuardStore
import RentGuardSystemd

/// The operator's view of the running daemon, for the local HTTP endpoint and rentguardctl:
/// read from the store and the health snapshot; acknowledgements go to the pipeline as a
/// core input, so the registry receives them as an `acknowledged` transition.
struct DaemonAPI: GatewayAPI {
    /// Read at each request: a reload shows at once.
    let configuration: RunningConfiguration
    let store: Store
    let health: GatewayHealth
    let devices: DeviceLedger
    let statistics: IngestStatistics
    let detection: DetectionService
    let inbox: PipelineInbox
    let routing: Routing
    let building: MQTTClient
    let brokerSys: BrokerSysStatus
    let monitor: ProgressMonitor
    let gauges: GatewayGauges
    let clock: any GatewayClock

    /// Read live: the same device ledger, counters and store the other views read, never a
    /// snapshot taken on a tick.
    func status() async -> GatewayStatus {
        let config = configuration.current
        let h = health.snapshot
        let (census, received, rejected) = devices.snapshot(config)
        // Active alarms from the store: the same source as the alarms list and /metrics.
        let active = (try? store.activeAlarmCounts().values.reduce(0, +)) ?? h.activeAlarms
        let report = await self.health()
        var pending = 0, dead = 0
        for d in routing.current.allDestinations {
            if let s = try? store.outboxStats(destination: d) {
                pending += s.pending
                dead += s.dead
            }
        }
        return GatewayStatus(
            version: RentGuardVersion.current, gateway: config.gateway.id, building: config.gateway.building,
            startedAt: h.startedAt, now: clock.nowMs(), ready: report.ready, problems: report.problems,
            devicesRegistered: census.registered, devicesOnline: census.online, devicesOffline: census.offline,
            devicesNeverSeen: census.neverSeen, activeAlarms: active, messagesReceived: received,
            messagesRejected: rejected, brokers: brokers(config), outboxPending: pending, outboxDead: dead,
            databaseBytes: store.databaseSizeBytes())
    }

    func brokers(_ config: BuildingConfig) -> [BrokerState] {
        let sys = brokerSys.snapshot
        var b = [BrokerState(
            name: "building", url: config.broker.url, connected: building.connectionState.isConnected, sys: sys.availability.rawValue,
            droppedMessages: sys.brokerDropped, storedMessages: sys.stored)]
        if let r = routing.current.registryClient, let url = config.registry.mqtt?.url {
            b.append(BrokerState(name: "registry", url: url, connected: r.connectionState.isConnected))
        }
        return b
    }

    func alarms(activeOnly: Bool, limit: Int) async throws -> [Alarm] {
        try store.alarms(activeOnly: activeOnly, limit: limit)
    }

    func incidents(activeOnly: Bool, limit: Int) async throws -> [Incident] {
        Self.incidents(try store.incidentMembers(activeOnly: activeOnly, limit: limit))
    }

    func incident(id: String) async throws -> Incident? {
        Self.incidents(try store.incidentMembers(id: id)).first
    }

    static func incidents(_ rows: [(alarm: Alarm, transitions: [Store.TransitionRow])]) -> [Incident] {
        var transitions: [String: [(state: AlarmState, severity: Severity, at: Int64)]] = [:]
        for r in rows where !r.transitions.isEmpty { transitions[r.alarm.id] = r.transitions.map { ($0.state, $0.severity, $0.at) } }
        return Incident.build(rows.map(\.alarm), transitions: transitions)
    }

    func activeAlarmCounts() async throws -> [Severity: Int]? {
        try store.activeAlarmCounts()
    }

    func acknowledge(alarmID: String, by: String, note: String?) async throws -> AcknowledgeResult {
        guard let a = try store.alarm(id: alarmID) else { return .notFound }
        switch a.state {
        case .cleared: return .cleared
        case .acknowledged: return .alreadyAcknowledged
        case .raised, .escalated:
            // On the event clock "now" is the newest device time (`ledgerNow`): the wall clock
            // would move the core's time months ahead and time out every device.
            guard detection.submit(.acknowledge(alarmID: alarmID, by: by, note: note, at: ledgerNow)) else {
                throw DaemonError.busy("the pipeline's input queue is full or the pipeline has stopped; try again")
            }
            return .accepted
        }
    }

    func devices(offlineOnly: Bool) async throws -> [DeviceStatus] {
        let config = configuration.current
        let rows = devices.rows
        let offline = devices.census(config).offlineIDs
        var out: [DeviceStatus] = []
        for d in config.devices {
            let isOffline = rows[d.id] == nil || offline.contains(d.id)
            if offlineOnly, !isOffline { continue }
            if let row = rows[d.id] {
                out.append(DeviceStatus(row: row, unit: d.unit, location: d.location, offline: isOffline))
            } else {
                out.append(DeviceStatus(device: d.id, kind: d.kind.rawValue, unit: d.unit, location: d.location, offline: true, lastSeen: nil))
            }
        }
        return out
    }

    func occupancy() async throws -> [OccupancyRow] {
        let latest = health.snapshot.occupancy
        return configuration.current.units.map { OccupancyRow(unit: $0, latest: latest[$0.id]) }
    }

    func outbox() async throws -> [OutboxSummary] {
        try routing.current.allDestinations.map { OutboxSummary(destination: $0, stats: try store.outboxStats(destination: $0)) }
    }

    func health() async -> HealthReport {
        var problems: [String] = []
        let stalled = monitor.stalled(maxAge: .seconds(30))
        for s in stalled { problems.append("\(s) is not making progress") }
        if !building.connectionState.isConnected { problems.append("not connected to the building broker") }
        if let r = routing.current.registryClient, !r.connectionState.isConnected { problems.append("not connected to the registry broker") }
        if building.connectionState.isConnected, !building.isSubscribed { problems.append("not subscribed: the building broker has not acknowledged (or has refused) the subscriptions") }
        if health.snapshot.unpersistedTransitions > 0 { problems.append("alarm transitions waiting for the database") }
        let live = stalled.isEmpty
        return HealthReport(live: live, ready: live && problems.isEmpty, problems: problems)
    }

    func willScrapeMetrics() async {
        let now = clock.nowMs()
        for d in routing.current.allDestinations {
            if let s = try? store.outboxStats(destination: d) { gauges.outbox(destination: d, stats: s, now: now) }
        }
        gauges.databaseSize(bytes: store.databaseSizeBytes())
        let config = configuration.current
        for b in brokers(config) { gauges.brokerConnected(b.name, b.connected) }
        let sys = brokerSys.snapshot
        gauges.brokerSys(available: sys.availability == .available, stored: sys.stored)
        let h = health.snapshot
        let census = devices.census(config)
        gauges.devices(online: census.online, offline: census.offline, neverSeen: census.neverSeen)
        let depth = inbox.depth
        gauges.ingestQueue(batch: depth.batch, inputs: depth.inputs, unpersisted: h.unpersistedTransitions)
        // Exact counts (one aggregate query), not a count of the first N rows.
        if let counts = try? store.activeAlarmCounts() {
            gauges.activeAlarms(bySeverity: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
        }
        gauges.unpersistedTransitions(h.unpersistedTransitions)
    }
}
