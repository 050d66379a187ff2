/// Tasmota energy meters and relays (default FullTopic `%prefix%/%topic%/`).
///
/// - Telemetry: `tele/<topic>/SENSOR`, `{"Time": "…", "ENERGY": {"Total": kWh, "Power": W,
///   "Voltage": V, "Current": A, …}}` (https://tasmota.github.io/docs/MQTT/,
///   https://tasmota.github.io/docs/Power-Monitoring-Calibration/). On multi-channel devices
///   `Power`, `Current` (and with `EnergyCols` `Voltage`, `Total`) are arrays, one value per
///   channel: a power meter reads its `channel` (from 1); a charger reads every channel as a
///   port (port n = channel n), `charging` while it draws power, else `idle`.
/// - Availability: `tele/<topic>/LWT`, `Online` / `Offline` (retained).
/// - Relay state: `stat/<topic>/RESULT` `{"POWER1":"OFF"}` and `stat/<topic>/POWER<n>`
///   `OFF` after a command → `relay_off` / `relay_on` events (port n for chargers).
/// - `Time` is the device's local time without a zone: read at the device's `utc_offset`
///   (China's +08:00 by default); with `SetOption52 1` it carries its offset.
///
/// Commands: `relay_off` / `relay_on` (and a charger's `port_off` / `port_on`) →
/// `cmnd/<topic>/POWER<n>` `OFF` / `ON` (https://tasmota.github.io/docs/Commands/#power).
public struct TasmotaProfile: DeviceProfile {
    public let device: DeviceConfig
    public let topic: String
    public let utcOffsetMinutes: Int
    public let environment: ProfileEnvironment
    /// Power under which a charger channel counts as idle (W; assumed: a charger's standby draw).
    public static let chargingThresholdW = 2.0

    public init(device: DeviceConfig, topic: String, utcOffsetMinutes: Int, environment: ProfileEnvironment) throws(ProfileError) {
        if let c = device.source.channel, !(1...32).contains(c) {
            throw ProfileError("a Tasmota channel is 1...32, found \(c)")
        }
        self.device = device
        self.topic = topic
        self.utcOffsetMinutes = utcOffsetMinutes
        self.environment = environment
    }

    public var sensorTopic: String { "tele/\(topic)/SENSOR" }
    public var lwtTopic: String { "tele/\(topic)/LWT" }
    public var subscriptions: [String] { [sensorTopic, lwtTopic, "stat/\(topic)/+"] }

    public func decode(topic t: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        result { () throws(Rejection) -> [Reading] in
            var b = ReadingBuilder(device: device.id, kind: device.kind)
            if t == lwtTopic {
                switch text(payload) {
                case "Online": b.status(online: true)
                case "Offline": b.status(online: false)
                case let s: throw Rejection(.outOfRange, "LWT '\(Rejection.printable(s, limit: 40))' is not Online or Offline", device: device.id)
                }
                return try b.readings(ts: receivedAt, fromDevice: false)
            }
            if t == sensorTopic {
                let m = try object(payload)
                var ts = receivedAt
                var fromDevice = false
                if let time = m.first(where: { $0.0 == "Time" })?.1 {
                    guard let s = time.stringValue, let ms = DeviceTime.parse(s, defaultOffsetMinutes: utcOffsetMinutes) else {
                        throw Rejection(.wrongType, "'Time' is not a time (YYYY-MM-DDTHH:MM:SS)", device: device.id)
                    }
                    ts = try environment.checked(ms, receivedAt: receivedAt, device: device.id, field: "Time")
                    fromDevice = true
                }
                guard let energyValue = m.first(where: { $0.0 == "ENERGY" })?.1 else {
                    return []  // a SENSOR message of other sensors only: nothing for the gateway
                }
                guard case let .object(energy) = energyValue else {
                    throw Rejection(.wrongType, "'ENERGY' must be an object, got a \(energyValue.typeName)", device: device.id)
                }
                try readEnergy(energy, into: &b)
                return try b.readings(ts: ts, fromDevice: fromDevice)
            }
            let prefix = "stat/\(topic)/"
            guard t.hasPrefix(prefix) else { throw unknownTopic(t) }
            let leaf = String(t.dropFirst(prefix.count))
            if leaf == "RESULT" {
                // Replies to other commands (`{"Dimmer":40}`, `{"PowerOnState":3}`) carry no
                // relay key and give nothing; a relay key must hold ON or OFF.
                for (k, v) in try object(payload) where Self.isRelayKey(k) {
                    guard let s = v.stringValue else {
                        throw Rejection(.wrongType, "'\(k)' must be \"ON\" or \"OFF\", got a \(v.typeName)", device: device.id)
                    }
                    try relay(key: k, state: s, into: &b)
                }
            } else if Self.isRelayKey(leaf) {
                try relay(key: leaf, state: text(payload), into: &b)
            }
            // Other `stat/` leaves (`STATUS8`, `UPGRADE`, …) carry nothing the gateway uses.
            return try b.readings(ts: receivedAt, fromDevice: false)
        }
    }

