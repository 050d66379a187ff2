import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

@Suite("Syntax, shape and type errors")
struct DecodingErrorTests {
    @Test("a wrong type names file, key, expected and found, without Swift type names")
    func wrongType() throws {
        let yaml = changed(("ports: 10", "ports: ten"))
        let e = try #require(loadError(yaml))
        #expect(e.description.hasPrefix("configs/test.yaml: line "))
        #expect(e.description.contains("devices[1].ports: expected an integer, found a string (\"ten\")"))
        #expect(e.keyPath == "devices[1].ports")
        #expect(e.line == 26)
        #expect(!e.description.contains("Swift."))
        #expect(!e.description.contains("Int"))
    }

    @Test("numbers, booleans, lists and mappings are named in configuration words", arguments: [
        (("area_m2: 45", "area_m2: big"), "units[0].area_m2: expected a number, found a string (\"big\")"),
        (("area_m2: 45", "area_m2: \"45\""), "units[0].area_m2: expected a number, found a string (\"45\")"),
        (("ports: 10", "ports: 10.5"), "devices[1].ports: expected an integer, found a number (10.5)"),
        (("complete_flat: false", "complete_flat: maybe"), "units[1].complete_flat: expected true or false, found a string (\"maybe\")"),
        (("adjacent: [\"102\"]", "adjacent: \"102\""), "units[0].adjacent: expected a list, found a string (\"102\")"),
        (("commands: [port_off]", "commands: {a: 1}"), "devices[1].commands: expected a list, found a mapping"),
        (("url: mqtt://127.0.0.1:1883\nregistry", "url: [a, b]\nregistry"), "broker.url: expected a string, found a list"),
        (("gateway:\n  id: gw-test\n  building: test\n", "gateway: gw-test\n"), "gateway: expected a mapping, found a string (\"gw-test\")"),
        (("ports: 10", "ports:"), "devices[1].ports: missing: a charger needs 'ports'"),
        (("area_m2: 45", "area_m2:"), "units[0].area_m2: expected a number, found an empty value"),
    ])
    func typeWords(change: (String, String), expected: String) {
        let text = errorText(changed(change))
        #expect(text.contains(expected), "\(text)")
        #expect(!text.contains("Swift."))
        #expect(!text.contains("Double") && !text.contains("Scalar") && !text.contains("Sequence"))
    }

    @Test("an integer too large for the field")
    func integerOutOfRange() {
        let text = errorText(changed(("ports: 10", "ports: 99999999999999999999999")))
        #expect(text.contains("devices[1].ports: the integer 99999999999999999999999 is out of range"))
    }

    @Test("a missing required key")
    func missingKey() throws {
        let e = try #require(loadError(changed(("  - id: PM-101\n    kind: power_meter", "  - kind: power_meter"))))
        #expect(e.description.contains("devices[2]: missing required key 'id'"))

        #expect(errorText(changed(("  building: test\n", ""))).contains("configs/test.yaml: line 1: gateway: missing required key 'building'"))
        #expect(errorText("broker: {url: mqtt://h}\n").contains("configs/test.yaml: missing required key 'gateway'"))
    }

    @Test("an unknown key says where, and suggests the known one")
    func unknownKey() throws {
        let e = try #require(loadError(changed(("rated_port_current_a: 5", "rated_port_curent_a: 5"))))
        #expect(e.keyPath == "devices[1]")
        #expect(e.message.contains("unknown key 'rated_port_curent_a' (did you mean 'rated_port_current_a'?)"))
        #expect(e.line == 27)
        #expect(e.description.contains("configs/test.yaml: line 27: devices[1]: unknown key 'rated_port_curent_a'"))

        let top = errorText(changed(("devices:", "device:")))
        #expect(top.contains("unknown key 'device' (did you mean 'devices'?)"))

        let nested = errorText(changed(("broker:\n  url", "broker:\n  keepalive: 30\n  url")))
        #expect(nested.contains("broker: unknown key 'keepalive' (did you mean 'keepalive_s'?)"))
    }

    @Test("an unknown enumeration value lists the choices")
    func unknownEnumValue() {
        let kind = errorText(changed(("kind: power_meter", "kind: power_metre")))
        #expect(kind.contains("devices[2].kind: unknown kind 'power_metre' (did you mean 'power_meter'?); expected one of: smoke_detector, charger, power_meter, water_meter, gas_meter"))
        let zone = errorText(changed(("zone: bedroom", "zone: garage")))
        #expect(zone.contains("devices[0].zone: unknown zone 'garage'; expected one of: room, bedroom"))
        let severity = errorText(changed(("  - id: wang\n", "  - id: wang\n    min_severity: high\n")))
        #expect(severity.contains("landlords[0].min_severity: unknown min severity 'high'; expected one of: warning, minor, major, critical"))
    }

