import RentGuardCore

extension LedgerReport {
    /// The report as JSON: the body of the `report` registry message (docs/reports.md), and
    /// `rentguardctl report --format json`. Times are Unix ms; durations seconds.
    public func json() -> JSONValue {
        func optI(_ v: Int64?) -> JSONValue { v.map { JSONValue($0) } ?? .null }
        func optD(_ v: Double?) -> JSONValue { v.map { .number(($0 * 100).rounded() / 100) } ?? .null }
        let alarmList: [JSONValue] = alarms.map { a in
            .object([
                ("alarm_id", .string(a.alarmID)), ("type", .string(a.type)), ("severity", .string(a.severity.rawValue)),
                ("unit", JSONValue(a.unit)), ("device", JSONValue(a.device)), ("port", a.port.map { JSONValue($0) } ?? .null),
                ("location", JSONValue(a.location)), ("raised_at", JSONValue(a.raisedAt)), ("escalated_at", optI(a.escalatedAt)),
                ("acknowledged_at", optI(a.acknowledgedAt)), ("acknowledged_by", JSONValue(a.acknowledgedBy)),
                ("note", JSONValue(a.note)), ("cleared_at", optI(a.clearedAt)), ("state_at_end", .string(a.stateAtEnd.rawValue)),
                ("raised_in_period", .bool(a.raisedInPeriod)), ("seconds_to_acknowledge", optI(a.secondsToAcknowledge)),
                ("seconds_active", JSONValue(a.secondsActive)),
            ])
        }
        let countList: [JSONValue] = counts.map { c in
            .object([
                ("type", .string(c.type)), ("unit", JSONValue(c.unit)), ("total", JSONValue(c.total)),
                ("raised_in_period", JSONValue(c.raisedInPeriod)), ("acknowledged", JSONValue(c.acknowledged)),
                ("cleared", JSONValue(c.cleared)), ("open_at_end", JSONValue(c.openAtEnd)),
            ])
        }
        let deviceList: [JSONValue] = devices.map { d in
            .object([
                ("device", .string(d.device)), ("kind", .string(d.kind)), ("unit", JSONValue(d.unit)),
                ("location", JSONValue(d.location)), ("last_seen", optI(d.lastSeen)), ("offline", .bool(d.offline)),
                ("battery_pct", optD(d.batteryPct)),
                ("alarms", .object(d.alarmsByType.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
            ])
        }
        let occupancyList: [JSONValue] = occupancy.map { o in
            .object([
                ("unit", .string(o.unit)), ("floor", o.floor.map { JSONValue($0) } ?? .null), ("area_m2", .number(o.areaM2)),
                ("registered_occupants", JSONValue(o.registeredOccupants)), ("estimates", JSONValue(o.estimates)),
                ("mean_estimated", optD(o.meanEstimated)), ("min_low", optD(o.minLow)), ("max_high", optD(o.maxHigh)),
                ("rolling_estimate", optD(o.rolling)), ("rolling_low", optD(o.rollingLow)), ("rolling_high", optD(o.rollingHigh)),
                ("days_flagged", JSONValue(o.daysFlagged)), ("group_rental_suspected", .bool(o.groupRentalSuspected)),
                ("reasons", .array(o.reasons.map { .string($0) })), ("group_rental_alarms", JSONValue(o.groupRentalAlarms)),
            ])
        }
        let offline = devices.filter(\.offline).count
        return .object([
            ("message_id", .string(messageID)),
            ("building", .string(building)),
            ("gateway", .string(gateway)),
            ("period", .object([
                ("id", .string(period.id)), ("first_day", .string(period.first.description)),
                ("last_day", .string(period.last.description)), ("start", JSONValue(periodStart)), ("end", JSONValue(periodEnd)),
                ("timezone", .string(zone.name)),
            ])),
            ("generated_at", JSONValue(generatedAt)),
            ("totals", .object([
                ("alarms", JSONValue(alarms.count)), ("alarms_raised", JSONValue(alarms.filter(\.raisedInPeriod).count)),
                ("alarms_open_at_end", JSONValue(alarms.filter { $0.stateAtEnd != .cleared }.count)),
                ("devices", JSONValue(devices.count)), ("devices_offline", JSONValue(offline)),
                ("units", JSONValue(occupancy.count)),
                ("units_group_rental_suspected", JSONValue(occupancy.filter { $0.groupRentalSuspected || $0.daysFlagged > 0 }.count)),
            ])),
            ("alarm_counts", .array(countList)),
            ("alarms", .array(alarmList)),
            ("devices", .array(deviceList)),
            ("occupancy", .array(occupancyList)),
        ])
    }

    /// The registry message (protocol v1 §3 envelope, kind `report`).
    public func registryMessage() -> RegistryMessage {
        RegistryMessage(kind: "report", messageID: messageID, body: json(), priority: RegistryMessage.Priority.report, orderKey: "report")
    }
}
