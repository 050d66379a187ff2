import RentGuardCore
import RentGuardStore

/// The ordinance's ledger (台账) for one period: alarms by type and unit with their
/// handling, the device inventory and its health, occupancy estimates and group-rental
/// flags. Built from store rows (pure: every input is given), rendered as CSV, HTML or
/// JSON (the `report` registry message). docs/reports.md.
public struct LedgerReport: Sendable, Equatable {
    public var building: String
    public var gateway: String
    public var buildingName: String?
    public var address: String?
    public var zone: LocalTimeZone
    public var period: ReportPeriod
    public var periodStart: Int64
    public var periodEnd: Int64
    public var generatedAt: Int64
    public var alarms: [AlarmEntry]
    public var devices: [DeviceEntry]
    public var occupancy: [OccupancyEntry]

    /// One alarm active at some moment of the period, and how it was handled.
    public struct AlarmEntry: Sendable, Equatable {
        public var alarmID: String
        public var type: String
        public var severity: Severity
        public var unit: String?
        public var device: String?
        public var port: Int?
        public var location: String?
        public var raisedAt: Int64
        public var escalatedAt: Int64?
        public var acknowledgedAt: Int64?
        public var acknowledgedBy: String?
        public var note: String?
        public var clearedAt: Int64?
        /// The state at the end of the period (`raised`, `escalated`, `acknowledged`, `cleared`).
        public var stateAtEnd: AlarmState
        /// Raised within the period (not carried over from an earlier one).
        public var raisedInPeriod: Bool
        /// Seconds from raised to acknowledged; nil if not acknowledged.
        public var secondsToAcknowledge: Int64? { acknowledgedAt.map { max(0, $0 - raisedAt) / 1000 } }
        /// Seconds from raised to cleared, or to the period's end for an alarm still active then.
        public var secondsActive: Int64
    }

    /// One registered device and its health.
    public struct DeviceEntry: Sendable, Equatable {
        public var device: String
        public var kind: String
        public var unit: String?
        public var location: String?
        public var lastSeen: Int64?
        public var offline: Bool
        public var batteryPct: Double?
        /// Alarms of this device active in the period, by type (device_offline, battery_low, tamper, device_fault, …).
        public var alarmsByType: [String: Int]
    }

    /// One unit's occupancy over the period.
    public struct OccupancyEntry: Sendable, Equatable {
        public var unit: String
        public var floor: Int?
        public var areaM2: Double
        public var registeredOccupants: Int
        /// Estimates (days) whose period ended in the report's period.
        public var estimates: Int
        public var meanEstimated: Double?
        public var minLow: Double?
        public var maxHigh: Double?
        /// The last rolling estimate and bounds of the period.
        public var rolling: Double?
        public var rollingLow: Double?
        public var rollingHigh: Double?
        /// Estimates flagged as suspected group rental, and whether the last one was.
        public var daysFlagged: Int
        public var groupRentalSuspected: Bool
        public var reasons: [String]
        /// `group_rental_suspected` alarms of the unit active in the period.
        public var groupRentalAlarms: Int
    }

    /// One row of the summary: alarms of one type in one unit (or of no unit).
    public struct Count: Sendable, Equatable {
        public var type: String
        public var unit: String?
        public var total: Int
        public var raisedInPeriod: Int
        public var acknowledged: Int
        public var cleared: Int
        public var openAtEnd: Int
    }

    /// Alarms by type and unit, most frequent first.
    public var counts: [Count] {
        var byKey: [String: Count] = [:]
        for a in alarms {
            let key = "\(a.type)\u{1}\(a.unit ?? "")"
            var c = byKey[key] ?? Count(type: a.type, unit: a.unit, total: 0, raisedInPeriod: 0, acknowledged: 0, cleared: 0, openAtEnd: 0)
            c.total += 1
            if a.raisedInPeriod { c.raisedInPeriod += 1 }
            if a.acknowledgedAt.map({ $0 < periodEnd }) == true { c.acknowledged += 1 }
            if a.stateAtEnd == .cleared { c.cleared += 1 } else { c.openAtEnd += 1 }
            byKey[key] = c
        }
        return byKey.values.sorted { ($0.total, $1.type, $1.unit ?? "") > ($1.total, $0.type, $0.unit ?? "") }
    }

    /// `<building>:report:<period id>`: one message per period, stable across retries.
    public var messageID: String { "\(building):report:\(period.id)" }
}

extension LedgerReport {
    /// The report of `period` from the store's rows. `devices` are the latest device rows
    /// (the live ledger's), `offline` the ids considered offline at `generatedAt`.
    public static func build(
        config: BuildingConfig, period: ReportPeriod, store: Store, devices: [String: Store.DeviceRow], offline: Set<String>,
        generatedAt: Int64
    ) throws -> LedgerReport {
        let zone = config.gateway.zone
        let start = period.start(in: zone), end = period.end(in: zone)
        let alarms = try store.alarmsOverlapping(start: start, end: end)
        let history = try store.occupancyHistory(endingAfter: start, upTo: end)
        return build(
            config: config, period: period, alarms: alarms, devices: devices, offline: offline, occupancy: history,
            generatedAt: generatedAt)
    }

