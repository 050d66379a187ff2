/// The built-in device profiles (docs/devices.md).
public enum ProfileName: String, Sendable, CaseIterable {
    /// Protocol v1 on `<prefix>/<building>/<device>/…`: no translation.
    case protocolV1 = "protocol_v1"
    case zigbee2mqtt
    case tasmota
    case shellyGen2 = "shelly_gen2"
    case shellyGen1 = "shelly_gen1"
    case genericJSON = "generic_json"

    /// The device kinds a profile can decode.
    public var kinds: Set<DeviceKind> {
        switch self {
        case .protocolV1, .genericJSON: return Set(DeviceKind.allCases).subtracting(self == .genericJSON ? [.charger] : [])
        case .zigbee2mqtt: return [.smokeDetector]
        case .tasmota, .shellyGen2, .shellyGen1: return [.powerMeter, .charger]
        }
    }

    /// The commands a device can carry out through the profile (protocol v1 §2 names).
    public func commands(for kind: DeviceKind) -> Set<String> {
        switch self {
        case .protocolV1: return ["port_off", "port_on", "relay_off", "relay_on", "sound", "silence"]
        case .zigbee2mqtt, .genericJSON: return []
        case .tasmota, .shellyGen2, .shellyGen1:
            return kind == .charger ? ["port_off", "port_on", "relay_off", "relay_on"] : ["relay_off", "relay_on"]
        }
    }

    /// The profile for `device`, bound to it. `nil` for protocol v1.
    /// Throws when the device's profile settings cannot work (checked by configuration validation first).
    public static func make(_ device: DeviceConfig, environment: ProfileEnvironment) throws(ProfileError) -> (any DeviceProfile)? {
        let s = device.source
        if s.isProtocolV1 { return nil }
        guard let name = ProfileName(rawValue: s.profile ?? "") else {
            throw ProfileError("unknown profile '\(s.profile ?? "")'")
        }
        guard name.kinds.contains(device.kind) else {
            throw ProfileError("profile '\(name.rawValue)' does not decode \(device.kind.rawValue) devices (it decodes \(name.kinds.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        guard let topic = s.topic, TopicFilter.isValidTopic(topic) else {
            throw ProfileError("profile '\(name.rawValue)' needs the device's own 'topic' (no wildcards)")
        }
        var offset = 8 * 60
        if let o = s.utcOffset {
            guard let m = DeviceTime.parseOffset(o) else { throw ProfileError("utc_offset '\(o)' is not ±HH:MM") }
            offset = m
        }
        switch name {
        case .protocolV1: return nil
        case .zigbee2mqtt: return try Zigbee2MQTTProfile(device: device, topic: topic, environment: environment)
        case .tasmota: return try TasmotaProfile(device: device, topic: topic, utcOffsetMinutes: offset, environment: environment)
        case .shellyGen2: return try ShellyGen2Profile(device: device, prefix: topic, environment: environment)
        case .shellyGen1: return try ShellyGen1Profile(device: device, base: topic, environment: environment)
        case .genericJSON: return try GenericJSONProfile(device: device, topic: topic, utcOffsetMinutes: offset, environment: environment)
        }
    }
}

/// Why a device's profile settings cannot work.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Parses an override table (`key → FieldMapping`) into targets, for `kind`.
func resolvedTargets(_ table: [String: FieldMapping], kind: DeviceKind) throws(ProfileError) -> [String: (ObservationTarget, FieldMapping)] {
    var out: [String: (ObservationTarget, FieldMapping)] = [:]
    for (k, m) in table {
        guard let t = ObservationTarget(m.to) else {
            throw ProfileError("'\(k)': unknown target '\(m.to)'")
        }
        guard t.applies(to: kind) else {
            throw ProfileError("'\(k)': \(m.to) is not a field of a \(kind.rawValue)")
        }
        out[k] = (t, m)
    }
    return out
}
