extension AlarmType {
    /// The hazards that are the first sign of a fire or of poisoning: fire, smoke, heat and
    /// carbon monoxide.
    public var isFireOrCOHazard: Bool { self == .fire || self == .smoke || self == .heat || self == .co }

    /// Whether an alarm of this type at `severity` is a life-safety alarm: a fire, smoke,
    /// heat or CO alarm above warning (a detector's own alarm is major), or any critical
    /// alarm. Life-safety alarms reach landlords at once: quiet hours, the severity floor
    /// and digests never apply to them (docs/delivery.md). This is the one place that
    /// decides it.
    public func isLifeSafety(severity: Severity) -> Bool {
        severity == .critical || self == .fire || (isFireOrCOHazard && severity > .warning)
    }
}

extension Alarm {
    /// See `AlarmType.isLifeSafety(severity:)`. An alarm keeps the highest severity it
    /// reached, so all its later transitions (acknowledged, cleared) are life-safety too.
    public var isLifeSafety: Bool { key.type.isLifeSafety(severity: severity) }
}
