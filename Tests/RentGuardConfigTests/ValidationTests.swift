import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

@Suite("Semantic validation")
struct ValidationTests {
    @Test("each class of problem names the key and the problem", arguments: [
        // ids
        (("id: gw-test", "id: \"gw test\""), "gateway.id: 'gw test' is not a valid id"),
        (("building: test", "building: \"\""), "gateway.building: an empty id is not a valid id"),
        (("building: test", "building: \(String(repeating: "b", count: 65))"), "gateway.building: 'bbbb"),
        (("- id: SD-101-1", "- id: SD/101"), "devices[0].id: 'SD/101' is not a valid id"),
        (("- id: \"102\"", "- id: \"101\""), "units[1].id: duplicate unit id '101' (also units[0])"),
        (("- id: PM-101", "- id: CH-1"), "devices[2].id: duplicate device id 'CH-1' (also devices[1])"),
        // references
        (("unit: \"101\"\n    zone", "unit: \"103\"\n    zone"), "devices[0].unit: unknown unit '103'"),
        (("landlord: wang", "landlord: wnag"), "units[0].landlord: unknown landlord 'wnag' (did you mean 'wang'?)"),
        (("adjacent: [\"102\"]", "adjacent: [\"102\", \"10l\"]"), "units[0].adjacent[1]: unknown unit '10l' (did you mean '101'?)"),
        (("adjacent: [\"102\"]", "adjacent: [\"101\"]"), "units[0].adjacent[0]: a unit cannot be adjacent to itself"),
        (("near: [SD-101-1]", "near: [SD-101-9]"), "devices[1].near[0]: unknown device 'SD-101-9' (did you mean 'SD-101-1'?)"),
        // kind-specific ratings
        (("    ports: 10\n", ""), "devices[1].ports: missing: a charger needs 'ports'"),
        (("ports: 10", "ports: 0"), "devices[1].ports: a charger needs at least 1 port, found 0"),
        (("rated_port_current_a: 5", "rated_port_current_a: 0"), "devices[1].rated_port_current_a: must be a number above 0 (A), found 0"),
        (("    rated_port_current_a: 5\n", ""), "devices[1].rated_port_current_a: missing: a charger needs 'rated_port_current_a'"),
        (("rated_current_a: 40", "rated_current_a: -40"), "devices[2].rated_current_a: must be a number above 0 (A), found -40"),
        (("zone: bedroom", "zone: bedroom\n    ports: 2"), "devices[0].ports: only applies to chargers, and this device is a smoke detector"),
        (("zone: bedroom", "zone: bedroom\n    rated_current_a: 16"), "devices[0].rated_current_a: only applies to power meters"),
        (("zone: bedroom", "zone: bedroom\n    report_interval_s: 0"), "devices[0].report_interval_s: must be a number above 0 (seconds), found 0"),
        // units
        (("area_m2: 45", "area_m2: 0"), "units[0].area_m2: must be a number above 0 (m²), found 0"),
        (("area_m2: 45", "area_m2: .nan"), "units[0].area_m2: must be a number above 0 (m²), found .nan"),
        (("registered_occupants: 2", "registered_occupants: -1"), "units[0].registered_occupants: must be 0 or more, found -1"),
        // commands
        (("commands: [port_off]", "commands: [port_of]"), "devices[1].commands[0]: unknown command 'port_of' (did you mean 'port_off'?); allowed: port_off, port_on, relay_off, relay_on, sound, silence"),
        (("commands: [port_off]", "commands: [port_off, sound]"), "devices[1].commands[1]: a charger cannot carry out 'sound'"),
        // broker
        (("url: mqtt://127.0.0.1:1883\nregistry", "url: http://127.0.0.1:1883\nregistry"), "broker.url: invalid broker URL \"http://127.0.0.1:1883\": unsupported scheme 'http://'"),
        (("    url: mqtt://127.0.0.1:1883\nunits", "    url: mqtt://127.0.0.1:99999\nunits"), "registry.mqtt.url: invalid broker URL \"mqtt://127.0.0.1:99999\": port '99999' is not a number from 1 to 65535"),
        (("broker:\n", "broker:\n  keepalive_s: 4\n"), "broker.keepalive_s: must be from 5 to 3600 seconds, found 4"),
        (("broker:\n", "broker:\n  keepalive_s: 3601\n"), "broker.keepalive_s: must be from 5 to 3600 seconds, found 3601"),
        (("broker:\n", "broker:\n  connect_timeout_s: 0\n"), "broker.connect_timeout_s: must be a number above 0 (seconds), found 0"),
        (("broker:\n", "broker:\n  reconnect_min_s: 10\n  reconnect_max_s: 5\n"), "broker.reconnect_min_s: must not exceed reconnect_max_s (10 > 5)"),
        (("broker:\n", "broker:\n  password_file: /etc/pw\n"), "broker.password_file: a password needs a user name: set 'username' too"),
        (("broker:\n", "broker:\n  tls: {ca_file: ca.pem}\n"), "broker.tls: TLS is configured but the url uses mqtt://; use mqtts://"),
        (("url: mqtt://127.0.0.1:1883\nregistry", "url: mqtts://127.0.0.1\nregistry"), "broker.tls: missing: an mqtts:// url needs 'tls' with 'ca_file'"),
        (("broker:\n", "broker:\n  tls: {ca_file: ca.pem, cert_file: c.pem}\n"), "broker.tls.key_file: a client certificate (cert_file) needs its key_file"),
        // storage and ingest
        (("broker:\n", "storage: {retention_days: 0}\nbroker:\n"), "storage.retention_days: must be at least 1 day, found 0"),
        (("broker:\n", "storage: {state_dir: \"\"}\nbroker:\n"), "storage.state_dir: must not be empty"),
        (("broker:\n", "ingest: {max_payload_bytes: 255}\nbroker:\n"), "ingest.max_payload_bytes: must be from 256 to 1048576 bytes, found 255"),
        (("broker:\n", "ingest: {max_payload_bytes: 1048577}\nbroker:\n"), "ingest.max_payload_bytes: must be from 256 to 1048576 bytes, found 1048577"),
        (("broker:\n", "ingest: {topic_prefix: \"rg/#\"}\nbroker:\n"), "ingest.topic_prefix: must not contain the MQTT wildcards"),
        (("registry:\n", "registry:\n  topic_prefix: /registry/\n"), "registry.topic_prefix: must not start or end with '/'"),
        // landlords
        (("type: mqtt", "type: mqqt"), "landlords[0].channels[0].type: unknown channel type 'mqqt' (did you mean 'mqtt'?); use webhook, mqtt, wecom_robot, dingtalk_robot, feishu_robot, sms"),
        (("type: mqtt\n        topic: landlords/wang/alarms", "type: mqtt"), "landlords[0].channels[0].topic: missing: an mqtt channel needs 'topic'"),
        (("type: mqtt\n        topic: landlords/wang/alarms", "type: webhook"), "landlords[0].channels[0].url: missing: a webhook channel needs 'url'"),
        (("type: mqtt\n        topic: landlords/wang/alarms", "type: webhook\n        url: ftp://example.com/x"), "landlords[0].channels[0].url: a webhook url must start with https://"),
        (("topic: landlords/wang/alarms", "topic: landlords/+/alarms"), "landlords[0].channels[0].topic: must not contain the MQTT wildcards"),
        (("registry:\n  mqtt:\n    url: mqtt://127.0.0.1:1883\n", ""), "landlords[0].channels[0].type: mqtt channels are published on the registry broker, but registry.mqtt is not configured"),
        (("  - id: wang\n", "  - id: wang\n    quiet_hours: \"22:00\"\n"), "landlords[0].quiet_hours: expected HH:MM-HH:MM"),
        (("  - id: wang\n", "  - id: wang\n    quiet_hours: \"22:00-24:30\"\n"), "landlords[0].quiet_hours: '24:30' is not a time of day"),
        (("  - id: wang\n", "  - id: wang\n    quiet_hours: \"7:00-22:00\"\n"), "landlords[0].quiet_hours: expected HH:MM-HH:MM"),
        (("landlords:\n  - id: wang\n", "landlords:\n  - id: wang\n    channels: []\n  - id: wang\n"), "landlords[1].id: duplicate landlord id 'wang' (also landlords[0])"),
        // thresholds
        (("landlords:", "thresholds:\n  smoke: {level: .inf}\nlandlords:"), "thresholds.smoke.level: must be a finite number, found .inf"),
        (("zone: bedroom", "zone: bedroom\n    thresholds: {smoke: {level: .nan}}"), "devices[0].thresholds.smoke.level: must be a finite number, found .nan"),
    ])
    func problemClasses(change: (String, String), expected: String) {
        let text = errorText(changed(change))
        #expect(text.hasPrefix("configs/test.yaml: line "), "\(text)")
        #expect(text.contains(expected), "\(text)")
    }

