/// Alarm types of protocol v1 §3.1. Unknown strings are kept (`.other`) so that the
/// list can grow without breaking stored data.
public struct AlarmType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: AlarmType, b: AlarmType) -> Bool { a.rawValue < b.rawValue }

    public static let fire = AlarmType("fire")
    public static let smoke = AlarmType("smoke")
    public static let heat = AlarmType("heat")
    public static let co = AlarmType("co")
    public static let chargerOvercurrent = AlarmType("charger_overcurrent")
    public static let chargerOverheat = AlarmType("charger_overheat")
    public static let chargerThermalRunaway = AlarmType("charger_thermal_runaway")
    public static let chargerOvertime = AlarmType("charger_overtime")
    public static let chargerNoCutoff = AlarmType("charger_no_cutoff")
    public static let stationOverload = AlarmType("station_overload")
    public static let overload = AlarmType("overload")
    public static let leakage = AlarmType("leakage")
    public static let indoorEbikeCharging = AlarmType("indoor_ebike_charging")
    public static let abnormalConsumption = AlarmType("abnormal_consumption")
    public static let deviceOffline = AlarmType("device_offline")
    public static let deviceFault = AlarmType("device_fault")
    public static let tamper = AlarmType("tamper")
    public static let batteryLow = AlarmType("battery_low")
    public static let groupRentalSuspected = AlarmType("group_rental_suspected")
    public static let unregisteredDevice = AlarmType("unregistered_device")
    public static let gatewayFault = AlarmType("gateway_fault")
}

/// Severity, ordered from least to most severe.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case warning, minor, major, critical

    var rank: Int {
        switch self {
        case .warning: return 0
        case .minor: return 1
        case .major: return 2
        case .critical: return 3
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// The states an alarm message reports (protocol v1 §3.1).
public enum AlarmState: String, Sendable, Hashable, CaseIterable, Codable {
    case raised, escalated, acknowledged, cleared
}

/// What an alarm is about: one active alarm exists per key (type and subject).
public struct AlarmKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var type: AlarmType
    public var device: String?
    public var port: Int?
    public var unit: String?

    public init(type: AlarmType, device: String? = nil, port: Int? = nil, unit: String? = nil) {
        self.type = type
        self.device = device
        self.port = port
        self.unit = unit
    }

    /// A compact stable spelling, used inside alarm ids: `smoke:SD-101-1`, `charger_overheat:CH-1:p3`,
    /// `group_rental_suspected:u:101`.
    public var description: String {
        var s = type.rawValue
        if let device { s += ":" + device } else if let unit { s += ":u:" + unit }
        if let port { s += ":p\(port)" }
        return s
    }

    public static func < (a: AlarmKey, b: AlarmKey) -> Bool { a.description < b.description }
}

/// A command sent to a device in response to an alarm, and its outcome (protocol v1 §2).
public struct AlarmAction: Sendable, Equatable {
    public enum Result: String, Sendable, Equatable {
        case sent, acknowledged, timedOut = "timed_out", notAllowed = "not_allowed"
    }

    public var command: String
    public var device: String
    public var port: Int?
    public var at: Int64
    public var result: Result
    public var resultAt: Int64?

    public init(command: String, device: String, port: Int?, at: Int64, result: Result, resultAt: Int64? = nil) {
        self.command = command
        self.device = device
        self.port = port
        self.at = at
        self.result = result
        self.resultAt = resultAt
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [("cmd", .string(command)), ("device", .string(device))]
        if let port { m.append(("port", JSONValue(port))) }
        m.append(("at", JSONValue(at)))
        m.append(("result", .string(result.rawValue)))
        if let resultAt { m.append(("result_at", JSONValue(resultAt))) }
        return .object(m)
    }
}

/// An alarm as the gateway knows it: the body of a §3.1 message without the envelope.
public struct Alarm: Sendable, Equatable {
    public var id: String
    public var key: AlarmKey
    public var state: AlarmState
    public var severity: Severity
    public var location: String?
    public var startedAt: Int64
    public var updatedAt: Int64
    public var evidence: JSONValue
    public var actions: [AlarmAction]
    /// How many transitions this alarm has had; the next message's sequence number.
    public var sequence: Int
    /// The incident it belongs to (`IncidentGrouping`), the same for its whole life.
    public var incidentID: String?

    public init(
        id: String, key: AlarmKey, state: AlarmState, severity: Severity, location: String?,
        startedAt: Int64, updatedAt: Int64, evidence: JSONValue, actions: [AlarmAction] = [], sequence: Int = 0,
        incidentID: String? = nil
    ) {
        self.incidentID = incidentID
        self.id = id
        self.key = key
        self.state = state
        self.severity = severity
        self.location = location
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.evidence = evidence
        self.actions = actions
        self.sequence = sequence
    }

    public var isActive: Bool { state != .cleared }

    /// A stable id for the whole life of an alarm: its key and when it started.
    public static func makeID(building: String, key: AlarmKey, startedAt: Int64) -> String {
        "\(building):\(key):\(startedAt)"
    }
}

/// One change of an alarm's state: what the core emits, and what becomes one §3.1 message.
public struct AlarmTransition: Sendable, Equatable {
    public var alarm: Alarm
    /// For a `cleared` transition: whether other members of the alarm's incident are still
    /// active (the incident goes on). False otherwise.
    public var incidentContinues: Bool
    /// The id of the message this transition becomes, stable across retries.
    public var messageID: String { "\(alarm.id)#\(alarm.sequence)" }

    public init(alarm: Alarm, incidentContinues: Bool = false) {
        self.alarm = alarm
        self.incidentContinues = incidentContinues
    }
}

/// A command for a device (protocol v1 §2).
public struct DeviceCommand: Sendable, Equatable {
    public var device: String
    public var command: String
    public var port: Int?
    public var reason: String
    public var alarmID: String?
    public var ts: Int64

    public init(device: String, command: String, port: Int?, reason: String, alarmID: String?, ts: Int64) {
        self.device = device
        self.command = command
        self.port = port
        self.reason = reason
        self.alarmID = alarmID
        self.ts = ts
    }
}
