/// A message owed to the central registry (protocol v1 §3), before its `sent_at`.
///
/// The body is complete except for `sent_at`, which the forwarder adds at each attempt:
/// `message_id` stays the same across retries, so the registry can de-duplicate.
public struct RegistryMessage: Sendable, Equatable {
    /// `alarms`, `occupancy`, `heartbeat`, `devices` or `report`: the topic suffix and URL path.
    public var kind: String
    public var messageID: String
    public var body: JSONValue
    /// Higher goes first. Fire and critical alarms outrank everything.
    public var priority: Int
    /// Messages with the same order key reach a destination in order (one alarm's transitions).
    public var orderKey: String?

    public init(kind: String, messageID: String, body: JSONValue, priority: Int, orderKey: String?) {
        self.kind = kind
        self.messageID = messageID
        self.body = body
        self.priority = priority
        self.orderKey = orderKey
    }

    /// Priorities: fire and critical alarms first, then other alarms by severity, then the rest.
    public enum Priority {
        public static let critical = 100
        public static let major = 80
        public static let minor = 60
        public static let warning = 50
        public static let occupancy = 20
        public static let devices = 15
        public static let report = 12
        public static let heartbeat = 10

        public static func of(_ alarm: Alarm) -> Int {
            if alarm.key.type == .fire { return critical }
            switch alarm.severity {
            case .critical: return critical
            case .major: return major
            case .minor: return minor
            case .warning: return warning
            }
        }
    }

    /// The members of a §3.1 alarm body after the envelope (`message_id`, `building`,
    /// `gateway`, `sent_at`): also what the local API shows for an alarm.
    public static func alarmBody(_ a: Alarm) -> JSONValue {
        .object([
            ("alarm_id", .string(a.id)),
            ("state", .string(a.state.rawValue)),
            ("type", .string(a.key.type.rawValue)),
            ("severity", .string(a.severity.rawValue)),
            ("unit", JSONValue(a.key.unit)),
            ("device", JSONValue(a.key.device)),
            ("port", a.key.port.map { JSONValue($0) } ?? .null),
            ("location", JSONValue(a.location)),
            ("started_at", JSONValue(a.startedAt)),
            ("updated_at", JSONValue(a.updatedAt)),
            ("evidence", a.evidence),
            ("actions", .array(a.actions.map(\.json))),
            ("incident_id", JSONValue(a.incidentID)),
        ])
    }

    /// The §3.1 message for one alarm transition.
    public static func alarm(_ t: AlarmTransition, building: String, gateway: String) -> RegistryMessage {
        let a = t.alarm
        var members: [(String, JSONValue)] = [
            ("message_id", .string(t.messageID)),
            ("building", .string(building)),
            ("gateway", .string(gateway)),
        ]
        if case let .object(m) = alarmBody(a) { members += m }
        let body: JSONValue = .object(members)
        // The whole life of an alarm shares the priority of its type and its highest severity
        // so far, so that a later transition never overtakes an earlier one on the queue.
        return RegistryMessage(kind: "alarms", messageID: t.messageID, body: body, priority: Priority.of(a), orderKey: a.id)
    }

    /// The §3.2 message for one unit's occupancy estimate. One unit's estimates go out in order.
    public static func occupancy(_ e: OccupancyEstimate, building: String, gateway: String) -> RegistryMessage {
        let id = e.messageID(building: building)
        return RegistryMessage(
            kind: "occupancy", messageID: id, body: e.registryBody(building: building, gateway: gateway, messageID: id),
            priority: Priority.occupancy, orderKey: "occupancy:\(e.unit)")
    }

    /// The payload as sent: `body` with `sent_at` added as its first member.
    ///
    /// `stored` is a serialised JSON object (normally `body.serialized()`); anything else is
    /// returned unchanged. JSON whitespace around the braces is tolerated.
    public static func payload(_ stored: String, sentAt: Int64) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let open = stored.firstIndex(where: { !isSpace($0) }), stored[open] == "{" else { return stored }
        let rest = stored[stored.index(after: open)...]
        let isEmpty = rest.first(where: { !isSpace($0) }) == "}"
        return "{\"sent_at\":\(sentAt)" + (isEmpty ? "" : ",") + rest
    }
}
