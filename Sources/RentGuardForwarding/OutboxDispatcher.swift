import Logging
import Metrics
import RentGuardCore
import RentGuardStore
import ServiceLifecycle

/// Delivers one destination's outbox rows: highest priority first, one alarm's transitions
/// in order, a row marked delivered only on the destination's confirmation, failures
/// retried with capped exponential backoff and jitter. The outbox in SQLite is the only
/// path out, so a crash or power cut resumes where delivery left off.
public final class OutboxDispatcher: Service, Sendable {
    public struct Options: Sendable {
        public var batchSize: Int
        public var retryMin: Duration
        public var retryMax: Duration
        /// On shutdown, how long to keep delivering what is due before stopping.
        public var drainOnShutdown: Duration

        public init(batchSize: Int = 64, retryMin: Duration = .seconds(1), retryMax: Duration = .seconds(300), drainOnShutdown: Duration = .seconds(3)) {
            self.batchSize = batchSize
            self.retryMin = retryMin
            self.retryMax = retryMax
            self.drainOnShutdown = drainOnShutdown
        }
    }

    public let destination: any DeliveryDestination
    let store: Store
    let doorbell: Doorbell
    let options: Options
    let logger: Logger
    let clock: @Sendable () -> Int64
    let delivered: Counter
    let retried: Counter
    let deadLettered: Counter
    let latency: Timer

    public init(destination: any DeliveryDestination, store: Store, doorbell: Doorbell, options: Options = .init(), logger: Logger, clock: @escaping @Sendable () -> Int64) {
        self.destination = destination
        self.store = store
        self.doorbell = doorbell
        self.options = options
        var logger = logger
        logger[metadataKey: "destination"] = "\(destination.name)"
        self.logger = logger
        self.clock = clock
        let dims = [("destination", destination.name)]
        delivered = Counter(label: "rentguard_outbox_delivered_total", dimensions: dims)
        retried = Counter(label: "rentguard_outbox_retries_total", dimensions: dims)
        deadLettered = Counter(label: "rentguard_outbox_dead_letter_total", dimensions: dims)
        latency = Timer(label: "rentguard_delivery_latency_seconds", dimensions: dims, preferredDisplayUnit: .seconds)
    }

    public func run() async throws {
        logger.info("outbox delivery started")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.deliverDue()
                if Task.isCancelled { break }
                await self.waitForWork()
            }
        }
        // Graceful shutdown: a bounded last flush of what is due now.
        let deadline = ContinuousClock.now + options.drainOnShutdown
        while ContinuousClock.now < deadline {
            let sent = await deliverDue(until: deadline)
            if sent == 0 { break }
        }
        logger.info("outbox delivery stopped")
    }

    /// Delivers every due row; returns how many were attempted.
    @discardableResult
    func deliverDue(until deadline: ContinuousClock.Instant? = nil) async -> Int {
        var attempted = 0
        while deadline.map({ ContinuousClock.now < $0 }) ?? !Task.isCancelled {
            let rows: [OutboxMessage]
            do {
                rows = try store.dueOutbox(destination: destination.name, now: clock(), limit: options.batchSize)
            } catch {
                logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
                return attempted
            }
            if rows.isEmpty { return attempted }
            let wait = deadline.map { max(.zero, $0 - ContinuousClock.now) } ?? .seconds(5)
            guard await destination.waitUntilReady(timeout: wait) else { return attempted }
            if deadline == nil, Task.isCancelled { return attempted }
            attempted += rows.count
            await deliver(rows)
        }
        return attempted
    }

    func deliver(_ rows: [OutboxMessage]) async {
        let sentAt = clock()
        let outcomes = await destination.deliver(batch: rows.map { ($0, RegistryMessage.payload($0.payload, sentAt: sentAt)) })
        let now = clock()
        var delivered: [Int64] = []
        for (row, outcome) in zip(rows, outcomes) {
            do {
                switch outcome {
                case .delivered:
                    delivered.append(row.rowID)
                    self.delivered.increment()
                    latency.recordMilliseconds(max(0, now - row.createdAt))
                case let .retry(why):
                    let delay = backoff(attempts: row.attempts + 1)
                    try store.markRetry(rowID: row.rowID, error: why, nextAttemptAt: now + delay)
                    retried.increment()
                    logger.warning("delivery failed; will retry", metadata: [
                        "message_id": "\(row.messageID)", "error": "\(why)", "retry_in_ms": "\(delay)", "attempts": "\(row.attempts + 1)",
                    ])
                case let .rejected(why):
                    try store.markDead(rowID: row.rowID, error: why, at: now)
                    deadLettered.increment()
                    logger.error("delivery refused for good; kept as dead letter", metadata: [
                        "message_id": "\(row.messageID)", "kind": "\(row.kind)", "error": "\(why)",
                    ])
                }
            } catch {
                logger.error("cannot update the outbox", metadata: ["message_id": "\(row.messageID)", "error": "\(error)"])
            }
        }
        guard !delivered.isEmpty else { return }
        do {
            // One transaction (one fsync) for the whole batch.
            try store.markDelivered(rowIDs: delivered, at: now)
            logger.debug("delivered", metadata: ["count": "\(delivered.count)"])
        } catch {
            logger.error("cannot mark messages delivered (they will be sent again)", metadata: ["error": "\(error)"])
        }
    }

    /// Capped exponential backoff with jitter, in milliseconds.
    func backoff(attempts: Int) -> Int64 {
        let minMs = Double(options.retryMin.components.seconds * 1000 + options.retryMin.components.attoseconds / 1_000_000_000_000_000)
        let maxMs = Double(options.retryMax.components.seconds * 1000 + options.retryMax.components.attoseconds / 1_000_000_000_000_000)
        let step = min(maxMs, minMs * Double(1 << min(attempts - 1, 20)))
        return Int64(step * Double.random(in: 0.5...1.0))
    }

    func waitForWork() async {
        var timeout = Duration.seconds(1)
        if let next = try? store.nextDueTime(destination: destination.name) {
            let ms = max(0, min(1000, next - clock()))
            timeout = .milliseconds(ms)
        }
        if timeout > .zero { _ = await doorbell.wait(timeout: timeout) }
    }
}
