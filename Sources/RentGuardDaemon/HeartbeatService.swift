import Foundation
import Logging
import Metrics
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import ServiceLifecycle

/// Every `interval`, queues a heartbeat to each registry destination with the gateway's
/// health: devices online and offline, outbox depth, the oldest undelivered message and the
/// last successful delivery per destination. A newer heartbeat supersedes an undelivered
/// older one (it carries the same facts, newer). Also enforces the outbox's disk budget.
public struct HeartbeatService: Service {
    /// Read at each beat: a reload's devices, interval and budget apply from the next one.
    let configuration: RunningConfiguration
    let store: Store
    let health: GatewayHealth
    let devices: DeviceLedger
    let statistics: IngestStatistics
    let routing: Routing
    let logger: Logger
    let evicted = Counter(label: "rentguard_outbox_evicted_total")

    public init(
        configuration: RunningConfiguration, store: Store, health: GatewayHealth, devices: DeviceLedger, statistics: IngestStatistics,
        routing: Routing, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.health = health
        self.devices = devices
        self.statistics = statistics
        self.routing = routing
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // A first heartbeat soon after start tells the registry the gateway is back.
            do {
                try await Task.sleep(for: .seconds(2))
                while !Task.isCancelled {
                    self.beat(now: wallClockMs())
                    self.enforceBudget(now: wallClockMs())
                    try await Task.sleep(for: .milliseconds(Int64(self.configuration.current.registry.heartbeatIntervalSeconds * 1000)))
                }
            } catch {
                // Cancelled: shutting down.
            }
        }
    }

    func beat(now: Int64) {
        let config = configuration.current
        let r = routing.current
        let registryDestinations = r.registryDestinations
        let allDestinations = r.allDestinations
        guard !registryDestinations.isEmpty else { return }
        let h = health.snapshot
        let census = devices.census(config)
        let totals = statistics.totals
        var outbox: [(String, JSONValue)] = []
        for d in allDestinations {
            guard let s = try? store.outboxStats(destination: d) else { continue }
            outbox.append((d, .object([
                ("pending", JSONValue(s.pending)), ("dead", JSONValue(s.dead)),
                ("oldest_pending_at", s.oldestPendingCreatedAt.map { JSONValue($0) } ?? .null),
                ("last_delivered_at", s.lastDeliveredAt.map { JSONValue($0) } ?? .null),
            ])))
        }
        let id = "\(config.gateway.building):\(config.gateway.id):heartbeat:\(now)"
        let body: JSONValue = .object([
            ("message_id", .string(id)),
            ("building", .string(config.gateway.building)),
            ("gateway", .string(config.gateway.id)),
            ("version", .string(RentGuardVersion.current)),
            ("uptime_s", JSONValue((now - h.startedAt) / 1000)),
            ("devices", .object([
                ("registered", JSONValue(census.registered)), ("online", JSONValue(census.online)),
                ("offline", JSONValue(census.offline)), ("never_seen", JSONValue(census.neverSeen)),
            ])),
            ("active_alarms", JSONValue(h.activeAlarms)),
            ("messages", .object([("received", JSONValue(totals.received)), ("rejected", JSONValue(totals.rejected))])),
            ("outbox", .object(outbox)),
            ("outbox_evicted", JSONValue(h.outboxEvicted)),
            ("database_bytes", JSONValue(store.databaseSizeBytes())),
        ])
        let payload = body.serialized()
        do {
            var superseded = 0
            for d in registryDestinations { superseded += try store.deletePending(destination: d, kind: "heartbeat") }
            try store.enqueue(registryDestinations.map {
                NewOutboxMessage(messageID: id, destination: $0, kind: "heartbeat", priority: RegistryMessage.Priority.heartbeat, payload: payload, createdAt: now)
            })
            if superseded > 0 { health.update { $0.heartbeatsSuperseded += superseded } }
            r.doorbells.ring()
        } catch {
            logger.error("cannot queue the heartbeat", metadata: ["error": "\(error)"])
        }
    }

    /// Keeps the outbox within `storage.outbox_max_mb`: delivered rows older than an hour go
    /// first, then the lowest-priority oldest pending rows. Alarms are never evicted.
    func enforceBudget(now: Int64) {
        let config = configuration.current
        let maxBytes = Int(config.storage.outboxMaxMB * 1024 * 1024)
        do {
            _ = try store.pruneDelivered(olderThan: now - 3_600_000)
            let n = try store.evictOutbox(maxBytes: maxBytes)
            if n > 0 {
                evicted.increment(by: n)
                health.update { $0.outboxEvicted += n }
                logger.warning("outbox over its disk budget: evicted low-priority messages (never alarms)", metadata: [
                    "evicted": "\(n)", "budget_mb": "\(config.storage.outboxMaxMB)",
                ])
            }
        } catch {
            logger.error("cannot enforce the outbox budget", metadata: ["error": "\(error)"])
        }
    }
}