    @Test("problems carry the line of the offending key")
    func lines() throws {
        let e = try #require(loadError(changed(("landlord: wang", "landlord: nobody"))))
        #expect(e.line == 13)
        #expect(e.keyPath == "units[0].landlord")
        #expect(e.description == "configs/test.yaml: line 13: units[0].landlord: unknown landlord 'nobody'; it must be the id of one of the landlords")
        // A missing key points at the item it is missing from.
        let m = try #require(loadError(changed(("    ports: 10\n", ""))))
        #expect(m.line == 24)
    }

    @Test("every problem is reported, one per line, in file order")
    func allProblems() throws {
        let yaml = changed(
            ("landlord: wang", "landlord: nobody"),
            ("ports: 10", "ports: 0"),
            ("broker:\n", "broker:\n  keepalive_s: 1\n"),
            ("topic: landlords/wang/alarms", "topic: \"\"")
        )
        let e = try #require(loadError(yaml))
        #expect(e.problems.count == 4)
        let lines = e.description.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.hasPrefix("configs/test.yaml: line ") })
        #expect(lines[0].contains("broker.keepalive_s"))
        #expect(lines[1].contains("units[0].landlord"))
        #expect(lines[2].contains("devices[1].ports"))
        #expect(lines[3].contains("landlords[0].channels[0].topic: must not be empty"))
        #expect(e.problems.map(\.line) == e.problems.map(\.line).sorted { ($0 ?? 0) < ($1 ?? 0) })
        #expect(e.keyPath == "broker.keepalive_s")
    }

    @Test("threshold overrides are checked against the known rules when given")
    func knownThresholds() throws {
        let known: [String: Set<String>] = ["smoke_verification": ["window_s", "level_pct_per_m"], "heat": ["fixed_c", "rise_c_per_min"]]
        let yaml = changed(
            ("landlords:", "thresholds:\n  smoke_verificaton: {window_s: 60}\n  heat: {fixed_c: 57, rise_per_min: 9}\nlandlords:"),
            ("zone: bedroom", "zone: bedroom\n    thresholds: {smoke_verification: {windows: 30}}")
        )
        let text = errorText(yaml, knownThresholds: known)
        #expect(text.contains("devices[0].thresholds.smoke_verification.windows: unknown parameter 'windows' for rule 'smoke_verification' (did you mean 'window_s'?); known parameters: level_pct_per_m, window_s"))
        #expect(text.contains("thresholds.smoke_verificaton: unknown rule 'smoke_verificaton' (did you mean 'smoke_verification'?); the rule ids are listed in docs/detection.md"))
        #expect(text.contains("thresholds.heat.rise_per_min: unknown parameter 'rise_per_min' for rule 'heat' (did you mean 'rise_c_per_min'?)"))

        // Known names load; without a catalogue any names load.
        let good = changed(("landlords:", "thresholds:\n  heat: {fixed_c: 60}\nlandlords:"))
        let c = try ConfigLoader.parse(yaml: good, file: "t.yaml", knownThresholds: known)
        #expect(c.thresholds == ["heat": ["fixed_c": 60]])
        #expect(throws: Never.self) { try ConfigLoader.parse(yaml: yaml, file: "t.yaml") }
    }

    @Test("files are checked only when asked")
    func checkFiles() throws {
        let yaml = changed(("broker:\n", "broker:\n  username: u\n  password_file: /nonexistent/rentguard.password\n"))
        #expect(throws: Never.self) { try ConfigLoader.parse(yaml: yaml, file: "t.yaml") }
        let text = errorText(yaml, checkFiles: true)
        #expect(text.contains("broker.password_file: file '/nonexistent/rentguard.password' does not exist"))

        let relative = changed(("url: mqtt://127.0.0.1:1883\nregistry", "url: mqtts://127.0.0.1:8883\n  tls: {ca_file: no-such-ca.pem}\nregistry"))
        #expect(errorText(relative, checkFiles: true).contains("broker.tls.ca_file: file 'no-such-ca.pem' does not exist (relative to the current directory, "))

        let dir = changed(("broker:\n", "broker:\n  username: u\n  password_file: /tmp\n"))
        #expect(errorText(dir, checkFiles: true).contains("broker.password_file: '/tmp' is a directory, not a file"))
    }

    @Test("the validator can be run on a configuration built in code")
    func validatorAPI() {
        var config = BuildingConfig(gateway: GatewayIdentity(id: "gw", building: "b"))
        #expect(ConfigValidator.validate(config).isEmpty)
        config.broker.url = "mqtt://"  // e.g. a bad --broker override
        let problems = ConfigValidator.validate(config)
        #expect(problems.map(\.keyPath) == ["broker.url"])
        #expect(problems.first?.line == nil)
        let error = ConfigError(file: "--broker", problems: problems)
        #expect(error.description == "--broker: broker.url: invalid broker URL \"mqtt://\": the host is missing")
    }

    @Test("ids", arguments: [
        ("gw-demo", true), ("a", true), ("A.b_c-9", true), (String(repeating: "x", count: 64), true),
        ("", false), (String(repeating: "x", count: 65), false), ("a b", false), ("a/b", false), ("a+b", false), ("é", false),
    ])
    func ids(id: String, valid: Bool) {
        #expect(ConfigValidator.isValidID(id) == valid)
    }
}
