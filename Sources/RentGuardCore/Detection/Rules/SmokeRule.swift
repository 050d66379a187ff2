/// Smoke at a detector: the detector's own alarm decision, or analog obscuration at or
/// over the alarm level.
///
/// A detector reporting `"alarm": true` has made its own listed alarm decision (GB 20517 /
/// UL 217 apply their own verification), so the gateway raises `smoke` at once
/// (protocol v1 §1.1). The alarm clears after readings stay below the clear level, with
/// the detector's own flag off, for the hold time.
public struct SmokeRule: DetectionRule {
    public static let id = "smoke"

    public static let alarmObscuration = RuleParameter(
        "alarm_obscuration_pct_per_m", 5.0, unit: "%/m",
        source: "NIST TN 1455-1: average alarm point of listed photoelectric alarms ≈ 5 %/m (1.5 %/ft)",
        "Obscuration at or over which the gateway raises smoke from analog readings.")
    public static let clearObscuration = RuleParameter(
        "clear_obscuration_pct_per_m", 2.5, unit: "%/m",
        source: "assumed: half the alarm level, for hysteresis",
        "Obscuration below which readings count as normal again.")
    public static let clearHold = RuleParameter(
        "clear_hold_s", 60, unit: "s",
        source: "assumed: one verification window (60 s, UL 864 practice in domain.md)",
        "How long readings must stay normal before the alarm clears.")

    public static let parameters = [alarmObscuration, clearObscuration, clearHold]

    let thresholds: Thresholds

    public init(config: BuildingConfig, thresholds: Thresholds) {
        self.thresholds = thresholds
    }

    public mutating func observe(_ reading: Reading, device: DeviceConfig, isLatest: Bool, into out: inout [Condition]) {
        guard device.kind == .smokeDetector, case let .telemetry(.smoke(t)) = reading.observation else { return }
        let alarmLevel = thresholds.value(Self.id, Self.alarmObscuration, device: device.id)
        let clearLevel = thresholds.value(Self.id, Self.clearObscuration, device: device.id)
        let holdMs = Int64(thresholds.value(Self.id, Self.clearHold, device: device.id) * 1000)
        let key = AlarmKey(type: .smoke, device: device.id, unit: device.unit)

        let detectorAlarm = t.alarm == true
        let analogAlarm = (t.obscurationPctPerM ?? 0) >= alarmLevel
        if detectorAlarm || analogAlarm {
            var ev: [(String, JSONValue)] = [
                ("rule", .string(Self.id)),
                ("trigger", .string(detectorAlarm ? "detector_alarm" : "obscuration")),
            ]
            if let o = t.obscurationPctPerM { ev.append(("smoke_obscuration_pct_per_m", .number(o))) }
            ev.append(("alarm_obscuration_pct_per_m", .number(alarmLevel)))
            if let temp = t.temperatureC { ev.append(("temperature_c", .number(temp))) }
            if let co = t.coPpm { ev.append(("co_ppm", .number(co))) }
            ev.append(("reading_ts", JSONValue(reading.ts)))
            out.append(.active(key, .major, at: reading.ts, evidence: .object(ev), clearHoldMs: holdMs))
        } else if isLatest {
            // Normal only on positive evidence: a battery-only report says nothing about smoke.
            let analogNormal = t.obscurationPctPerM.map { $0 < clearLevel }
            let flagNormal = t.alarm.map { !$0 }
            if analogNormal != nil || flagNormal != nil, analogNormal ?? true, flagNormal ?? true {
                out.append(.normal(key, at: reading.ts, clearHoldMs: holdMs))
            }
        }
    }
}
