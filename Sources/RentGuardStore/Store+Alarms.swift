import RentGuardCore

extension Store {
    static let alarmColumns = """
        alarm_id, type, device, port, unit, severity, state, location, started_at, updated_at,
        evidence, actions, sequence, incident_id
        """

    /// Records one change of an alarm's state in one transaction: upserts the alarm row from
    /// `transition.alarm` (active = state != cleared), inserts the alarm_transitions row, and
    /// inserts every outbox row (ignored when its (messageID, destination) is already stored).
    ///
    /// Replaying the same transition is idempotent; replaying an older one (lower sequence)
    /// never rolls the alarm row back.
    ///
    /// `releasing`: parked rows (`OutboxRelease`) made due in the same transaction.
    public func recordAlarmTransition(_ transition: AlarmTransition, outbox: [NewOutboxMessage], releasing: [OutboxRelease] = []) throws {
        let a = transition.alarm
        let evidence = a.evidence.serialized()
        let actions = JSONValue.array(a.actions.map(\.json)).serialized()
        let values: [any SQLiteBindable] = [
            a.id, a.key.type.rawValue, a.key.device, a.key.port, a.key.unit, a.severity.rawValue, a.state.rawValue,
            a.location, a.startedAt, a.updatedAt, evidence, actions, a.sequence, a.isActive, a.incidentID,
        ]
        try inTransaction { db in
            try db.run(
                """
                INSERT INTO alarms (alarm_id, type, device, port, unit, severity, state, location, started_at,
                                    updated_at, evidence, actions, sequence, active, incident_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (alarm_id) DO UPDATE SET
                    type = excluded.type, device = excluded.device, port = excluded.port, unit = excluded.unit,
                    severity = excluded.severity, state = excluded.state, location = excluded.location,
                    started_at = excluded.started_at, updated_at = excluded.updated_at,
                    evidence = excluded.evidence, actions = excluded.actions, sequence = excluded.sequence,
                    active = excluded.active, incident_id = excluded.incident_id
                WHERE excluded.sequence >= alarms.sequence
                """,
                values)
            try db.run(
                """
                INSERT INTO alarm_transitions (alarm_id, sequence, state, severity, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (alarm_id, sequence) DO NOTHING
                """,
                [a.id, a.sequence, a.state.rawValue, a.severity.rawValue, a.updatedAt])
            for m in outbox { try Store.insertOutbox(m, into: db) }
            for r in releasing {
                try db.run(
                    "UPDATE outbox SET next_attempt_at = ? WHERE destination = ? AND state = 'pending' AND next_attempt_at = ? AND json_extract(payload, '$.incident_id') = ?",
                    [r.at, r.destination, OutboxRelease.parked, r.incidentID])
            }
        }
    }

    /// Every active (not cleared) alarm, oldest first, restored in full.
    public func activeAlarms() throws -> [Alarm] {
        try withConnection { db in
            try db.query(
                "SELECT \(Store.alarmColumns) FROM alarms WHERE active = 1 ORDER BY started_at ASC, alarm_id ASC",
                [], Store.alarm)
        }
    }

    /// `severity` as a sortable rank (critical 3 … warning 0; an unknown text -1).
    static let severityRank = """
        CASE severity WHEN 'critical' THEN 3 WHEN 'major' THEN 2 WHEN 'minor' THEN 1 WHEN 'warning' THEN 0 ELSE -1 END
        """

    /// Up to `limit` alarms. Active only: the most severe first, then the most recently
    /// updated, so that a fire is never pushed off the list by thousands of lesser alarms.
    /// All: the most recently updated first.
    public func alarms(activeOnly: Bool, limit: Int) throws -> [Alarm] {
        guard limit > 0 else { return [] }
        let sql =
            activeOnly
            ? "SELECT \(Store.alarmColumns) FROM alarms WHERE active = 1 ORDER BY \(Store.severityRank) DESC, updated_at DESC, rowid DESC LIMIT ?"
            : "SELECT \(Store.alarmColumns) FROM alarms ORDER BY updated_at DESC, rowid DESC LIMIT ?"
        return try withConnection { db in try db.query(sql, [limit], Store.alarm) }
    }

