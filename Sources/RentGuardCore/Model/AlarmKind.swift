/// What a detector's own alarm decision is about (protocol v1.1 `alarm_kind`): smoke (the
/// default when a device does not say), heat, or carbon monoxide. The gateway raises an
/// alarm of that type on it at once (protocol v1 §1.1): firefighters and tenants act
/// differently on CO (ventilate, get out, no flame) than on smoke.
public enum AlarmKind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case smoke, heat, co

    /// The alarm type raised on the decision.
    public var alarmType: AlarmType {
        switch self {
        case .smoke: return .smoke
        case .heat: return .heat
        case .co: return .co
        }
    }

    /// The profile target naming a decision of this kind: `smoke_alarm`, `heat_alarm`, `co_alarm`.
    public var targetName: String { rawValue + "_alarm" }

    public static func < (a: AlarmKind, b: AlarmKind) -> Bool { a.rawValue < b.rawValue }
}
