/// One incident as the fire station reads it (`IncidentGrouping` decides membership): its
/// first alarm, its worst severity, the devices and rooms involved, its members' timeline,
/// and its state, active while any member is. Built from the members' alarms (the stored
/// rows), so every view shows the same incident. Pure.
public struct Incident: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var at: Int64
        public var alarmID: String
        public var type: AlarmType
        public var state: AlarmState
        public var severity: Severity
        public var device: String?
        public var location: String?

        public init(at: Int64, alarmID: String, type: AlarmType, state: AlarmState, severity: Severity, device: String?, location: String?) {
            self.at = at
            self.alarmID = alarmID
            self.type = type
            self.state = state
            self.severity = severity
            self.device = device
            self.location = location
        }
    }

    public var id: String
    /// The first alarm (the earliest raised member).
    public var first: Alarm
    public var members: [Alarm]
    public var worstSeverity: Severity
    public var devices: [String]
    public var locations: [String]
    public var types: [AlarmType]
    public var startedAt: Int64
    public var updatedAt: Int64
    /// Active while any member is.
    public var isActive: Bool
    /// Every active member acknowledged (and at least one active).
    public var isAcknowledged: Bool
    /// The members' transitions, oldest first (as given to `build`).
    public var timeline: [Event]

    /// Groups alarms by `incidentID` (an alarm without one is its own incident), most
    /// severe active first, then the most recently updated.
    /// - Parameter transitions: alarm id → its transitions (state, severity, at), if known.
    public static func build(_ alarms: [Alarm], transitions: [String: [(state: AlarmState, severity: Severity, at: Int64)]] = [:]) -> [Incident] {
        var groups: [String: [Alarm]] = [:]
        var order: [String] = []
        for a in alarms {
            let id = a.incidentID ?? "inc:\(a.id)"
            if groups[id] == nil { order.append(id) }
            groups[id, default: []].append(a)
        }
        let incidents = order.map { id -> Incident in
            let members = groups[id]!.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
            var timeline: [Event] = []
            for a in members {
                let ts = transitions[a.id] ?? [(a.state, a.severity, a.updatedAt)]
                for t in ts {
                    timeline.append(Event(at: t.at, alarmID: a.id, type: a.key.type, state: t.state, severity: t.severity, device: a.key.device, location: a.location))
                }
            }
            timeline.sort { ($0.at, $0.alarmID) < ($1.at, $1.alarmID) }
            let active = members.filter(\.isActive)
            func unique<T: Hashable>(_ xs: [T]) -> [T] {
                var seen = Set<T>()
                return xs.filter { seen.insert($0).inserted }
            }
            return Incident(
                id: id, first: members[0], members: members,
                worstSeverity: members.map(\.severity).max() ?? members[0].severity,
                devices: unique(members.compactMap(\.key.device)), locations: unique(members.compactMap(\.location)),
                types: unique(members.map(\.key.type)),
                startedAt: members[0].startedAt, updatedAt: members.map(\.updatedAt).max() ?? members[0].updatedAt,
                isActive: !active.isEmpty, isAcknowledged: !active.isEmpty && active.allSatisfy { $0.state == .acknowledged },
                timeline: timeline)
        }
        return incidents.sorted {
            if $0.isActive != $1.isActive { return $0.isActive }
            if $0.worstSeverity != $1.worstSeverity { return $0.worstSeverity > $1.worstSeverity }
            return ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id)
        }
    }

    /// The API's and registry-facing view (`/api/v1/incidents`).
    public var json: JSONValue {
        .object([
            ("incident_id", .string(id)),
            ("state", .string(isActive ? (isAcknowledged ? "acknowledged" : "active") : "cleared")),
            ("severity", .string(worstSeverity.rawValue)),
            ("unit", JSONValue(first.key.unit)),
            ("first_alarm", .object([
                ("alarm_id", .string(first.id)), ("type", .string(first.key.type.rawValue)),
                ("device", JSONValue(first.key.device)), ("location", JSONValue(first.location)), ("at", JSONValue(first.startedAt)),
            ])),
            ("started_at", JSONValue(startedAt)),
            ("updated_at", JSONValue(updatedAt)),
            ("alarm_count", JSONValue(members.count)),
            ("active_alarm_count", JSONValue(members.filter(\.isActive).count)),
            ("types", .array(types.map { .string($0.rawValue) })),
            ("devices", .array(devices.map { .string($0) })),
            ("locations", .array(locations.map { .string($0) })),
            ("alarm_ids", .array(members.map { .string($0.id) })),
            ("timeline", .array(timeline.map { e in
                .object([
                    ("at", JSONValue(e.at)), ("alarm_id", .string(e.alarmID)), ("type", .string(e.type.rawValue)),
                    ("state", .string(e.state.rawValue)), ("severity", .string(e.severity.rawValue)),
                    ("device", JSONValue(e.device)), ("location", JSONValue(e.location)),
                ])
            })),
        ])
    }
}
