import Foundation
import Logging
import Metrics
import RentGuardConfig
import RentGuardCore
import RentGuardMQTT
import ServiceLifecycle
import Synchronization

/// Follows the building broker's `$SYS` counters (issue 27 item 3) on a connection of its own
/// (client id `<building client id>-sys`, clean session, QoS 0), so that the broker's status
/// messages never pass through the pipeline's acknowledged batches. `BrokerDropWatch` (in
/// the core) reads them; a rise of the dropped-messages counter goes to the pipeline as
/// `CoreInput.brokerDrops`, which raises a major `gateway_fault` that clears after an hour
/// without new drops.
///
/// A broker that publishes no `$SYS` (not mosquitto, `sys_interval 0`, an ACL that hides it)
/// is named once, `sysWait` after the first connection: a notice in the log, and
/// `sys: unavailable` on the building broker in `/api/v1/status`.
struct BrokerHealthService: Service {
    let client: MQTTClient
    let detection: DetectionService
    let status: BrokerSysStatus
    let clock: any GatewayClock
    let sysWait: Duration
    let logger: Logger
    let droppedCounter = Counter(label: "rentguard_broker_dropped_messages_total")

    /// The options of the building connection, with its own client id and a clean session.
    static func options(building: MQTTClientOptions) -> MQTTClientOptions {
        var o = building
        o.clientID = building.clientID + "-sys"
        o.cleanStart = true
        o.sessionExpirySeconds = 0
        o.will = nil
        o.inboundBatchLimit = 64
        return o
    }

    init(
        buildingOptions: MQTTClientOptions, detection: DetectionService, status: BrokerSysStatus, clock: any GatewayClock,
        sysWait: Duration = .seconds(30), logger: Logger
    ) throws {
        client = try MQTTClient(options: Self.options(building: buildingOptions), logger: logger)
        self.detection = detection
        self.status = status
        self.clock = clock
        self.sysWait = sysWait
        self.logger = logger
    }

    func run() async throws {
        client.start()
        for topic in BrokerDropWatch.topics { client.subscribe(topic, qos: 0) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await readCounters() }
            group.addTask { await reportAbsence() }
            // Graceful shutdown (or cancellation): the client's shutdown ends both tasks
            // (the message sequence finishes, the connection state becomes `stopped`).
            try? await gracefulShutdown()
            await client.shutdown()
            group.cancelAll()
        }
    }

    /// Reads the counters until the client stops.
    func readCounters() async {
        var watch = BrokerDropWatch()
        var unreadable = RateLimitedLog(intervalMs: 600_000)
        for await m in client.messages {
            let now = clock.nowMs()
            let firstEver = watch.lastMessageAt == nil
            let outcome = watch.observe(topic: m.topic, payload: m.payload, at: now)
            switch outcome {
            case .noted:
                break
            case let .unreadable(reason):
                if let suppressed = unreadable.admit(m.topic, now: now) {
                    logger.warning("unreadable $SYS value from the building broker", metadata: ["reason": "\(reason)", "suppressed": "\(suppressed)"])
                }
            case let .fault(input):
                if case let .brokerDrops(dropped, since, _) = input {
                    droppedCounter.increment(by: Int64(clamping: dropped))
                    logger.warning("the building broker dropped messages (its queue for a client was full); gateway_fault raised", metadata: [
                        "dropped": "\(dropped)", "since": "\(BrokerDropWatch.utcText(since))", "broker_total": "\(watch.dropped ?? 0)",
                    ])
                }
                if !detection.submit(input) {
                    logger.error("the pipeline's input queue is full: the broker's drops are logged but not raised as an alarm")
                }
            }
            if firstEver, watch.lastMessageAt != nil {
                if status.markAvailable() == .unavailable {
                    logger.notice("the building broker publishes $SYS after all; its dropped-messages counter is followed")
                } else {
                    logger.info("following the building broker's $SYS counters", metadata: ["topics": "\(BrokerDropWatch.topics.joined(separator: ", "))"])
                }
            }
            status.update(watch)
        }
    }

    /// Says once, `sysWait` after the first connection, that no `$SYS` message came.
    func reportAbsence() async {
        var connected = false
        for await state in client.connectionStates() {
            if state.isConnected { connected = true }
            if state.isConnected || state == .stopped { break }
        }
        guard connected else { return }
        try? await Task.sleep(for: sysWait)
        guard !Task.isCancelled, status.markUnavailableIfWaiting() else { return }
        logger.notice("the building broker publishes no $SYS counters: messages it drops (a full client queue, max_queued_messages) cannot be seen. On mosquitto, set sys_interval above 0 and let this client read $SYS/#", metadata: [
            "waited": "\(sysWait)", "client_id": "\(client.options.clientID)",
        ])
    }
}

/// What the `$SYS` follower knows, for `/api/v1/status` and `/metrics`.
final class BrokerSysStatus: Sendable {
    enum Availability: String, Sendable { case waiting, available, unavailable }

    struct Snapshot: Sendable, Equatable {
        var availability: Availability = .waiting
        /// The broker's dropped-messages counter (since it started), as last read.
        var brokerDropped: Int64?
        /// Drops seen rise since the daemon started.
        var droppedSeen: Int64 = 0
        /// Messages in the broker's store.
        var stored: Int64?
    }

    private let state = Mutex(Snapshot())
    var snapshot: Snapshot { state.withLock { $0 } }

    /// Marks `$SYS` as arriving; returns what it was before.
    func markAvailable() -> Availability {
        state.withLock { s in
            let was = s.availability
            s.availability = .available
            return was
        }
    }

    /// Marks `$SYS` as not arriving, if nothing came yet; true if it did.
    func markUnavailableIfWaiting() -> Bool {
        state.withLock { s in
            guard s.availability == .waiting else { return false }
            s.availability = .unavailable
            return true
        }
    }

    func update(_ w: BrokerDropWatch) {
        state.withLock { s in
            s.brokerDropped = w.dropped
            s.droppedSeen = w.droppedSeen
            s.stored = w.stored
        }
    }
}
