import Testing
@testable import RentGuardCore

/// Issue 27 item 3: the building broker's dropped-messages counter, followed through `$SYS`.
@Suite struct BrokerDropWatchTests {
    typealias D = T
    static let dropped = BrokerDropWatch.droppedTopic

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func theFirstValueIsTheBaselineAndARiseIsAFault() {
        var w = BrokerDropWatch()
        #expect(w.observe(topic: Self.dropped, payload: Self.bytes("12"), at: D.t0) == .noted)
        #expect(w.observe(topic: Self.dropped, payload: Self.bytes("12"), at: D.t0 + 1000) == .noted)
        #expect(w.observe(topic: Self.dropped, payload: Self.bytes("1892"), at: D.t0 + 2000)
            == .fault(.brokerDrops(dropped: 1880, since: D.t0 + 1000, at: D.t0 + 2000)))
        #expect(w.droppedSeen == 1880)
        #expect(w.observe(topic: BrokerDropWatch.storedTopic, payload: Self.bytes("100"), at: D.t0 + 2000) == .noted)
        #expect(w.stored == 100)
    }

    /// A broker restart sets its counters back to 0: what it reports after is all new.
    @Test func aRestartedBrokerCountsFromZero() {
        var w = BrokerDropWatch()
        _ = w.observe(topic: BrokerDropWatch.uptimeTopic, payload: Self.bytes("5000 seconds"), at: D.t0)
        _ = w.observe(topic: Self.dropped, payload: Self.bytes("500"), at: D.t0)
        // The uptime went back, and the counter is higher than before the restart.
        _ = w.observe(topic: BrokerDropWatch.uptimeTopic, payload: Self.bytes("3 seconds"), at: D.t0 + 10_000)
        #expect(w.observe(topic: Self.dropped, payload: Self.bytes("700"), at: D.t0 + 10_000)
            == .fault(.brokerDrops(dropped: 700, since: D.t0, at: D.t0 + 10_000)))
        // Below the last value without an uptime: a restart too.
        #expect(w.observe(topic: Self.dropped, payload: Self.bytes("40"), at: D.t0 + 20_000)
            == .fault(.brokerDrops(dropped: 40, since: D.t0 + 10_000, at: D.t0 + 20_000)))
        #expect(w.droppedSeen == 740)
    }

    @Test func valuesThatAreNotCountersAreRefusedWithAReason() {
        var w = BrokerDropWatch()
        _ = w.observe(topic: Self.dropped, payload: Self.bytes("10"), at: D.t0)
        for bad in ["", "-5", "ten", "1e9", " 12", "9223372036854775807", "99999999999999999999999", String(repeating: "9", count: 100)] {
            guard case let .unreadable(reason) = w.observe(topic: Self.dropped, payload: Self.bytes(bad), at: D.t0 + 1) else {
                Issue.record("accepted '\(bad)'")
                continue
            }
            #expect(reason.hasPrefix(Self.dropped))
        }
        #expect(w.dropped == 10, "nothing changed")
        #expect(w.observe(topic: "$SYS/broker/version", payload: Self.bytes("1"), at: D.t0) != .noted)
    }

    @Test func theUTCTextIsTheCivilTime() {
        #expect(BrokerDropWatch.utcText(D.t0) == "2026-01-01T00:00:00Z")
        #expect(BrokerDropWatch.utcText(0) == "1970-01-01T00:00:00Z")
        #expect(BrokerDropWatch.utcText(951_782_400_000 + 3_723_000) == "2000-02-29T01:02:03Z")
        #expect(BrokerDropWatch.utcText(-1000) == "1969-12-31T23:59:59Z")
    }

    /// In the engine: a major gateway_fault without a device, held while drops go on, cleared
    /// an hour after the last one.
    @Test func dropsRaiseAGatewayFaultThatClearsAfterAnHourWithoutDrops() {
        var engine = DetectionEngine(config: D.config(devices: []))
        _ = engine.handle(.tick(D.t0))
        let raised = D.raised(engine.handle(.brokerDrops(dropped: 1880, since: D.t0 - 3000, at: D.t0)), .gatewayFault)
        #expect(raised.count == 1)
        let a = raised.first
        #expect(a?.severity == .major)
        #expect(a?.key == AlarmKey(type: .gatewayFault))
        #expect(a?.evidence["fault"] == .string("broker_dropped_messages"))
        #expect(a?.evidence["dropped"] == JSONValue(Int64(1880)))
        #expect(a?.evidence["detail"] == .string("the building broker dropped 1880 messages since 2025-12-31T23:59:57Z"))
        // More drops 50 minutes later: the same alarm, and the hour starts again.
        #expect(D.transitions(engine.handle(.brokerDrops(dropped: 5, since: D.t0, at: D.t0 + 3_000_000))).isEmpty)
        #expect(D.transitions(engine.handle(.tick(D.t0 + 3_600_000 + 1000))).isEmpty, "not an hour since the last drops")
        let cleared = D.transitions(engine.handle(.tick(D.t0 + 3_000_000 + 3_600_000 + 1000)))
        #expect(cleared.map(\.state) == [.cleared])
        #expect(cleared.first?.key == AlarmKey(type: .gatewayFault))
        #expect(engine.activeAlarms.isEmpty)
    }

    /// A database_corrupt fault (on the gateway, never clearing by itself) is another alarm:
    /// the broker's clearing leaves it active.
    @Test func theBrokerFaultIsNotTheGatewaysOwnFault() {
        var engine = DetectionEngine(config: D.config(devices: []))
        _ = engine.handle(.tick(D.t0))
        _ = engine.handle(.gatewayFault(fault: "database_corrupt", evidence: .object([]), at: D.t0))
        _ = engine.handle(.brokerDrops(dropped: 3, since: D.t0, at: D.t0))
        #expect(engine.activeAlarms.count == 2)
        _ = engine.handle(.tick(D.t0 + 2 * 3_600_000))
        #expect(engine.activeAlarms.map(\.evidence["fault"]) == [.string("database_corrupt")])
    }
}
