@testable import RentGuardCore

/// A building with one device per profile, and helpers to decode through `IngestDecoder`.
enum ProfileFixture {
    /// 2023-11-14T22:13:20Z: every device timestamp in the doc payloads below is earlier.
    static let now: Int64 = 1_700_000_000_000

    static let devices: [DeviceConfig] = [
        DeviceConfig(id: "SD-101", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/flat101/smoke")),
        DeviceConfig(id: "CO-101", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/flat101/co", model: "HS1CA-M")),
        DeviceConfig(id: "GAS-101", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/flat101/gas", model: "JKD-816COM-Z")),
        DeviceConfig(id: "HEAT-101", kind: .smokeDetector, unit: "101", source: .init(
            profile: "zigbee2mqtt", topic: "zigbee2mqtt/flat101/heat", overrides: ["battery_state": FieldMapping(to: "battery_low", when: "low")])),
        DeviceConfig(id: "PM-101", kind: .powerMeter, unit: "101", commands: ["relay_off"], source: .init(profile: "tasmota", topic: "meter_101")),
        DeviceConfig(id: "PM-102", kind: .powerMeter, unit: "102", commands: ["relay_off"], source: .init(profile: "tasmota", topic: "shelly25_102", channel: 2)),
        DeviceConfig(id: "CH-T", kind: .charger, ports: 2, ratedPortCurrentA: 5, commands: ["port_off"], source: .init(profile: "tasmota", topic: "charger_t")),
        DeviceConfig(id: "PM-103", kind: .powerMeter, unit: "103", commands: ["relay_off", "relay_on"], source: .init(profile: "shelly_gen2", topic: "shellyplus1pm-a8032ab12345")),
        DeviceConfig(id: "PM-104", kind: .powerMeter, unit: "104", source: .init(profile: "shelly_gen2", topic: "shellyproem50-08f9e0e5a6b4")),
        DeviceConfig(id: "PM-105", kind: .powerMeter, unit: "105", commands: ["relay_off"], source: .init(profile: "shelly_gen1", topic: "shellies/shellyplug-s-040BAD")),
        DeviceConfig(id: "WM-101", kind: .waterMeter, unit: "101", source: .init(profile: "generic_json", topic: "site/flat101/water", mapping: GenericJSONMapping(
            fields: [.init(pointer: "/meter/vol_m3", to: "volume_l", scale: 1000), .init(pointer: "/meter/flow~1min", to: "flow_l_per_min")],
            timestamp: "/time", timestampUnit: .s, availabilityTopic: "site/flat101/water/lwt", onlinePayload: "up", offlinePayload: "down"))),
        DeviceConfig(id: "SD-V1", kind: .smokeDetector, unit: "101"),
    ]

    static let config = BuildingConfig(gateway: GatewayIdentity(id: "gw", building: "B1"), devices: devices)
    static let decoder = IngestDecoder(config: config)

    static func decode(_ topic: String, _ payload: String, receivedAt: Int64 = now) -> Result<[Reading], Rejection> {
        decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: receivedAt)
    }

    static func readings(_ topic: String, _ payload: String, receivedAt: Int64 = now) throws -> [Reading] {
        try decode(topic, payload, receivedAt: receivedAt).get()
    }

    static func rejection(_ topic: String, _ payload: String) -> Rejection? {
        if case let .failure(r) = decode(topic, payload) { return r }
        return nil
    }

    static func smoke(_ r: [Reading]) -> SmokeTelemetry? {
        for x in r { if case let .telemetry(.smoke(t)) = x.observation { return t } }
        return nil
    }

    static func power(_ r: [Reading]) -> PowerTelemetry? {
        for x in r { if case let .telemetry(.power(t)) = x.observation { return t } }
        return nil
    }

    static func events(_ r: [Reading]) -> [DeviceEvent] {
        r.compactMap { if case let .event(e) = $0.observation { return e } else { return nil } }
    }

    static func status(_ r: [Reading]) -> Bool? {
        for x in r { if case let .status(o) = x.observation { return o } }
        return nil
    }
}