    /// The exact number of active (not cleared) alarms of each severity, every severity
    /// present (0 when none). One aggregate query, whatever the number of alarms.
    public func activeAlarmCounts() throws -> [Severity: Int] {
        var counts: [Severity: Int] = [:]
        for s in Severity.allCases { counts[s] = 0 }
        let rows = try withConnection { db in
            try db.query("SELECT severity, COUNT(*) FROM alarms WHERE active = 1 GROUP BY severity") { ($0.string(0), $0.int(1)) }
        }
        for (text, n) in rows {
            guard let s = Severity(rawValue: text) else {
                logger.error("active alarms with an unknown severity are not counted", metadata: ["severity": "\(text)", "count": "\(n)"])
                continue
            }
            counts[s] = n
        }
        return counts
    }

    public func alarm(id: String) throws -> Alarm? {
        try withConnection { db in
            try db.queryFirst("SELECT \(Store.alarmColumns) FROM alarms WHERE alarm_id = ?", [id], Store.alarm)
        }
    }

    // MARK: - Row mapping

    static func alarm(_ row: SQLiteRow) throws -> Alarm {
        let id = row.string(0)
        func corrupt(_ reason: String) -> StoreError { .corruptRow(table: "alarms", key: id, reason: reason) }

        let severityText = row.string(5)
        guard let severity = Severity(rawValue: severityText) else { throw corrupt("unknown severity '\(severityText)'") }
        let stateText = row.string(6)
        guard let state = AlarmState(rawValue: stateText) else { throw corrupt("unknown state '\(stateText)'") }
        let evidence: JSONValue
        do {
            evidence = try JSONParser.parse(row.string(10), maxDepth: 64)
        } catch {
            throw corrupt("evidence: \(error)")
        }
        let actions: [AlarmAction]
        do {
            actions = try decodeActions(JSONParser.parse(row.string(11), maxDepth: 64))
        } catch {
            throw corrupt("actions: \(error)")
        }
        let key = AlarmKey(
            type: AlarmType(rawValue: row.string(1)), device: row.optionalString(2), port: row.optionalInt(3),
            unit: row.optionalString(4))
        return Alarm(
            id: id, key: key, state: state, severity: severity, location: row.optionalString(7),
            startedAt: row.int64(8), updatedAt: row.int64(9), evidence: evidence, actions: actions,
            sequence: row.int(12), incidentID: row.optionalString(13))
    }

    struct ActionDecodingError: Error, CustomStringConvertible {
        var description: String
    }

    /// The inverse of `AlarmAction.json`, for a JSON array of actions.
    static func decodeActions(_ value: JSONValue) throws -> [AlarmAction] {
        guard let items = value.arrayValue else { throw ActionDecodingError(description: "not an array") }
        return try items.enumerated().map { index, item in
            func fail(_ what: String) -> ActionDecodingError { ActionDecodingError(description: "[\(index)]: \(what)") }
            guard let command = item["cmd"]?.stringValue else { throw fail("missing cmd") }
            guard let device = item["device"]?.stringValue else { throw fail("missing device") }
            guard let at = item["at"]?.doubleValue.flatMap({ Int64(exactly: $0) }) else { throw fail("missing or invalid at") }
            guard let resultText = item["result"]?.stringValue, let result = AlarmAction.Result(rawValue: resultText)
            else { throw fail("missing or unknown result") }
            var port: Int?
            if let value = item["port"], value != .null {
                guard let p = value.doubleValue.flatMap({ Int(exactly: $0) }) else { throw fail("invalid port") }
                port = p
            }
            var resultAt: Int64?
            if let value = item["result_at"], value != .null {
                guard let t = value.doubleValue.flatMap({ Int64(exactly: $0) }) else { throw fail("invalid result_at") }
                resultAt = t
            }
            return AlarmAction(command: command, device: device, port: port, at: at, result: result, resultAt: resultAt)
        }
    }
}
