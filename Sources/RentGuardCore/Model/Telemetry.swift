/// Decoded, validated telemetry of one message (protocol v1 §1.1).
///
/// Optional fields are `nil` when the device did not send them.
public enum Telemetry: Sendable, Equatable {
    case smoke(SmokeTelemetry)
    case charger(ChargerTelemetry)
    case power(PowerTelemetry)
    case water(WaterTelemetry)
    case gas(GasTelemetry)
}

public struct SmokeTelemetry: Sendable, Equatable {
    public var obscurationPctPerM: Double?
    public var temperatureC: Double?
    public var coPpm: Double?
    public var batteryPct: Double?
    /// The detector's own listed alarm decisions, by what each is about: protocol v1's
    /// `alarm` under its `alarm_kind` (smoke when absent). A device profile may carry
    /// several (a zigbee2mqtt detector publishing `smoke` and `carbon_monoxide` side by side).
    public var decisions: [AlarmKind: Bool]

    /// - Parameters:
    ///   - alarm: the detector's decision (protocol v1 `alarm`), about `alarmKind`.
    ///   - decisions: further decisions; `alarm` is added under `alarmKind`.
    public init(
        obscurationPctPerM: Double? = nil, temperatureC: Double? = nil, coPpm: Double? = nil,
        batteryPct: Double? = nil, alarm: Bool? = nil, alarmKind: AlarmKind = .smoke, decisions: [AlarmKind: Bool] = [:]
    ) {
        self.obscurationPctPerM = obscurationPctPerM
        self.temperatureC = temperatureC
        self.coPpm = coPpm
        self.batteryPct = batteryPct
        self.decisions = decisions
        if let alarm { self.decisions[alarmKind] = alarm }
    }

    /// Whether the detector is in alarm of any kind (nil when the message carried no decision).
    public var alarm: Bool? { decisions.isEmpty ? nil : decisions.values.contains(true) }

    /// The detector's decision about `kind`, if the message carried one.
    public func decision(_ kind: AlarmKind) -> Bool? { decisions[kind] }
}

public enum PortState: String, Sendable, Equatable, CaseIterable {
    case idle, charging, full, fault
}

public struct ChargerPortReading: Sendable, Equatable {
    public var port: Int
    public var state: PortState
    public var voltageV: Double?
    public var currentA: Double?
    public var powerW: Double?
    public var temperatureC: Double?
    public var energyWh: Double?

    public init(
        port: Int, state: PortState, voltageV: Double? = nil, currentA: Double? = nil,
        powerW: Double? = nil, temperatureC: Double? = nil, energyWh: Double? = nil
    ) {
        self.port = port
        self.state = state
        self.voltageV = voltageV
        self.currentA = currentA
        self.powerW = powerW
        self.temperatureC = temperatureC
        self.energyWh = energyWh
    }
}

public struct ChargerTelemetry: Sendable, Equatable {
    public var ports: [ChargerPortReading]
    public var ambientC: Double?

    public init(ports: [ChargerPortReading], ambientC: Double? = nil) {
        self.ports = ports
        self.ambientC = ambientC
    }
}

public struct PowerTelemetry: Sendable, Equatable {
    public var powerW: Double?
    public var voltageV: Double?
    public var currentA: Double?
    public var energyKWh: Double?
    public var residualCurrentMA: Double?

    public init(
        powerW: Double? = nil, voltageV: Double? = nil, currentA: Double? = nil,
        energyKWh: Double? = nil, residualCurrentMA: Double? = nil
    ) {
        self.powerW = powerW
        self.voltageV = voltageV
        self.currentA = currentA
        self.energyKWh = energyKWh
        self.residualCurrentMA = residualCurrentMA
    }
}

public struct WaterTelemetry: Sendable, Equatable {
    public var volumeL: Double?
    public var flowLPerMin: Double?

    public init(volumeL: Double? = nil, flowLPerMin: Double? = nil) {
        self.volumeL = volumeL
        self.flowLPerMin = flowLPerMin
    }
}

public struct GasTelemetry: Sendable, Equatable {
    public var volumeM3: Double?
    public var flowM3PerH: Double?

    public init(volumeM3: Double? = nil, flowM3PerH: Double? = nil) {
        self.volumeM3 = volumeM3
        self.flowM3PerH = flowM3PerH
    }
}
