import RentGuardCore
import RentGuardLedger
import RentGuardStore

/// What the operations endpoint asks of the daemon. The daemon implements it over its
/// store, its pipeline and its health snapshot; the server only translates HTTP.
public protocol GatewayAPI: Sendable {
    /// The gateway at a glance (`GET /api/v1/status`).
    func status() async -> GatewayStatus
    /// Alarms (`GET /api/v1/alarms?active=true&limit=N`): active ones most severe first, then
    /// most recently updated; all of them most recently updated first.
    func alarms(activeOnly: Bool, limit: Int) async throws -> [Alarm]
    /// The exact number of active alarms by severity, however many there are (the alarms
    /// response's `active_counts`, and the `rentguard_active_alarms` gauge). Nil: unknown.
    func activeAlarmCounts() async throws -> [Severity: Int]?
    /// An operator's acknowledgement (`POST /api/v1/alarms/{id}/ack`). `accepted` means
    /// the acknowledgement was handed to the pipeline, which records it and sends the
    /// `acknowledged` transition to the registry.
    func acknowledge(alarmID: String, by: String, note: String?) async throws -> AcknowledgeResult
    /// Incidents (`GET /api/v1/incidents?active=true&limit=N`): alarms that one event caused
    /// in one place, grouped (`Incident`), active ones most severe first.
    func incidents(activeOnly: Bool, limit: Int) async throws -> [Incident]
    /// One incident with its members and timeline; nil when there is none.
    func incident(id: String) async throws -> Incident?
    /// Registered devices and their last state (`GET /api/v1/devices?offline=true`).
    func devices(offlineOnly: Bool) async throws -> [DeviceStatus]
    /// Units, their registered and estimated occupancy (`GET /api/v1/occupancy`).
    func occupancy() async throws -> [OccupancyRow]
    /// Delivery queues per destination (`GET /api/v1/outbox`).
    func outbox() async throws -> [OutboxSummary]
    /// Liveness and readiness (`/healthz`, `/readyz`).
    func health() async -> HealthReport
    /// Occupancy estimates whose period ended in the last `days` days (`GET /api/v1/occupancy/history`).
    func occupancyHistory(days: Int) async throws -> [Store.OccupancyHistoryRow]
    /// Ledger reports written so far, newest first (`GET /api/v1/reports`).
    func reports() async throws -> [Store.ReportRow]
    /// A written report's file (`GET /api/v1/reports/FILE`); nil when there is none.
    func reportFile(name: String) async throws -> [UInt8]?
    /// The report of a period built now (`GET /api/v1/report?period=…`): `period` as
    /// `ReportPeriod(parsing:)` reads it, `current`, or nil for the last closed period.
    /// Throws `APIRequestError` for a period it cannot read. The defaults of these four
    /// throw `LedgerUnavailable`.
    func report(period: String?) async throws -> LedgerReport
    /// Called before each `/metrics` scrape: the place to refresh gauges that are cheaper
    /// to read on demand (outbox depth, database size). The default does nothing.
    func willScrapeMetrics() async
}

extension GatewayAPI {
    /// Built from the alarms alone (no transitions): for APIs without a store of their own.
    public func incidents(activeOnly: Bool, limit: Int) async throws -> [Incident] {
        Array(Incident.build(try await alarms(activeOnly: activeOnly, limit: OperationsRouter.maxAlarmLimit)).prefix(limit))
    }

    public func incident(id: String) async throws -> Incident? {
        Incident.build(try await alarms(activeOnly: false, limit: OperationsRouter.maxAlarmLimit)).first { $0.id == id }
    }

    public func willScrapeMetrics() async {}
    public func activeAlarmCounts() async throws -> [Severity: Int]? { nil }
}

/// The outcome of an acknowledgement.
public enum AcknowledgeResult: String, Sendable, Codable, Equatable {
    /// Handed to the pipeline: 202.
    case accepted
    /// No alarm with this id: 404.
    case notFound = "not_found"
    /// Already acknowledged: 409.
    case alreadyAcknowledged = "already_acknowledged"
    /// Already cleared, nothing left to acknowledge: 409.
    case cleared
}

/// Liveness (the process serves requests and its loops make progress) and readiness (the
/// store is open, the pipeline runs, the building broker is connected).
public struct HealthReport: Sendable, Codable, Equatable {
    public var live: Bool
    public var ready: Bool
    /// Why not ready (or not live), one short sentence each.
    public var problems: [String]

    public init(live: Bool, ready: Bool, problems: [String] = []) {
        self.live = live
        self.ready = ready
        self.problems = problems
    }
}

