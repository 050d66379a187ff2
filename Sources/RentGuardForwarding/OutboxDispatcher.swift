import Logging
import Metrics
import RentGuardCore
import RentGuardStore
import ServiceLifecycle
import Synchronization

/// Delivers one destination's outbox rows: highest priority first, one alarm's transitions
/// in order, a row marked delivered only on the destination's confirmation, failures
/// retried with capped exponential backoff and jitter. The outbox in SQLite is the only
/// path out, so a crash or power cut resumes where delivery left off.
///
/// When the store fails (disk full, I/O error), the dispatcher pauses with its own capped
/// backoff (1 s, 2 s, … 60 s) instead of going round again at once: rows the destination
/// has confirmed but the store could not mark are kept in memory, only marked (never sent
/// again) on the next try, and rows not yet sent still go out once per round;
/// `rentguard_outbox_delivered_total` counts a row once, when it is marked; the failure is
/// logged once, then at most once a minute with the number of failures since, and its end
/// is logged too.
public final class OutboxDispatcher: Service, Sendable {
    public struct Options: Sendable {
        public var batchSize: Int
        public var retryMin: Duration
        public var retryMax: Duration
        /// On shutdown, how long to keep delivering what is due before stopping.
        public var drainOnShutdown: Duration
        /// The pause after a store failure, doubling per consecutive failure up to `storeRetryMax`.
        public var storeRetryMin: Duration
        public var storeRetryMax: Duration
        /// While the store keeps failing, at most one log line per this interval.
        public var storeErrorLogInterval: Duration

        public init(
            batchSize: Int = 64, retryMin: Duration = .seconds(1), retryMax: Duration = .seconds(300), drainOnShutdown: Duration = .seconds(3),
            storeRetryMin: Duration = .seconds(1), storeRetryMax: Duration = .seconds(60), storeErrorLogInterval: Duration = .seconds(60)
        ) {
            self.batchSize = batchSize
            self.retryMin = retryMin
            self.retryMax = retryMax
            self.drainOnShutdown = drainOnShutdown
            self.storeRetryMin = storeRetryMin
            self.storeRetryMax = storeRetryMax
            self.storeErrorLogInterval = storeErrorLogInterval
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
    let storeErrors: Counter
    let latency: Timer
    let health = Mutex(StoreHealth())

    /// What the dispatcher remembers between batches about a failing store.
    struct StoreHealth {
        /// Rows the destination confirmed that are not yet marked delivered in the store:
        /// row id → when the row was stored (for the latency histogram).
        var unmarked: [Int64: Int64] = [:]
        /// Consecutive store failures, and when the current streak began.
        var failures = 0
        var failingSince: ContinuousClock.Instant?
        var lastLogged: ContinuousClock.Instant?
        var failuresSinceLog = 0
    }

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
        storeErrors = Counter(label: "rentguard_outbox_store_errors_total", dimensions: dims)
        latency = Timer(label: "rentguard_delivery_latency_seconds", dimensions: dims, preferredDisplayUnit: .seconds)
    }

