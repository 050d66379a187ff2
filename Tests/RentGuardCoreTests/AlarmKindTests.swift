import Testing
@testable import RentGuardCore

/// Issue 27 item 1: a detector's own decision carries what it is about (protocol v1.1
/// `alarm_kind`: smoke, heat, co), and the alarm raised follows it.
@Suite struct AlarmKindTests {
    typealias F = ProfileFixture

    // MARK: - Decoding

    @Test func protocolV1AlarmKind() throws {
        let d = ProtocolDecoder(config: F.config)
        func telemetry(_ json: String) -> Result<Reading, Rejection> {
            d.decode(topic: "rg/B1/SD-V1/telemetry", payload: Array(json.utf8), receivedAt: F.now)
        }
        func rejected(_ r: Result<Reading, Rejection>) -> Rejection? {
            if case let .failure(x) = r { return x }
            return nil
        }
        func smoke(_ json: String) throws -> SmokeTelemetry? {
            if case let .telemetry(.smoke(t)) = try telemetry(json).get().observation { return t }
            return nil
        }
        #expect(try smoke(#"{"alarm":true,"alarm_kind":"co"}"#) == SmokeTelemetry(alarm: true, alarmKind: .co))
        #expect(try smoke(#"{"alarm":true,"alarm_kind":"heat"}"#)?.decisions == [.heat: true])
        #expect(try smoke(#"{"alarm":false,"alarm_kind":"smoke"}"#)?.decisions == [.smoke: false])
        // Without alarm_kind the decision is about smoke, as in protocol v1.0.
        #expect(try smoke(#"{"alarm":true}"#)?.decisions == [.smoke: true])
        // alarm_kind alone is no reading.
        #expect(rejected(telemetry(#"{"alarm_kind":"co"}"#))?.reason == .missingField)
        let bad = try #require(rejected(telemetry(#"{"alarm":true,"alarm_kind":"gas"}"#)))
        #expect(bad.reason == .outOfRange)
        #expect(bad.detail == "'alarm_kind' 'gas' is not smoke, heat or co")
        #expect(rejected(telemetry(#"{"alarm":true,"alarm_kind":3}"#))?.reason == .wrongType)
        #expect(rejected(telemetry(#"{"alarm":true,"alarm_kind":"CO"}"#))?.reason == .outOfRange)
    }

    /// HEIMAN HS1CA-M (https://www.zigbee2mqtt.io/devices/HS1CA-M.html) exposes
    /// `carbon_monoxide`: its decision is about CO.
    @Test func zigbee2mqttCarbonMonoxideIsCO() throws {
        let t = try #require(F.smoke(try F.readings("zigbee2mqtt/flat101/co", #"{"carbon_monoxide":true}"#)))
        #expect(t.decisions == [.co: true])
        #expect(t.decision(.smoke) == nil)
        let smoke = try #require(F.smoke(try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":true}"#)))
        #expect(smoke.decisions == [.smoke: true])
        // A combined detector's keys side by side keep their own kinds.
        let both = try #require(F.smoke(try F.readings("zigbee2mqtt/flat101/smoke", #"{"smoke":false,"carbon_monoxide":true,"heat":false}"#)))
        #expect(both.decisions == [.smoke: false, .co: true, .heat: false])
        #expect(both.alarm == true)
        let high = try #require(F.smoke(try F.readings("zigbee2mqtt/flat101/smoke", #"{"high_temperature":true}"#)))
        #expect(high.decisions == [.heat: true])
    }

