import Foundation
import Logging
import RentGuardCore
import RentGuardHTTP
import RentGuardStore
import RentGuardTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Log lines kept in memory, for assertions on what a service logged.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[(Logger.Level, String, String)]>([])

    func logger(_ label: String = "test") -> Logger {
        var l = Logger(label: label) { _ in CapturingHandler(sink: self) }
        l.logLevel = .trace
        return l
    }

    func append(_ level: Logger.Level, _ message: String, _ metadata: String) {
        lines.withLock { $0.append((level, message, metadata)) }
    }

    func messages(containing text: String) -> [(level: Logger.Level, message: String, metadata: String)] {
        lines.withLock { $0.filter { $0.1.contains(text) }.map { (level: $0.0, message: $0.1, metadata: $0.2) } }
    }
}

struct CapturingHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let m = event.metadata { merged.merge(m) { $1 } }
        sink.append(event.level, "\(event.message)", merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " "))
    }
}

/// Waits until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

func quietLogger() -> Logger {
    Logger(label: "rentguard.test") { _ in SwiftLogNoOpLogHandler() }
}

// MARK: - A GatewayAPI over a real Store

/// The daemon's side of the API as the tests need it: reads from a real SQLite store, and
/// an acknowledgement recorded as the pipeline would record it (a transition to
/// `acknowledged`, with its outbox row, in one transaction).
final class StoreGatewayAPI: GatewayAPI {
    let store: Store
    let destinations: [String]
    let devicesConfig: [(id: String, unit: String?, location: String?)]
    let health_ = Mutex(HealthReport(live: true, ready: true))
    let scrapes = Atomic<Int>(0)

    init(store: Store, destinations: [String] = ["registry-mqtt"], devices: [(id: String, unit: String?, location: String?)] = []) {
        self.store = store
        self.destinations = destinations
        self.devicesConfig = devices
    }

    func setHealth(_ h: HealthReport) { health_.withLock { $0 = h } }

    func status() async -> GatewayStatus {
        let active = (try? store.activeAlarms().count) ?? 0
        let outbox = destinations.compactMap { try? store.outboxStats(destination: $0) }
        let h = health_.withLock { $0 }
        return GatewayStatus(
            version: "0.1.0-test", gateway: "gw-test", building: "demo", startedAt: 1_700_000_000_000, now: 1_700_000_060_000, ready: h.ready,
            problems: h.problems, devicesRegistered: devicesConfig.count, devicesOnline: 1, devicesOffline: 1, activeAlarms: active,
            messagesReceived: 10, messagesRejected: 1, brokers: [BrokerState(name: "building", url: "mqtt://127.0.0.1:1883", connected: true)],
            outboxPending: outbox.map(\.pending).reduce(0, +), outboxDead: outbox.map(\.dead).reduce(0, +), databaseBytes: store.databaseSizeBytes())
    }

    func alarms(activeOnly: Bool, limit: Int) async throws -> [Alarm] {
        try store.alarms(activeOnly: activeOnly, limit: limit)
    }

    func acknowledge(alarmID: String, by: String, note: String?) async throws -> AcknowledgeResult {
        guard var alarm = try store.alarm(id: alarmID) else { return .notFound }
        switch alarm.state {
        case .acknowledged: return .alreadyAcknowledged
        case .cleared: return .cleared
        case .raised, .escalated: break
        }
        alarm.state = .acknowledged
        alarm.sequence += 1
        alarm.updatedAt += 1000
        var evidence: [(String, JSONValue)] = []
        if case let .object(m) = alarm.evidence { evidence = m }
        evidence.append(("acknowledged_by", .string(by)))
        if let note { evidence.append(("note", .string(note))) }
        alarm.evidence = .object(evidence)
        let t = AlarmTransition(alarm: alarm)
        let message = RegistryMessage.alarm(t, building: "demo", gateway: "gw-test")
        let rows = destinations.map {
            NewOutboxMessage(
                messageID: message.messageID, destination: $0, kind: message.kind, priority: message.priority, orderKey: message.orderKey,
                payload: message.body.serialized(), createdAt: alarm.updatedAt)
        }
        try store.recordAlarmTransition(t, outbox: rows)
        return .accepted
    }

