import Testing
@testable import RentGuardCore

/// Issue 11 item 2: a flood of made-up device ids must not grow the gateway's alarms
/// without bound (30,000 ids gave 30,000 active `unregistered_device` alarms).
@Suite struct UnregisteredFloodTests {
    typealias D = T

    @Test func aHundredThousandDistinctIdsGiveABoundedNumberOfAlarms() {
        var engine = DetectionEngine(config: D.config(devices: [D.detector("SD-1")]))
        var out: [CoreOutput] = []
        for i in 0..<100_000 {
            engine.handle(.unregisteredDevice(id: "GHOST-\(i)", topic: "rg/B1/GHOST-\(i)/telemetry", at: D.t0 + Int64(i)), into: &out)
        }
        let raised = D.raised(out, .unregisteredDevice)
        let limit = DetectionEngine.unregisteredAlarmLimit
        #expect(raised.count == limit + 1, "one alarm per id up to the limit, then one for the rest; got \(raised.count)")
        #expect(engine.activeAlarms.count == limit + 1)
        // The first ids have their own alarm, with their topic.
        #expect(raised.prefix(limit).map(\.key.device) == (0..<limit).map { "GHOST-\($0)" })
        // The rest: one building-wide alarm (no device) naming the ids already reported.
        let rest = try! #require(raised.last)
        #expect(rest.key == AlarmKey(type: .unregisteredDevice))
        #expect(rest.startedAt == D.t0 + Int64(limit))
        #expect(rest.evidence["reported_ids"]?.arrayValue?.count == limit)
        #expect(rest.evidence["limit"] == JSONValue(limit))
        // A reported id again, or another new one, changes nothing.
        #expect(D.transitions(engine.handle(.unregisteredDevice(id: "GHOST-3", topic: "t", at: D.t0 + 200_000))).filter { $0.key.type == .unregisteredDevice }.isEmpty)
        #expect(D.transitions(engine.handle(.unregisteredDevice(id: "GHOST-X", topic: "t", at: D.t0 + 200_001))).filter { $0.key.type == .unregisteredDevice }.isEmpty)
    }

    /// After a restart (alarms restored from the store) the limit still holds and the
    /// building-wide alarm is not raised twice.
    @Test func theLimitHoldsAcrossARestart() {
        let config = D.config(devices: [D.detector("SD-1")])
        var engine = DetectionEngine(config: config)
        for i in 0...DetectionEngine.unregisteredAlarmLimit + 5 {
            _ = engine.handle(.unregisteredDevice(id: "G\(i)", topic: "t", at: D.t0 + Int64(i)))
        }
        var restarted = DetectionEngine(config: config, restoring: engine.activeAlarms)
        #expect(restarted.handle(.unregisteredDevice(id: "NEW", topic: "t", at: D.t0 + 1000)).isEmpty)
        #expect(restarted.handle(.unregisteredDevice(id: "G1", topic: "t", at: D.t0 + 1001)).isEmpty)
        #expect(restarted.activeAlarms.count == DetectionEngine.unregisteredAlarmLimit + 1)
    }
}
