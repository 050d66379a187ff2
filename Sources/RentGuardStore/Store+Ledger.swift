import RentGuardCore

/// What the ledger reports and the status page read: alarms of a period with their
/// transitions, each unit's occupancy estimates over time, and the reports written so far.
extension Store {
    /// One row of `alarm_transitions`.
    public struct TransitionRow: Sendable, Equatable {
        public var sequence: Int
        public var state: AlarmState
        public var severity: Severity
        public var at: Int64

        public init(sequence: Int, state: AlarmState, severity: Severity, at: Int64) {
            self.sequence = sequence
            self.state = state
            self.severity = severity
            self.at = at
        }
    }

    /// Alarms that were active at some moment of [start, end): started before `end` and not
    /// cleared before `start`, oldest first, each with its transitions in order.
    public func alarmsOverlapping(start: Int64, end: Int64) throws -> [(alarm: Alarm, transitions: [TransitionRow])] {
        try withConnection { db in
            let alarms = try db.query(
                """
                SELECT \(Store.alarmColumns) FROM alarms
                WHERE started_at < ? AND (active = 1 OR updated_at >= ?)
                ORDER BY started_at ASC, alarm_id ASC
                """,
                [end, start], Store.alarm)
            return try Store.withTransitions(alarms, db: db, joinedWhere: "a.started_at < ? AND (a.active = 1 OR a.updated_at >= ?)", [end, start])
        }
    }

    /// `alarms` with their transitions, read in one query over the alarms that `condition`
    /// (on `alarm_transitions t JOIN alarms a`) selects; a row with an unknown state or
    /// severity is left out.
    static func withTransitions(
        _ alarms: [Alarm], db: SQLiteConnection, joinedWhere condition: String, _ values: [any SQLiteBindable]
    ) throws -> [(alarm: Alarm, transitions: [TransitionRow])] {
        var byID: [String: [TransitionRow]] = [:]
        let rows = try db.query(
            """
            SELECT t.alarm_id, t.sequence, t.state, t.severity, t.at FROM alarm_transitions t
            JOIN alarms a ON a.alarm_id = t.alarm_id
            WHERE \(condition)
            ORDER BY t.alarm_id, t.sequence
            """,
            values
        ) { row -> (String, TransitionRow?) in
            guard let state = AlarmState(rawValue: row.string(2)), let severity = Severity(rawValue: row.string(3)) else {
                return (row.string(0), nil)
            }
            return (row.string(0), TransitionRow(sequence: row.int(1), state: state, severity: severity, at: row.int64(4)))
        }
        for (id, t) in rows { if let t { byID[id, default: []].append(t) } }
        return alarms.map { ($0, byID[$0.id] ?? []) }
    }

    /// One unit's occupancy estimate for one closed period, as kept for the ledger.
    public struct OccupancyHistoryRow: Sendable, Equatable {
        public var unit: String
        public var periodStart: Int64
        public var periodEnd: Int64
        /// The period's own figures (one day's use against the building's scale).
        public var estimated: Double
        public var low: Double
        public var high: Double
        /// The best estimate and its bounds, as the registry got them (`estimated_occupants`,
        /// `low`, `high`: the posterior over the rolling window, or the registration prior's
        /// in a unit's first days); nil in rows written before protocol v1.1 without one.
        public var rolling: Double?
        public var rollingLow: Double?
        public var rollingHigh: Double?
        public var registered: Int
        public var groupRentalSuspected: Bool
        public var reasons: [String]

        public init(
            unit: String, periodStart: Int64, periodEnd: Int64, estimated: Double, low: Double, high: Double,
            rolling: Double? = nil, rollingLow: Double? = nil, rollingHigh: Double? = nil, registered: Int,
            groupRentalSuspected: Bool, reasons: [String] = []
        ) {
            self.unit = unit
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.estimated = estimated
            self.low = low
            self.high = high
            self.rolling = rolling
            self.rollingLow = rollingLow
            self.rollingHigh = rollingHigh
            self.registered = registered
            self.groupRentalSuspected = groupRentalSuspected
            self.reasons = reasons
        }

