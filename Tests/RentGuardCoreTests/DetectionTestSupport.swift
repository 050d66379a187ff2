import RentGuardCore

/// Shared helpers for the detection tests: a small building, reading constructors, a replay
/// harness and a seeded PRNG (SplitMix64) so that property tests are reproducible.
enum T {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01 00:00 UTC = 08:00 in UTC+8

    static func config(
        devices: [DeviceConfig], units: [UnitConfig] = [], thresholds: [String: [String: Double]] = [:],
        zone: LocalTimeZone = .chinaStandardTime
    ) -> BuildingConfig {
        BuildingConfig(gateway: GatewayIdentity(id: "gw-1", building: "B1", zone: zone), units: units, devices: devices, thresholds: thresholds)
    }

    static func detector(_ id: String, unit: String? = "101", zone: DeviceConfig.Zone? = .room, near: [String] = []) -> DeviceConfig {
        DeviceConfig(id: id, kind: .smokeDetector, unit: unit, zone: zone, reportIntervalSeconds: 60, near: near)
    }

    static func charger(_ id: String = "CH-1", commands: [String] = ["port_off"], near: [String] = [], cap: Double? = 8700) -> DeviceConfig {
        DeviceConfig(id: id, kind: .charger, zone: .station, reportIntervalSeconds: 60, ports: 10, ratedPortCurrentA: 5.5,
                     stationPowerCapW: cap, commands: commands, near: near)
    }

    static func meter(_ id: String = "PM-101", unit: String = "101", rated: Double = 60) -> DeviceConfig {
        DeviceConfig(id: id, kind: .powerMeter, unit: unit, reportIntervalSeconds: 60, ratedCurrentA: rated)
    }

    static func smoke(_ dev: String, _ ts: Int64, obs: Double? = 0.2, temp: Double? = 22, co: Double? = nil,
                      battery: Double? = nil, alarm: Bool? = nil) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .telemetry(.smoke(SmokeTelemetry(
            obscurationPctPerM: obs, temperatureC: temp, coPpm: co, batteryPct: battery, alarm: alarm)))))
    }

    static func event(_ dev: String, _ ts: Int64, _ name: DeviceEvent.Name, port: Int? = nil) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .event(DeviceEvent(name: name, port: port))))
    }

    static func status(_ dev: String, _ ts: Int64, online: Bool) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .status(online: online)))
    }

    static func port(_ n: Int, _ state: PortState = .charging, v: Double = 52, a: Double = 3, w: Double? = nil, temp: Double = 30) -> ChargerPortReading {
        ChargerPortReading(port: n, state: state, voltageV: v, currentA: a, powerW: w ?? v * a, temperatureC: temp)
    }

    static func chargerReading(_ dev: String, _ ts: Int64, _ ports: [ChargerPortReading], ambient: Double? = 25) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .telemetry(.charger(ChargerTelemetry(ports: ports, ambientC: ambient)))))
    }

    static func power(_ dev: String, _ ts: Int64, w: Double, a: Double? = nil, v: Double = 230, residual: Double? = nil) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .telemetry(.power(PowerTelemetry(
            powerW: w, voltageV: v, currentA: a ?? w / v, residualCurrentMA: residual)))))
    }

    /// Runs inputs through a fresh engine; returns the alarm transitions and commands.
    static func run(_ config: BuildingConfig, _ inputs: [CoreInput]) -> (engine: DetectionEngine, out: [CoreOutput]) {
        var e = DetectionEngine(config: config)
        var out: [CoreOutput] = []
        for i in inputs { e.handle(i, into: &out) }
        return (e, out)
    }

    static func transitions(_ out: [CoreOutput]) -> [Alarm] {
        out.compactMap { if case let .alarm(t) = $0 { return t.alarm } else { return nil } }
    }

    static func raised(_ out: [CoreOutput], _ type: AlarmType) -> [Alarm] {
        transitions(out).filter { $0.key.type == type && $0.state == .raised }
    }

    static func commands(_ out: [CoreOutput]) -> [DeviceCommand] {
        out.compactMap { if case let .command(c) = $0 { return c } else { return nil } }
    }

    /// "type/state/severity@ts" lines, for comparing runs.
    static func summary(_ out: [CoreOutput]) -> [String] {
        transitions(out).map { "\($0.key)/\($0.state.rawValue)/\($0.severity.rawValue)@\($0.updatedAt)" }
    }
}