/// One MQTT connection of the gateway.
public struct BrokerState: Sendable, Codable, Equatable {
    /// `building`, `registry`, …
    public var name: String
    /// The broker's URL, without credentials.
    public var url: String
    public var connected: Bool
    /// The broker's `$SYS` counters: `waiting` (none yet), `available`, `unavailable` (none
    /// came within 30 s of connecting); nil where not followed (the registry broker).
    public var sys: String?
    /// The broker's own dropped-messages counter (`$SYS/broker/publish/messages/dropped`,
    /// since the broker started, all clients), as last read.
    public var droppedMessages: Int64?
    /// Messages in the broker's store (`$SYS/broker/store/messages/count`), as last read.
    public var storedMessages: Int64?

    public init(name: String, url: String, connected: Bool, sys: String? = nil, droppedMessages: Int64? = nil, storedMessages: Int64? = nil) {
        self.name = name
        self.url = url
        self.connected = connected
        self.sys = sys
        self.droppedMessages = droppedMessages
        self.storedMessages = storedMessages
    }

    enum CodingKeys: String, CodingKey {
        case name, url, connected, sys
        case droppedMessages = "dropped_messages"
        case storedMessages = "stored_messages"
    }
}

/// `GET /api/v1/status`. Times are Unix milliseconds.
public struct GatewayStatus: Sendable, Codable, Equatable {
    public var version: String
    public var gateway: String
    public var building: String
    public var startedAt: Int64
    /// The gateway's clock when the status was taken.
    public var now: Int64
    public var ready: Bool
    public var problems: [String]
    public var devicesRegistered: Int
    public var devicesOnline: Int
    public var devicesOffline: Int
    public var devicesNeverSeen: Int
    public var activeAlarms: Int
    public var messagesReceived: Int
    public var messagesRejected: Int
    public var brokers: [BrokerState]
    /// Undelivered messages over every destination.
    public var outboxPending: Int
    /// Messages a destination refused for good.
    public var outboxDead: Int
    public var databaseBytes: Int64

    public init(
        version: String, gateway: String, building: String, startedAt: Int64, now: Int64, ready: Bool, problems: [String] = [],
        devicesRegistered: Int = 0, devicesOnline: Int = 0, devicesOffline: Int = 0, devicesNeverSeen: Int = 0,
        activeAlarms: Int = 0, messagesReceived: Int = 0, messagesRejected: Int = 0, brokers: [BrokerState] = [],
        outboxPending: Int = 0, outboxDead: Int = 0, databaseBytes: Int64 = 0
    ) {
        self.version = version
        self.gateway = gateway
        self.building = building
        self.startedAt = startedAt
        self.now = now
        self.ready = ready
        self.problems = problems
        self.devicesRegistered = devicesRegistered
        self.devicesOnline = devicesOnline
        self.devicesOffline = devicesOffline
        self.devicesNeverSeen = devicesNeverSeen
        self.activeAlarms = activeAlarms
        self.messagesReceived = messagesReceived
        self.messagesRejected = messagesRejected
        self.brokers = brokers
        self.outboxPending = outboxPending
        self.outboxDead = outboxDead
        self.databaseBytes = databaseBytes
    }

    enum CodingKeys: String, CodingKey {
        case version, gateway, building, now, ready, problems, brokers
        case startedAt = "started_at"
        case devicesRegistered = "devices_registered"
        case devicesOnline = "devices_online"
        case devicesOffline = "devices_offline"
        case devicesNeverSeen = "devices_never_seen"
        case activeAlarms = "active_alarms"
        case messagesReceived = "messages_received"
        case messagesRejected = "messages_rejected"
        case outboxPending = "outbox_pending"
        case outboxDead = "outbox_dead"
        case databaseBytes = "database_bytes"
    }
}

/// One device in `GET /api/v1/devices`.
public struct DeviceStatus: Sendable, Codable, Equatable {
    public var device: String
    /// `smoke_detector`, `charger`, … (`DeviceKind.rawValue`).
    public var kind: String
    public var unit: String?
    public var location: String?
    /// The gateway's verdict: not heard from within its expected interval, or reported offline.
    public var offline: Bool
    /// Unix milliseconds of the last message; nil if never heard from.
    public var lastSeen: Int64?
    /// The latest numeric values by field (`temperature_c`, `p1.current_a`, …).
    public var lastValues: [String: Double]

    public init(device: String, kind: String, unit: String? = nil, location: String? = nil, offline: Bool, lastSeen: Int64?, lastValues: [String: Double] = [:]) {
        self.device = device
        self.kind = kind
        self.unit = unit
        self.location = location
        self.offline = offline
        self.lastSeen = lastSeen
        self.lastValues = lastValues
    }

    /// From the store's row. `lastValues` is read from the row's JSON object (numbers only;
    /// the `ts` member is left out).
    public init(row: Store.DeviceRow, unit: String? = nil, location: String? = nil, offline: Bool) {
        var values: [String: Double] = [:]
        if case let .object(members)? = try? JSONParser.parse(row.lastValues, maxDepth: 8) {
            for (k, v) in members where k != "ts" {
                if let d = v.doubleValue { values[k] = d }
            }
        }
        self.init(device: row.deviceID, kind: row.kind, unit: unit, location: location, offline: offline, lastSeen: row.lastSeen, lastValues: values)
    }