    /// Develco / frient HESZB-120 heat alarm publishes its decision as `smoke`
    /// (https://www.zigbee2mqtt.io/devices/HESZB-120.html): a per-model override reads it as heat.
    @Test func heatAlarmModelPublishingSmokeIsHeat() throws {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "B1"),
            devices: [DeviceConfig(id: "HA-1", kind: .smokeDetector, unit: "101", source: .init(profile: "zigbee2mqtt", topic: "zigbee2mqtt/heat", model: "HESZB-120"))])
        let r = try IngestDecoder(config: config).decode(topic: "zigbee2mqtt/heat", payload: Array(#"{"smoke":true,"battery":90}"#.utf8), receivedAt: F.now).get()
        #expect(F.smoke(r)?.decisions == [.heat: true])
    }

    /// generic_json: `co_alarm` fixes the kind of a flag; `alarm_kind` reads it from the payload.
    @Test func genericJSONTargets() throws {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "B1"),
            devices: [
                DeviceConfig(id: "G-1", kind: .smokeDetector, unit: "101", source: .init(profile: "generic_json", topic: "site/co", mapping: GenericJSONMapping(
                    fields: [.init(pointer: "/state", to: "co_alarm", when: "ALARM")]))),
                DeviceConfig(id: "G-2", kind: .smokeDetector, unit: "101", source: .init(profile: "generic_json", topic: "site/det", mapping: GenericJSONMapping(
                    fields: [.init(pointer: "/alarm", to: "alarm"), .init(pointer: "/type", to: "alarm_kind")]))),
            ])
        let d = IngestDecoder(config: config)
        func smoke(_ topic: String, _ json: String) throws -> SmokeTelemetry? { F.smoke(try d.decode(topic: topic, payload: Array(json.utf8), receivedAt: F.now).get()) }
        #expect(try smoke("site/co", #"{"state":"ALARM"}"#)?.decisions == [.co: true])
        #expect(try smoke("site/co", #"{"state":"normal"}"#)?.decisions == [.co: false])
        #expect(try smoke("site/det", #"{"alarm":true,"type":"heat"}"#)?.decisions == [.heat: true])
        #expect(try smoke("site/det", #"{"alarm":true}"#)?.decisions == [.smoke: true])
        let r = d.decode(topic: "site/det", payload: Array(#"{"alarm":true,"type":"steam"}"#.utf8), receivedAt: F.now)
        guard case let .failure(rej) = r else { Issue.record("accepted an unknown kind"); return }
        #expect(rej.reason == .outOfRange)
        #expect(ObservationTarget("co_alarm") == .decision(.co))
        #expect(ObservationTarget("alarm_kind") == .alarmKind)
        #expect(ObservationTarget.names(for: .smokeDetector).contains("heat_alarm"))
        #expect(!ObservationTarget.names(for: .powerMeter).contains("co_alarm"))
        #expect(ObservationTarget("co_alarm")?.applies(to: .powerMeter) == false)
    }

    // MARK: - Detection

    /// The hidden-style test: a zigbee2mqtt CO detector's `{"carbon_monoxide": true}` raises
    /// a `co` alarm (critical, at once), never a `smoke` alarm; its `false` clears it.
    @Test func zigbee2mqttCODetectorRaisesCO() throws {
        var engine = DetectionEngine(config: F.config)
        var out: [CoreOutput] = []
        for r in try F.readings("zigbee2mqtt/flat101/co", #"{"battery":83,"carbon_monoxide":true,"last_seen":1699999990000}"#) {
            engine.handle(.reading(r), into: &out)
        }
        let raised = T.transitions(out).filter { $0.state == .raised }
        #expect(raised.map(\.key.type) == [.co], "\(T.summary(out))")
        let co = try #require(raised.first)
        #expect(co.key.device == "CO-101")
        #expect(co.severity == .critical)
        #expect(co.evidence["trigger"] == "detector_alarm")
        #expect(co.evidence["alarm_kind"] == "co")
        #expect(T.raised(out, .smoke).isEmpty && T.raised(out, .fire).isEmpty)
        out.removeAll()
        for r in try F.readings("zigbee2mqtt/flat101/co", #"{"battery":83,"carbon_monoxide":false,"last_seen":1699999995000}"#) {
            engine.handle(.reading(r), into: &out)
        }
        engine.handle(.tick(1_699_999_995_000 + 600_000), into: &out)
        #expect(T.transitions(out).contains { $0.key.type == .co && $0.state == .cleared }, "\(T.summary(out))")
    }

    @Test func heatDecisionRaisesHeat() throws {
        let c = T.config(devices: [T.detector("SD-1")])
        let heat = CoreInput.reading(Reading(device: "SD-1", ts: T.t0, observation: .telemetry(.smoke(SmokeTelemetry(temperatureC: 30, alarm: true, alarmKind: .heat)))))
        let (_, out) = T.run(c, [heat])
        #expect(T.transitions(out).map(\.key.type) == [.heat], "\(T.summary(out))")
        let a = try #require(T.raised(out, .heat).first)
        #expect(a.severity == .major)
        #expect(a.evidence["trigger"] == "detector_alarm")
        // Clears when the decision is off and the temperature normal, after the hold.
        let off = CoreInput.reading(Reading(device: "SD-1", ts: T.t0 + 60_000, observation: .telemetry(.smoke(SmokeTelemetry(temperatureC: 25, alarm: false, alarmKind: .heat)))))
        let (_, out2) = T.run(c, [heat, off, .tick(T.t0 + 400_000)])
        #expect(T.transitions(out2).contains { $0.key.type == .heat && $0.state == .cleared }, "\(T.summary(out2))")
    }

    /// A heat or CO decision within the test window after a `test` press is the test's.
    @Test func decisionsDuringATestAreNotAlarms() {
        let c = T.config(devices: [T.detector("SD-1")])
        let (_, out) = T.run(c, [
            T.event("SD-1", T.t0, .test),
            .reading(Reading(device: "SD-1", ts: T.t0 + 5_000, observation: .telemetry(.smoke(SmokeTelemetry(alarm: true, alarmKind: .co))))),
            .reading(Reading(device: "SD-1", ts: T.t0 + 6_000, observation: .telemetry(.smoke(SmokeTelemetry(alarm: true, alarmKind: .heat))))),
        ])
        #expect(T.transitions(out).isEmpty, "\(T.summary(out))")
    }

    /// The fire rule reads every decision by its kind: smoke and CO decisions at one detector
    /// are fire; a CO decision alone is not.
    @Test func fireFromSmokeAndCODecisions() {
        let c = T.config(devices: [T.detector("SD-1")])
        let coOnly = CoreInput.reading(Reading(device: "SD-1", ts: T.t0, observation: .telemetry(.smoke(SmokeTelemetry(alarm: true, alarmKind: .co)))))
        let (_, a) = T.run(c, [coOnly])
        #expect(T.raised(a, .fire).isEmpty)
        #expect(T.raised(a, .smoke).isEmpty)
        let both = CoreInput.reading(Reading(device: "SD-1", ts: T.t0, observation: .telemetry(.smoke(SmokeTelemetry(decisions: [.smoke: true, .co: true])))))
        let (_, b) = T.run(c, [both])
        #expect(T.raised(b, .fire).first?.evidence["trigger"] == "smoke_with_co", "\(T.summary(b))")
        #expect(Set(T.raised(b, .smoke).map(\.key.type) + T.raised(b, .co).map(\.key.type)) == [.smoke, .co])
    }

    // MARK: - What others are told

    @Test func landlordTextSaysCOAndWhatToDo() throws {
        let config = T.config(devices: [T.detector("SD-1")], units: [UnitConfig(id: "101", floor: 1, areaM2: 30, registeredOccupants: 2)])
        let (_, out) = T.run(config, [.reading(Reading(device: "SD-1", ts: T.t0, observation: .telemetry(.smoke(SmokeTelemetry(alarm: true, alarmKind: .co)))))])
        let a = try #require(T.raised(out, .co).first)
        let text = AlarmSummary.text(a, config: config)
        #expect(text == "1层 101室 一氧化碳报警，请开窗通风、立即撤离、勿用明火 / Carbon monoxide alarm, unit 101, floor 1: open windows, get out, no open flame")
    }
}
