extension Store {
    /// A message the poison-message guard set aside, kept whole (`quarantined_messages`).
    public struct QuarantinedMessage: Sendable, Equatable {
        public var messageID: String
        public var topic: String
        public var payload: [UInt8]
        public var setAsideAt: Int64
        public var reason: String

        public init(messageID: String, topic: String, payload: [UInt8], setAsideAt: Int64, reason: String) {
            self.messageID = messageID
            self.topic = topic
            self.payload = payload
            self.setAsideAt = setAsideAt
            self.reason = reason
        }
    }

    /// Keeps a set-aside message (before it is acknowledged to the broker).
    public func quarantine(_ m: QuarantinedMessage) throws {
        try withConnection { db in
            _ = try db.run(
                "INSERT INTO quarantined_messages (message_id, topic, payload, set_aside_at, reason) VALUES (?, ?, ?, ?, ?)",
                [m.messageID, m.topic, m.payload, m.setAsideAt, m.reason])
        }
    }

    /// The set-aside messages, oldest first.
    public func quarantinedMessages(limit: Int = 100) throws -> [QuarantinedMessage] {
        try withConnection { db in
            try db.query(
                "SELECT message_id, topic, payload, set_aside_at, reason FROM quarantined_messages ORDER BY id LIMIT ?", [limit]
            ) { r in
                QuarantinedMessage(messageID: r.string(0), topic: r.string(1), payload: r.blob(2), setAsideAt: r.int64(3), reason: r.string(4))
            }
        }
    }
}