    public func run() async throws {
        logger.info("outbox delivery started")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.deliverDue()
                if Task.isCancelled { break }
                if let pause = self.storePause() {
                    do { try await Task.sleep(for: pause) } catch { break }
                } else {
                    await self.waitForWork()
                }
            }
        }
        // Graceful shutdown: a bounded last flush of what is due now.
        let deadline = ContinuousClock.now + options.drainOnShutdown
        while ContinuousClock.now < deadline {
            let sent = await deliverDue(until: deadline)
            if sent == 0 { break }
        }
        let unmarked = health.withLock { $0.unmarked.count }
        if unmarked > 0 {
            logger.warning("stopping with confirmed deliveries the store could not mark; they will be sent again after the restart", metadata: ["count": "\(unmarked)"])
        }
        logger.info("outbox delivery stopped")
    }

    /// Delivers every due row; returns how many were attempted. Stops at the first store
    /// failure (the caller then pauses for `storePause()`).
    @discardableResult
    func deliverDue(until deadline: ContinuousClock.Instant? = nil) async -> Int {
        var attempted = 0
        while deadline.map({ ContinuousClock.now < $0 }) ?? !Task.isCancelled {
            // First what was confirmed but not marked. If the store still fails, those rows
            // stay in memory and are never sent again; the others are still sent (an alarm
            // reaching the registry matters more than the row saying so), then we pause.
            let marked = markConfirmed()
            let skip = health.withLock { $0.unmarked }
            let rows: [OutboxMessage]
            do {
                rows = try store.dueOutbox(destination: destination.name, now: clock(), limit: options.batchSize + skip.count)
                    .filter { skip[$0.rowID] == nil }.prefix(options.batchSize).map { $0 }
            } catch {
                storeFailed("cannot read the outbox", error)
                return attempted
            }
            if rows.isEmpty {
                if marked { storeRecovered() }  // nothing owed and nothing failing
                return attempted
            }
            let wait = deadline.map { max(.zero, $0 - ContinuousClock.now) } ?? .seconds(5)
            guard await destination.waitUntilReady(timeout: wait) else { return attempted }
            if deadline == nil, Task.isCancelled { return attempted }
            attempted += rows.count
            guard await deliver(rows), marked else { return attempted }
        }
        return attempted
    }

    /// Sends one batch and records the outcomes; false if the store failed.
    func deliver(_ rows: [OutboxMessage]) async -> Bool {
        let sentAt = clock()
        let outcomes = await destination.deliver(batch: rows.map { ($0, RegistryMessage.payload($0.payload, sentAt: sentAt)) })
        let now = clock()
        var confirmed: [OutboxMessage] = []
        var storeOK = true
        for (row, outcome) in zip(rows, outcomes) {
            switch outcome {
            case .delivered:
                confirmed.append(row)
            case let .retry(why):
                retried.increment()
                let delay = backoff(attempts: row.attempts + 1)
                logger.warning("delivery failed; will retry", metadata: [
                    "message_id": "\(row.messageID)", "error": "\(why)", "retry_in_ms": "\(delay)", "attempts": "\(row.attempts + 1)",
                ])
                guard storeOK else { continue }
                do {
                    try store.markRetry(rowID: row.rowID, error: why, nextAttemptAt: now + delay)
                    storeRecovered()
                } catch {
                    storeFailed("cannot record a failed delivery", error)
                    storeOK = false
                }
            case let .rejected(why):
                deadLettered.increment()
                logger.error("delivery refused for good; kept as dead letter", metadata: [
                    "message_id": "\(row.messageID)", "kind": "\(row.kind)", "error": "\(why)",
                ])
                guard storeOK else { continue }
                do {
                    try store.markDead(rowID: row.rowID, error: why, at: now)
                    storeRecovered()
                } catch {
                    storeFailed("cannot record a refused delivery", error)
                    storeOK = false
                }
            }
        }
        if !confirmed.isEmpty {
            health.withLock { h in for row in confirmed { h.unmarked[row.rowID] = row.createdAt } }
        }
        return markConfirmed() && storeOK
    }

    /// Marks the confirmed rows delivered, in one transaction (one fsync); counts them and
    /// their latency only then. False (and they stay in memory) if the store fails.
    func markConfirmed() -> Bool {
        let rows = health.withLock { $0.unmarked }
        if rows.isEmpty { return true }
        let now = clock()
        do {
            try store.markDelivered(rowIDs: rows.keys.sorted(), at: now)
        } catch {
            storeFailed("cannot mark messages delivered (they are kept in memory and will not be sent again)", error)
            return false
        }
        health.withLock { h in for id in rows.keys { h.unmarked[id] = nil } }
        delivered.increment(by: rows.count)
        for createdAt in rows.values { latency.recordMilliseconds(max(0, now - createdAt)) }
        logger.debug("delivered", metadata: ["count": "\(rows.count)"])
        storeRecovered()
        return true
    }

    /// Counts a store failure; logs the first of a streak, then at most once per
    /// `storeErrorLogInterval`, with how many failures were not logged.
    func storeFailed(_ what: String, _ error: any Error) {
        storeErrors.increment()
        let now = ContinuousClock.now
        let (log, failures, suppressed, pause) = health.withLock { h -> (Bool, Int, Int, Duration) in
            h.failures += 1
            if h.failingSince == nil { h.failingSince = now }
            let pause = storePauseLength(failures: h.failures)
            guard let last = h.lastLogged, now - last < options.storeErrorLogInterval else {
                let suppressed = h.failuresSinceLog
                h.lastLogged = now
                h.failuresSinceLog = 0
                return (true, h.failures, suppressed, pause)
            }
            h.failuresSinceLog += 1
            return (false, h.failures, 0, pause)
        }
        guard log else { return }
        var md: Logger.Metadata = [
            "error": "\(error)", "consecutive_failures": "\(failures)", "retry_in_ms": "\(pause.milliseconds)",
            "unmarked": "\(health.withLock { $0.unmarked.count })",
        ]
        if suppressed > 0 { md["not_logged_since_last"] = "\(suppressed)" }
        logger.error("\(what); outbox delivery paused", metadata: md)
    }

    /// A store write (or an empty read) worked: the failure streak, if any, is over.
    func storeRecovered() {
        let streak = health.withLock { h -> (Int, ContinuousClock.Instant?) in
            let streak = (h.failures, h.failingSince)
            if h.failures > 0 { h = StoreHealth(unmarked: h.unmarked) }
            return streak
        }
        guard streak.0 > 0 else { return }
        let lasted = streak.1.map { ContinuousClock.now - $0 } ?? .zero
        logger.notice("the outbox store works again; delivery resumes", metadata: ["failures": "\(streak.0)", "lasted_ms": "\(lasted.milliseconds)"])
    }

    /// How long to pause after the last store failure, or nil when the store is fine.
    func storePause() -> Duration? {
        let failures = health.withLock { $0.failures }
        return failures > 0 ? storePauseLength(failures: failures) : nil
    }

    func storePauseLength(failures: Int) -> Duration {
        let step = options.storeRetryMin * (1 << min(max(failures - 1, 0), 16))
        return min(step, options.storeRetryMax)
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

extension Duration {
    var milliseconds: Int64 {
        let c = components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}
