import Testing
@testable import RentGuardCore

/// Fixtures shared by the decoder tests: building B1, one device of each kind.
enum DecoderFixture {
    static let now: Int64 = 1_700_000_000_000
    static let registry: [String: DeviceKind] = [
        "SD-1": .smokeDetector, "CH-1": .charger, "PM-1": .powerMeter, "WM-1": .waterMeter, "GM-1": .gasMeter,
    ]
    static let decoder = ProtocolDecoder(options: .init(building: "B1"), registry: registry)

    static func decode(
        _ device: String, _ channel: String, _ payload: String,
        receivedAt: Int64 = now, with decoder: ProtocolDecoder = decoder
    ) -> Result<Reading, Rejection> {
        decoder.decode(topic: "rg/B1/\(device)/\(channel)", payload: Array(payload.utf8), receivedAt: receivedAt)
    }

    /// A telemetry message.
    static func decode(
        _ device: String, _ payload: String, receivedAt: Int64 = now, with decoder: ProtocolDecoder = decoder
    ) -> Result<Reading, Rejection> {
        decode(device, "telemetry", payload, receivedAt: receivedAt, with: decoder)
    }

    static func reading(_ device: String, _ channel: String, _ payload: String) throws -> Reading {
        try decode(device, channel, payload).get()
    }

    static func telemetry(_ device: String, _ payload: String) throws -> Telemetry {
        let r = try reading(device, "telemetry", payload)
        guard case let .telemetry(t) = r.observation else { throw Rejection(.malformedJSON, "not telemetry") }
        return t
    }

    static func event(_ device: String, _ payload: String) throws -> DeviceEvent {
        let r = try reading(device, "event", payload)
        guard case let .event(e) = r.observation else { throw Rejection(.malformedJSON, "not an event") }
        return e
    }

    static func rejection(_ result: Result<Reading, Rejection>) -> Rejection? {
        if case let .failure(r) = result { return r }
        return nil
    }
}

@Suite struct ProtocolDecoderTests {
    typealias F = DecoderFixture
    static let ts = "\"ts\":1700000000000"

    // MARK: Telemetry of every kind

