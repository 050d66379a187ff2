import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

/// `registry.centre` (docs/centre-link.md): decoding, defaults and the checks.
@Suite("Centre link configuration")
struct CentreConfigTests {
    static let registry = "registry:\n  mqtt:\n    url: mqtt://127.0.0.1:1883\n"
    static func with(_ centre: String) -> String { changed((registry, registry + centre)) }

    @Test func decodesWithDefaults() throws {
        let c = try ConfigLoader.parse(yaml: Self.with("  centre: {host: 10.0.0.5, port: 9000}\n"), file: "t.yaml")
        let centre = try #require(c.registry.centre)
        #expect(centre == CentreConfig(host: "10.0.0.5", port: 9000))
        #expect(centre.answerTimeoutSeconds == 10 && centre.sourceAddress == 1 && centre.systemAddress == 1)
        let off = try ConfigLoader.parse(yaml: validYAML, file: "t.yaml")
        #expect(off.registry.centre == nil)
    }

    @Test func decodesADeviceMapping() throws {
        let c = try ConfigLoader.parse(
            yaml: Self.with("  centre:\n    host: c\n    port: 1\n    devices:\n      SD-101-1: {system_type: 1, component_type: 42, zone: 3, position: 7, label: 三楼}\n"), file: "t.yaml")
        #expect(c.registry.centre?.devices["SD-101-1"] == CentreDeviceMapping(systemType: 1, componentType: 42, zone: 3, position: 7, label: "三楼"))
    }

    @Test("each problem names its key", arguments: [
        ("  centre: {host: \"\", port: 9000}\n", "registry.centre.host: must be a host name"),
        ("  centre: {host: c, port: 70000}\n", "registry.centre.port: must be 1 ... 65535, found 70000"),
        ("  centre: {host: c, port: 1, source_address: 281474976710656}\n", "registry.centre.source_address: is 6 bytes"),
        ("  centre: {host: c, port: 1, answer_timeout_s: 30}\n", "registry.centre.answer_timeout_s: must be above 0 and at most 10 s"),
        ("  centre: {host: c, port: 1, reconnect_min_s: 5, reconnect_max_s: 1}\n", "registry.centre.reconnect_max_s: must be at least reconnect_min_s"),
        ("  centre: {host: c, port: 1, devices: {SD-101-2: {zone: 1}}}\n", "registry.centre.devices.SD-101-2: no device 'SD-101-2' in devices (did you mean 'SD-101-1'?)"),
        ("  centre: {host: c, port: 1, devices: {SD-101-1: {component_type: 300}}}\n", "registry.centre.devices.SD-101-1.component_type: must be 0 ... 255, found 300"),
        ("  centre: {host: c, port: 1, devices: {CH-1: {system_type: 1, zone: 0, position: 1}}}\n", "has the same centre address as 'SD-101-1'"),
        ("  centre: {host: c, port: 1, bogus: 1}\n", "bogus"),
    ])
    func problems(centre: String, expected: String) {
        let text = errorText(Self.with(centre))
        #expect(text.contains(expected), "\(text)")
    }
}
