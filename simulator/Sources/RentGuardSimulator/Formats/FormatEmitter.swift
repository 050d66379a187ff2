import RentGuardCore

/// Turns a scenario's protocol v1 traffic into the device formats (`DeviceFormat`): the
/// payload shapes the projects document (cited in docs/devices.md), on each translated
/// device's own topic. Messages of devices the format does not translate, and of
/// unregistered devices, stay protocol v1. Pure and deterministic.
public struct FormatEmitter: Sendable {
    public let format: DeviceFormat
    public let building: BuildingConfig
    private let translated: [String: DeviceConfig]
    private let prefix: String

    /// What could not be expressed in the format (e.g. a v1 `hush` event of a zigbee2mqtt
    /// detector): counted per event name, and dropped.
    public private(set) var dropped: [String: Int] = [:]

    public init(format: DeviceFormat, building: BuildingConfig) {
        self.format = format
        self.building = building
        self.prefix = "\(building.ingest.topicPrefix)/\(building.gateway.building)/"
        var t: [String: DeviceConfig] = [:]
        for d in building.devices where format.translates(d) { t[d.id] = d }
        translated = t
    }

    public mutating func emit(_ messages: [SimMessage]) -> [WireMessage] {
        var out: [WireMessage] = []
        out.reserveCapacity(messages.count)
        for m in messages { out += emit(m) }
        return out
    }

    /// One v1 message → zero or more wire messages.
    public mutating func emit(_ m: SimMessage) -> [WireMessage] {
        guard format != .v1, m.topic.hasPrefix(prefix) else { return [WireMessage(m)] }
        let rest = m.topic.dropFirst(prefix.count).split(separator: "/")
        guard rest.count == 2, let d = translated[String(rest[0])] else { return [WireMessage(m)] }
        let topic = format.topic(building: building.gateway.building, device: d.id)
        let channel = String(rest[1])
        switch format {
        case .v1: return [WireMessage(m)]
        case .zigbee2mqtt: return zigbee(m, topic: topic, channel: channel)
        case .tasmota: return tasmota(m, topic: topic, channel: channel)
        case .shelly: return shelly(m, topic: topic, channel: channel)
        }
    }

    private mutating func drop(_ m: SimMessage) -> [WireMessage] {
        dropped[m.payload["event"]?.stringValue ?? m.channel, default: 0] += 1
        return []
    }

    private static func bytes(_ v: JSONValue) -> [UInt8] { Array(v.serialized().utf8) }

    // MARK: zigbee2mqtt (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html)

    private mutating func zigbee(_ m: SimMessage, topic: String, channel: String) -> [WireMessage] {
        let p = m.payload
        switch channel {
        case "status":
            let online = p["online"]?.boolValue ?? false
            return [WireMessage(tMs: m.tMs, topic: topic + "/availability", payload: Self.bytes(["state": .string(online ? "online" : "offline")]), qos: 1, retain: true)]
        case "telemetry":
            // A detector's whole state, as zigbee2mqtt publishes it, with `last_seen: epoch`.
            var s: [(String, JSONValue)] = []
            if let b = p["battery_pct"] { s.append(("battery", b)) }
            if let co = p["co_ppm"] { s.append(("co", co)) }
            s.append(("last_seen", JSONValue(m.tMs)))
            s.append(("linkquality", 120))
            // The decision under zigbee2mqtt's key for its kind (protocol v1.1 `alarm_kind`).
            if let a = p["alarm"] {
                switch p["alarm_kind"]?.stringValue ?? "smoke" {
                case "co": s.append(("carbon_monoxide", a))
                case "heat": s.append(("heat", a))
                default: s.append(("smoke", a))
                }
            }
            if let t = p["temperature_c"] { s.append(("temperature", t)) }
            return [WireMessage(tMs: m.tMs, topic: topic, payload: Self.bytes(.object(s)), qos: nil, retain: false)]
        case "event":
            let key: String
            switch p["event"]?.stringValue {
            case "battery_low": key = "battery_low"
            case "test": key = "test"
            case "tamper": key = "tamper"
            case "fault": key = "fault"
            default: return drop(m)
            }
            return [WireMessage(tMs: m.tMs, topic: topic, payload: Self.bytes([key: true, "last_seen": JSONValue(m.tMs)]), qos: 1, retain: false)]
        default:
            return drop(m)
        }
    }

