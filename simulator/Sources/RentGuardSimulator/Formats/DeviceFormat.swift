import RentGuardCore

/// The wire format the simulator speaks for a scenario's devices (`--format`): protocol v1,
/// or the format of real devices behind a device profile (docs/devices.md).
///
/// A format applies to the kinds its devices are (zigbee2mqtt: smoke detectors; Tasmota
/// and Shelly: power meters); other devices stay on protocol v1, as in a real building.
public enum DeviceFormat: String, Sendable, CaseIterable {
    case v1
    case zigbee2mqtt
    case tasmota
    case shelly

    /// The profile a translated device gets in the daemon's configuration.
    public var profile: ProfileName {
        switch self {
        case .v1: return .protocolV1
        case .zigbee2mqtt: return .zigbee2mqtt
        case .tasmota: return .tasmota
        case .shelly: return .shellyGen2
        }
    }

    /// The kinds this format translates.
    public var kinds: Set<DeviceKind> {
        switch self {
        case .v1: return []
        case .zigbee2mqtt: return [.smokeDetector]
        case .tasmota, .shelly: return [.powerMeter]
        }
    }

    /// The device's own topic under this format (zigbee2mqtt: full topic; Tasmota: `%topic%`;
    /// Shelly: topic prefix).
    public func topic(building: String, device: String) -> String {
        switch self {
        case .v1: return ""
        case .zigbee2mqtt: return "zigbee2mqtt/\(building)/\(device)"
        case .tasmota: return "\(building)_\(device)"
        case .shelly: return "shellypro1pm-\(building)-\(device)"
        }
    }

    /// Whether `d` is translated (registered devices of the format's kinds, still on v1).
    public func translates(_ d: DeviceConfig) -> Bool {
        kinds.contains(d.kind) && d.source.isProtocolV1
    }

    /// The building as the daemon must be configured for this format: each translated
    /// device gets its `profile` and `topic`.
    public func building(_ b: BuildingConfig) -> BuildingConfig {
        var out = b
        for i in out.devices.indices where translates(out.devices[i]) {
            out.devices[i].source = DeviceSource(profile: profile.rawValue, topic: topic(building: b.gateway.building, device: out.devices[i].id))
        }
        return out
    }

    /// What a reading keeps through this format: the protocol v1 reading with the fields
    /// the device's own format cannot carry removed (docs/devices.md, "what is lost").
    public func projected(_ r: Reading, kind: DeviceKind) -> Reading? {
        guard kinds.contains(kind) else { return r }
        var r = r
        switch (self, r.observation) {
        case let (.zigbee2mqtt, .telemetry(.smoke(t))):
            // zigbee2mqtt detectors publish their own decision, not the analog chamber value.
            r.observation = .telemetry(.smoke(SmokeTelemetry(temperatureC: t.temperatureC, coPpm: t.coPpm, batteryPct: t.batteryPct, decisions: t.decisions)))
        case let (.zigbee2mqtt, .event(e)):
            guard [.batteryLow, .test, .tamper, .fault].contains(e.name) else { return nil }
            r.observation = .event(DeviceEvent(name: e.name))
        case let (.tasmota, .telemetry(.power(t))), let (.shelly, .telemetry(.power(t))):
            // Neither firmware measures earth leakage.
            r.observation = .telemetry(.power(PowerTelemetry(powerW: t.powerW, voltageV: t.voltageV, currentA: t.currentA, energyKWh: t.energyKWh)))
        case let (_, .event(e)):
            // Meters in these formats have no tamper or fault events; relay changes they do.
            guard e.name == .relayOff || e.name == .relayOn else { return nil }
        default:
            break
        }
        switch (self, r.observation) {
        case (.tasmota, .telemetry):
            r.ts = Self.floorSecond(r.ts)  // Tasmota's `Time` has whole seconds
        case (.shelly, .telemetry), (.shelly, .event):
            r.ts = (r.ts / 10) * 10  // NotifyStatus `ts` has hundredths of a second
        case (.zigbee2mqtt, .event), (_, .telemetry):
            break  // zigbee2mqtt's `last_seen` is in ms
        case (_, .event), (_, .status):
            r.timestampFromDevice = false  // LWT, availability and relay replies carry no time
        }
        return r
    }

    static func floorSecond(_ ms: Int64) -> Int64 { ms - ((ms % 1000) + 1000) % 1000 }
}
