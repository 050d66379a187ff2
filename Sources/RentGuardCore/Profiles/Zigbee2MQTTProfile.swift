/// zigbee2mqtt smoke, CO and heat detectors.
///
/// - State: `zigbee2mqtt/<friendly name>` (the device's `topic`), a JSON object with the
///   device's exposes (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html).
///   Each message is the device's whole state, so it becomes one telemetry reading (the
///   detector's own decisions with their kinds: `smoke` → smoke, `carbon_monoxide` → CO,
///   `heat` / `high_temperature` → heat, protocol v1.1 `alarm` with `alarm_kind`; `battery`,
///   `temperature`, `co`) plus an event for each flag that is true (`tamper`,
///   `battery_low`, `test`).
/// - Availability: `<topic>/availability`, `{"state":"online"|"offline"}` or the legacy
///   plain `online` / `offline` (https://www.zigbee2mqtt.io/guide/configuration/device-availability.html).
/// - Timestamp: `last_seen` when zigbee2mqtt is set to add it (`advanced.last_seen`:
///   `epoch` ms or `ISO_8601`); otherwise the gateway's receive time.
/// - Per-model overrides (`Zigbee2MQTTProfile.models`) where a model's key differs, then the
///   device's own `overrides`. Unknown keys (`linkquality`, `voltage`, …) are ignored.
///
/// Commands: none (a detector's siren is not the gateway's to sound through zigbee2mqtt).
public struct Zigbee2MQTTProfile: DeviceProfile {
    public let device: DeviceConfig
    public let topic: String
    public let environment: ProfileEnvironment
    let targets: [String: (ObservationTarget, FieldMapping)]

    /// Keys every zigbee2mqtt alarm publishes under its generic exposes
    /// (https://www.zigbee2mqtt.io/guide/usage/exposes.html). Each binary alarm is the
    /// detector's decision of its own kind (protocol v1.1 `alarm_kind`): `smoke` ("indicates
    /// whether the device detected smoke"), `carbon_monoxide` ("… detected carbon
    /// monoxide"). `heat` and `high_temperature` are not generic exposes; on a detector that
    /// publishes them they can only be its heat decision, so they are read as one rather than
    /// ignored (a model whose key means something else overrides it below).
    public static let defaultKeys: [String: FieldMapping] = [
        "smoke": FieldMapping(to: "smoke_alarm"),
        "carbon_monoxide": FieldMapping(to: "co_alarm"),
        "heat": FieldMapping(to: "heat_alarm"),
        "high_temperature": FieldMapping(to: "heat_alarm"),
        "temperature": FieldMapping(to: "temperature_c"),
        "co": FieldMapping(to: "co_ppm"),
        "battery": FieldMapping(to: "battery_pct"),
        "battery_low": FieldMapping(to: "battery_low"),
        "tamper": FieldMapping(to: "tamper"),
        "test": FieldMapping(to: "test"),
        "fault": FieldMapping(to: "fault"),
    ]

    /// Models whose keys differ from the generic ones, each from its zigbee2mqtt device page.
    public static let models: [String: [String: FieldMapping]] = [
        // https://www.zigbee2mqtt.io/devices/JY-GZ-01AQ.html — `smoke_density` is a 0–10
        // level (`smoke_density_dbm` a lookup of it), not an obscuration: ignored; `test`
        // is the self-test flag.
        "JY-GZ-01AQ": ["smoke_density": FieldMapping(to: "ignore"), "smoke_density_dbm": FieldMapping(to: "ignore")],
        // https://www.zigbee2mqtt.io/devices/ZC-HM.html — Moes CO alarm: `self_test_result`
        // is a text result, not a test press.
        "ZC-HM": ["self_test_result": FieldMapping(to: "ignore")],
        // https://www.zigbee2mqtt.io/devices/JKD-816COM-Z.html — CO and gas alarm: `self_test`
        // is the test flag; `gas` is a (natural gas) alarm decision.
        "JKD-816COM-Z": ["self_test": FieldMapping(to: "test"), "gas": FieldMapping(to: "alarm")],
        // https://www.zigbee2mqtt.io/devices/HESZB-120.html — Develco / frient 94431 heat alarm
        // ("Fire detector with siren", a thermal detector with no smoke chamber): its IAS
        // alarm is exposed as `smoke`, and is the heat decision.
        "HESZB-120": ["smoke": FieldMapping(to: "heat_alarm")],
    ]

    public init(device: DeviceConfig, topic: String, environment: ProfileEnvironment) throws(ProfileError) {
        self.device = device
        self.topic = topic
        self.environment = environment
        var table = Self.defaultKeys
        if let m = device.source.model, let model = Self.models[m] {
            table.merge(model) { $1 }
        }
        table.merge(device.source.overrides) { $1 }
        targets = try resolvedTargets(table, kind: device.kind)
    }

    public var availabilityTopic: String { topic + "/availability" }
    public var subscriptions: [String] { [topic, availabilityTopic] }

    public func decode(topic t: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        result { () throws(Rejection) -> [Reading] in
            var b = ReadingBuilder(device: device.id, kind: device.kind)
            if t == availabilityTopic {
                let state: String
                if payload.first == UInt8(ascii: "{") {
                    let m = try object(payload)
                    guard let s = m.first(where: { $0.0 == "state" })?.1.stringValue else {
                        throw Rejection(.missingField, "availability payload has no 'state'", device: device.id)
                    }
                    state = s
                } else {
                    state = text(payload)
                }
                switch state {
                case "online": b.status(online: true)
                case "offline": b.status(online: false)
                default: throw Rejection(.outOfRange, "availability '\(Rejection.printable(state, limit: 40))' is not online or offline", device: device.id)
                }
                return try b.readings(ts: receivedAt, fromDevice: false)
            }
            guard t == topic else { throw unknownTopic(t) }
            let members = try object(payload)
            var ts = receivedAt
            var fromDevice = false
            for (k, v) in members {
                if k == "last_seen" {
                    switch v {
                    case let .number(n): ts = try environment.checked(milliseconds: n, receivedAt: receivedAt, device: device.id, field: k)
                    case let .string(s):
                        guard let ms = DeviceTime.parse(s, defaultOffsetMinutes: 0) else {
                            throw Rejection(.wrongType, "'last_seen' '\(Rejection.printable(s, limit: 40))' is not an ISO 8601 time", device: device.id)
                        }
                        ts = try environment.checked(ms, receivedAt: receivedAt, device: device.id, field: k)
                    default: throw Rejection(.wrongType, "'last_seen' must be a number or a string, got a \(v.typeName)", device: device.id)
                    }
                    fromDevice = true
                    continue
                }
                guard let (target, mapping) = targets[k] else { continue }  // unknown keys are ignored
                try b.apply(target, v, mapping: mapping, source: k)
            }
            return try b.readings(ts: ts, fromDevice: fromDevice)
        }
    }

    public func encode(_ command: DeviceCommand) -> OutgoingMessage? { nil }
}
