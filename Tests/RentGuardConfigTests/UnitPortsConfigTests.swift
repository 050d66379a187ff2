import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

/// `unit_ports` on a charger: the ports reserved for one unit, whose charging energy is
/// occupancy evidence (docs/configuration.md, docs/occupancy.md).
@Suite("Charger unit_ports")
struct UnitPortsConfigTests {
    @Test("a valid unit_ports loads as port links ordered by port")
    func loads() throws {
        let yaml = changed(("    ports: 10\n", "    ports: 10\n    unit_ports: [{unit: \"102\", ports: [3]}, {unit: \"101\", ports: [2, 1]}]\n"))
        let c = try ConfigLoader.parse(yaml: yaml, file: "t.yaml")
        let ch = try #require(c.device("CH-1"))
        #expect(ch.unitPorts == [.init(unit: "102", ports: [3]), .init(unit: "101", ports: [2, 1])])
        #expect(ch.portLinks == [.init(port: 1, unit: "101"), .init(port: 2, unit: "101"), .init(port: 3, unit: "102")])
        // Block style, and an unquoted unit id.
        let block = changed(
            ("    ports: 10\n", "    ports: 10\n    unit_ports:\n      - unit: 101\n        ports: [1, 2]\n"))
        #expect(try ConfigLoader.parse(yaml: block, file: "t.yaml").device("CH-1")?.unitPorts == [.init(unit: "101", ports: [1, 2])])
    }

    @Test("each problem names the key and the problem", arguments: [
        ("unit_ports: [{unit: \"103\", ports: [1]}]", "devices[1].unit_ports[0].unit: unknown unit '103' (did you mean '101'?); it must be the id of one of the units"),
        ("unit_ports: [{unit: \"101\", ports: [0]}]", "devices[1].unit_ports[0].ports[0]: port numbers start at 1, found 0"),
        ("unit_ports: [{unit: \"101\", ports: [-2]}]", "devices[1].unit_ports[0].ports[0]: port numbers start at 1, found -2"),
        ("unit_ports: [{unit: \"101\", ports: [11]}]", "devices[1].unit_ports[0].ports[0]: port 11 does not exist: this charger has 10 ports (numbered 1 to 10)"),
        ("unit_ports: [{unit: \"101\", ports: [1, 2]}, {unit: \"102\", ports: [2]}]", "devices[1].unit_ports[1].ports[0]: port 2 is already linked to unit '101'; a port belongs to one unit at most"),
        ("unit_ports: [{unit: \"101\", ports: [4, 4]}]", "devices[1].unit_ports[0].ports[1]: port 4 is listed twice for unit '101'"),
        ("unit_ports: [{unit: \"101\", ports: []}]", "devices[1].unit_ports[0].ports: lists no ports"),
        ("unit_ports: [{unit: \"101\", port: [1]}]", "devices[1].unit_ports[0]: unknown key 'port' (did you mean 'ports'?)"),
    ])
    func problems(line: String, expected: String) {
        let text = errorText(changed(("    ports: 10\n", "    ports: 10\n    \(line)\n")))
        #expect(text.hasPrefix("configs/test.yaml: line "), "\(text)")
        #expect(text.contains(expected), "\(text)")
    }

    @Test("unit_ports on a device that is not a charger is rejected")
    func notACharger() {
        let text = errorText(changed(("    rated_current_a: 40\n", "    rated_current_a: 40\n    unit_ports: [{unit: \"101\", ports: [1]}]\n")))
        #expect(text.contains("devices[2].unit_ports: only applies to chargers, and this device is a power meter"), "\(text)")
    }

    @Test("the problem carries the line of the offending port")
    func line() throws {
        let yaml = changed(
            ("    ports: 10\n", "    ports: 10\n    unit_ports:\n      - {unit: \"101\", ports: [1]}\n      - {unit: \"102\", ports: [1]}\n"))
        let e = try #require(loadError(yaml))
        #expect(e.keyPath == "devices[1].unit_ports[1].ports[0]")
        #expect(e.line == 29)
    }
}
