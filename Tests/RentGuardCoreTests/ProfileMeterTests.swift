import Testing
@testable import RentGuardCore

/// Tasmota and Shelly meters and relays, with payload shapes from the projects' documentation.
@Suite struct ProfileTasmotaTests {
    typealias F = ProfileFixture

    /// `tele/<topic>/SENSOR` of a single-channel energy monitor (Sonoff POW R2 style), as on
    /// https://tasmota.github.io/docs/MQTT/ and the Home Assistant discovery log of a plug
    /// (https://pastebin.com/XiaKgnUt: `ENERGY.Total` kWh, `LWT` Online/Offline).
    /// `Time` is local time: China's +08:00 by default.
    @Test func singleChannelEnergy() throws {
        let r = try F.readings("tele/meter_101/SENSOR", #"{"Time":"2023-11-15T06:13:10","ENERGY":{"TotalStartTime":"2023-09-28T15:31:15","Total":123.456,"Yesterday":2.1,"Today":0.8,"Period":1,"Power":1450,"ApparentPower":1500,"ReactivePower":380,"Factor":0.97,"Voltage":228,"Current":6.58}}"#)
        #expect(r.count == 1)
        #expect(F.power(r) == PowerTelemetry(powerW: 1450, voltageV: 228, currentA: 6.58, energyKWh: 123.456))
        #expect(r[0].ts == 1_699_999_990_000)
        #expect(r[0].timestampFromDevice)
    }

    /// Multi-channel (Tasmota on a Shelly 2.5, https://tasmota.github.io/docs/devices/Shelly-2.5/):
    /// per-channel arrays; a meter reads its `channel`, from 1.
    @Test func multiChannelReadsTheConfiguredChannel() throws {
        let r = try F.readings("tele/shelly25_102/SENSOR", #"{"Time":"2023-11-15T06:13:10","ENERGY":{"TotalStartTime":"2023-09-28T15:31:15","Total":[1.5,2.75],"Yesterday":0.0,"Today":0.004,"Period":[0,0],"Power":[0,12],"ApparentPower":[0,20],"ReactivePower":[0,15],"Factor":[0.00,0.60],"Voltage":230,"Current":[0.000,0.087]}}"#)
        #expect(F.power(r) == PowerTelemetry(powerW: 12, voltageV: 230, currentA: 0.087, energyKWh: 2.75))
        // Without a channel, arrays are ambiguous: rejected, with the fix in the detail.
        let noChannel = F.rejection("tele/meter_101/SENSOR", #"{"ENERGY":{"Power":[1,2]}}"#)
        #expect(noChannel?.reason == .wrongType)
        #expect(noChannel?.detail.contains("channel") == true)
    }

    /// A charger on a multi-channel meter: each channel a port.
    @Test func chargerChannelsArePorts() throws {
        let r = try F.readings("tele/charger_t/SENSOR", #"{"Time":"2023-11-15T06:13:10","ENERGY":{"Total":[1.5,2.75],"Power":[0,180],"Voltage":230,"Current":[0.0,0.78]}}"#)
        guard case let .telemetry(.charger(c)) = r[0].observation else { Issue.record("no charger telemetry"); return }
        #expect(c.ports == [
            ChargerPortReading(port: 1, state: .idle, voltageV: 230, currentA: 0, powerW: 0),
            ChargerPortReading(port: 2, state: .charging, voltageV: 230, currentA: 0.78, powerW: 180),
        ])
    }

    @Test func lastWillIsTheStatus() throws {
        #expect(F.status(try F.readings("tele/meter_101/LWT", "Online")) == true)
        #expect(F.status(try F.readings("tele/meter_101/LWT", "Offline")) == false)
        #expect(F.rejection("tele/meter_101/LWT", "Gone")?.reason == .outOfRange)
    }

    /// After `cmnd/<topic>/POWER1 OFF` Tasmota answers `stat/<topic>/RESULT {"POWER1":"OFF"}`
    /// and `stat/<topic>/POWER1 OFF` (https://tasmota.github.io/docs/Commands/#power).
    @Test func relayAnswersAreRelayEvents() throws {
        #expect(F.events(try F.readings("stat/meter_101/RESULT", #"{"POWER":"OFF"}"#)) == [DeviceEvent(name: .relayOff)])
        #expect(F.events(try F.readings("stat/meter_101/POWER1", "ON")) == [DeviceEvent(name: .relayOn)])
        // Another channel's relay is not this meter's.
        #expect(F.events(try F.readings("stat/shelly25_102/RESULT", #"{"POWER1":"OFF"}"#)).isEmpty)
        #expect(F.events(try F.readings("stat/shelly25_102/RESULT", #"{"POWER2":"OFF"}"#)) == [DeviceEvent(name: .relayOff)])
        #expect(F.events(try F.readings("stat/charger_t/RESULT", #"{"POWER2":"OFF"}"#)) == [DeviceEvent(name: .relayOff, port: 2)])
        // Other stat replies carry nothing for the gateway.
        #expect(try F.readings("stat/meter_101/STATUS", #"{"Status":{"Module":1}}"#).isEmpty)
    }

    @Test func commandsBecomePowerCommands() {
        func enc(_ d: String, _ c: String, port: Int? = nil) -> OutgoingMessage? {
            F.decoder.encode(DeviceCommand(device: d, command: c, port: port, reason: "overload", alarmID: "a", ts: F.now))
        }
        #expect(enc("PM-101", "relay_off") == OutgoingMessage(topic: "cmnd/meter_101/POWER1", text: "OFF"))
        #expect(enc("PM-102", "relay_off") == OutgoingMessage(topic: "cmnd/shelly25_102/POWER2", text: "OFF"))
        #expect(enc("CH-T", "port_off", port: 2) == OutgoingMessage(topic: "cmnd/charger_t/POWER2", text: "OFF"))
        #expect(enc("PM-101", "sound") == nil)
    }

    @Test func badEnergyIsRejected() {
        #expect(F.rejection("tele/meter_101/SENSOR", #"{"ENERGY":{"Power":-5,"Total":1}}"#)?.reason == .outOfRange)
        #expect(F.rejection("tele/meter_101/SENSOR", #"{"ENERGY":{"Power":true}}"#)?.reason == .wrongType)
        #expect(F.rejection("tele/meter_101/SENSOR", #"{"ENERGY":7}"#)?.reason == .wrongType)
        #expect(F.rejection("tele/meter_101/SENSOR", #"{"Time":"soon","ENERGY":{"Power":5}}"#)?.reason == .wrongType)
        #expect(F.rejection("tele/meter_101/SENSOR", #"{"Time":"2001-01-01T00:00:00","ENERGY":{"Power":5}}"#)?.reason == .implausibleTimestamp)
        // A SENSOR message of other sensors only: nothing, not an error.
        #expect((try? F.readings("tele/meter_101/SENSOR", #"{"Time":"2023-11-15T06:13:10","DS18B20":{"Temperature":21.4}}"#))?.isEmpty == true)
    }
}

@Suite struct ProfileShellyTests {
    typealias F = ProfileFixture
    static let prefix = "shellyplus1pm-a8032ab12345"

    /// Switch status, the example of https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch#status
    /// (`aenergy.total` in Wh), on `<prefix>/status/switch:0`.
    @Test func switchStatus() throws {
        let r = try F.readings("\(Self.prefix)/status/switch:0", #"{"id":0,"source":"timer","output":true,"timer_started_at":1626935739.79,"timer_duration":60,"apower":8.9,"voltage":237.5,"current":0.08,"aenergy":{"total":6.532,"by_minute":[45.199,47.141,88.397],"minute_ts":1626935779},"temperature":{"tC":23.5,"tF":74.4}}"#)
        #expect(F.power(r) == PowerTelemetry(powerW: 8.9, voltageV: 237.5, currentA: 0.08, energyKWh: 0.006532))
        #expect(F.events(r).isEmpty)  // a status's `output` is the state, not a change
        #expect(!r[0].timestampFromDevice)
    }

    /// `NotifyStatus` on `<prefix>/events/rpc`, https://shelly-api-docs.shelly.cloud/gen2/General/Notifications:
    /// the changed fields, with `params.ts` in seconds; an `output` there is a relay change.
    @Test func notifyStatusCarriesTheDeviceTime() throws {
        let r = try F.readings("\(Self.prefix)/events/rpc", #"{"src":"shellyplus1pm-a8032ab12345","dst":"user_1","method":"NotifyStatus","params":{"ts":1699999990.43,"switch:0":{"id":0,"output":false,"source":"MQTT"}}}"#)
        #expect(F.events(r) == [DeviceEvent(name: .relayOff)])
        #expect(r[0].ts == 1_699_999_990_430)
        #expect(r[0].timestampFromDevice)
        let p = try F.readings("\(Self.prefix)/events/rpc", #"{"src":"x","dst":"y","method":"NotifyStatus","params":{"ts":1699999990.5,"switch:0":{"id":0,"apower":1520.4,"current":6.6}}}"#)
        #expect(F.power(p) == PowerTelemetry(powerW: 1520.4, currentA: 6.6))
        #expect(try F.readings("\(Self.prefix)/events/rpc", #"{"src":"x","dst":"y","method":"NotifyEvent","params":{"ts":1699999990.5,"events":[]}}"#).isEmpty)
    }

    /// Pro EM: `em1:0` and `em1data:0` (https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/EM1,
    /// …/EM1Data).
    @Test func proEM() throws {
        let r = try F.readings("shellyproem50-08f9e0e5a6b4/status/em1:0", #"{"id":0,"current":2.035,"voltage":232.5,"act_power":451.2,"aprt_power":473.1,"pf":0.95,"freq":50.0,"calibration":"factory"}"#)
        #expect(F.power(r) == PowerTelemetry(powerW: 451.2, voltageV: 232.5, currentA: 2.035))
        let e = try F.readings("shellyproem50-08f9e0e5a6b4/status/em1data:0", #"{"id":0,"total_act_energy":1310.25,"total_act_ret_energy":0.0}"#)
        #expect(F.power(e) == PowerTelemetry(energyKWh: 1.31025))
        #expect(try F.readings("shellyproem50-08f9e0e5a6b4/status/em1:1", #"{"id":1,"act_power":3}"#).isEmpty)
    }

    @Test func onlineAndCommands() throws {
        #expect(F.status(try F.readings("\(Self.prefix)/online", "false")) == false)
        #expect(F.rejection("\(Self.prefix)/online", "maybe")?.reason == .outOfRange)
        let c = F.decoder.encode(DeviceCommand(device: "PM-103", command: "relay_off", port: nil, reason: "overload", alarmID: "a", ts: F.now))
        #expect(c?.topic == "\(Self.prefix)/rpc")
        let body = try JSONParser.parse(c?.payload ?? [])
        #expect(body["method"] == "Switch.Set")
        #expect(body["params"] == ["id": 0, "on": false])
    }

    /// Gen1 (https://shelly-api-docs.shelly.cloud/gen1/#shelly-plug-plugs-mqtt): one value per topic,
    /// energy in watt-minutes.
    @Test func gen1() throws {
        #expect(F.power(try F.readings("shellies/shellyplug-s-040BAD/relay/0/power", "1210.5")) == PowerTelemetry(powerW: 1210.5))
        #expect(F.power(try F.readings("shellies/shellyplug-s-040BAD/relay/0/energy", "60000")) == PowerTelemetry(energyKWh: 1))
        #expect(F.events(try F.readings("shellies/shellyplug-s-040BAD/relay/0", "off")) == [DeviceEvent(name: .relayOff)])
        #expect(F.status(try F.readings("shellies/shellyplug-s-040BAD/online", "true")) == true)
        #expect(F.rejection("shellies/shellyplug-s-040BAD/relay/0/power", "lots")?.reason == .wrongType)
        let c = F.decoder.encode(DeviceCommand(device: "PM-105", command: "relay_off", port: nil, reason: "r", alarmID: nil, ts: F.now))
        #expect(c == OutgoingMessage(topic: "shellies/shellyplug-s-040BAD/relay/0/command", text: "off"))
    }
}

@Suite struct ProfileGenericJSONTests {
    typealias F = ProfileFixture

    @Test func pointersScaleAndTimestamp() throws {
        let r = try F.readings("site/flat101/water", #"{"time":1699999990,"meter":{"vol_m3":12.5,"flow/min":3.2,"serial":"X"}}"#)
        guard case let .telemetry(.water(w)) = r[0].observation else { Issue.record("no water telemetry"); return }
        #expect(w == WaterTelemetry(volumeL: 12_500, flowLPerMin: 3.2))
        #expect(r[0].ts == 1_699_999_990_000)
        #expect(F.status(try F.readings("site/flat101/water/lwt", "down")) == false)
        #expect(F.rejection("site/flat101/water", #"{"other":1}"#)?.reason == .missingField)
        #expect(F.rejection("site/flat101/water", #"{"meter":{"vol_m3":"a lot"}}"#)?.reason == .wrongType)
        #expect(F.rejection("site/flat101/water/lwt", "sideways")?.reason == .outOfRange)
    }

    @Test func jsonPointers() {
        #expect(JSONPointer("/a/b") != nil)
        #expect(JSONPointer("a/b") == nil)
        #expect(JSONPointer("/a~2") == nil)
        #expect(JSONPointer("/a~1b")?.tokens == ["a/b"])
        let v: JSONValue = ["a": [["b": 1], ["b": 2]]]
        #expect(JSONPointer("/a/1/b")?.resolve(in: v) == 2)
        #expect(JSONPointer("/a/01/b")?.resolve(in: v) == nil)
        #expect(JSONPointer("")?.resolve(in: v) == v)
    }
}

@Suite struct IngestDecoderTests {
    typealias F = ProfileFixture

    @Test func subscriptionsAreV1PlusEveryProfileTopic() {
        let s = IngestDecoder.subscriptions(for: F.config)
        #expect(Array(s.prefix(3)) == ["rg/B1/+/telemetry", "rg/B1/+/event", "rg/B1/+/status"])
        for t in ["zigbee2mqtt/flat101/smoke", "zigbee2mqtt/flat101/smoke/availability", "tele/meter_101/SENSOR", "tele/meter_101/LWT",
                  "stat/meter_101/+", "shellyplus1pm-a8032ab12345/events/rpc", "shellies/shellyplug-s-040BAD/relay/+/+", "site/flat101/water/lwt"] {
            #expect(s.contains(t), "\(t)")
        }
        #expect(Set(s).count == s.count)
    }

    @Test func v1DevicesStillDecodeAsBefore() throws {
        let r = try F.readings("rg/B1/SD-V1/telemetry", #"{"ts":1699999990000,"smoke_obscuration_pct_per_m":0.3}"#)
        #expect(F.smoke(r) == SmokeTelemetry(obscurationPctPerM: 0.3))
        #expect(F.rejection("rg/B1/NOPE/telemetry", "{}")?.reason == .unknownDevice)
        #expect(F.rejection("tele/unknown/SENSOR", "{}")?.reason == .badTopic)
        let c = F.decoder.encode(DeviceCommand(device: "SD-V1", command: "sound", port: nil, reason: "fire", alarmID: "x", ts: 5))
        #expect(c?.topic == "rg/B1/SD-V1/cmd")
        #expect(c?.payloadText == #"{"ts":5,"cmd":"sound","reason":"fire","alarm_id":"x"}"#)
    }

    @Test func oversizedProfilePayloadsAreRejected() {
        let big = "{\"smoke\":false,\"x\":\"" + String(repeating: "a", count: 20_000) + "\"}"
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", big)?.reason == .payloadTooLarge)
    }

    @Test func invalidProfilesAreReportedNotCrashed() {
        let bad = BuildingConfig(gateway: GatewayIdentity(id: "gw", building: "B1"), devices: [
            DeviceConfig(id: "X", kind: .charger, source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/x")),
            DeviceConfig(id: "Y", kind: .powerMeter, source: .init(profile: "tasmota")),
            DeviceConfig(id: "Z", kind: .waterMeter, source: .init(profile: "generic_json", topic: "z", mapping: .init(fields: [.init(pointer: "nope", to: "volume_l")]))),
        ])
        let d = IngestDecoder(config: bad)
        #expect(d.profiles.isEmpty)
        #expect(d.problems.map(\.device) == ["X", "Y", "Z"])
    }

    @Test func deviceTime() {
        #expect(DeviceTime.parse("1970-01-01T00:00:00Z", defaultOffsetMinutes: 480) == 0)
        #expect(DeviceTime.parse("1970-01-01T08:00:00", defaultOffsetMinutes: 480) == 0)
        #expect(DeviceTime.parse("2024-02-29T12:00:00.5-01:30", defaultOffsetMinutes: 0) == 1_709_213_400_500)
        #expect(DeviceTime.parse("2023-13-01T00:00:00", defaultOffsetMinutes: 0) == nil)
        #expect(DeviceTime.parse("2023-11-14 22:13:20", defaultOffsetMinutes: 0) == 1_700_000_000_000)
        for ms: Int64 in [0, 1_700_000_000_000, 1_709_213_400_999] {
            let s = DeviceTime.format(ms, offsetMinutes: 480)
            #expect(DeviceTime.parse(s, defaultOffsetMinutes: 480) == ms / 1000 * 1000, "\(s)")
        }
    }
}
