import Testing
@testable import RentGuardCore

@Suite struct RegistryMessageTests {
    static func alarm(
        type: AlarmType = .chargerOverheat, severity: Severity = .major, state: AlarmState = .raised,
        device: String? = "CH-1", port: Int? = 3, unit: String? = "101", location: String? = "1F charging station",
        sequence: Int = 2
    ) -> Alarm {
        let key = AlarmKey(type: type, device: device, port: port, unit: unit)
        return Alarm(
            id: Alarm.makeID(building: "B1", key: key, startedAt: 1_700_000_000_000), key: key, state: state,
            severity: severity, location: location, startedAt: 1_700_000_000_000, updatedAt: 1_700_000_060_000,
            evidence: ["temperature_c": 72.5, "threshold_c": 65, "window_s": 30],
            actions: [
                AlarmAction(command: "port_off", device: "CH-1", port: 3, at: 1_700_000_000_500, result: .acknowledged, resultAt: 1_700_000_001_000),
                AlarmAction(command: "sound", device: "SD-1", port: nil, at: 1_700_000_000_600, result: .timedOut),
            ],
            sequence: sequence)
    }

    static func keys(_ v: JSONValue) -> [String] {
        guard case let .object(m) = v else { return [] }
        return m.map(\.0)
    }

    /// §3.1 in its order, then `incident_id` (issue 25: an additive field, the alarm's
    /// incident); `sent_at` is added by `payload(_:sentAt:)` at each attempt.
    static let section31 = [
        "message_id", "building", "gateway", "sent_at", "alarm_id", "state", "type", "severity",
        "unit", "device", "port", "location", "started_at", "updated_at", "evidence", "actions", "incident_id",
    ]