    /// `POWER` or `POWER` and digits: a relay's state (a key or a `stat/` leaf).
    static func isRelayKey(_ k: String) -> Bool {
        k.hasPrefix("POWER") && k.utf8.dropFirst(5).allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `POWER` / `POWER<n>` = `ON` / `OFF` → a relay event (port n for a charger; only this
    /// meter's own channel for a power meter). Anything else is rejected with its reason.
    private func relay(key: String, state: String, into b: inout ReadingBuilder) throws(Rejection) {
        let digits = key.utf8.dropFirst(5)
        // At most two digits before converting: no arithmetic on an unbounded number.
        guard let n = digits.isEmpty ? 1 : digits.count <= 2 ? Int(String(key.dropFirst(5))) : nil, (1...32).contains(n) else {
            throw Rejection(.outOfRange, "'\(Rejection.printable(key, limit: 40))' is not a relay: Tasmota's are POWER1...POWER32", device: device.id)
        }
        let name: DeviceEvent.Name
        switch state.uppercased() {
        case "OFF": name = .relayOff
        case "ON": name = .relayOn
        case "": throw Rejection(.missingField, "'\(key)' is empty: expected ON or OFF", device: device.id)
        default: throw Rejection(.outOfRange, "'\(key)' = '\(Rejection.printable(state, limit: 40))' is not ON or OFF", device: device.id)
        }
        if device.kind == .charger {
            b.event(name, port: n)
        } else if n == (device.source.channel ?? 1) {
            b.event(name)
        }
    }

    private func readEnergy(_ e: [(String, JSONValue)], into b: inout ReadingBuilder) throws(Rejection) {
        func value(_ k: String) -> JSONValue? {
            guard let v = e.first(where: { $0.0 == k })?.1 else { return nil }
            if case .null = v { return nil }
            return v
        }
        if device.kind == .charger {
            guard case let .array(powers)? = value("Power") else {
                throw Rejection(.missingField, "a charger needs ENERGY.Power as an array (one value per channel)", device: device.id)
            }
            for (i, p) in powers.enumerated() {
                func at(_ k: String) throws(Rejection) -> Double? {
                    guard let v = value(k) else { return nil }
                    if case let .array(a) = v { return i < a.count ? try ReadingBuilder.number(a[i], source: "ENERGY.\(k)[\(i)]", device: device.id) : nil }
                    return try ReadingBuilder.number(v, source: "ENERGY.\(k)", device: device.id)
                }
                let w = try ReadingBuilder.number(p, source: "ENERGY.Power[\(i)]", device: device.id)
                guard FieldLimits.portPowerW.contains(w) else {
                    throw Rejection(.outOfRange, "'ENERGY.Power[\(i)]' = \(Rejection.number(w)) is outside \(FieldLimits.portPowerW)", device: device.id)
                }
                let volts = try at("Voltage"), amps = try at("Current")
                if let volts, !FieldLimits.portVoltageV.contains(volts) {
                    throw Rejection(.outOfRange, "'ENERGY.Voltage' = \(Rejection.number(volts)) is outside \(FieldLimits.portVoltageV)", device: device.id)
                }
                if let amps, !FieldLimits.portCurrentA.contains(amps) {
                    throw Rejection(.outOfRange, "'ENERGY.Current' = \(Rejection.number(amps)) is outside \(FieldLimits.portCurrentA)", device: device.id)
                }
                try b.port(ChargerPortReading(port: i + 1, state: w >= Self.chargingThresholdW ? .charging : .idle, voltageV: volts, currentA: amps, powerW: w))
            }
            return
        }
        let channel = device.source.channel
        func pick(_ k: String) throws(Rejection) -> (Double, String)? {
            guard let v = value(k) else { return nil }
            if case let .array(a) = v {
                guard let c = channel else {
                    throw Rejection(.wrongType, "'ENERGY.\(k)' has \(a.count) channels: set the device's 'channel'", device: device.id)
                }
                guard c <= a.count else { return nil }
                return (try ReadingBuilder.number(a[c - 1], source: "ENERGY.\(k)[\(c - 1)]", device: device.id), "ENERGY.\(k)[\(c - 1)]")
            }
            return (try ReadingBuilder.number(v, source: "ENERGY.\(k)", device: device.id), "ENERGY.\(k)")
        }
        for (key, field) in [("Power", TelemetryField.powerW), ("Voltage", .voltageV), ("Current", .currentA), ("Total", .energyKWh)] {
            if let (n, src) = try pick(key) { try b.set(field, n, source: src) }
        }
    }

    public func encode(_ command: DeviceCommand) -> OutgoingMessage? {
        let on: Bool
        switch command.command {
        case "relay_off", "port_off": on = false
        case "relay_on", "port_on": on = true
        default: return nil
        }
        let n: Int
        if device.kind == .charger {
            guard let p = command.port else {
                return OutgoingMessage(topic: "cmnd/\(topic)/POWER0", text: on ? "ON" : "OFF")  // POWER0: every relay
            }
            n = p
        } else {
            n = device.source.channel ?? 1
        }
        return OutgoingMessage(topic: "cmnd/\(topic)/POWER\(n)", text: on ? "ON" : "OFF")
    }
}