    enum CodingKeys: String, CodingKey {
        case device, kind, unit, location, offline
        case lastSeen = "last_seen"
        case lastValues = "last_values"
    }
}

/// One unit in `GET /api/v1/occupancy`.
public struct OccupancyRow: Sendable, Codable, Equatable {
    public var unit: String
    public var floor: Int?
    public var areaM2: Double
    public var registeredOccupants: Int
    /// The latest estimate and its range; nil before the first estimation period ends.
    public var estimatedOccupants: Double?
    public var low: Double?
    public var high: Double?
    public var groupRentalSuspected: Bool
    public var reasons: [String]
    /// Unix milliseconds: the end of the period of the estimate.
    public var periodEnd: Int64?

    public init(
        unit: String, floor: Int? = nil, areaM2: Double, registeredOccupants: Int, estimatedOccupants: Double? = nil,
        low: Double? = nil, high: Double? = nil, groupRentalSuspected: Bool = false, reasons: [String] = [], periodEnd: Int64? = nil
    ) {
        self.unit = unit
        self.floor = floor
        self.areaM2 = areaM2
        self.registeredOccupants = registeredOccupants
        self.estimatedOccupants = estimatedOccupants
        self.low = low
        self.high = high
        self.groupRentalSuspected = groupRentalSuspected
        self.reasons = reasons
        self.periodEnd = periodEnd
    }

    /// A configured unit and its latest estimate (nil before the first period ends): the
    /// best estimate and its bounds, as the registry gets them.
    public init(unit: UnitConfig, latest e: OccupancyEstimate?) {
        self.init(
            unit: unit.id, floor: unit.floor, areaM2: unit.areaM2, registeredOccupants: unit.registeredOccupants,
            estimatedOccupants: e?.estimated, low: e?.low, high: e?.high, groupRentalSuspected: e?.groupRentalSuspected ?? false, reasons: e?.reasons ?? [],
            periodEnd: e?.periodEnd)
    }

    enum CodingKeys: String, CodingKey {
        case unit, floor, low, high, reasons
        case areaM2 = "area_m2"
        case registeredOccupants = "registered_occupants"
        case estimatedOccupants = "estimated_occupants"
        case groupRentalSuspected = "group_rental_suspected"
        case periodEnd = "period_end"
    }
}

/// One destination's queue in `GET /api/v1/outbox`.
public struct OutboxSummary: Sendable, Codable, Equatable {
    public var destination: String
    public var pending: Int
    public var dead: Int
    public var delivered: Int
    /// Unix milliseconds: when the oldest undelivered message was queued.
    public var oldestPendingAt: Int64?
    public var lastDeliveredAt: Int64?

    public init(destination: String, pending: Int, dead: Int, delivered: Int, oldestPendingAt: Int64?, lastDeliveredAt: Int64?) {
        self.destination = destination
        self.pending = pending
        self.dead = dead
        self.delivered = delivered
        self.oldestPendingAt = oldestPendingAt
        self.lastDeliveredAt = lastDeliveredAt
    }

    /// From `Store.outboxStats(destination:)`.
    public init(destination: String, stats: OutboxStats) {
        self.init(
            destination: destination, pending: stats.pending, dead: stats.dead, delivered: stats.delivered,
            oldestPendingAt: stats.oldestPendingCreatedAt, lastDeliveredAt: stats.lastDeliveredAt)
    }

    enum CodingKeys: String, CodingKey {
        case destination, pending, dead, delivered
        case oldestPendingAt = "oldest_pending_at"
        case lastDeliveredAt = "last_delivered_at"
    }
}

/// Alarms as JSON, with the members of a protocol v1 §3.1 body (without the envelope:
/// message_id, building, gateway, sent_at).
public enum AlarmJSON {
    public static func encode(_ a: Alarm) -> JSONValue {
        RegistryMessage.alarmBody(a)
    }
}

// MARK: - The ledger (status page chart, reports)

/// A request the API understood but cannot serve as asked (a bad period): 400.
public struct APIRequestError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// This API does not serve the ledger: 501.
public struct LedgerUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "this gateway does not keep a ledger" }
}

extension GatewayAPI {
    public func occupancyHistory(days: Int) async throws -> [Store.OccupancyHistoryRow] { throw LedgerUnavailable() }
    public func reports() async throws -> [Store.ReportRow] { throw LedgerUnavailable() }
    public func reportFile(name: String) async throws -> [UInt8]? { throw LedgerUnavailable() }
    public func report(period: String?) async throws -> LedgerReport { throw LedgerUnavailable() }
}