    @Test("a YAML syntax error shows its line")
    func syntaxError() throws {
        let yaml = "gateway:\n  id: gw\n  building: b\nunits: [\n  - id: 1\n"
        let e = try #require(loadError(yaml))
        #expect(e.description.hasPrefix("configs/test.yaml: line "))
        #expect(e.description.contains("YAML syntax error"))
        #expect(e.line != nil)

        let colon = try #require(loadError("gateway:\n  id: gw\n  building: b: c\n"))
        #expect(colon.description.contains("configs/test.yaml: line 3: YAML syntax error: mapping values are not allowed"))
    }

    @Test("tabs in indentation get a hint")
    func tabs() throws {
        let e = try #require(loadError("gateway:\n  id: gw\n\tbuilding: b\n"))
        #expect(e.description.contains("line 3: YAML syntax error"))
        #expect(e.description.contains("tabs"))
    }

    @Test("a duplicate key is reported with its line")
    func duplicateKey() throws {
        let e = try #require(loadError("gateway:\n  id: gw\n  building: b\n  id: gw2\n"))
        #expect(e.description == "configs/test.yaml: line 4: duplicate key 'id' (first at line 2); each key may appear once in a mapping")
        let flow = try #require(loadError("gateway: {id: gw, building: b, id: gw2}\n"))
        #expect(flow.description.contains("configs/test.yaml: line 1: duplicate key 'id'"))
    }

    @Test("a second YAML document is refused")
    func twoDocuments() {
        let text = errorText("gateway: {id: gw, building: b}\n---\ngateway: {id: gw, building: c}\n")
        #expect(text == "configs/test.yaml: line 2: a second YAML document starts here ('---'); the whole configuration must be one document")
    }

    @Test("an empty file, or one with only comments, is explained", arguments: ["", "\n\n", "# nothing yet\n", "---\n", "~\n"])
    func emptyFile(yaml: String) {
        let text = errorText(yaml)
        #expect(text == "configs/test.yaml: the file is empty; a configuration needs at least a 'gateway:' section with 'id' and 'building'")
    }

    @Test("a top level that is not a mapping")
    func notAMapping() {
        #expect(errorText("- gateway\n- broker\n").contains("configs/test.yaml: line 1: expected a mapping of sections (gateway:, broker:, units:, devices:, …) at the top level, found a list"))
        #expect(errorText("hello\n").contains("found a string (\"hello\")"))
    }

    @Test("missing, unreadable and directory paths")
    func files() throws {
        do {
            _ = try ConfigLoader.load(path: "no/such/file.yaml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.file == "no/such/file.yaml")
            #expect(error.description.hasPrefix("no/such/file.yaml: cannot read the configuration: no such file (relative to the current directory, "))
        }
        do {
            _ = try ConfigLoader.load(path: packageRoot.appendingPathComponent("configs").path)
            Issue.record("loaded a directory")
        } catch {
            #expect(error.description.contains("configs: cannot read the configuration: this is a directory, not a file"))
        }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rg-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let empty = dir.appendingPathComponent("empty.yaml")
        try Data().write(to: empty)
        do {
            _ = try ConfigLoader.load(path: empty.path)
            Issue.record("loaded an empty file")
        } catch {
            #expect(error.description == "\(empty.path): the file is empty; a configuration needs at least a 'gateway:' section with 'id' and 'building'")
        }

        let binary = dir.appendingPathComponent("binary.yaml")
        try Data([0x67, 0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        do {
            _ = try ConfigLoader.load(path: binary.path)
            Issue.record("loaded a binary file")
        } catch {
            #expect(error.description == "\(binary.path): the file is not UTF-8 text")
        }

        if getuid() != 0 {  // root reads anything
            let locked = dir.appendingPathComponent("locked.yaml")
            try Data(validYAML.utf8).write(to: locked)
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked.path)
            do {
                _ = try ConfigLoader.load(path: locked.path)
                Issue.record("loaded an unreadable file")
            } catch {
                #expect(error.description.contains("permission denied"))
            }
        }
    }
}
