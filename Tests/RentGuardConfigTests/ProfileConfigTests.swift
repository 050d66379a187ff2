import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

@Suite("Device profiles in the configuration")
struct ProfileConfigTests {
    @Test("profile keys load onto the device")
    func loads() throws {
        let yaml = changed(
            ("    kind: power_meter\n    unit: \"101\"\n", "    kind: power_meter\n    unit: \"101\"\n    profile: tasmota\n    topic: meter_101\n    channel: 2\n    utc_offset: \"+07:00\"\n"),
            ("    zone: bedroom\n", "    zone: bedroom\n    profile: zigbee2mqtt\n    topic: zigbee2mqtt/flat101/smoke\n    model: HS1CA-M\n    overrides:\n      battery_state: {to: battery_low, when: low}\n      smoke_density: ignore\n"))
        let c = try ConfigLoader.parse(yaml: yaml, file: "configs/test.yaml")
        #expect(c.device("PM-101")?.source == DeviceSource(profile: "tasmota", topic: "meter_101", channel: 2, utcOffset: "+07:00"))
        #expect(c.device("SD-101-1")?.source == DeviceSource(
            profile: "zigbee2mqtt", topic: "zigbee2mqtt/flat101/smoke", model: "HS1CA-M",
            overrides: ["battery_state": FieldMapping(to: "battery_low", when: "low"), "smoke_density": FieldMapping(to: "ignore")]))
        #expect(c.device("CH-1")?.source.isProtocolV1 == true)
    }

    @Test("a generic_json mapping loads")
    func genericMapping() throws {
        let yaml = changed(("    kind: power_meter\n    unit: \"101\"\n", """
                kind: power_meter
                unit: "101"
                profile: generic_json
                topic: site/101/meter
                mapping:
                  timestamp: /t
                  timestamp_unit: s
                  fields:
                    - {pointer: /em/p, to: power_w}
                    - {pointer: /em/e_wh, to: energy_kwh, scale: 0.001}
                  availability_topic: site/101/meter/lwt

            """))
        let c = try ConfigLoader.parse(yaml: yaml, file: "configs/test.yaml")
        let m = try #require(c.device("PM-101")?.source.mapping)
        #expect(m.fields == [.init(pointer: "/em/p", to: "power_w"), .init(pointer: "/em/e_wh", to: "energy_kwh", scale: 0.001)])
        #expect(m.timestampUnit == .s)
        #expect(m.availabilityTopic == "site/101/meter/lwt")
    }

    static let meter = "    kind: power_meter\n    unit: \"101\"\n"

    @Test("each profile problem names the key", arguments: [
        (meter + "    profile: tasmta\n    topic: m\n", "devices[2].profile: unknown profile 'tasmta' (did you mean 'tasmota'?)"),
        (meter + "    profile: zigbee2mqtt\n    topic: z/m\n", "devices[2].profile: profile 'zigbee2mqtt' does not decode a power_meter"),
        (meter + "    profile: tasmota\n", "devices[2].topic: missing: profile 'tasmota' needs the device's own topic"),
        (meter + "    profile: tasmota\n    topic: tele/+/SENSOR\n", "devices[2].topic: 'tele/+/SENSOR' is not a topic"),
        (meter + "    topic: m\n", "devices[2].topic: only applies to a device with a 'profile'"),
        (meter + "    profile: tasmota\n    topic: m\n    channel: 0\n", "devices[2].profile: a Tasmota channel is 1...32, found 0"),
        (meter + "    profile: tasmota\n    topic: m\n    utc_offset: \"8\"\n", "devices[2].utc_offset: '8' is not an offset"),
        (meter + "    profile: generic_json\n    topic: m\n", "devices[2].mapping: missing: profile 'generic_json' needs a 'mapping'"),
        (meter + "    profile: generic_json\n    topic: m\n    mapping: {fields: [{pointer: em/p, to: power_w}]}\n", "devices[2].mapping.fields[0].pointer: 'em/p' is not a JSON pointer"),
        (meter + "    profile: generic_json\n    topic: m\n    mapping: {fields: [{pointer: /em/p, to: pwer_w}]}\n", "devices[2].mapping.fields[0].to: unknown target 'pwer_w' for a power_meter (did you mean 'power_w'?)"),
        (meter + "    profile: generic_json\n    topic: m\n    mapping: {fields: [{pointer: /em/p, to: co_ppm}]}\n", "devices[2].mapping.fields[0].to: unknown target 'co_ppm' for a power_meter"),
        (meter + "    profile: tasmota\n    topic: m\n    mapping: {fields: [{pointer: /p, to: power_w}]}\n", "devices[2].mapping: only applies to profile 'generic_json'"),
        (meter + "    profile: tasmota\n    topic: m\n    commands: [relay_off]\n  - id: PM-102\n    kind: power_meter\n    profile: tasmota\n    topic: m\n", "devices[3].topic: topic 'tele/m/SENSOR' is also device 'PM-101''s"),
        ("    zone: bedroom\n    profile: zigbee2mqtt\n    topic: z/sd\n    commands: [sound]\n", "devices[0].commands[0]: profile 'zigbee2mqtt' cannot carry out 'sound' (it takes no commands)"),
        ("    zone: bedroom\n    profile: zigbee2mqtt\n    topic: z/sd\n    overrides: {smoke: alrm}\n", "devices[0].overrides.smoke: unknown target 'alrm' for a smoke_detector (did you mean 'alarm'?)"),
    ])
    func problems(insert: String, expected: String) {
        let base = insert.hasPrefix("    zone") ? "    zone: bedroom\n" : Self.meter
        let text = errorText(changed((base, insert)))
        #expect(text.contains(expected), "\(text)")
    }

    @Test("an unknown key on a device still names the profile keys")
    func unknownKey() {
        let text = errorText(changed((Self.meter, Self.meter + "    profle: tasmota\n")))
        #expect(text.contains("profile"), "\(text)")
    }
}
