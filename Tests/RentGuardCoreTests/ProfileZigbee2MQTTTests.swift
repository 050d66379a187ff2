import Testing
@testable import RentGuardCore

/// zigbee2mqtt detectors, with payload shapes from the zigbee2mqtt documentation.
@Suite struct ProfileZigbee2MQTTTests {
    typealias F = ProfileFixture

    /// A Heiman smoke detector's real message (a zigbee2mqtt log of 2018, with the legacy
    /// `device` attribute): https://pastebin.com/jsutmFVm — `smoke` is the detector's decision.
    @Test func smokeIsTheDetectorsOwnAlarm() throws {
        let r = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":true,"linkquality":134,"device":{"ieeeAddr":"0x005043c95333194d","friendlyName":"0x005043c95333194d","type":"EndDevice","manufName":"Heiman","powerSource":"Battery","status":"offline"}}"#)
        #expect(r.count == 1)
        #expect(F.smoke(r) == SmokeTelemetry(alarm: true))
        #expect(r[0].device == "SD-101")
        #expect(r[0].ts == F.now)
        #expect(!r[0].timestampFromDevice)
    }

    /// Tuya TS0601_smoke_1 exposes `smoke, tamper, battery_low`
    /// (https://www.zigbee2mqtt.io/devices/TS0601_smoke_1.html): flags that are true become events.
    @Test func flagsBecomeEvents() throws {
        let r = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"tamper":true,"battery_low":true,"linkquality":87}"#)
        #expect(F.smoke(r) == SmokeTelemetry(alarm: false))
        #expect(F.events(r).map(\.name) == [.tamper, .batteryLow])  // in payload order
        let quiet = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"tamper":false,"battery_low":false}"#)
        #expect(F.events(quiet).isEmpty)
    }

    /// HEIMAN HS1CA-M exposes `carbon_monoxide, battery_low, battery`
    /// (https://www.zigbee2mqtt.io/devices/HS1CA-M.html): its decision is about CO (v1.1).
    @Test func carbonMonoxideAlarmAndBattery() throws {
        let r = try F.readings("zigbee2mqtt/flat101/co", #"{"battery":83,"battery_low":false,"carbon_monoxide":true,"linkquality":102}"#)
        #expect(F.smoke(r) == SmokeTelemetry(batteryPct: 83, alarm: true, alarmKind: .co))
    }

    /// Tuya JKD-816COM-Z exposes `carbon_monoxide, co, gas, gas_value, silence, self_test, fault`
    /// (https://www.zigbee2mqtt.io/devices/JKD-816COM-Z.html): its test key is `self_test`
    /// (a per-model override), `co` is ppm.
    @Test func perModelOverride() throws {
        let r = try F.readings("zigbee2mqtt/flat101/gas", #"{"carbon_monoxide":false,"co":12,"gas":false,"gas_value":0,"silence":false,"self_test":true,"fault":false}"#)
        // `carbon_monoxide` is the CO decision; `gas` (natural gas) stays the generic `alarm`.
        #expect(F.smoke(r) == SmokeTelemetry(coPpm: 12, decisions: [.co: false, .smoke: false]))
        #expect(F.events(r).map(\.name) == [.test])
        // The same key on a device without that model is unknown, and ignored.
        let plain = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"self_test":true}"#)
        #expect(F.events(plain).isEmpty)
    }

    /// A per-device override: an enum battery state (`low`) as the battery-low flag.
    @Test func perDeviceOverrideWithWhen() throws {
        let r = try F.readings("zigbee2mqtt/flat101/heat", #"{"smoke":false,"battery_state":"low","temperature":31.5}"#)
        #expect(F.smoke(r) == SmokeTelemetry(temperatureC: 31.5, alarm: false))
        #expect(F.events(r).map(\.name) == [.batteryLow])
    }

    /// Availability (https://www.zigbee2mqtt.io/guide/configuration/device-availability.html):
    /// `{"state":"online"}`, and the legacy plain `offline`.
    @Test func availability() throws {
        #expect(F.status(try F.readings("zigbee2mqtt/flat101/smoke/availability", #"{"state":"online"}"#)) == true)
        #expect(F.status(try F.readings("zigbee2mqtt/flat101/smoke/availability", "offline")) == false)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke/availability", #"{"state":"maybe"}"#)?.reason == .outOfRange)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke/availability", #"{"status":"online"}"#)?.reason == .missingField)
    }

    /// `last_seen` (zigbee2mqtt `advanced.last_seen`: `epoch` or `ISO_8601`) is the device time.
    @Test func lastSeenIsTheTimestamp() throws {
        let epoch = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"last_seen":1699999990123}"#)
        #expect(epoch[0].ts == 1_699_999_990_123)
        #expect(epoch[0].timestampFromDevice)
        let iso = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"last_seen":"2023-11-14T22:13:10.123Z"}"#)
        #expect(iso[0].ts == 1_699_999_990_123)
        let local = try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"last_seen":"2023-11-15T06:13:10+08:00"}"#)
        #expect(local[0].ts == 1_699_999_990_000)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"last_seen":1799999990123}"#)?.reason == .futureTimestamp)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"last_seen":"yesterday"}"#)?.reason == .wrongType)
    }

    @Test func unreadablePayloadsAreRejectedWithTheirOwnReason() {
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", "{not json")?.reason == .malformedJSON)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", "[1,2]")?.reason == .notAnObject)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"smoke":"yes"}"#)?.reason == .wrongType)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"battery":180}"#)?.reason == .outOfRange)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"temperature":"hot"}"#)?.reason == .wrongType)
        #expect(F.rejection("zigbee2mqtt/flat101/smoke", #"{"smoke":false}"#) == nil)
    }

    @Test func onlyUnknownFieldsGiveNoReadings() throws {
        #expect(try F.readings("zigbee2mqtt/flat101/smoke", #"{"linkquality":60,"voltage":3000}"#).isEmpty)
    }

    @Test func detectorsTakeNoCommands() {
        let c = DeviceCommand(device: "SD-101", command: "sound", port: nil, reason: "r", alarmID: nil, ts: F.now)
        #expect(F.decoder.encode(c) == nil)
    }
}
