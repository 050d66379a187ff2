/// Shelly Gen2 / Gen3 devices (Plus and Pro switches and plugs, Pro EM) over MQTT.
///
/// Topics under the device's topic prefix (its `topic`; Shelly's default is the device id,
/// e.g. `shellyplus1pm-a8032ab12345`), https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Mqtt:
/// - `<prefix>/status/switch:<id>` (generic status updates): `{"id":0, "output":true,
///   "apower":W, "voltage":V, "current":A, "aenergy":{"total":Wh, …}, "temperature":{"tC":…}}`
///   (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch#status);
/// - `<prefix>/status/em1:<id>` `{"act_power":W, "voltage":V, "current":A}` and
///   `<prefix>/status/em1data:<id>` `{"total_act_energy":Wh}` (Pro EM, EM1 / EM1Data);
/// - `<prefix>/events/rpc` (RPC notifications): `NotifyStatus` / `NotifyFullStatus`
///   `{"method":"NotifyStatus","params":{"ts":s, "switch:0":{…changed fields…}}}` — the
///   only Shelly message with a device timestamp; an `output` in a `NotifyStatus` is a
///   change of the relay → `relay_off` / `relay_on`;
/// - `<prefix>/online`: `true` / `false` (the device's Last Will).
/// A power meter reads its `channel` (component id, 0 by default); a charger reads every
/// `switch:<id>` as port id+1, `charging` while it draws power, else `idle`.
///
/// Commands: relay / port on-off → `<prefix>/rpc` `{"id":…,"src":"rentguard","method":
/// "Switch.Set","params":{"id":n,"on":false}}`.
public struct ShellyGen2Profile: DeviceProfile {
    public let device: DeviceConfig
    public let prefix: String
    public let environment: ProfileEnvironment

    public init(device: DeviceConfig, prefix: String, environment: ProfileEnvironment) throws(ProfileError) {
        if let c = device.source.channel, !(0...31).contains(c) {
            throw ProfileError("a Shelly component id is 0...31, found \(c)")
        }
        self.device = device
        self.prefix = prefix
        self.environment = environment
    }

    var channel: Int { device.source.channel ?? 0 }
    public var subscriptions: [String] { ["\(prefix)/status/+", "\(prefix)/events/rpc", "\(prefix)/online"] }

    public func decode(topic t: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        result { () throws(Rejection) -> [Reading] in
            var b = ReadingBuilder(device: device.id, kind: device.kind)
            if t == "\(prefix)/online" {
                switch text(payload) {
                case "true": b.status(online: true)
                case "false": b.status(online: false)
                case let s: throw Rejection(.outOfRange, "online '\(Rejection.printable(s, limit: 40))' is not true or false", device: device.id)
                }
                return try b.readings(ts: receivedAt, fromDevice: false)
            }
            if t == "\(prefix)/events/rpc" {
                let m = try object(payload)
                let method = m.first { $0.0 == "method" }?.1.stringValue
                guard method == "NotifyStatus" || method == "NotifyFullStatus" else { return [] }
                guard case let .object(params)? = m.first(where: { $0.0 == "params" })?.1 else {
                    throw Rejection(.missingField, "\(method ?? "") has no 'params' object", device: device.id)
                }
                var ts = receivedAt
                var fromDevice = false
                if let v = params.first(where: { $0.0 == "ts" })?.1 {
                    guard let s = v.doubleValue else {
                        throw Rejection(.wrongType, "'params.ts' must be a number (Unix seconds), got a \(v.typeName)", device: device.id)
                    }
                    ts = try environment.checked(seconds: s, receivedAt: receivedAt, device: device.id, field: "params.ts")
                    fromDevice = true
                }
                for (component, value) in params where component != "ts" {
                    guard case let .object(status) = value else { continue }
                    try read(component: component, status, into: &b, relayChange: method == "NotifyStatus")
                }
                return try b.readings(ts: ts, fromDevice: fromDevice)
            }
            let statusPrefix = "\(prefix)/status/"
            guard t.hasPrefix(statusPrefix) else { throw unknownTopic(t) }
            try read(component: String(t.dropFirst(statusPrefix.count)), try object(payload), into: &b, relayChange: false)
            return try b.readings(ts: receivedAt, fromDevice: false)
        }
    }

