import Testing
@testable import RentGuardCore

/// Issue 27, item 0: a channel index in a Shelly topic or payload comes from anything that
/// can publish on the building broker. Every boundary value is a counted rejection (or a
/// reading of a real port), never an overflow trap that stops the gateway.
@Suite struct ProfileChannelIndexTests {
    static let devices: [DeviceConfig] = [
        DeviceConfig(id: "CH-G1", kind: .charger, ports: 2, ratedPortCurrentA: 5, commands: ["port_off"], source: .init(profile: "shelly_gen1", topic: "shellies/shelly25-charger")),
        DeviceConfig(id: "CH-G1-ANY", kind: .charger, ratedPortCurrentA: 5, source: .init(profile: "shelly_gen1", topic: "shellies/shelly4pro-charger")),
        DeviceConfig(id: "CH-G2", kind: .charger, ports: 4, ratedPortCurrentA: 5, commands: ["port_off"], source: .init(profile: "shelly_gen2", topic: "shellypro4pm-charger")),
        DeviceConfig(id: "PM-G1", kind: .powerMeter, unit: "101", source: .init(profile: "shelly_gen1", topic: "shellies/shellyplug-s-1")),
        DeviceConfig(id: "PM-G2", kind: .powerMeter, unit: "102", source: .init(profile: "shelly_gen2", topic: "shellyplus1pm-2")),
    ]
    static let decoder = IngestDecoder(config: BuildingConfig(gateway: GatewayIdentity(id: "gw", building: "B1"), devices: devices))
    static let now: Int64 = 1_700_000_000_000

    static func decode(_ topic: String, _ payload: String) -> Result<[Reading], Rejection> {
        decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: now)
    }

    static func rejection(_ topic: String, _ payload: String) -> Rejection? {
        if case let .failure(r) = decode(topic, payload) { return r }
        return nil
    }

    static func ports(_ r: Result<[Reading], Rejection>) -> [Int] {
        guard case let .success(readings) = r else { return [] }
        return readings.flatMap { reading -> [Int] in
            switch reading.observation {
            case let .telemetry(.charger(c)): return c.ports.map(\.port)
            case let .event(e): return e.port.map { [$0] } ?? []
            default: return []
            }
        }
    }

    /// Indices that parse as an `Int` but name no port: the top of the range (the issue's
    /// crash), just past the configured ports, just past the protocol's limit, negative.
    static let absurd = ["9223372036854775807", "9223372036854775806", "-9223372036854775808", "-1", "1024", "4096"]

    @Test(arguments: absurd)
    func shellyGen1ChargerRelayIndexOutOfRangeIsRejected(index: String) {
        for (topic, payload) in [("relay/\(index)", "on"), ("relay/\(index)/power", "120"), ("relay/\(index)/energy", "10")] {
            let r = Self.rejection("shellies/shelly25-charger/\(topic)", payload)
            #expect(r?.reason == .outOfRange, "\(topic)")
            #expect(r?.device == "CH-G1")
            #expect(r?.detail.contains("channel index") == true)
        }
        #expect(Self.rejection("shellies/shelly4pro-charger/relay/\(index)", "on")?.reason == .outOfRange)
        #expect(Self.rejection("shellies/shellyplug-s-1/relay/\(index)/power", "5")?.reason == .outOfRange)
    }

    @Test(arguments: absurd)
    func shellyGen2SwitchIdOutOfRangeIsRejected(index: String) {
        let status = Self.rejection("shellypro4pm-charger/status/switch:\(index)", #"{"id":0,"output":true,"apower":120.0}"#)
        #expect(status?.reason == .outOfRange)
        #expect(status?.device == "CH-G2")
        let notify = Self.rejection(
            "shellypro4pm-charger/events/rpc",
            #"{"src":"x","method":"NotifyStatus","params":{"ts":1699999990.4,"switch:\#(index)":{"output":true,"apower":5}}}"#)
        #expect(notify?.reason == .outOfRange)
        #expect(Self.rejection("shellyplus1pm-2/status/switch:\(index)", #"{"apower":5}"#)?.reason == .outOfRange)
    }

    /// Past the configured `ports` of a charger, but within the protocol's limit.
    @Test func aPortBeyondTheChargersConfiguredPortsIsRejected() {
        #expect(Self.rejection("shellies/shelly25-charger/relay/2/power", "120")?.reason == .outOfRange)
        #expect(Self.rejection("shellypro4pm-charger/status/switch:4", #"{"apower":120.0}"#)?.reason == .outOfRange)
    }

    /// A number too long for `Int` does not parse: the topic is not one of the profile's.
    @Test func anIndexBeyondIntIsABadTopic() {
        #expect(Self.rejection("shellies/shelly25-charger/relay/99999999999999999999/power", "1")?.reason == .badTopic)
    }

    /// The last real ports still read, as ports 1-based.
    @Test func theLastRealPortsStillRead() {
        #expect(Self.ports(Self.decode("shellies/shelly25-charger/relay/1/power", "120")) == [2])
        #expect(Self.ports(Self.decode("shellies/shelly25-charger/relay/0", "off")) == [1])
        #expect(Self.ports(Self.decode("shellies/shelly4pro-charger/relay/1023/power", "120")) == [1024])
        #expect(Self.ports(Self.decode("shellypro4pm-charger/status/switch:3", #"{"apower":120.0}"#)) == [4])
        #expect(Self.ports(Self.decode(
            "shellypro4pm-charger/events/rpc",
            #"{"src":"x","method":"NotifyStatus","params":{"ts":1699999990.4,"switch:3":{"output":false}}}"#)) == [4])
    }
}
