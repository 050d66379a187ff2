extension Store {
    static let outboxColumns = """
        id, message_id, destination, kind, topic, priority, order_key, payload, created_at, attempts,
        next_attempt_at, state, delivered_at, dead_at, last_error
        """

    /// Inserts one row; an existing row with the same (message_id, destination) wins, so
    /// replaying an insert is harmless. Other constraint violations throw (unlike
    /// `INSERT OR IGNORE`, which would silently drop a row that violates NOT NULL or CHECK).
    static func insertOutbox(_ m: NewOutboxMessage, into db: SQLiteConnection) throws {
        try db.run(
            """
            INSERT INTO outbox (message_id, destination, kind, topic, priority, order_key, payload, created_at,
                                attempts, next_attempt_at, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending')
            ON CONFLICT (message_id, destination) DO NOTHING
            """,
            [m.messageID, m.destination, m.kind, m.topic, m.priority, m.orderKey, m.payload, m.createdAt, max(m.createdAt, m.notBefore ?? m.createdAt)])
        // A row due now never waits behind a held row of its order key: earlier rows of the
        // same alarm held for a landlord's quiet hours (never tried yet) become due with it,
        // so that an alarm escalating to life-safety reaches the landlord at once, in order.
        if let key = m.orderKey, (m.notBefore ?? m.createdAt) <= m.createdAt {
            try db.run(
                """
                UPDATE outbox SET next_attempt_at = ?
                WHERE destination = ? AND order_key = ? AND state = 'pending' AND attempts = 0 AND next_attempt_at > ?
                """,
                [m.createdAt, m.destination, key, m.createdAt])
        }
    }

    static func outboxMessage(_ row: SQLiteRow) throws -> OutboxMessage {
        let stateText = row.string(11)
        guard let state = OutboxState(rawValue: stateText) else {
            throw StoreError.corruptRow(table: "outbox", key: "\(row.int64(0))", reason: "unknown state '\(stateText)'")
        }
        return OutboxMessage(
            rowID: row.int64(0), messageID: row.string(1), destination: row.string(2), kind: row.string(3),
            topic: row.optionalString(4), priority: row.int(5), orderKey: row.optionalString(6),
            payload: row.string(7), createdAt: row.int64(8), attempts: row.int(9), nextAttemptAt: row.int64(10),
            state: state, deliveredAt: row.optionalInt64(12), deadAt: row.optionalInt64(13),
            lastError: row.optionalString(14))
    }

    /// A pending row of the same destination and order key that was inserted earlier blocks `o`.
    private static let notBlockedByOrderKey = """
        (o.order_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox e
            WHERE e.destination = o.destination AND e.order_key = o.order_key
              AND e.state = 'pending' AND e.id < o.id))
        """

    /// Deletes the pending rows of `kind` for `destination` (a newer heartbeat supersedes
    /// older ones that were never delivered); returns how many.
    @discardableResult
    public func deletePending(destination: String, kind: String) throws -> Int {
        try withConnection { db in
            try db.run("DELETE FROM outbox WHERE destination = ? AND kind = ? AND state = 'pending'", [destination, kind])
        }
    }

    /// Adds messages in one transaction. A message whose (messageID, destination) is already
    /// stored is ignored.
    public func enqueue(_ messages: [NewOutboxMessage]) throws {
        guard !messages.isEmpty else { return }
        try inTransaction { db in
            for m in messages { try Store.insertOutbox(m, into: db) }
        }
    }

    /// Pending rows of `destination` with next_attempt_at <= now, ordered by priority DESC
    /// then rowID ASC, skipping any row that has an earlier pending row with the same non-null
    /// order_key in the same destination (so one alarm's transitions go out in order even if
    /// their priorities differ); at most `limit`.
    public func dueOutbox(destination: String, now: Int64, limit: Int) throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        return try withConnection { db in
            try db.query(
                """
                SELECT \(Store.outboxColumns) FROM outbox o
                WHERE o.destination = ? AND o.state = 'pending' AND o.next_attempt_at <= ?
                  AND \(Store.notBlockedByOrderKey)
                ORDER BY o.priority DESC, o.id ASC
                LIMIT ?
                """,
                [destination, now, limit], Store.outboxMessage)
        }
    }

    /// The earliest next_attempt_at among the pending rows of `destination` that
    /// `dueOutbox` could return (rows waiting behind an earlier row of the same order key
    /// are not counted: their turn comes from the earlier row's time); nil if none.
    /// The result may be in the past: then rows are due now.
    public func nextDueTime(destination: String) throws -> Int64? {
        try withConnection { db in
            try db.queryFirst(
                """
                SELECT min(o.next_attempt_at) FROM outbox o
                WHERE o.destination = ? AND o.state = 'pending' AND \(Store.notBlockedByOrderKey)
                """,
                [destination]
            ) { $0.optionalInt64(0) } ?? nil
        }
    }

    /// Marks rows delivered (one transaction). Rows already delivered keep their first time.
    public func markDelivered(rowIDs: [Int64], at: Int64) throws {
        guard !rowIDs.isEmpty else { return }
        try inTransaction { db in
            for id in rowIDs {
                try db.run(
                    "UPDATE outbox SET state = 'delivered', delivered_at = ?, dead_at = NULL WHERE id = ? AND state <> 'delivered'",
                    [at, id])
            }
        }
    }

    /// Records a failed attempt of a pending row: attempts += 1, and the time of the next one.
    public func markRetry(rowID: Int64, error: String, nextAttemptAt: Int64) throws {
        try withConnection { db in
            try db.run(
                """
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
                WHERE id = ? AND state = 'pending'
                """,
                [error, nextAttemptAt, rowID])
        }
    }

    /// Gives a row up for good (rejected by the destination): attempts += 1; it is kept, in
    /// state `dead`, for reporting.
    public func markDead(rowID: Int64, error: String, at: Int64) throws {
        try withConnection { db in
            try db.run(
                """
                UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, dead_at = ?
                WHERE id = ? AND state = 'pending'
                """,
                [error, at, rowID])
        }
    }

    public func outboxStats(destination: String) throws -> OutboxStats {
        try withConnection { db in
            try db.queryFirst(
                """
                SELECT
                    count(*) FILTER (WHERE state = 'pending'),
                    count(*) FILTER (WHERE state = 'dead'),
                    count(*) FILTER (WHERE state = 'delivered'),
                    min(created_at) FILTER (WHERE state = 'pending'),
                    max(delivered_at) FILTER (WHERE state = 'delivered')
                FROM outbox WHERE destination = ?
                """,
                [destination]
            ) { row in
                OutboxStats(
                    pending: row.int(0), dead: row.int(1), delivered: row.int(2),
                    oldestPendingCreatedAt: row.optionalInt64(3), lastDeliveredAt: row.optionalInt64(4))
            } ?? OutboxStats(pending: 0, dead: 0, delivered: 0, oldestPendingCreatedAt: nil, lastDeliveredAt: nil)
        }
    }

    /// Rows for inspection, newest first. `destination` nil means every destination; an empty
    /// `states` means every state.
    public func outbox(destination: String?, states: [OutboxState], limit: Int) throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        var conditions: [String] = []
        var values: [any SQLiteBindable] = []
        if let destination {
            conditions.append("destination = ?")
            values.append(destination)
        }
        let distinctStates = OutboxState.allCases.filter { states.contains($0) }
        if !distinctStates.isEmpty {
            conditions.append("state IN (" + distinctStates.map { _ in "?" }.joined(separator: ", ") + ")")
            values.append(contentsOf: distinctStates.map(\.rawValue) as [any SQLiteBindable])
        }
        values.append(limit)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(Store.outboxColumns) FROM outbox \(whereClause) ORDER BY id DESC LIMIT ?"
        let bound = values
        return try withConnection { db in try db.query(sql, bound, Store.outboxMessage) }
    }

    /// Disk budget: while the outbox's total payload bytes (every row, whatever its state)
    /// exceed `maxBytes`, deletes pending rows of the lowest priority, oldest first, never
    /// rows whose kind is in `protectedKinds`; returns how many were evicted. Delivered rows
    /// count towards the budget but are not evicted: call `pruneDelivered` first.
    public func evictOutbox(maxBytes: Int, protectedKinds: Set<String> = ["alarms"]) throws -> Int {
        let kinds = protectedKinds.sorted()
        let kindFilter = kinds.isEmpty ? "" : "AND kind NOT IN (" + kinds.map { _ in "?" }.joined(separator: ", ") + ")"
        let selectSQL = """
            SELECT id, length(CAST(payload AS BLOB)) FROM outbox
            WHERE state = 'pending' \(kindFilter)
            ORDER BY priority ASC, id ASC
            LIMIT 256
            """
        let budget = Int64(maxBytes)
        let evicted = try inTransaction { db -> Int in
            var total = try db.queryFirst("SELECT coalesce(sum(length(CAST(payload AS BLOB))), 0) FROM outbox") {
                $0.int64(0)
            } ?? 0
            var evicted = 0
            while total > budget {
                let candidates = try db.query(selectSQL, kinds as [any SQLiteBindable]) { ($0.int64(0), $0.int64(1)) }
                if candidates.isEmpty { break }
                for (id, bytes) in candidates where total > budget {
                    try db.run("DELETE FROM outbox WHERE id = ?", [id])
                    total -= bytes
                    evicted += 1
                }
            }
            return evicted
        }
        if evicted > 0 {
            logger.warning("outbox over its disk budget: evicted messages", metadata: ["evicted": "\(evicted)", "max_bytes": "\(maxBytes)"])
        }
        return evicted
    }

    /// Deletes delivered rows delivered before `olderThan`; returns how many.
    public func pruneDelivered(olderThan: Int64) throws -> Int {
        try withConnection { db in
            try db.run("DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?", [olderThan])
        }
    }
}
