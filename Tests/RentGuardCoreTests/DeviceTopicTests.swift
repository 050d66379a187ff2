import Testing
@testable import RentGuardCore

@Suite struct DeviceTopicTests {
    static func rejection(_ topic: String, prefix: String = "rg") -> Rejection? {
        if case let .failure(r) = DeviceTopic.parse(topic, prefix: prefix) { return r }
        return nil
    }

    struct ValidCase: Sendable, CustomTestStringConvertible {
        var topic: String, prefix: String, building: String, device: String, channel: DeviceTopic.Channel
        init(_ topic: String, _ prefix: String, _ building: String, _ device: String, _ channel: DeviceTopic.Channel) {
            (self.topic, self.prefix, self.building, self.device, self.channel) = (topic, prefix, building, device, channel)
        }
        var testDescription: String { topic }
    }

    static let valid: [ValidCase] = [
        .init("rg/B1/SD-101/telemetry", "rg", "B1", "SD-101", .telemetry),
        .init("rg/B1/SD-101/event", "rg", "B1", "SD-101", .event),
        .init("rg/B1/SD-101/status", "rg", "B1", "SD-101", .status),
        .init("rg/bldg_3.east-wing/CH.1_a-B/telemetry", "rg", "bldg_3.east-wing", "CH.1_a-B", .telemetry),
        .init("site/rg/B1/PM-1/telemetry", "site/rg", "B1", "PM-1", .telemetry),
        .init("city/district-7/rg/B1/WM-1/status", "city/district-7/rg", "B1", "WM-1", .status),
        .init("custom/B1/GM-1/event", "custom", "B1", "GM-1", .event),
        .init("rg/\(String(repeating: "b", count: 64))/\(String(repeating: "d", count: 64))/event", "rg",
         String(repeating: "b", count: 64), String(repeating: "d", count: 64), .event),
        .init("rg/1/2/telemetry", "rg", "1", "2", .telemetry),
        .init("rg/./../telemetry", "rg", ".", "..", .telemetry),  // allowed by the id pattern
    ]

    @Test(arguments: valid)
    func parsesValidTopic(c: ValidCase) throws {
        let t = try DeviceTopic.parse(c.topic, prefix: c.prefix).get()
        #expect(t == DeviceTopic(building: c.building, device: c.device, channel: c.channel))
        #expect(t.topic(prefix: c.prefix) == c.topic, "topic(prefix:) is the inverse")
    }

    static let wrongShape: [(String, String)] = [
        ("xx/B1/D1/telemetry", "rg"),
        ("RG/B1/D1/telemetry", "rg"),  // case-sensitive
        ("rg2/B1/D1/telemetry", "rg"),
        ("rg/B1/D1/telemetry", "site/rg"),
        ("other/rg/B1/D1/telemetry", "site/rg"),
        ("site/rg/B1/D1/telemetry", "rg"),
        ("rg", "rg"),
        ("", "rg"),
        ("rg/B1", "rg"),
        ("rg/B1/telemetry", "rg"),
        ("rg/B1/D1", "rg"),
        ("rg/B1/D1/x/telemetry", "rg"),
        ("rg/B1/D1/telemetry/extra", "rg"),
        ("rg/B1/D1/telemetry/", "rg"),
        ("/rg/B1/D1/telemetry", "rg"),
        ("rg//B1/D1/telemetry", "rg"),
    ]

    @Test(arguments: wrongShape)
    func rejectsWrongPrefixOrLevelCount(topic: String, prefix: String) throws {
        let r = try #require(Self.rejection(topic, prefix: prefix))
        #expect(r.reason == .badTopic)
        #expect(r.detail.contains("is not \(prefix)/<building>/<device>/"))
        #expect(r.device == nil)
    }

    static let badIDs: [String] = [
        "",
        String(repeating: "x", count: 65),
        "a b", "a+b", "+", "#", "a#", "a:b", "a*b", "a\\b", "é", "中", "a\u{0}b", "a\tb", "a,b", "a@b",
    ]

    @Test(arguments: badIDs)
    func rejectsBadBuildingID(id: String) throws {
        let r = try #require(Self.rejection("rg/\(id)/D1/telemetry"))
        #expect(r.reason == .badTopic)
        #expect(r.detail.hasPrefix("building id"))
        #expect(r.detail.contains("[A-Za-z0-9_.-]{1,64}"))
    }

    @Test(arguments: badIDs)
    func rejectsBadDeviceID(id: String) throws {
        let r = try #require(Self.rejection("rg/B1/\(id)/telemetry"))
        #expect(r.reason == .badTopic)
        #expect(r.detail.hasPrefix("device id"))
    }

    @Test(arguments: badIDs)
    func isValidIDRejects(id: String) {
        #expect(!DeviceTopic.isValidID(id))
    }

    @Test(arguments: ["a", "Z", "0", "_", ".", "-", "SD-101_a.B", String(repeating: "x", count: 64)])
    func isValidIDAccepts(id: String) {
        #expect(DeviceTopic.isValidID(id))
    }

    @Test func longIDsAreShortenedInTheDetail() throws {
        let long = String(repeating: "y", count: 1_000)
        let r = try #require(Self.rejection("rg/B1/\(long)/telemetry"))
        #expect(r.detail.count < 200)
    }

    @Test func cmdIsRefused() throws {
        // cmd is gateway → device only: a device publishing there is not accepted as input.
        let r = try #require(Self.rejection("rg/B1/CH-1/cmd"))
        #expect(r.reason == .badTopic)
        #expect(r.device == "CH-1")
        #expect(r.detail.contains("telemetry, event or status"))
        #expect(DeviceTopic(building: "B1", device: "CH-1", channel: .cmd).topic(prefix: "rg") == "rg/B1/CH-1/cmd")
    }

    @Test(arguments: ["Telemetry", "telemetry ", "events", "state", "", "+", "#", "cmds"])
    func unknownChannelIsRefused(channel: String) throws {
        let r = try #require(Self.rejection("rg/B1/D1/\(channel)"))
        #expect(r.reason == .badTopic)
        #expect(r.device == "D1")
    }

    @Test func wildcardsAreNotIDs() throws {
        #expect(Self.rejection("rg/+/D1/telemetry")?.reason == .badTopic)
        #expect(Self.rejection("rg/B1/#")?.reason == .badTopic)
        #expect(Self.rejection("rg/B1/+/status")?.reason == .badTopic)
    }
}
