import Testing
@testable import RentGuardCore

/// Issue 27 item 4: every profile message that cannot be read is rejected with its reason
/// (the daemon counts and logs each rejection, docs/devices.md), never dropped silently.
/// One test per profile and topic of the issue's list.
@Suite struct ProfileRejectionTests {
    typealias F = ProfileFixture

    private static func rejected(_ topic: String, _ payload: String) -> Rejection? { F.rejection(topic, payload) }

    /// Tasmota `stat/<topic>/RESULT`: a relay key must hold `ON` or `OFF`.
    @Test func tasmotaResult() throws {
        let explode = try #require(Self.rejected("stat/meter_101/RESULT", #"{"POWER1":"EXPLODE"}"#))
        #expect(explode.reason == .outOfRange)
        #expect(explode.detail == "'POWER1' = 'EXPLODE' is not ON or OFF")
        #expect(explode.device == "PM-101")
        let number = try #require(Self.rejected("stat/meter_101/RESULT", #"{"POWER":5}"#))
        #expect(number.reason == .wrongType)
        #expect(number.detail == #"'POWER' must be "ON" or "OFF", got a number"#)
        // Another channel's relay with a bad state is still a bad message.
        #expect(Self.rejected("stat/shelly25_102/RESULT", #"{"POWER1":"EXPLODE"}"#)?.reason == .outOfRange)
        // A relay beyond Tasmota's 32 (a charger's port from the topic's key) is refused, not an event.
        #expect(Self.rejected("stat/charger_t/RESULT", #"{"POWER99":"OFF"}"#)?.reason == .outOfRange)
        #expect(Self.rejected("stat/charger_t/RESULT", #"{"POWER9223372036854775807":"OFF"}"#)?.reason == .outOfRange)
        // Replies to other commands still give nothing, without a rejection.
        #expect(try F.readings("stat/meter_101/RESULT", #"{"PowerOnState":3}"#).isEmpty)
        #expect(try F.readings("stat/meter_101/RESULT", #"{"POWERX":"foo"}"#).isEmpty)
    }

    /// Tasmota `stat/<topic>/POWER<n>`: plain `ON` / `OFF`.
    @Test func tasmotaPowerLeaf() throws {
        let sideways = try #require(Self.rejected("stat/meter_101/POWER1", "SIDEWAYS"))
        #expect(sideways.reason == .outOfRange)
        #expect(sideways.detail == "'POWER1' = 'SIDEWAYS' is not ON or OFF")
        let empty = try #require(Self.rejected("stat/meter_101/POWER1", ""))
        #expect(empty.reason == .missingField)
        #expect(empty.detail == "'POWER1' is empty: expected ON or OFF")
        #expect(Self.rejected("stat/meter_101/POWER0", "ON")?.reason == .outOfRange)
        #expect(Self.rejected("stat/charger_t/POWER33", "OFF")?.reason == .outOfRange)
        #expect(F.events(try F.readings("stat/charger_t/POWER32", "OFF")) == [DeviceEvent(name: .relayOff, port: 32)])
    }

    /// Shelly Gen2 `status/switch:<id>`: `aenergy` is an object with `total`.
    @Test func shellyGen2SwitchStatus() throws {
        let r = try #require(Self.rejected("shellyplus1pm-a8032ab12345/status/switch:0", #"{"aenergy":5}"#))
        #expect(r.reason == .wrongType)
        #expect(r.detail == "'switch:0.aenergy' must be an object, got a number")
        #expect(Self.rejected("shellyplus1pm-a8032ab12345/status/switch:0", #"{"aenergy":{"total":"much"}}"#)?.reason == .wrongType)
        // null (a firmware without the meter) is absence, not an error.
        #expect(try F.readings("shellyplus1pm-a8032ab12345/status/switch:0", #"{"aenergy":null,"output":true}"#).isEmpty)
    }

    /// Shelly Gen2 `events/rpc`: `method` is a string; the components read must be objects.
    @Test func shellyGen2EventsRPC() throws {
        let r = try #require(Self.rejected("shellyplus1pm-a8032ab12345/events/rpc", #"{"method":5}"#))
        #expect(r.reason == .wrongType)
        #expect(r.detail == "'method' must be a string, got a number")
        let none = try #require(Self.rejected("shellyplus1pm-a8032ab12345/events/rpc", #"{"params":{"ts":1699999990}}"#))
        #expect(none.reason == .missingField)
        let component = try #require(Self.rejected(
            "shellyplus1pm-a8032ab12345/events/rpc", #"{"method":"NotifyStatus","params":{"ts":1699999990,"switch:0":7}}"#))
        #expect(component.reason == .wrongType)
        #expect(component.detail == "'params.switch:0' must be an object, got a number")
        let aenergy = try #require(Self.rejected(
            "shellyplus1pm-a8032ab12345/events/rpc", #"{"method":"NotifyStatus","params":{"ts":1699999990,"switch:0":{"aenergy":5}}}"#))
        #expect(aenergy.reason == .wrongType)
        // Components the profile does not read are still ignored, whatever their shape.
        #expect(try F.readings("shellyplus1pm-a8032ab12345/events/rpc", #"{"method":"NotifyStatus","params":{"ts":1699999990,"sys":7}}"#).isEmpty)
    }

    /// Shelly Gen1 `relay/<i>`: `on`, `off` or `overpower`.
    @Test func shellyGen1Relay() throws {
        let sideways = try #require(Self.rejected("shellies/shellyplug-s-040BAD/relay/0", "sideways"))
        #expect(sideways.reason == .outOfRange)
        #expect(sideways.detail == "relay/0 'sideways' is not on, off or overpower")
        let empty = try #require(Self.rejected("shellies/shellyplug-s-040BAD/relay/0", ""))
        #expect(empty.reason == .missingField)
        #expect(empty.detail == "relay/0 is empty: expected on, off or overpower")
        // The relay's own overpower trip is a known state, not a command's answer: no reading, no rejection.
        #expect(try F.readings("shellies/shellyplug-s-040BAD/relay/0", "overpower").isEmpty)
    }
}