    /// The pure part: the report from rows.
    public static func build(
        config: BuildingConfig, period: ReportPeriod, alarms: [(alarm: Alarm, transitions: [Store.TransitionRow])],
        devices: [String: Store.DeviceRow], offline: Set<String>, occupancy: [Store.OccupancyHistoryRow], generatedAt: Int64
    ) -> LedgerReport {
        let zone = config.gateway.zone
        let start = period.start(in: zone), end = period.end(in: zone)
        let entries = alarms.map { alarmEntry($0.alarm, $0.transitions, periodStart: start, periodEnd: end) }

        var deviceAlarms: [String: [String: Int]] = [:]
        var unitGroupAlarms: [String: Int] = [:]
        for a in entries {
            if let d = a.device { deviceAlarms[d, default: [:]][a.type, default: 0] += 1 }
            if a.type == AlarmType.groupRentalSuspected.rawValue, let u = a.unit { unitGroupAlarms[u, default: 0] += 1 }
        }
        let deviceEntries = config.devices.map { d -> DeviceEntry in
            let row = devices[d.id]
            var battery: Double?
            if let row, case let .object(members)? = try? JSONParser.parse(row.lastValues, maxDepth: 8) {
                battery = members.first { $0.0 == "battery_pct" }?.1.doubleValue
            }
            return DeviceEntry(
                device: d.id, kind: d.kind.rawValue, unit: d.unit, location: d.location, lastSeen: row?.lastSeen,
                offline: row == nil || offline.contains(d.id), batteryPct: battery, alarmsByType: deviceAlarms[d.id] ?? [:])
        }

        var byUnit: [String: [Store.OccupancyHistoryRow]] = [:]
        for r in occupancy { byUnit[r.unit, default: []].append(r) }
        let occupancyEntries = config.units.map { u -> OccupancyEntry in
            let rows = (byUnit[u.id] ?? []).sorted { $0.periodStart < $1.periodStart }
            let last = rows.last
            return OccupancyEntry(
                unit: u.id, floor: u.floor, areaM2: u.areaM2, registeredOccupants: u.registeredOccupants, estimates: rows.count,
                meanEstimated: rows.isEmpty ? nil : rows.map(\.estimated).reduce(0, +) / Double(rows.count),
                minLow: rows.map(\.low).min(), maxHigh: rows.map(\.high).max(), rolling: last?.rolling,
                rollingLow: last?.rollingLow, rollingHigh: last?.rollingHigh,
                daysFlagged: rows.filter(\.groupRentalSuspected).count, groupRentalSuspected: last?.groupRentalSuspected ?? false,
                reasons: last?.reasons ?? [], groupRentalAlarms: unitGroupAlarms[u.id] ?? 0)
        }
        return LedgerReport(
            building: config.gateway.building, gateway: config.gateway.id, buildingName: config.gateway.name,
            address: config.gateway.address, zone: zone, period: period, periodStart: start, periodEnd: end,
            generatedAt: generatedAt, alarms: entries, devices: deviceEntries, occupancy: occupancyEntries)
    }

    static func alarmEntry(_ a: Alarm, _ transitions: [Store.TransitionRow], periodStart: Int64, periodEnd: Int64) -> AlarmEntry {
        let ack = a.evidence["acknowledgement"]
        let ackAt = transitions.first { $0.state == .acknowledged }?.at ?? ack?["at"]?.doubleValue.flatMap { Int64(exactly: $0.rounded()) }
        let clearedAt = transitions.first { $0.state == .cleared }?.at ?? (a.state == .cleared ? a.updatedAt : nil)
        let escalatedAt = transitions.first { $0.state == .escalated }?.at
        // The state at the period's end: the last transition before it (the raise counts as one).
        var state = AlarmState.raised
        for t in transitions where t.at < periodEnd { state = t.state }
        if transitions.isEmpty { state = a.state }
        let stop = min(clearedAt.map { $0 < periodEnd ? $0 : periodEnd } ?? periodEnd, periodEnd)
        return AlarmEntry(
            alarmID: a.id, type: a.key.type.rawValue, severity: a.severity, unit: a.key.unit, device: a.key.device,
            port: a.key.port, location: a.location, raisedAt: a.startedAt, escalatedAt: escalatedAt, acknowledgedAt: ackAt,
            acknowledgedBy: ack?["by"]?.stringValue, note: ack?["note"]?.stringValue, clearedAt: clearedAt, stateAtEnd: state,
            raisedInPeriod: a.startedAt >= periodStart, secondsActive: max(0, stop - a.startedAt) / 1000)
    }
}

extension LocalTimeZone {
    /// `YYYY-MM-DD HH:MM:SS` in this zone.
    public func localTimestamp(_ ms: Int64) -> String {
        let local = localMs(ms)
        let day = local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
        let msOfDay = local - day * 86_400_000
        let s = Int(msOfDay / 1000)
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(CivilDate(dayNumber: day)) \(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60))"
    }
}
