/// A rule's verdict about one alarm key at one moment: the hazard is present (`active`) or
/// the readings are back to normal. The alarm lifecycle turns conditions into transitions.
public struct Condition: Sendable, Equatable {
    public var key: AlarmKey
    public var active: Bool
    public var severity: Severity
    /// Event time of the reading that decided it.
    public var at: Int64
    /// The readings and thresholds that decided it.
    public var evidence: JSONValue
    /// How long readings must stay normal before the alarm clears.
    public var clearHoldMs: Int64
    /// Command to send when this condition raises or escalates an alarm, if the configuration allows it.
    public var command: ConditionCommand?

    public init(key: AlarmKey, active: Bool, severity: Severity, at: Int64, evidence: JSONValue = .object([]), clearHoldMs: Int64 = 60_000, command: ConditionCommand? = nil) {
        self.key = key
        self.active = active
        self.severity = severity
        self.at = at
        self.evidence = evidence
        self.clearHoldMs = clearHoldMs
        self.command = command
    }

    public static func active(_ key: AlarmKey, _ severity: Severity, at: Int64, evidence: JSONValue, clearHoldMs: Int64, command: ConditionCommand? = nil) -> Condition {
        Condition(key: key, active: true, severity: severity, at: at, evidence: evidence, clearHoldMs: clearHoldMs, command: command)
    }

    public static func normal(_ key: AlarmKey, at: Int64, clearHoldMs: Int64) -> Condition {
        Condition(key: key, active: false, severity: .warning, at: at, clearHoldMs: clearHoldMs)
    }
}

/// A device command a rule asks for (e.g. `port_off` on a charger port in thermal runaway).
public struct ConditionCommand: Sendable, Equatable {
    public var device: String
    public var command: String
    public var port: Int?
    public var reason: String

    public init(device: String, command: String, port: Int? = nil, reason: String) {
        self.device = device
        self.command = command
        self.port = port
        self.reason = reason
    }
}
