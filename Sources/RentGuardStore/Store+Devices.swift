extension Store {
    /// The last known state of one device.
    public struct DeviceRow: Sendable, Equatable {
        public var deviceID: String
        /// The device's kind (`DeviceKind.rawValue`).
        public var kind: String
        /// Unix milliseconds of the last message.
        public var lastSeen: Int64
        /// From the status topic; nil when the device never reported one.
        public var online: Bool?
        /// A JSON object of the latest values.
        public var lastValues: String

        public init(deviceID: String, kind: String, lastSeen: Int64, online: Bool?, lastValues: String) {
            self.deviceID = deviceID
            self.kind = kind
            self.lastSeen = lastSeen
            self.online = online
            self.lastValues = lastValues
        }
    }

    /// Inserts or replaces device rows, in one transaction.
    public func upsertDevices(_ rows: [DeviceRow]) throws {
        guard !rows.isEmpty else { return }
        try inTransaction { db in
            for r in rows {
                try db.run(
                    """
                    INSERT INTO devices (device_id, kind, last_seen, online, last_values) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (device_id) DO UPDATE SET
                        kind = excluded.kind, last_seen = excluded.last_seen, online = excluded.online,
                        last_values = excluded.last_values
                    """,
                    [r.deviceID, r.kind, r.lastSeen, r.online, r.lastValues])
            }
        }
    }

    /// Every device row, by id.
    public func devices() throws -> [DeviceRow] {
        try withConnection { db in
            try db.query("SELECT device_id, kind, last_seen, online, last_values FROM devices ORDER BY device_id") { row in
                DeviceRow(
                    deviceID: row.string(0), kind: row.string(1), lastSeen: row.int64(2), online: row.optionalBool(3),
                    lastValues: row.string(4))
            }
        }
    }
}
