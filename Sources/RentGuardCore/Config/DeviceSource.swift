/// Where a device's messages come from and in what format: protocol v1 on
/// `<prefix>/<building>/<device>/…` (the default), or a device profile on the device's own
/// topic (zigbee2mqtt, Tasmota, Shelly, or a generic JSON mapping). See docs/devices.md.
///
/// Its keys sit directly on the device entry of the configuration (`profile`, `topic`,
/// `model`, `channel`, `utc_offset`, `overrides`, `mapping`).
public struct DeviceSource: Sendable, Equatable {
    /// The profile's name (`ProfileName`); `nil` is protocol v1.
    public var profile: String?
    /// The device's own topic, as its profile names it (docs/devices.md): a zigbee2mqtt
    /// device's full topic (`zigbee2mqtt/<friendly name>`), a Tasmota device's `%topic%`, a
    /// Shelly's topic prefix, the generic profile's state topic.
    public var topic: String?
    /// The device model, for per-model overrides (zigbee2mqtt's model id, e.g. `HS1CA-M`).
    public var model: String?
    /// Which channel of a multi-channel device this is (Tasmota `POWER<n>` / `ENERGY` array
    /// index from 1; Shelly `switch:<n>` / `em1:<n>` id from 0).
    public var channel: Int?
    /// Offset of the device's clock when its timestamps carry no zone (Tasmota `Time`),
    /// `±HH:MM`; China's `+08:00` by default.
    public var utcOffset: String?
    /// Per-device key → observation overrides, on top of the profile's and the model's.
    public var overrides: [String: FieldMapping]
    /// The generic JSON profile's mapping.
    public var mapping: GenericJSONMapping?

    public init(
        profile: String? = nil, topic: String? = nil, model: String? = nil, channel: Int? = nil, utcOffset: String? = nil,
        overrides: [String: FieldMapping] = [:], mapping: GenericJSONMapping? = nil
    ) {
        self.profile = profile
        self.topic = topic
        self.model = model
        self.channel = channel
        self.utcOffset = utcOffset
        self.overrides = overrides
        self.mapping = mapping
    }

    /// True for protocol v1 (no profile, or `protocol_v1`).
    public var isProtocolV1: Bool { profile == nil || profile == "protocol_v1" }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case profile, topic, model, channel, utcOffset = "utc_offset", overrides, mapping
    }

    /// The keys this adds to a device entry.
    public static let keys: [String] = CodingKeys.allCases.map(\.rawValue)

    /// Reads the source keys of a device entry (the entry's own decoder).
    public init(fromDevice decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profile = try c.decodeIfPresent(String.self, forKey: .profile)
        topic = try c.decodeIfPresent(String.self, forKey: .topic)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        channel = try c.decodeIfPresent(Int.self, forKey: .channel)
        utcOffset = try c.decodeIfPresent(String.self, forKey: .utcOffset)
        overrides = try c.decodeIfPresent([String: FieldMapping].self, forKey: .overrides) ?? [:]
        mapping = try c.decodeIfPresent(GenericJSONMapping.self, forKey: .mapping)
    }
}

/// Where one value of a device's payload goes: an observation target (`ObservationTarget`:
/// a telemetry field, an event name, `online` or `ignore`), with a linear scale for numbers
/// and, for strings or numbers that stand for a flag, the value that means true.
///
/// In YAML either a bare target (`smoke: alarm`) or a mapping
/// (`{to: energy_kwh, scale: 0.001}`, `{to: battery_low, when: "low"}`).
public struct FieldMapping: Sendable, Equatable, Decodable {
    public var to: String
    public var scale: Double
    public var offset: Double
    /// The value (compared as text) that makes a flag true; `nil`: the JSON value must be a boolean.
    public var when: String?

    public init(to: String, scale: Double = 1, offset: Double = 0, when: String? = nil) {
        self.to = to
        self.scale = scale
        self.offset = offset
        self.when = when
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case to, scale, offset, when }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let s = try? single.decode(String.self) {
            self.init(to: s)
            return
        }
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            to: try c.decode(String.self, forKey: .to), scale: try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1,
            offset: try c.decodeIfPresent(Double.self, forKey: .offset) ?? 0, when: try c.decodeIfPresent(String.self, forKey: .when))
    }
}

/// The generic JSON profile's mapping: JSON pointers (RFC 6901) into the payload of the
/// device's `topic`, each to an observation.
public struct GenericJSONMapping: Sendable, Equatable, Decodable {
    public struct Field: Sendable, Equatable, Decodable {
        /// An RFC 6901 JSON pointer, e.g. `/ENERGY/Power` or `/channels/0/p`.
        public var pointer: String
        public var mapping: FieldMapping

        public init(pointer: String, to: String, scale: Double = 1, offset: Double = 0, when: String? = nil) {
            self.pointer = pointer
            self.mapping = FieldMapping(to: to, scale: scale, offset: offset, when: when)
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case pointer, to, scale, offset, when }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pointer = try c.decode(String.self, forKey: .pointer)
            mapping = FieldMapping(
                to: try c.decode(String.self, forKey: .to), scale: try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1,
                offset: try c.decodeIfPresent(Double.self, forKey: .offset) ?? 0, when: try c.decodeIfPresent(String.self, forKey: .when))
        }
    }

    /// How the payload carries its timestamp.
    public enum TimestampUnit: String, Sendable, Equatable, Decodable, CaseIterable {
        case ms, s, iso8601
    }

    public var fields: [Field]
    /// A pointer to the device's timestamp; `nil`: the gateway's receive time.
    public var timestamp: String?
    public var timestampUnit: TimestampUnit
    /// A separate availability topic and the payloads (plain text) that mean online / offline.
    public var availabilityTopic: String?
    public var onlinePayload: String
    public var offlinePayload: String

    public init(
        fields: [Field], timestamp: String? = nil, timestampUnit: TimestampUnit = .ms, availabilityTopic: String? = nil,
        onlinePayload: String = "online", offlinePayload: String = "offline"
    ) {
        self.fields = fields
        self.timestamp = timestamp
        self.timestampUnit = timestampUnit
        self.availabilityTopic = availabilityTopic
        self.onlinePayload = onlinePayload
        self.offlinePayload = offlinePayload
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case fields, timestamp, timestampUnit = "timestamp_unit", availabilityTopic = "availability_topic"
        case onlinePayload = "online_payload", offlinePayload = "offline_payload"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try c.decode([Field].self, forKey: .fields)
        timestamp = try c.decodeIfPresent(String.self, forKey: .timestamp)
        timestampUnit = try c.decodeIfPresent(TimestampUnit.self, forKey: .timestampUnit) ?? .ms
        availabilityTopic = try c.decodeIfPresent(String.self, forKey: .availabilityTopic)
        onlinePayload = try c.decodeIfPresent(String.self, forKey: .onlinePayload) ?? "online"
        offlinePayload = try c.decodeIfPresent(String.self, forKey: .offlinePayload) ?? "offline"
    }
}
