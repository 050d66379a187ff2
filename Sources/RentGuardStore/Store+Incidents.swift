import RentGuardCore

extension Store {
    /// The incident key of an alarm row: its `incident_id`, or its own id for rows written
    /// before incidents existed.
    static let incidentKey = "COALESCE(incident_id, 'inc:' || alarm_id)"

    /// The member alarms (every state) of up to `limit` incidents, with their transitions:
    /// with `activeOnly`, the incidents with an active member; else the most recently updated.
    public func incidentMembers(activeOnly: Bool, limit: Int) throws -> [(alarm: Alarm, transitions: [TransitionRow])] {
        guard limit > 0 else { return [] }
        let incidents = activeOnly
            ? "SELECT \(Store.incidentKey) FROM alarms WHERE active = 1 GROUP BY 1 ORDER BY MAX(updated_at) DESC LIMIT ?"
            : "SELECT \(Store.incidentKey) FROM alarms GROUP BY 1 ORDER BY MAX(updated_at) DESC LIMIT ?"
        return try members(whereIncidentIn: incidents, [limit])
    }

    /// One incident's members with their transitions; empty when there is no such incident.
    public func incidentMembers(id: String) throws -> [(alarm: Alarm, transitions: [TransitionRow])] {
        try members(whereIncidentIn: "SELECT ?", [id])
    }

    private func members(whereIncidentIn subquery: String, _ values: [any SQLiteBindable]) throws -> [(alarm: Alarm, transitions: [TransitionRow])] {
        try withConnection { db in
            let alarms = try db.query(
                "SELECT \(Store.alarmColumns) FROM alarms WHERE \(Store.incidentKey) IN (\(subquery)) ORDER BY started_at, alarm_id",
                values, Store.alarm)
            guard !alarms.isEmpty else { return [] }
            return try Store.withTransitions(alarms, db: db, joinedWhere: "COALESCE(a.incident_id, 'inc:' || a.alarm_id) IN (\(subquery))", values)
        }
    }
}