    // MARK: Tasmota (https://tasmota.github.io/docs/MQTT/)

    private mutating func tasmota(_ m: SimMessage, topic: String, channel: String) -> [WireMessage] {
        let p = m.payload
        switch channel {
        case "status":
            let online = p["online"]?.boolValue ?? false
            return [WireMessage(tMs: m.tMs, topic: "tele/\(topic)/LWT", payload: Array((online ? "Online" : "Offline").utf8), qos: 1, retain: true)]
        case "telemetry":
            let power = p["power_w"]?.doubleValue, volts = p["voltage_v"]?.doubleValue, amps = p["current_a"]?.doubleValue
            var e: [(String, JSONValue)] = [("TotalStartTime", "2024-01-01T00:00:00")]
            if let k = p["energy_kwh"] { e.append(("Total", k)) }
            e += [("Yesterday", 0), ("Today", 0), ("Period", 0)]
            if let power { e.append(("Power", .number(power))) }
            if let volts, let amps {
                let apparent = (volts * amps * 10).rounded() / 10
                e.append(("ApparentPower", .number(apparent)))
                e.append(("ReactivePower", .number(power.map { (max(0, apparent * apparent - $0 * $0).squareRoot() * 10).rounded() / 10 } ?? 0)))
                e.append(("Factor", .number(power.map { apparent > 0 ? (min(1, $0 / apparent) * 100).rounded() / 100 : 0 } ?? 0)))
            }
            if let v = p["voltage_v"] { e.append(("Voltage", v)) }
            if let c = p["current_a"] { e.append(("Current", c)) }
            // Local time (China, +08:00: the profile's default `utc_offset`), whole seconds.
            let time = DeviceTime.format(m.tMs, offsetMinutes: 8 * 60)
            return [WireMessage(tMs: m.tMs, topic: "tele/\(topic)/SENSOR", payload: Self.bytes(["Time": .string(time), "ENERGY": .object(e)]), qos: nil, retain: false)]
        case "event":
            switch p["event"]?.stringValue {
            case "relay_off": return [WireMessage(tMs: m.tMs, topic: "stat/\(topic)/RESULT", payload: Self.bytes(["POWER1": "OFF"]), qos: 1, retain: false)]
            case "relay_on": return [WireMessage(tMs: m.tMs, topic: "stat/\(topic)/RESULT", payload: Self.bytes(["POWER1": "ON"]), qos: 1, retain: false)]
            default: return drop(m)
            }
        default:
            return drop(m)
        }
    }

    // MARK: Shelly Gen2 (https://shelly-api-docs.shelly.cloud/gen2/General/Notifications)

    private mutating func shelly(_ m: SimMessage, topic: String, channel: String) -> [WireMessage] {
        let p = m.payload
        let ts = JSONValue.number(Double(m.tMs / 10) / 100)  // seconds, hundredths, as Shelly writes it
        func notify(_ status: JSONValue) -> WireMessage {
            WireMessage(tMs: m.tMs, topic: "\(topic)/events/rpc", payload: Self.bytes([
                "src": .string(topic), "dst": .string("\(topic)/events"), "method": "NotifyStatus",
                "params": ["ts": ts, "switch:0": status],
            ]), qos: nil, retain: false)
        }
        switch channel {
        case "status":
            let online = p["online"]?.boolValue ?? false
            return [WireMessage(tMs: m.tMs, topic: "\(topic)/online", payload: Array((online ? "true" : "false").utf8), qos: 1, retain: true)]
        case "telemetry":
            var s: [(String, JSONValue)] = [("id", 0)]
            if let w = p["power_w"] { s.append(("apower", w)) }
            if let v = p["voltage_v"] { s.append(("voltage", v)) }
            if let c = p["current_a"] { s.append(("current", c)) }
            if let k = p["energy_kwh"]?.doubleValue { s.append(("aenergy", ["total": num(k * 1000, 3), "by_minute": [0, 0, 0], "minute_ts": JSONValue(m.tMs / 60_000 * 60)])) }
            return [notify(.object(s))]
        case "event":
            switch p["event"]?.stringValue {
            case "relay_off": return [notify(["id": 0, "output": false])]
            case "relay_on": return [notify(["id": 0, "output": true])]
            default: return drop(m)
            }
        default:
            return drop(m)
        }
    }
}