    /// One component's status (`switch:0`, `em1:0`, `em1data:0`); others are ignored.
    private func read(component: String, _ s: [(String, JSONValue)], into b: inout ReadingBuilder, relayChange: Bool) throws(Rejection) {
        guard let colon = component.firstIndex(of: ":"), let parsed = Int(component[component.index(after: colon)...]) else { return }
        let type = component[..<colon]
        let id = try ChannelIndex.checked(parsed, device: device, asPort: device.kind == .charger && type == "switch", source: component)
        func num(_ k: String) throws(Rejection) -> Double? {
            guard let v = s.first(where: { $0.0 == k })?.1 else { return nil }
            if case .null = v { return nil }
            return try ReadingBuilder.number(v, source: "\(component).\(k)", device: device.id)
        }
        func energyWh() throws(Rejection) -> Double? {
            guard case let .object(a)? = s.first(where: { $0.0 == "aenergy" })?.1, let v = a.first(where: { $0.0 == "total" })?.1 else { return nil }
            return try ReadingBuilder.number(v, source: "\(component).aenergy.total", device: device.id)
        }
        switch type {
        case "switch":
            if device.kind == .charger {
                let port = ChannelIndex.port(of: id)
                if relayChange, let on = s.first(where: { $0.0 == "output" })?.1.boolValue { b.event(on ? .relayOn : .relayOff, port: port) }
                guard let w = try num("apower") else { return }
                guard FieldLimits.portPowerW.contains(w) else {
                    throw Rejection(.outOfRange, "'\(component).apower' = \(Rejection.number(w)) is outside \(FieldLimits.portPowerW)", device: device.id)
                }
                let volts = try num("voltage"), amps = try num("current")
                if let volts, !FieldLimits.portVoltageV.contains(volts) {
                    throw Rejection(.outOfRange, "'\(component).voltage' = \(Rejection.number(volts)) is outside \(FieldLimits.portVoltageV)", device: device.id)
                }
                if let amps, !FieldLimits.portCurrentA.contains(amps) {
                    throw Rejection(.outOfRange, "'\(component).current' = \(Rejection.number(amps)) is outside \(FieldLimits.portCurrentA)", device: device.id)
                }
                try b.port(ChargerPortReading(port: port, state: w >= TasmotaProfile.chargingThresholdW ? .charging : .idle, voltageV: volts, currentA: amps, powerW: w))
                return
            }
            guard id == channel else { return }
            if relayChange, let on = s.first(where: { $0.0 == "output" })?.1.boolValue { b.event(on ? .relayOn : .relayOff) }
            if let w = try num("apower") { try b.set(.powerW, w, source: "\(component).apower") }
            if let v = try num("voltage") { try b.set(.voltageV, v, source: "\(component).voltage") }
            if let a = try num("current") { try b.set(.currentA, a, source: "\(component).current") }
            if let wh = try energyWh() { try b.set(.energyKWh, wh / 1000, source: "\(component).aenergy.total") }
        case "em1":
            guard id == channel, device.kind == .powerMeter else { return }
            if let w = try num("act_power") { try b.set(.powerW, abs(w), source: "\(component).act_power") }
            if let v = try num("voltage") { try b.set(.voltageV, v, source: "\(component).voltage") }
            if let a = try num("current") { try b.set(.currentA, a, source: "\(component).current") }
        case "em1data":
            guard id == channel, device.kind == .powerMeter else { return }
            if let wh = try num("total_act_energy") { try b.set(.energyKWh, wh / 1000, source: "\(component).total_act_energy") }
        default:
            return
        }
    }

    public func encode(_ command: DeviceCommand) -> OutgoingMessage? {
        let on: Bool
        switch command.command {
        case "relay_off", "port_off": on = false
        case "relay_on", "port_on": on = true
        default: return nil
        }
        let id: Int
        if device.kind == .charger {
            guard let p = command.port, p >= 1 else { return nil }
            id = p - 1
        } else {
            id = channel
        }
        let body: JSONValue = [
            "id": JSONValue(Int(truncatingIfNeeded: command.ts % 1_000_000_000)), "src": "rentguard", "method": "Switch.Set",
            "params": ["id": JSONValue(id), "on": .bool(on)],
        ]
        return OutgoingMessage(topic: "\(prefix)/rpc", text: body.serialized())
    }
}