    func devices(offlineOnly: Bool) async throws -> [DeviceStatus] {
        let rows = Dictionary(uniqueKeysWithValues: try store.devices().map { ($0.deviceID, $0) })
        let all = devicesConfig.map { d -> DeviceStatus in
            if let row = rows[d.id] {
                return DeviceStatus(row: row, unit: d.unit, location: d.location, offline: row.online == false)
            }
            return DeviceStatus(device: d.id, kind: "smoke_detector", unit: d.unit, location: d.location, offline: true, lastSeen: nil)
        }
        return offlineOnly ? all.filter(\.offline) : all
    }

    func occupancy() async throws -> [OccupancyRow] {
        [
            OccupancyRow(unit: "101", floor: 1, areaM2: 18, registeredOccupants: 2, estimatedOccupants: 7.5, low: 6, high: 9, groupRentalSuspected: true,
                reasons: ["water use 3.4x per registered occupant"], periodEnd: 1_700_000_000_000),
            OccupancyRow(unit: "102", floor: 1, areaM2: 35, registeredOccupants: 3),
        ]
    }

    func outbox() async throws -> [OutboxSummary] {
        try destinations.map { OutboxSummary(destination: $0, stats: try store.outboxStats(destination: $0)) }
    }

    func health() async -> HealthReport { health_.withLock { $0 } }

    func willScrapeMetrics() async { scrapes.add(1, ordering: .relaxed) }
}

/// A store on a temporary file with a few alarms and devices.
struct SeededStore {
    let directory: TemporaryDirectory
    let store: Store

    static let smokeID = "demo:smoke:SD-101-1:1700000000000"
    static let clearedID = "demo:charger_overheat:CH-1:p3:1700000100000"
    static let chineseLocationID = "demo:co:SD-102-1:1700000200000"

    init() throws {
        directory = try TemporaryDirectory(prefix: "rg-ops")
        store = try Store(path: directory.file(Store.fileName), logger: quietLogger())
        func record(_ a: Alarm) throws {
            let t = AlarmTransition(alarm: a)
            let m = RegistryMessage.alarm(t, building: "demo", gateway: "gw-test")
            try store.recordAlarmTransition(t, outbox: [
                NewOutboxMessage(messageID: m.messageID, destination: "registry-mqtt", kind: m.kind, priority: m.priority, orderKey: m.orderKey,
                    payload: m.body.serialized(), createdAt: a.updatedAt),
            ])
        }
        try record(Alarm(
            id: Self.smokeID, key: AlarmKey(type: .smoke, device: "SD-101-1", unit: "101"), state: .raised, severity: .major,
            location: "flat 101, bedroom", startedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000,
            evidence: ["smoke_obscuration_pct_per_m": 4.25, "threshold": 3, "detectors": ["SD-101-1"]],
            actions: [AlarmAction(command: "sound", device: "SD-101-1", port: nil, at: 1_700_000_000_100, result: .sent)]))
        try record(Alarm(
            id: Self.clearedID, key: AlarmKey(type: .chargerOverheat, device: "CH-1", port: 3), state: .cleared, severity: .critical,
            location: nil, startedAt: 1_700_000_100_000, updatedAt: 1_700_000_150_000, evidence: ["temperature_c": 71.5], sequence: 1))
        try record(Alarm(
            id: Self.chineseLocationID, key: AlarmKey(type: .co, device: "SD-102-1", unit: "102"), state: .raised, severity: .critical,
            location: "102室 厨房", startedAt: 1_700_000_200_000, updatedAt: 1_700_000_200_000, evidence: ["co_ppm": 180]))
        try store.upsertDevices([
            Store.DeviceRow(deviceID: "SD-101-1", kind: "smoke_detector", lastSeen: 1_700_000_000_000, online: true,
                lastValues: #"{"smoke_obscuration_pct_per_m":4.25,"battery_pct":88,"ts":1700000000000}"#),
            Store.DeviceRow(deviceID: "SD-102-1", kind: "smoke_detector", lastSeen: 1_699_999_000_000, online: false, lastValues: "{}"),
        ])
    }

    func api() -> StoreGatewayAPI {
        StoreGatewayAPI(store: store, devices: [
            (id: "SD-101-1", unit: "101", location: "bedroom"), (id: "SD-102-1", unit: "102", location: "102室 厨房"),
            (id: "SD-103-1", unit: "103", location: nil),
        ])
    }

    func remove() {
        store.close()
        directory.remove()
    }
}
