/// What a value of a device's own payload becomes in protocol v1 terms: a telemetry field,
/// an event (raised when the value is true), the device's online status, or nothing.
public enum ObservationTarget: Sendable, Equatable, Hashable {
    case field(TelemetryField)
    /// The detector's own decision about one kind (`smoke_alarm`, `heat_alarm`, `co_alarm`):
    /// a flag, like `alarm`, whose kind is fixed by the mapping (v1.1).
    case decision(AlarmKind)
    /// What the message's `alarm` is about (`alarm_kind`): a string, `smoke`, `heat` or `co` (v1.1).
    case alarmKind
    case event(DeviceEvent.Name)
    case online
    case ignore

    /// `temperature_c`, `alarm`, `co_alarm`, `alarm_kind`, `tamper`, `online`, `ignore`, …
    public init?(_ name: String) {
        if let f = TelemetryField(rawValue: name) {
            self = .field(f)
        } else if let k = AlarmKind.allCases.first(where: { $0.targetName == name }) {
            self = .decision(k)
        } else if name == "alarm_kind" {
            self = .alarmKind
        } else if let e = DeviceEvent.Name(rawValue: name) {
            self = .event(e)
        } else if name == "online" {
            self = .online
        } else if name == "ignore" {
            self = .ignore
        } else {
            return nil
        }
    }

    public var name: String {
        switch self {
        case let .field(f): return f.rawValue
        case let .decision(k): return k.targetName
        case .alarmKind: return "alarm_kind"
        case let .event(e): return e.rawValue
        case .online: return "online"
        case .ignore: return "ignore"
        }
    }

    /// Every target name a configuration may use for a device of `kind`.
    public static func names(for kind: DeviceKind) -> [String] {
        TelemetryField.allCases.filter { $0.kinds.contains(kind) }.map(\.rawValue)
            + (kind == .smokeDetector ? AlarmKind.allCases.map(\.targetName) + ["alarm_kind"] : [])
            + DeviceEvent.Name.allCases.map(\.rawValue) + ["online", "ignore"]
    }

    /// Whether a device of `kind` can carry this target.
    public func applies(to kind: DeviceKind) -> Bool {
        switch self {
        case let .field(f): return f.kinds.contains(kind)
        case .decision, .alarmKind: return kind == .smokeDetector
        default: return true
        }
    }
}

/// The scalar telemetry fields of protocol v1 §1.1 (charger ports are built separately).
public enum TelemetryField: String, Sendable, CaseIterable, Hashable {
    case smokeObscuration = "smoke_obscuration_pct_per_m"
    case temperature = "temperature_c"
    case coPpm = "co_ppm"
    case batteryPct = "battery_pct"
    /// The detector's own alarm decision (a boolean).
    case alarm
    case powerW = "power_w"
    case voltageV = "voltage_v"
    case currentA = "current_a"
    case energyKWh = "energy_kwh"
    case residualCurrentMA = "residual_current_ma"
    case volumeL = "volume_l"
    case flowLPerMin = "flow_l_per_min"
    case volumeM3 = "volume_m3"
    case flowM3PerH = "flow_m3_per_h"

    public var kinds: Set<DeviceKind> {
        switch self {
        case .smokeObscuration, .coPpm, .batteryPct, .alarm: return [.smokeDetector]
        case .temperature: return [.smokeDetector]
        case .powerW, .voltageV, .currentA, .energyKWh, .residualCurrentMA: return [.powerMeter]
        case .volumeL, .flowLPerMin: return [.waterMeter]
        case .volumeM3, .flowM3PerH: return [.gasMeter]
        }
    }

    public var isFlag: Bool { self == .alarm }

    /// The plausible range (`FieldLimits`), the same as protocol v1's.
    public var range: ClosedRange<Double> {
        switch self {
        case .smokeObscuration: return FieldLimits.obscurationPctPerM
        case .temperature: return FieldLimits.temperatureC
        case .coPpm: return FieldLimits.coPpm
        case .batteryPct: return FieldLimits.batteryPct
        case .alarm: return 0...1
        case .powerW: return FieldLimits.meterPowerW
        case .voltageV: return FieldLimits.meterVoltageV
        case .currentA: return FieldLimits.meterCurrentA
        case .energyKWh: return FieldLimits.meterEnergyKWh
        case .residualCurrentMA: return FieldLimits.residualCurrentMA
        case .volumeL: return FieldLimits.waterVolumeL
        case .flowLPerMin: return FieldLimits.waterFlowLPerMin
        case .volumeM3: return FieldLimits.gasVolumeM3
        case .flowM3PerH: return FieldLimits.gasFlowM3PerH
        }
    }
}
