extension Store {
    /// Stores `value` under `key` (engine snapshots and other small state).
    public func setValue(_ value: String, forKey key: String, at: Int64) throws {
        try withConnection { db in
            try db.run(
                """
                INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """,
                [key, value, at])
        }
    }

    public func value(forKey key: String) throws -> String? {
        try withConnection { db in
            try db.queryFirst("SELECT value FROM kv WHERE key = ?", [key]) { $0.string(0) }
        }
    }
}