    @Test func smokeDetectorTelemetry() throws {
        let r = try F.reading("SD-1", "telemetry",
            #"{"ts":1699999999000,"smoke_obscuration_pct_per_m":0.35,"temperature_c":-5.5,"co_ppm":12,"battery_pct":87,"alarm":false}"#)
        #expect(r.device == "SD-1")
        #expect(r.ts == 1_699_999_999_000)
        #expect(r.timestampFromDevice)
        #expect(r.observation == .telemetry(.smoke(SmokeTelemetry(
            obscurationPctPerM: 0.35, temperatureC: -5.5, coPpm: 12, batteryPct: 87, alarm: false))))
    }

    @Test func smokeDetectorPartialTelemetry() throws {
        #expect(try F.telemetry("SD-1", #"{"alarm":true}"#) == .smoke(SmokeTelemetry(alarm: true)))
        #expect(try F.telemetry("SD-1", #"{"battery_pct":0}"#) == .smoke(SmokeTelemetry(batteryPct: 0)))
        #expect(try F.telemetry("SD-1", #"{"temperature_c":21}"#) == .smoke(SmokeTelemetry(temperatureC: 21)))
        #expect(try F.telemetry("SD-1", #"{"co_ppm":0}"#) == .smoke(SmokeTelemetry(coPpm: 0)))
        #expect(try F.telemetry("SD-1", #"{"smoke_obscuration_pct_per_m":0}"#) == .smoke(SmokeTelemetry(obscurationPctPerM: 0)))
    }

    @Test func chargerTelemetry() throws {
        let t = try F.telemetry("CH-1", """
            {\(Self.ts),"ambient_c":31.5,"ports":[
              {"port":1,"state":"charging","voltage_v":48.2,"current_a":2.5,"power_w":120.5,"temperature_c":41,"energy_wh":250},
              {"port":2,"state":"idle"},
              {"port":12,"state":"full","current_a":0,"power_w":0},
              {"port":1024,"state":"fault","temperature_c":650}]}
            """)
        #expect(t == .charger(ChargerTelemetry(ports: [
            ChargerPortReading(port: 1, state: .charging, voltageV: 48.2, currentA: 2.5, powerW: 120.5, temperatureC: 41, energyWh: 250),
            ChargerPortReading(port: 2, state: .idle),
            ChargerPortReading(port: 12, state: .full, currentA: 0, powerW: 0),
            ChargerPortReading(port: 1024, state: .fault, temperatureC: 650),
        ], ambientC: 31.5)))
    }

    @Test(arguments: PortState.allCases)
    func everyPortState(state: PortState) throws {
        let t = try F.telemetry("CH-1", #"{"ports":[{"port":3,"state":"\#(state.rawValue)"}]}"#)
        #expect(t == .charger(ChargerTelemetry(ports: [ChargerPortReading(port: 3, state: state)])))
    }

    @Test func chargerWithNoPortsIsAnEmptyReading() throws {
        #expect(try F.telemetry("CH-1", #"{"ports":[]}"#) == .charger(ChargerTelemetry(ports: [])))
    }

    @Test func powerMeterTelemetry() throws {
        let t = try F.telemetry("PM-1", #"{"ts":1700000000000,"power_w":2300.5,"voltage_v":229.8,"current_a":10.01,"energy_kwh":12345.678,"residual_current_ma":3}"#)
        #expect(t == .power(PowerTelemetry(powerW: 2300.5, voltageV: 229.8, currentA: 10.01, energyKWh: 12345.678, residualCurrentMA: 3)))
        #expect(try F.telemetry("PM-1", #"{"energy_kwh":0}"#) == .power(PowerTelemetry(energyKWh: 0)))
    }

    @Test func waterMeterTelemetry() throws {
        #expect(try F.telemetry("WM-1", #"{"volume_l":123456.5,"flow_l_per_min":7.5}"#) == .water(WaterTelemetry(volumeL: 123456.5, flowLPerMin: 7.5)))
        #expect(try F.telemetry("WM-1", #"{"volume_l":10}"#) == .water(WaterTelemetry(volumeL: 10)))
        #expect(try F.telemetry("WM-1", #"{"flow_l_per_min":0}"#) == .water(WaterTelemetry(flowLPerMin: 0)))
    }

    @Test func gasMeterTelemetry() throws {
        #expect(try F.telemetry("GM-1", #"{"volume_m3":4321.125,"flow_m3_per_h":0.4}"#) == .gas(GasTelemetry(volumeM3: 4321.125, flowM3PerH: 0.4)))
        #expect(try F.telemetry("GM-1", #"{"flow_m3_per_h":1}"#) == .gas(GasTelemetry(flowM3PerH: 1)))
    }

    /// Fields of another kind are unknown fields for this one: ignored, not mixed in.
    @Test func fieldsOfAnotherKindDoNotCount() throws {
        #expect(F.rejection(F.decode("WM-1", #"{"volume_m3":1}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("GM-1", #"{"volume_l":1}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("SD-1", #"{"power_w":1}"#))?.reason == .missingField)
        #expect(try F.telemetry("PM-1", #"{"power_w":1,"ports":"not mine"}"#) == .power(PowerTelemetry(powerW: 1)))
    }

    @Test(arguments: [
        ("SD-1", "smoke_obscuration_pct_per_m"), ("CH-1", "ports"), ("PM-1", "power_w"), ("WM-1", "volume_l"), ("GM-1", "volume_m3"),
    ])
    func telemetryWithNoMeasurementIsMissingField(device: String, field: String) throws {
        for payload in ["{}", #"{"ts":1700000000000}"#, #"{"firmware":"1.0"}"#] {
            let r = try #require(F.rejection(F.decode(device, payload)))
            #expect(r.reason == .missingField)
            #expect(r.detail.contains(field))
            #expect(r.device == device)
        }
    }

    // MARK: Forward compatibility, null, duplicates

    @Test func unknownFieldsAreIgnored() throws {
        let plain = try F.reading("SD-1", "telemetry", #"{"ts":1700000000000,"temperature_c":20}"#)
        let extended = try F.reading("SD-1", "telemetry",
            #"{"fw":"2.1.0","ts":1700000000000,"temperature_c":20,"humidity_pct":"n/a","extra":{"deep":[1,{"x":null}]},"alarm_v2":{"a":1}}"#)
        #expect(plain == extended)
        let charger = try F.telemetry("CH-1", #"{"ports":[{"port":1,"state":"idle","vendor":{"x":1},"serial":"Z9"}],"cabinet":"A"}"#)
        #expect(charger == .charger(ChargerTelemetry(ports: [ChargerPortReading(port: 1, state: .idle)])))
        let event = try F.event("SD-1", #"{"event":"test","by":"maintenance","port_hint":"x"}"#)
        #expect(event == DeviceEvent(name: .test))
        #expect(try F.reading("SD-1", "status", #"{"online":true,"reason":"boot"}"#).observation == .status(online: true))
    }

    @Test func nullFieldsAreAbsent() throws {
        #expect(try F.telemetry("SD-1", #"{"temperature_c":21,"co_ppm":null,"battery_pct":null,"alarm":null,"smoke_obscuration_pct_per_m":null}"#)
            == .smoke(SmokeTelemetry(temperatureC: 21)))
        #expect(try F.telemetry("CH-1", #"{"ambient_c":null,"ports":[{"port":1,"state":"idle","current_a":null}]}"#)
            == .charger(ChargerTelemetry(ports: [ChargerPortReading(port: 1, state: .idle)])))
        let r = try F.reading("PM-1", "telemetry", #"{"ts":null,"power_w":5,"voltage_v":null}"#)
        #expect(r.ts == F.now && !r.timestampFromDevice)
        let e = try F.event("CH-1", #"{"event":"fault","port":null,"detail":null}"#)
        #expect(e == DeviceEvent(name: .fault))
        // A required field that is null is missing, not of the wrong type.
        #expect(F.rejection(F.decode("CH-1", #"{"ports":null}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("CH-1", #"{"ports":[{"port":null,"state":"idle"}]}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("CH-1", #"{"ports":[{"port":1,"state":null}]}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("SD-1", "event", #"{"event":null}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("SD-1", "status", #"{"online":null}"#))?.reason == .missingField)
        #expect(F.rejection(F.decode("SD-1", #"{"temperature_c":null}"#))?.reason == .missingField)
    }

    /// A key that repeats is refused with its own reason: the decoder never picks one of two
    /// values for a field (`"alarm":false,"alarm":true` used to read as no alarm).
    @Test func duplicateKeysAreRefused() throws {
        for payload in [
            #"{"alarm":false,"alarm":true}"#, #"{"temperature_c":20,"temperature_c":"hot"}"#,
            #"{"ts":1700000000001,"ts":1,"alarm":true}"#,
        ] {
            let r = try #require(F.rejection(F.decode("SD-1", payload)), "accepted \(payload)")
            #expect(r.reason == .duplicateKey)
            #expect(r.device == "SD-1")
        }
        let port = try #require(F.rejection(F.decode("CH-1", #"{"ports":[{"port":1,"state":"idle","state":"fault"}]}"#)))
        #expect(port.reason == .duplicateKey && port.detail.contains("'state'"))
    }

    /// A charger configured with `ports: N` has ports 1...N; a higher port number is refused
    /// as out of range (in telemetry and in events), and a charger without `ports` keeps the
    /// protocol's limit.
    @Test func portBeyondTheConfiguredPortsIsOutOfRange() throws {
        let decoder = ProtocolDecoder(options: .init(building: "B1"), registry: F.registry, portCounts: ["CH-1": 4])
        #expect(throws: Never.self) { try F.decode("CH-1", #"{"ports":[{"port":4,"state":"idle"}]}"#, with: decoder).get() }
        let t = try #require(F.rejection(F.decode("CH-1", #"{"ports":[{"port":1,"state":"idle"},{"port":5,"state":"charging"}]}"#, with: decoder)))
        #expect(t.reason == .outOfRange)
        #expect(t.detail == "ports[1].port 5 is beyond the charger's configured ports (1...4)")
        let e = try #require(F.rejection(F.decode("CH-1", "event", #"{"event":"session_start","port":9}"#, with: decoder)))
        #expect(e.reason == .outOfRange && e.detail.contains("'port' 9"))
        #expect(throws: Never.self) { try F.decode("CH-1", "event", #"{"event":"session_start","port":4}"#, with: decoder).get() }
        // Without a configured count: 1...1024 as before.
        #expect(throws: Never.self) { try F.decode("CH-1", #"{"ports":[{"port":1024,"state":"idle"}]}"#).get() }
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw-1", building: "B1"),
            devices: [DeviceConfig(id: "CH-1", kind: .charger, ports: 2), DeviceConfig(id: "CH-2", kind: .charger)])
        #expect(ProtocolDecoder(config: config).portCounts == ["CH-1": 2])
    }

    // MARK: Timestamps

    @Test func missingTimestampUsesReceiveTime() throws {
        for (device, channel, payload) in [
            ("SD-1", "telemetry", #"{"alarm":true}"#), ("CH-1", "event", #"{"event":"session_end","port":2}"#),
            ("GM-1", "status", #"{"online":false}"#),
        ] {
            let r = try F.decode(device, channel, payload, receivedAt: 1_712_345_678_901).get()
            #expect(r.ts == 1_712_345_678_901)
            #expect(!r.timestampFromDevice)
        }
    }

    @Test func deviceTimestampIsUsed() throws {
        let r = try F.decode("SD-1", "telemetry", #"{"ts":1700000000123,"alarm":true}"#, receivedAt: F.now + 60_000).get()
        #expect(r.ts == 1_700_000_000_123)
        #expect(r.timestampFromDevice)
        // Exponent notation for an integer is still an integer.
        #expect(try F.reading("SD-1", "telemetry", #"{"ts":1.7e12,"alarm":true}"#).ts == 1_700_000_000_000)
        // The oldest plausible time is accepted.
        #expect(try F.reading("SD-1", "telemetry", #"{"ts":1000000000000,"alarm":true}"#).ts == FieldLimits.minTimestampMs)
    }

    @Test func futureToleranceBoundary() throws {
        let tol = try #require(F.decoder.options.futureToleranceMs)
        #expect(tol == 300_000)
        let ok = F.decode("SD-1", "telemetry", "{\"ts\":\(F.now + tol),\"alarm\":true}")
        #expect((try? ok.get())?.ts == F.now + tol)
        let r = try #require(F.rejection(F.decode("SD-1", "telemetry", "{\"ts\":\(F.now + tol + 1),\"alarm\":true}")))
        #expect(r.reason == .futureTimestamp)
        #expect(r.detail.contains("'ts'"))
        #expect(r.device == "SD-1")
    }

    @Test func futureCheckCanBeTurnedOff() throws {
        var options = ProtocolDecoder.Options(building: "B1")
        options.futureToleranceMs = nil
        let replay = ProtocolDecoder(options: options, registry: F.registry)
        let yearAhead = F.now + 365 * 86_400_000
        let r = try F.decode("SD-1", "telemetry", "{\"ts\":\(yearAhead),\"alarm\":true}", with: replay).get()
        #expect(r.ts == yearAhead)
        // Implausibly old stays rejected.
        #expect(F.rejection(F.decode("SD-1", "telemetry", #"{"ts":1700000000,"alarm":true}"#, with: replay))?.reason == .implausibleTimestamp)
    }

    @Test func extremeReceiveTimesDoNotTrap() throws {
        // receivedAt + tolerance would overflow: the check cannot fail then.
        let r = F.decode("SD-1", "telemetry", #"{"ts":1700000000000,"alarm":true}"#, receivedAt: .max)
        #expect((try? r.get())?.ts == 1_700_000_000_000)
        let early = F.decode("SD-1", "telemetry", #"{"ts":1700000000000,"alarm":true}"#, receivedAt: .min)
        #expect(F.rejection(early)?.reason == .futureTimestamp)
        let noTs = try F.decode("SD-1", "telemetry", #"{"alarm":true}"#, receivedAt: .min).get()
        #expect(noTs.ts == .min)
    }

    // MARK: Events

    @Test(arguments: DeviceEvent.Name.allCases)
    func everyEventName(name: DeviceEvent.Name) throws {
        // Any kind may send any event; only chargers must name a port for sessions.
        let e = try F.event("SD-1", #"{"ts":1700000000000,"event":"\#(name.rawValue)"}"#)
        #expect(e == DeviceEvent(name: name))
        let withPort = try F.event("CH-1", #"{"event":"\#(name.rawValue)","port":4}"#)
        #expect(withPort == DeviceEvent(name: name, port: 4))
        let meter = try F.event("PM-1", #"{"event":"\#(name.rawValue)"}"#)
        #expect(meter.name == name && meter.port == nil)
    }

    @Test(arguments: [DeviceEvent.Name.sessionStart, .sessionEnd])
    func chargerSessionWithoutPortIsRefused(name: DeviceEvent.Name) throws {
        let r = try #require(F.rejection(F.decode("CH-1", "event", #"{"ts":1700000000000,"event":"\#(name.rawValue)"}"#)))
        #expect(r.reason == .missingField)
        #expect(r.detail.contains("'port'"))
        #expect(r.detail.contains(name.rawValue))
        #expect(r.device == "CH-1")
    }

    @Test func chargerRelayEventsMayOmitThePort() throws {
        // §1.2: relay events carry a port "where it applies" (a whole-station relay has none).
        #expect(try F.event("CH-1", #"{"event":"relay_off"}"#) == DeviceEvent(name: .relayOff))
        #expect(try F.event("CH-1", #"{"event":"relay_on","port":7}"#) == DeviceEvent(name: .relayOn, port: 7))
    }

    @Test(arguments: ["fire", "TEST", "Test", "", "session-start", "batteryLow", "relay off", "alarm"])
    func unknownEventNameIsRefused(name: String) throws {
        let r = try #require(F.rejection(F.decode("SD-1", "event", #"{"event":"\#(name)"}"#)))
        #expect(r.reason == .unknownEvent)
        #expect(r.detail.contains("'\(name)'"))
        #expect(r.detail.contains("session_start"), "lists the known names")
    }

    @Test func unknownEventNameIsShortenedInTheDetail() throws {
        let name = String(repeating: "x", count: 5_000)
        let r = try #require(F.rejection(F.decode("SD-1", "event", #"{"event":"\#(name)"}"#)))
        #expect(r.reason == .unknownEvent)
        #expect(r.detail.count < 400)
    }

    @Test func eventDetailIsKept() throws {
        let e = try F.event("SD-1", #"{"event":"fault","detail":"optical chamber dirty \u00b0 中"}"#)
        #expect(e == DeviceEvent(name: .fault, detail: "optical chamber dirty ° 中"))
        #expect(try F.event("SD-1", #"{"event":"fault","detail":""}"#).detail == "")
    }

    @Test func eventDetailIsTruncatedAtTheLimit() throws {
        let max = FieldLimits.maxDetailLength
        #expect(max == 512)
        for n in [max - 1, max, max + 1, 5_000] {
            let detail = String(repeating: "d", count: n)
            let e = try F.event("SD-1", #"{"event":"fault","detail":"\#(detail)"}"#)
            #expect(e.detail == String(repeating: "d", count: min(n, max)))
        }
    }

    /// The limit is in UTF-8 bytes; a multi-byte character is never cut in half.
    @Test(arguments: ["中", "é", "😀", "👩‍👩‍👧"])
    func eventDetailTruncationRespectsCharacters(ch: String) throws {
        let detail = String(repeating: "a", count: 3) + String(repeating: ch, count: 400)
        let e = try F.event("SD-1", "{\"event\":\"fault\",\"detail\":\"\(detail)\"}")
        let d = try #require(e.detail)
        #expect(d.utf8.count <= FieldLimits.maxDetailLength)
        #expect(d.utf8.count > FieldLimits.maxDetailLength - ch.utf8.count)
        #expect(detail.hasPrefix(d))
        #expect(d.dropFirst(3).allSatisfy { String($0) == ch })
    }

    // MARK: Status

    @Test(arguments: [true, false])
    func status(online: Bool) throws {
        for device in F.registry.keys.sorted() {
            let r = try F.reading(device, "status", #"{"online":\#(online)}"#)
            #expect(r.observation == .status(online: online))
            #expect(r.device == device)
        }
        let withTs = try F.reading("CH-1", "status", #"{"ts":1700000000500,"online":\#(online)}"#)
        #expect(withTs.ts == 1_700_000_000_500 && withTs.timestampFromDevice)
    }

    // MARK: Every rejection reason

    struct RejectCase: Sendable, CustomTestStringConvertible {
        var name: String
        var topic: String
        var payload: [UInt8]
        var reason: RejectReason
        /// Text the detail must contain: the field, or what is wrong.
        var mentions: String
        var device: String?

        /// `topicLevel`: the topic itself is unusable, so no device is named.
        init(_ name: String, _ topic: String, _ payload: String, _ reason: RejectReason, _ mentions: String, topicLevel: Bool = false) {
            self.init(name, topic, Array(payload.utf8), reason, mentions, topicLevel: topicLevel)
        }

        init(_ name: String, _ topic: String, _ payload: [UInt8], _ reason: RejectReason, _ mentions: String, topicLevel: Bool = false) {
            self.name = name
            self.topic = topic
            self.payload = payload
            self.reason = reason
            self.mentions = mentions
            // Otherwise the rejection names the device of the topic.
            self.device = topicLevel ? nil : String(topic.split(separator: "/")[2])
        }

        var testDescription: String { "\(reason.rawValue): \(name)" }
    }

    static let sd = "rg/B1/SD-1/telemetry"
    static let ch = "rg/B1/CH-1/telemetry"
    static let pm = "rg/B1/PM-1/telemetry"
    static let wm = "rg/B1/WM-1/telemetry"
    static let gm = "rg/B1/GM-1/telemetry"
    static let ev = "rg/B1/CH-1/event"
    static let st = "rg/B1/SD-1/status"

    static func chargerPort(_ member: String) -> String { #"{"ports":[{"port":1,"state":"charging",\#(member)}]}"# }

    static let rejectCases: [RejectCase] = [
        // payload_too_large
        .init("16 KiB + 1", sd, "{\"x\":\"" + String(repeating: "a", count: 16 * 1024 - 7) + "\"}", .payloadTooLarge, "16385 bytes"),
        // malformed_json
        .init("truncated", sd, #"{"ts":"#, .malformedJSON, "not JSON"),
        .init("empty", sd, "", .malformedJSON, "unexpected end of input"),
        .init("trailing", sd, #"{"alarm":true} x"#, .malformedJSON, "trailing"),
        .init("single quotes", sd, "{'alarm':true}", .malformedJSON, "at byte 1"),
        .init("invalid UTF-8", sd, [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], .malformedJSON, "UTF-8"),
        .init("too deep", sd, String(repeating: "[", count: 100), .malformedJSON, "nesting"),
        .init("1e400", sd, #"{"temperature_c":1e400}"#, .malformedJSON, "out of range"),
        // not_an_object
        .init("array", sd, "[1,2]", .notAnObject, "array"),
        .init("number", sd, "42", .notAnObject, "number"),
        .init("string", sd, "\"alarm\"", .notAnObject, "string"),
        .init("null", sd, "null", .notAnObject, "null"),
        .init("bool", st, "true", .notAnObject, "boolean"),
        // wrong_type
        .init("temperature string", sd, #"{"temperature_c":"hot"}"#, .wrongType, "'temperature_c' must be a number, got a string"),
        .init("alarm 1", sd, #"{"alarm":1}"#, .wrongType, "'alarm' must be true or false, got a number"),
        .init("alarm string", sd, #"{"alarm":"true"}"#, .wrongType, "'alarm'"),
        .init("obscuration array", sd, #"{"smoke_obscuration_pct_per_m":[0.1]}"#, .wrongType, "'smoke_obscuration_pct_per_m'"),
        .init("co bool", sd, #"{"co_ppm":false}"#, .wrongType, "'co_ppm'"),
        .init("battery object", sd, #"{"battery_pct":{}}"#, .wrongType, "'battery_pct'"),
        .init("ts string", sd, #"{"ts":"1700000000000","alarm":true}"#, .wrongType, "'ts' must be an integer"),
        .init("ts fractional", sd, #"{"ts":1700000000000.5,"alarm":true}"#, .wrongType, "'ts'"),
        .init("ts bool", sd, #"{"ts":true,"alarm":true}"#, .wrongType, "'ts'"),
        .init("ports object", ch, #"{"ports":{"1":{}}}"#, .wrongType, "'ports' must be an array"),
        .init("port entry number", ch, #"{"ports":[1]}"#, .wrongType, "ports[0] must be an object"),
        .init("second port entry", ch, #"{"ports":[{"port":1,"state":"idle"},"x"]}"#, .wrongType, "ports[1]"),
        .init("port fractional", ch, #"{"ports":[{"port":1.5,"state":"idle"}]}"#, .wrongType, "'ports[0].port' must be an integer"),
        .init("port string", ch, #"{"ports":[{"port":"1","state":"idle"}]}"#, .wrongType, "'ports[0].port'"),
        .init("state number", ch, #"{"ports":[{"port":1,"state":3}]}"#, .wrongType, "'ports[0].state' must be a string"),
        .init("voltage string", ch, chargerPort(#""voltage_v":"48""#), .wrongType, "'ports[0].voltage_v'"),
        .init("current bool", ch, chargerPort(#""current_a":true"#), .wrongType, "'ports[0].current_a'"),
        .init("power array", ch, chargerPort(#""power_w":[]"#), .wrongType, "'ports[0].power_w'"),
        .init("plug temperature string", ch, chargerPort(#""temperature_c":"40""#), .wrongType, "'ports[0].temperature_c'"),
        .init("energy string", ch, chargerPort(#""energy_wh":"1""#), .wrongType, "'ports[0].energy_wh'"),
        .init("ambient string", ch, #"{"ports":[],"ambient_c":"warm"}"#, .wrongType, "'ambient_c'"),
        .init("meter power bool", pm, #"{"power_w":true}"#, .wrongType, "'power_w'"),
        .init("meter voltage string", pm, #"{"power_w":1,"voltage_v":"230"}"#, .wrongType, "'voltage_v'"),
        .init("meter current string", pm, #"{"current_a":"1"}"#, .wrongType, "'current_a'"),
        .init("meter energy string", pm, #"{"energy_kwh":"1"}"#, .wrongType, "'energy_kwh'"),
        .init("meter residual string", pm, #"{"residual_current_ma":"1"}"#, .wrongType, "'residual_current_ma'"),
        .init("water volume array", wm, #"{"volume_l":[]}"#, .wrongType, "'volume_l'"),
        .init("water flow string", wm, #"{"flow_l_per_min":"1"}"#, .wrongType, "'flow_l_per_min'"),
        .init("gas volume string", gm, #"{"volume_m3":"1"}"#, .wrongType, "'volume_m3'"),
        .init("gas flow object", gm, #"{"flow_m3_per_h":{}}"#, .wrongType, "'flow_m3_per_h'"),
        .init("event number", ev, #"{"event":1}"#, .wrongType, "'event' must be a string"),
        .init("event port string", ev, #"{"event":"session_start","port":"2"}"#, .wrongType, "'port'"),
        .init("event detail number", ev, #"{"event":"fault","detail":5}"#, .wrongType, "'detail'"),
        .init("online string", st, #"{"online":"yes"}"#, .wrongType, "'online' must be true or false"),
        .init("online number", st, #"{"online":1}"#, .wrongType, "'online'"),
        // missing_field
        .init("smoke nothing", sd, "{}", .missingField, "smoke_detector telemetry has none"),
        .init("charger no ports", ch, #"{"ambient_c":20}"#, .missingField, "'ports'"),
        .init("port without number", ch, #"{"ports":[{"state":"idle"}]}"#, .missingField, "ports[0] has no 'port'"),
        .init("port without state", ch, #"{"ports":[{"port":1}]}"#, .missingField, "ports[0] has no 'state'"),
        .init("power meter nothing", pm, #"{"voltage_v":230}"#, .missingField, "power_meter telemetry"),
        .init("water meter nothing", wm, "{}", .missingField, "volume_l"),
        .init("gas meter nothing", gm, "{}", .missingField, "volume_m3"),
        .init("event without name", ev, #"{"port":1}"#, .missingField, "'event'"),
        .init("session without port", ev, #"{"event":"session_start"}"#, .missingField, "'port'"),
        .init("status without online", st, "{}", .missingField, "'online'"),
        // out_of_range
        .init("negative obscuration", sd, #"{"smoke_obscuration_pct_per_m":-0.1}"#, .outOfRange, "'smoke_obscuration_pct_per_m' = -0.1"),
        .init("obscuration above 100", sd, #"{"smoke_obscuration_pct_per_m":100.5}"#, .outOfRange, "'smoke_obscuration_pct_per_m'"),
        .init("battery 150", sd, #"{"battery_pct":150}"#, .outOfRange, "'battery_pct' = 150"),
        .init("battery negative", sd, #"{"battery_pct":-1}"#, .outOfRange, "'battery_pct'"),
        .init("negative co", sd, #"{"co_ppm":-1}"#, .outOfRange, "'co_ppm'"),
        .init("temperature 5000", sd, #"{"temperature_c":5000}"#, .outOfRange, "'temperature_c'"),
        .init("temperature below -60", sd, #"{"temperature_c":-273.15}"#, .outOfRange, "'temperature_c'"),
        .init("port 0", ch, #"{"ports":[{"port":0,"state":"idle"}]}"#, .outOfRange, "'ports[0].port' = 0 is outside 1...1024"),
        .init("port negative", ch, #"{"ports":[{"port":-3,"state":"idle"}]}"#, .outOfRange, "'ports[0].port' = -3"),
        .init("port 1025", ch, #"{"ports":[{"port":1025,"state":"idle"}]}"#, .outOfRange, "'ports[0].port'"),
        .init("port 1e300", ch, #"{"ports":[{"port":1e300,"state":"idle"}]}"#, .outOfRange, "'ports[0].port'"),
        .init("duplicate port", ch, #"{"ports":[{"port":2,"state":"idle"},{"port":3,"state":"idle"},{"port":2,"state":"full"}]}"#, .outOfRange, "ports[2]: port 2 appears twice"),
        .init("unknown state", ch, #"{"ports":[{"port":1,"state":"burning"}]}"#, .outOfRange, "ports[0].state 'burning'"),
        .init("negative current", ch, chargerPort(#""current_a":-0.5"#), .outOfRange, "'ports[0].current_a'"),
        .init("negative power", ch, chargerPort(#""power_w":-1"#), .outOfRange, "'ports[0].power_w'"),
        .init("negative energy", ch, chargerPort(#""energy_wh":-1"#), .outOfRange, "'ports[0].energy_wh'"),
        .init("voltage 1000", ch, chargerPort(#""voltage_v":1000"#), .outOfRange, "'ports[0].voltage_v'"),
        .init("plug temperature", ch, chargerPort(#""temperature_c":2000"#), .outOfRange, "'ports[0].temperature_c'"),
        .init("ambient", ch, #"{"ports":[],"ambient_c":-100}"#, .outOfRange, "'ambient_c'"),
        .init("too many ports", ch, "{\"ports\":[" + Array(repeating: "{}", count: 1025).joined(separator: ",") + "]}", .outOfRange, "1025 entries"),
        .init("negative meter power", pm, #"{"power_w":-1}"#, .outOfRange, "'power_w'"),
        .init("negative meter current", pm, #"{"current_a":-1}"#, .outOfRange, "'current_a'"),
        .init("negative energy register", pm, #"{"energy_kwh":-0.001}"#, .outOfRange, "'energy_kwh'"),
        .init("negative residual current", pm, #"{"residual_current_ma":-1}"#, .outOfRange, "'residual_current_ma'"),
        .init("meter voltage", pm, #"{"power_w":1,"voltage_v":-230}"#, .outOfRange, "'voltage_v'"),
        .init("negative water volume", wm, #"{"volume_l":-1}"#, .outOfRange, "'volume_l'"),
        .init("water flow", wm, #"{"flow_l_per_min":1e6}"#, .outOfRange, "'flow_l_per_min'"),
        .init("negative gas volume", gm, #"{"volume_m3":-1}"#, .outOfRange, "'volume_m3'"),
        .init("gas flow", gm, #"{"flow_m3_per_h":1e6}"#, .outOfRange, "'flow_m3_per_h'"),
        .init("event port 0", ev, #"{"event":"session_start","port":0}"#, .outOfRange, "'port' = 0"),
        // bad_topic
        .init("another building", "rg/B2/SD-1/telemetry", #"{"alarm":true}"#, .badTopic, "building 'B2'"),
        .init("wrong prefix", "xx/B1/SD-1/telemetry", #"{"alarm":true}"#, .badTopic, "rg/<building>/<device>", topicLevel: true),
        .init("too few levels", "rg/B1/telemetry", #"{"alarm":true}"#, .badTopic, "rg/<building>/<device>", topicLevel: true),
        .init("too many levels", "rg/B1/SD-1/x/telemetry", #"{"alarm":true}"#, .badTopic, "rg/<building>/<device>", topicLevel: true),
        .init("bad device id", "rg/B1/SD 1/telemetry", #"{"alarm":true}"#, .badTopic, "device id 'SD 1'", topicLevel: true),
        .init("bad building id", "rg/B#1/SD-1/telemetry", #"{"alarm":true}"#, .badTopic, "building id 'B#1'", topicLevel: true),
        .init("cmd", "rg/B1/CH-1/cmd", #"{"cmd":"port_off","port":1}"#, .badTopic, "telemetry, event or status"),
        // unknown_device
        .init("unregistered", "rg/B1/SD-999/telemetry", #"{"alarm":true}"#, .unknownDevice, "'SD-999'"),
        .init("unregistered, bad payload", "rg/B1/SD-999/event", "not json", .unknownDevice, "device registry"),
        .init("case differs", "rg/B1/sd-1/status", #"{"online":true}"#, .unknownDevice, "'sd-1'"),
        // future_timestamp
        .init("an hour ahead", sd, #"{"ts":1700003600000,"alarm":true}"#, .futureTimestamp, "3600 s ahead"),
        .init("event ahead", ev, #"{"ts":1800000000000,"event":"test"}"#, .futureTimestamp, "'ts'"),
        // implausible_timestamp
        .init("seconds, not ms", sd, #"{"ts":1700000000,"alarm":true}"#, .implausibleTimestamp, "'ts' 1700000000"),
        .init("zero", sd, #"{"ts":0,"alarm":true}"#, .implausibleTimestamp, "'ts'"),
        .init("negative", st, #"{"ts":-1700000000000,"online":true}"#, .implausibleTimestamp, "'ts'"),
        .init("just before 2001-09-09", sd, #"{"ts":999999999999,"alarm":true}"#, .implausibleTimestamp, "'ts'"),
        .init("beyond Int64", sd, #"{"ts":1e20,"alarm":true}"#, .implausibleTimestamp, "'ts'"),
        // unknown_event
        .init("unknown event", ev, #"{"event":"explode"}"#, .unknownEvent, "'explode'"),
        // duplicate_key
        .init("duplicate alarm", sd, #"{"alarm":false,"alarm":true}"#, .duplicateKey, "duplicate member name 'alarm'"),
    ]

    @Test(arguments: rejectCases)
    func rejects(c: RejectCase) throws {
        let result = F.decoder.decode(topic: c.topic, payload: c.payload, receivedAt: F.now)
        let r = try #require(F.rejection(result), "accepted: \(result)")
        #expect(r.reason == c.reason, "\(r)")
        #expect(r.detail.contains(c.mentions), "detail: \(r.detail)")
        #expect(r.device == c.device)
        #expect(r.description == "\(c.reason.rawValue): \(r.detail)")
        #expect(!r.detail.contains("\n"), "one line")
    }

    /// Every reason the decoder owns is exercised above (late_reading belongs to the core).
    @Test func everyDecoderReasonIsCovered() {
        let covered = Set(Self.rejectCases.map(\.reason))
        #expect(covered == Set(RejectReason.allCases).subtracting([.lateReading, .poisonMessage]))
    }

    @Test func payloadSizeLimitIsInclusive() throws {
        let decoder = ProtocolDecoder(options: .init(building: "B1", maxPayloadBytes: 20), registry: F.registry)
        let exactly20 = #"{"temperature_c":20}"#
        #expect(exactly20.utf8.count == 20)
        #expect(throws: Never.self) { try F.decode("SD-1", exactly20, with: decoder).get() }
        let r = try #require(F.rejection(F.decode("SD-1", #"{"temperature_c":20 }"#, with: decoder)))
        #expect(r.reason == .payloadTooLarge)
        #expect(r.detail == "payload of 21 bytes exceeds the limit of 20")
    }

    /// Details go to log lines: text from the wire never brings a line break or control character.
    @Test(arguments: [
        ("rg/B1/a\nb/telemetry", "{}"),
        ("rg/B\r\n1/SD-1/telemetry", "{}"),
        ("rg\n/B1/SD-1/telemetry", "{}"),
        ("rg/B1/SD-1/x\u{2028}y", "{}"),
        ("rg/B1/SD-1/event", #"{"event":"bad\nname\u001b[31m"}"#),
        ("rg/B1/CH-1/telemetry", #"{"ports":[{"port":1,"state":"a\r\nb"}]}"#),
        ("rg/B1/\u{1b}[2J/telemetry", "{}"),
    ])
    func rejectionDetailsStayOnOneLine(topic: String, payload: String) throws {
        let r = try #require(F.rejection(F.decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: F.now)))
        #expect(!r.detail.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }, "\(r.detail)")
    }

    // MARK: Topic prefix and configuration

    @Test func multiLevelPrefix() throws {
        let decoder = ProtocolDecoder(options: .init(building: "B1", topicPrefix: "city/d7/rg"), registry: F.registry)
        let ok = try decoder.decode(topic: "city/d7/rg/B1/SD-1/telemetry", payload: Array(#"{"alarm":true}"#.utf8), receivedAt: F.now).get()
        #expect(ok.observation == .telemetry(.smoke(SmokeTelemetry(alarm: true))))
        let r = try #require(F.rejection(decoder.decode(topic: "rg/B1/SD-1/telemetry", payload: Array("{}".utf8), receivedAt: F.now)))
        #expect(r.reason == .badTopic)
    }

    @Test func initFromBuildingConfig() throws {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw-1", building: "B7"),
            ingest: IngestConfig(topicPrefix: "site/rg", maxPayloadBytes: 4096, futureToleranceSeconds: 60),
            devices: [DeviceConfig(id: "SD-9", kind: .smokeDetector), DeviceConfig(id: "CH-9", kind: .charger)])
        let d = ProtocolDecoder(config: config)
        #expect(d.options == ProtocolDecoder.Options(building: "B7", topicPrefix: "site/rg", maxPayloadBytes: 4096, futureToleranceMs: 60_000))
        #expect(d.registry == ["SD-9": .smokeDetector, "CH-9": .charger])
        #expect(ProtocolDecoder(config: config, futureCheck: false).options.futureToleranceMs == nil)
        let r = try d.decode(topic: "site/rg/B7/SD-9/status", payload: Array(#"{"online":true}"#.utf8), receivedAt: F.now).get()
        #expect(r.observation == .status(online: true))
    }

    static let tolerances: [(Double, Int64)] = [
        (0, 0), (0.5, 500), (300, 300_000), (1e300, 1_000_000_000_000_000), (.infinity, 1_000_000_000_000_000), (-1, 0), (.nan, 0),
    ]

    @Test(arguments: tolerances)
    func configuredToleranceNeverTraps(seconds: Double, ms: Int64) {
        let config = BuildingConfig(gateway: GatewayIdentity(id: "gw", building: "B1"), ingest: IngestConfig(futureToleranceSeconds: seconds))
        #expect(ProtocolDecoder(config: config).options.futureToleranceMs == ms)
    }

    // MARK: Robustness

    /// Mutated valid payloads never crash the decoder, and whatever it accepts is a reading
    /// of the device the topic names.
    @Test func fuzzDecoderWithMutatedPayloads() {
        let seeds: [(String, String)] = [
            ("rg/B1/SD-1/telemetry", #"{"ts":1700000000000,"smoke_obscuration_pct_per_m":0.35,"temperature_c":21.5,"co_ppm":3,"battery_pct":90,"alarm":false}"#),
            ("rg/B1/CH-1/telemetry", #"{"ts":1700000000000,"ports":[{"port":1,"state":"charging","voltage_v":48,"current_a":2.5,"power_w":120,"temperature_c":40,"energy_wh":10}],"ambient_c":30}"#),
            ("rg/B1/PM-1/telemetry", #"{"ts":1700000000000,"power_w":100,"voltage_v":230,"current_a":0.5,"energy_kwh":1000,"residual_current_ma":1}"#),
            ("rg/B1/WM-1/telemetry", #"{"volume_l":10,"flow_l_per_min":1}"#),
            ("rg/B1/GM-1/telemetry", #"{"volume_m3":10,"flow_m3_per_h":1}"#),
            ("rg/B1/CH-1/event", #"{"ts":1700000000000,"event":"session_start","port":1,"detail":"x"}"#),
            ("rg/B1/SD-1/status", #"{"online":true}"#),
        ]
        var rng = JSONTestRNG(seed: 0xDEC0DE)
        let interesting = Array("{}[]:,\"\\0123456789-.e ntfl".utf8) + [0x00, 0xFF]
        var accepted = 0, rejected = Set<RejectReason>()
        for _ in 0..<3_000 {
            let (topic, payload) = seeds.randomElement(using: &rng)!
            var b = Array(payload.utf8)
            for _ in 0..<Int.random(in: 1...2, using: &rng) where !b.isEmpty {
                let k = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: b[k] = interesting.randomElement(using: &rng)!
                case 1: b.insert(interesting.randomElement(using: &rng)!, at: k)
                case 2: b.remove(at: k)
                default: b[k] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            switch F.decoder.decode(topic: topic, payload: b, receivedAt: F.now) {
            case let .success(r):
                accepted += 1
                if r.device != String(topic.split(separator: "/")[2]) { Issue.record("wrong device \(r.device)") }
            case let .failure(r):
                rejected.insert(r.reason)
                if r.detail.isEmpty { Issue.record("empty detail for \(r.reason)") }
            }
        }
        #expect(accepted > 0)
        #expect(rejected.contains(.malformedJSON))
    }
}