    @Test func alarmBodyHasExactlyTheSection31Fields() throws {
        let a = Self.alarm()
        let t = AlarmTransition(alarm: a)
        let m = RegistryMessage.alarm(t, building: "B1", gateway: "gw-7")
        #expect(Self.keys(m.body) == Self.section31.filter { $0 != "sent_at" })
        let b = m.body
        #expect(b["message_id"] == .string(t.messageID))
        #expect(t.messageID == "B1:charger_overheat:CH-1:p3:1700000000000#2")
        #expect(b["building"] == "B1")
        #expect(b["gateway"] == "gw-7")
        #expect(b["alarm_id"] == .string(a.id))
        #expect(b["state"] == "raised")
        #expect(b["type"] == "charger_overheat")
        #expect(b["severity"] == "major")
        #expect(b["unit"] == "101")
        #expect(b["device"] == "CH-1")
        #expect(b["port"] == 3)
        #expect(b["location"] == "1F charging station")
        #expect(b["started_at"] == 1_700_000_000_000)
        #expect(b["updated_at"] == 1_700_000_060_000)
        #expect(b["evidence"] == a.evidence)
        #expect(b["actions"] == [
            ["cmd": "port_off", "device": "CH-1", "port": 3, "at": 1_700_000_000_500, "result": "acknowledged", "result_at": 1_700_000_001_000],
            ["cmd": "sound", "device": "SD-1", "at": 1_700_000_000_600, "result": "timed_out"],
        ])
        #expect(m.kind == "alarms")
        #expect(m.messageID == t.messageID)
        #expect(m.orderKey == a.id)
        #expect(m.priority == RegistryMessage.Priority.major)
    }

    @Test func absentSubjectFieldsAreNull() throws {
        let a = Self.alarm(type: .groupRentalSuspected, severity: .warning, device: nil, port: nil, unit: nil, location: nil)
        let body = RegistryMessage.alarm(AlarmTransition(alarm: a), building: "B1", gateway: "gw").body
        for k in ["unit", "device", "port", "location"] {
            #expect(body[k] == .null, "\(k) is present and null")
        }
        #expect(Self.keys(body).count == Self.section31.count - 1)
        let s = body.serialized()
        #expect(s.contains(#""unit":null,"device":null,"port":null,"location":null"#))
    }

    @Test(arguments: AlarmState.allCases)
    func stateIsWritten(state: AlarmState) {
        let body = RegistryMessage.alarm(AlarmTransition(alarm: Self.alarm(state: state)), building: "B1", gateway: "gw").body
        #expect(body["state"] == .string(state.rawValue))
    }

    @Test(arguments: Severity.allCases)
    func severityIsWritten(severity: Severity) {
        let body = RegistryMessage.alarm(AlarmTransition(alarm: Self.alarm(severity: severity)), building: "B1", gateway: "gw").body
        #expect(body["severity"] == .string(severity.rawValue))
    }

    @Test func bodyIsDeterministicAndRoundTrips() throws {
        let t = AlarmTransition(alarm: Self.alarm())
        let s1 = RegistryMessage.alarm(t, building: "B1", gateway: "gw").body.serialized()
        let s2 = RegistryMessage.alarm(t, building: "B1", gateway: "gw").body.serialized()
        #expect(s1 == s2)
        #expect(try JSONParser.parse(s1) == RegistryMessage.alarm(t, building: "B1", gateway: "gw").body)
    }

    // MARK: payload(_:sentAt:)

    @Test func payloadAddsSentAtAndStaysValidJSON() throws {
        let m = RegistryMessage.alarm(AlarmTransition(alarm: Self.alarm()), building: "B1", gateway: "gw")
        let stored = m.body.serialized()
        let sent = RegistryMessage.payload(stored, sentAt: 1_700_000_123_456)
        let v = try JSONParser.parse(sent)
        #expect(v["sent_at"] == 1_700_000_123_456)
        // Exactly the §3.1 fields, sent_at first (member order carries no meaning in JSON).
        #expect(Set(Self.keys(v)) == Set(Self.section31))
        #expect(Self.keys(v).count == Self.section31.count)
        #expect(Self.keys(v) == ["sent_at"] + Self.keys(m.body))
        guard case let .object(members) = v else { return }
        #expect(JSONValue.object(Array(members.dropFirst())) == m.body)
        #expect(sent.hasPrefix(#"{"sent_at":1700000123456,"message_id":"#))
    }

    @Test func payloadChangesOnlySentAtAcrossRetries() throws {
        let stored = RegistryMessage.alarm(AlarmTransition(alarm: Self.alarm()), building: "B1", gateway: "gw").body.serialized()
        let a = try JSONParser.parse(RegistryMessage.payload(stored, sentAt: 1))
        let b = try JSONParser.parse(RegistryMessage.payload(stored, sentAt: 2))
        #expect(a["message_id"] == b["message_id"])
        #expect(a["sent_at"] == 1 && b["sent_at"] == 2)
    }

    static let payloadCases: [(String, String)] = [
        ("{}", #"{"sent_at":5}"#),
        (#"{"a":1}"#, #"{"sent_at":5,"a":1}"#),
        ("{ }", #"{"sent_at":5 }"#),
        (" {\n}", #"{"sent_at":5"# + "\n}"),
        (" { \"a\" : 1 } ", #"{"sent_at":5, "a" : 1 } "#),
        ("\n\t{\"a\":[]}", #"{"sent_at":5,"a":[]}"#),
    ]

    @Test(arguments: payloadCases)
    func payloadOfAnyObjectText(stored: String, expected: String) throws {
        let sent = RegistryMessage.payload(stored, sentAt: 5)
        #expect(sent == expected)
        #expect(try JSONParser.parse(sent)["sent_at"] == 5)
    }

    @Test(arguments: ["", "[]", "null", "\"{\"", "  ", "x{}"])
    func nonObjectTextIsLeftAlone(stored: String) {
        #expect(RegistryMessage.payload(stored, sentAt: 5) == stored)
    }

    @Test func payloadWithNegativeAndLargeSentAt() throws {
        for t: Int64 in [0, -1, .max, .min] {
            let v = try JSONParser.parse(RegistryMessage.payload(#"{"a":1}"#, sentAt: t))
            #expect(v["sent_at"] == .number(Double(t)))
        }
    }

    // MARK: Priority

    @Test func priorityConstantsAreOrdered() {
        typealias P = RegistryMessage.Priority
        let ordered = [P.critical, P.major, P.minor, P.warning, P.occupancy, P.devices, P.heartbeat]
        #expect(ordered == ordered.sorted(by: >))
        #expect(Set(ordered).count == ordered.count, "strictly ordered")
    }

    @Test(arguments: Severity.allCases)
    func fireIsAlwaysTopPriority(severity: Severity) {
        let fire = Self.alarm(type: .fire, severity: severity)
        #expect(RegistryMessage.Priority.of(fire) == RegistryMessage.Priority.critical)
        #expect(RegistryMessage.alarm(AlarmTransition(alarm: fire), building: "B1", gateway: "gw").priority == RegistryMessage.Priority.critical)
    }

    @Test func priorityFollowsSeverity() {
        typealias P = RegistryMessage.Priority
        let expected: [Severity: Int] = [.critical: P.critical, .major: P.major, .minor: P.minor, .warning: P.warning]
        for s in Severity.allCases {
            #expect(P.of(Self.alarm(type: .smoke, severity: s)) == expected[s])
        }
        // Higher severity, higher priority; every alarm outranks occupancy and heartbeats.
        let bySeverity = Severity.allCases.sorted().map { P.of(Self.alarm(type: .leakage, severity: $0)) }
        #expect(bySeverity == bySeverity.sorted())
        #expect(Set(bySeverity).count == bySeverity.count)
        #expect(bySeverity.allSatisfy { $0 > P.occupancy && $0 > P.heartbeat && $0 > P.devices })
        #expect(P.occupancy > P.heartbeat)
    }

    @Test func priorityDoesNotDependOnState() {
        let ps = AlarmState.allCases.map { RegistryMessage.alarm(AlarmTransition(alarm: Self.alarm(state: $0)), building: "B1", gateway: "gw").priority }
        #expect(Set(ps).count == 1)
    }
}
