/// The delivery state of an outbox row.
public enum OutboxState: String, Sendable, CaseIterable {
    /// Waiting for (another) delivery attempt.
    case pending
    /// Accepted by the destination.
    case delivered
    /// Rejected for good; kept for reporting.
    case dead
}

/// A message to put into the outbox.
public struct NewOutboxMessage: Sendable, Equatable {
    /// Unique and stable across retries (the registry de-duplicates on it).
    public var messageID: String
    /// Which forwarder delivers it (e.g. `registry-mqtt`, `registry-https`, `landlord:<id>`).
    public var destination: String
    /// `alarms`, `occupancy`, `heartbeat`, `devices`, or a landlord kind.
    public var kind: String
    /// An explicit topic / URL path that overrides the one derived from `kind`.
    public var topic: String?
    /// Higher goes first.
    public var priority: Int
    /// Rows of one destination with the same order key are delivered in insertion order
    /// (e.g. the alarm id, so one alarm's transitions never overtake each other).
    public var orderKey: String?
    /// The JSON body.
    public var payload: String
    /// Unix milliseconds; also the first attempt time unless `notBefore` is later.
    public var createdAt: Int64
    /// The first attempt may not happen before this (a landlord's quiet hours).
    public var notBefore: Int64?

    public init(
        messageID: String, destination: String, kind: String, topic: String? = nil, priority: Int,
        orderKey: String? = nil, payload: String, createdAt: Int64, notBefore: Int64? = nil
    ) {
        self.notBefore = notBefore
        self.messageID = messageID
        self.destination = destination
        self.kind = kind
        self.topic = topic
        self.priority = priority
        self.orderKey = orderKey
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// A stored outbox row.
public struct OutboxMessage: Sendable, Equatable {
    public var rowID: Int64
    public var messageID: String
    public var destination: String
    public var kind: String
    public var topic: String?
    public var priority: Int
    public var orderKey: String?
    public var payload: String
    public var createdAt: Int64
    /// Failed attempts so far.
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var state: OutboxState
    public var deliveredAt: Int64?
    /// When the row was given up (`markDead`), for dead rows.
    public var deadAt: Int64?
    public var lastError: String?

    public init(
        rowID: Int64, messageID: String, destination: String, kind: String, topic: String?, priority: Int,
        orderKey: String?, payload: String, createdAt: Int64, attempts: Int, nextAttemptAt: Int64,
        state: OutboxState, deliveredAt: Int64?, deadAt: Int64? = nil, lastError: String?
    ) {
        self.rowID = rowID
        self.messageID = messageID
        self.destination = destination
        self.kind = kind
        self.topic = topic
        self.priority = priority
        self.orderKey = orderKey
        self.payload = payload
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.state = state
        self.deliveredAt = deliveredAt
        self.deadAt = deadAt
        self.lastError = lastError
    }
}

/// Counts for one destination's outbox (health reporting, heartbeats).
public struct OutboxStats: Sendable, Equatable {
    public var pending: Int
    public var dead: Int
    public var delivered: Int
    public var oldestPendingCreatedAt: Int64?
    public var lastDeliveredAt: Int64?

    public init(pending: Int, dead: Int, delivered: Int, oldestPendingCreatedAt: Int64?, lastDeliveredAt: Int64?) {
        self.pending = pending
        self.dead = dead
        self.delivered = delivered
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
        self.lastDeliveredAt = lastDeliveredAt
    }
}
