import RentGuardCore

/// The building the `ingest` target decodes for: protocol v1 devices of every kind and a
/// device of every profile (the shapes of docs/devices.md), so that every decoder is reachable.
enum FuzzBuilding {
    /// 2023-11-14T22:13:20Z, the receive time of every message.
    static let now: Int64 = 1_700_000_000_000

    static let config = BuildingConfig(
        gateway: GatewayIdentity(id: "gw", building: "B1"),
        units: [UnitConfig(id: "101", areaM2: 40, registeredOccupants: 2), UnitConfig(id: "102", areaM2: 30, registeredOccupants: 1, adjacent: ["101"])],
        devices: [
            DeviceConfig(id: "SD-1", kind: .smokeDetector, unit: "101", zone: .bedroom, reportIntervalSeconds: 60),
            DeviceConfig(id: "PM-1", kind: .powerMeter, unit: "101", ratedCurrentA: 40, commands: ["relay_off"]),
            DeviceConfig(id: "WM-1", kind: .waterMeter, unit: "101"),
            DeviceConfig(id: "CH-1", kind: .charger, zone: .station, ports: 4, ratedPortCurrentA: 5.5, commands: ["port_off"]),
            DeviceConfig(id: "Z-SD", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/sd")),
            DeviceConfig(id: "Z-CO", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/co", model: "HS1CA-M")),
            DeviceConfig(id: "T-PM", kind: .powerMeter, unit: "102", commands: ["relay_off"], source: .init(profile: "tasmota", topic: "meter")),
            DeviceConfig(id: "T-PM2", kind: .powerMeter, unit: "102", source: .init(profile: "tasmota", topic: "dual", channel: 2)),
            DeviceConfig(id: "T-CH", kind: .charger, ports: 2, ratedPortCurrentA: 5, commands: ["port_off"], source: .init(profile: "tasmota", topic: "charger")),
            DeviceConfig(id: "S2-PM", kind: .powerMeter, unit: "102", commands: ["relay_off"], source: .init(profile: "shelly_gen2", topic: "plus1pm")),
            DeviceConfig(id: "S2-CH", kind: .charger, ports: 2, ratedPortCurrentA: 5, source: .init(profile: "shelly_gen2", topic: "pro2pm")),
            DeviceConfig(id: "S1-PM", kind: .powerMeter, unit: "102", commands: ["relay_off"], source: .init(profile: "shelly_gen1", topic: "shellies/plug")),
            DeviceConfig(id: "S1-CH", kind: .charger, ports: 2, ratedPortCurrentA: 5, source: .init(profile: "shelly_gen1", topic: "shellies/relay2")),
            DeviceConfig(id: "G-WM", kind: .waterMeter, unit: "102", source: .init(profile: "generic_json", topic: "site/water", mapping: GenericJSONMapping(
                fields: [.init(pointer: "/meter/vol_m3", to: "volume_l", scale: 1000), .init(pointer: "/meter/flow~1min", to: "flow_l_per_min")],
                timestamp: "/time", timestampUnit: .s, availabilityTopic: "site/water/lwt", onlinePayload: "up", offlinePayload: "down"))),
            DeviceConfig(id: "G-SD", kind: .smokeDetector, unit: "102", source: .init(profile: "generic_json", topic: "site/smoke/state", mapping: GenericJSONMapping(
                fields: [.init(pointer: "/smoke", to: "smoke_obscuration_pct_per_m"), .init(pointer: "/alarm", to: "alarm", when: "ALARM"),
                         .init(pointer: "/t", to: "temperature_c")],
                timestamp: "/ts", timestampUnit: .ms))),
        ])

    static let decoder: IngestDecoder = {
        let d = IngestDecoder(config: config)
        precondition(d.problems.isEmpty, "the fuzz building's profiles do not load: \(d.problems)")
        return d
    }()
}
