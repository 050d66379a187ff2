/// Shelly Gen1 devices (Shelly 1PM, Plug S, 2.5, EM), each value on its own topic under
/// `shellies/<device id>` (the device's `topic`), https://shelly-api-docs.shelly.cloud/gen1/#shelly-family-overview
/// ("MQTT" of each device):
/// - `<topic>/relay/<i>/power` W, `<topic>/relay/<i>/energy` watt-minutes (÷ 60 000 → kWh),
///   `<topic>/relay/<i>` `on` / `off` (relay state);
/// - Shelly EM: `<topic>/emeter/<i>/power` W, `…/voltage` V, `…/current` A, `…/total` Wh;
/// - `<topic>/online`: `true` / `false`.
/// No device timestamps: the gateway's receive time. A power meter reads its `channel`
/// (0 by default); a charger reads `relay/<i>` as port i+1.
///
/// Commands: `<topic>/relay/<i>/command` `off` / `on`.
public struct ShellyGen1Profile: DeviceProfile {
    public let device: DeviceConfig
    public let base: String
    public let environment: ProfileEnvironment

    public init(device: DeviceConfig, base: String, environment: ProfileEnvironment) throws(ProfileError) {
        if let c = device.source.channel, !(0...31).contains(c) {
            throw ProfileError("a Shelly channel is 0...31, found \(c)")
        }
        self.device = device
        self.base = base
        self.environment = environment
    }

    var channel: Int { device.source.channel ?? 0 }
    public var subscriptions: [String] { ["\(base)/relay/+", "\(base)/relay/+/+", "\(base)/emeter/+/+", "\(base)/online"] }

    public func decode(topic t: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        result { () throws(Rejection) -> [Reading] in
            var b = ReadingBuilder(device: device.id, kind: device.kind)
            let value = text(payload)
            if t == "\(base)/online" {
                switch value {
                case "true": b.status(online: true)
                case "false": b.status(online: false)
                default: throw Rejection(.outOfRange, "online '\(Rejection.printable(value, limit: 40))' is not true or false", device: device.id)
                }
                return try b.readings(ts: receivedAt, fromDevice: false)
            }
            guard t.hasPrefix(base + "/") else { throw unknownTopic(t) }
            let levels = t.dropFirst(base.count + 1).split(separator: "/", omittingEmptySubsequences: false)
            guard levels.count >= 2, let parsed = Int(levels[1]) else { throw unknownTopic(t) }
            let i = try ChannelIndex.checked(parsed, device: device, asPort: device.kind == .charger, source: String(t.dropFirst(base.count + 1)))
            let port = ChannelIndex.port(of: i)
            let isCharger = device.kind == .charger
            guard isCharger || i == channel else { return [] }  // another channel of a multi-channel device
            func number() throws(Rejection) -> Double {
                try ReadingBuilder.number(.string(value), source: String(t.dropFirst(base.count + 1)), device: device.id)
            }
            switch (levels[0], levels.count == 3 ? String(levels[2]) : nil) {
            case ("relay", nil):
                switch value {
                case "off": b.event(.relayOff, port: isCharger ? port : nil)
                case "on": b.event(.relayOn, port: isCharger ? port : nil)
                default: return []  // "overpower" and others: not a command's answer
                }
            case ("relay", "power"?):
                let w = try number()
                if isCharger {
                    guard FieldLimits.portPowerW.contains(w) else {
                        throw Rejection(.outOfRange, "relay/\(i)/power = \(Rejection.number(w)) is outside \(FieldLimits.portPowerW)", device: device.id)
                    }
                    try b.port(ChargerPortReading(port: port, state: w >= TasmotaProfile.chargingThresholdW ? .charging : .idle, powerW: w))
                } else {
                    try b.set(.powerW, w, source: "relay/\(i)/power")
                }
            case ("relay", "energy"?):
                guard !isCharger else { return [] }
                try b.set(.energyKWh, try number() / 60_000, source: "relay/\(i)/energy")
            case ("emeter", "power"?): try b.set(.powerW, abs(try number()), source: "emeter/\(i)/power")
            case ("emeter", "voltage"?): try b.set(.voltageV, try number(), source: "emeter/\(i)/voltage")
            case ("emeter", "current"?): try b.set(.currentA, try number(), source: "emeter/\(i)/current")
            case ("emeter", "total"?): try b.set(.energyKWh, try number() / 1000, source: "emeter/\(i)/total")
            default:
                return []  // other Shelly topics (returned energy, reactive power, …)
            }
            return try b.readings(ts: receivedAt, fromDevice: false)
        }
    }

    public func encode(_ command: DeviceCommand) -> OutgoingMessage? {
        let on: Bool
        switch command.command {
        case "relay_off", "port_off": on = false
        case "relay_on", "port_on": on = true
        default: return nil
        }
        let i: Int
        if device.kind == .charger {
            guard let p = command.port, p >= 1 else { return nil }
            i = p - 1
        } else {
            i = channel
        }
        return OutgoingMessage(topic: "\(base)/relay/\(i)/command", text: on ? "on" : "off")
    }
}