        public init(_ e: OccupancyEstimate) {
            self.init(
                unit: e.unit, periodStart: e.periodStart, periodEnd: e.periodEnd, estimated: e.dayEstimated, low: e.dayLow,
                high: e.dayHigh, rolling: e.estimated, rollingLow: e.low, rollingHigh: e.high,
                registered: e.registeredOccupants, groupRentalSuspected: e.groupRentalSuspected, reasons: e.reasons)
        }

        /// From a §3.2 occupancy body (an outbox payload); nil when a required member is missing.
        /// Reads protocol v1.1 bodies (`estimated_occupants` the best estimate, the period's
        /// own figures in `day_*`) and, for rows queued before an upgrade, v1.0 bodies (the
        /// period's figures in `estimated_occupants`, the best estimate in `rolling_*`).
        public init?(registryBody b: JSONValue) {
            func int64(_ k: String) -> Int64? { b[k]?.doubleValue.flatMap { Int64(exactly: $0) } }
            guard let unit = b["unit"]?.stringValue, let start = int64("period_start"), let end = int64("period_end"),
                let est = b["estimated_occupants"]?.doubleValue, let low = b["low"]?.doubleValue, let high = b["high"]?.doubleValue
            else { return nil }
            let v11 = b["day_estimated_occupants"]?.doubleValue != nil
            let day = v11 ? (b["day_estimated_occupants"]?.doubleValue, b["day_low"]?.doubleValue, b["day_high"]?.doubleValue) : (est, low, high)
            guard let dayEst = day.0, let dayLow = day.1, let dayHigh = day.2 else { return nil }
            self.init(
                unit: unit, periodStart: start, periodEnd: end, estimated: dayEst, low: dayLow, high: dayHigh,
                rolling: v11 ? est : b["rolling_estimate"]?.doubleValue, rollingLow: v11 ? low : b["rolling_low"]?.doubleValue,
                rollingHigh: v11 ? high : b["rolling_high"]?.doubleValue,
                registered: b["registered_occupants"]?.doubleValue.flatMap { Int(exactly: $0.rounded()) } ?? 0,
                groupRentalSuspected: b["group_rental_suspected"]?.boolValue ?? false,
                reasons: b["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    /// Inserts or replaces estimates (one per unit and period), in one transaction.
    public func recordOccupancy(_ rows: [OccupancyHistoryRow]) throws {
        guard !rows.isEmpty else { return }
        try inTransaction { db in
            for r in rows {
                try db.run(
                    """
                    INSERT INTO occupancy_history (unit, period_start, period_end, estimated, low, high, rolling, rolling_low,
                                                   rolling_high, registered, group_rental, reasons)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (unit, period_start) DO UPDATE SET
                        period_end = excluded.period_end, estimated = excluded.estimated, low = excluded.low,
                        high = excluded.high, rolling = excluded.rolling, rolling_low = excluded.rolling_low,
                        rolling_high = excluded.rolling_high, registered = excluded.registered,
                        group_rental = excluded.group_rental, reasons = excluded.reasons
                    """,
                    [r.unit, r.periodStart, r.periodEnd, r.estimated, r.low, r.high, r.rolling, r.rollingLow, r.rollingHigh,
                     r.registered, r.groupRentalSuspected, JSONValue.array(r.reasons.map { .string($0) }).serialized()])
            }
        }
    }

    /// Estimates whose period ends in (from, to], by unit then period.
    public func occupancyHistory(endingAfter from: Int64, upTo to: Int64, unit: String? = nil) throws -> [OccupancyHistoryRow] {
        try withConnection { db in
            var sql = """
                SELECT unit, period_start, period_end, estimated, low, high, rolling, rolling_low, rolling_high,
                       registered, group_rental, reasons
                FROM occupancy_history WHERE period_end > ? AND period_end <= ?
                """
            var values: [any SQLiteBindable] = [from, to]
            if let unit {
                sql += " AND unit = ?"
                values.append(unit)
            }
            sql += " ORDER BY unit, period_start"
            return try db.query(sql, values) { row in
                let reasons = (try? JSONParser.parse(row.string(11), maxDepth: 4))?.arrayValue?.compactMap(\.stringValue) ?? []
                return OccupancyHistoryRow(
                    unit: row.string(0), periodStart: row.int64(1), periodEnd: row.int64(2), estimated: row.double(3),
                    low: row.double(4), high: row.double(5), rolling: row.optionalDouble(6), rollingLow: row.optionalDouble(7),
                    rollingHigh: row.optionalDouble(8), registered: row.int(9), groupRentalSuspected: row.bool(10),
                    reasons: reasons)
            }
        }
    }

    /// Outbox rows of one kind with a row id above `afterRowID` (any state, any destination),
    /// oldest first: the occupancy estimates the pipeline queued, read back for the ledger.
    public func outboxRows(kind: String, afterRowID: Int64, limit: Int) throws -> [(rowID: Int64, payload: String)] {
        try withConnection { db in
            try db.query("SELECT id, payload FROM outbox WHERE kind = ? AND id > ? ORDER BY id LIMIT ?", [kind, afterRowID, limit]) {
                ($0.int64(0), $0.string(1))
            }
        }
    }

    /// The earliest time the ledger holds anything for: the first alarm's start or the first
    /// occupancy period's start; nil for an empty ledger.
    public func earliestLedgerTime() throws -> Int64? {
        try withConnection { db in
            try db.queryFirst(
                "SELECT MIN(t) FROM (SELECT MIN(started_at) AS t FROM alarms UNION ALL SELECT MIN(period_start) FROM occupancy_history)"
            ) { $0.optionalInt64(0) } ?? nil
        }
    }

    /// A ledger report written for one period.
    public struct ReportRow: Sendable, Equatable {
        public var periodID: String
        public var periodStart: Int64
        public var periodEnd: Int64
        public var createdAt: Int64
        public var messageID: String
        /// File names under the reports directory.
        public var files: [String]

        public init(periodID: String, periodStart: Int64, periodEnd: Int64, createdAt: Int64, messageID: String, files: [String]) {
            self.periodID = periodID
            self.periodStart = periodStart
            self.periodEnd = periodEnd
            self.createdAt = createdAt
            self.messageID = messageID
            self.files = files
        }
    }

    /// Records a written report and queues its registry messages, in one transaction: a
    /// report is either fully recorded and queued, or not at all (and written again).
    public func recordReport(_ r: ReportRow, outbox: [NewOutboxMessage]) throws {
        try inTransaction { db in
            try db.run(
                """
                INSERT INTO reports (period_id, period_start, period_end, created_at, message_id, files) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (period_id) DO UPDATE SET created_at = excluded.created_at, message_id = excluded.message_id,
                    files = excluded.files
                """,
                [r.periodID, r.periodStart, r.periodEnd, r.createdAt, r.messageID, JSONValue.array(r.files.map { .string($0) }).serialized()])
            for m in outbox { try Store.insertOutbox(m, into: db) }
        }
    }

    /// Every report written, newest period first.
    public func reports() throws -> [ReportRow] {
        try withConnection { db in
            try db.query("SELECT period_id, period_start, period_end, created_at, message_id, files FROM reports ORDER BY period_start DESC") {
                ReportRow(
                    periodID: $0.string(0), periodStart: $0.int64(1), periodEnd: $0.int64(2), createdAt: $0.int64(3),
                    messageID: $0.string(4),
                    files: (try? JSONParser.parse($0.string(5), maxDepth: 4))?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
        }
    }
}
