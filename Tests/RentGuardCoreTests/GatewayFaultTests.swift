import Testing
@testable import RentGuardCore

/// `CoreInput.gatewayFault`: the gateway's own damage is an alarm like any other.
@Suite struct GatewayFaultTests {
    typealias D = T

    @Test func aGatewayFaultRaisesOneMajorAlarmOnTheGatewayThatDoesNotClearByItself() {
        let config = D.config(devices: [D.detector("SD-1")])
        var engine = DetectionEngine(config: config)
        let fault = CoreInput.gatewayFault(fault: "database_corrupt", evidence: .object([("moved_to", "/var/lib/x.corrupt")]), at: D.t0)
        let out = engine.handle(fault)
        let raised = D.raised(out, .gatewayFault)
        #expect(raised.count == 1)
        let a = raised[0]
        #expect(a.severity == .major)
        #expect(a.key == AlarmKey(type: .gatewayFault, device: config.gateway.id))
        #expect(a.startedAt == D.t0)
        #expect(a.evidence["fault"] == .string("database_corrupt"))
        #expect(a.evidence["moved_to"] == .string("/var/lib/x.corrupt"))
        // The same fault again changes nothing; time passing does not clear it.
        #expect(engine.handle(fault).isEmpty)
        #expect(D.transitions(engine.handle(.tick(D.t0 + 86_400_000))).isEmpty)
        #expect(engine.activeAlarms.map(\.key.type) == [.gatewayFault])
    }

    /// On event time the daemon's clock is not the trace's: the fault must not move event time.
    @Test func aGatewayFaultDoesNotMoveEventTime() {
        var engine = DetectionEngine(config: D.config(devices: [D.detector("SD-1")]))
        _ = engine.handle(D.smoke("SD-1", D.t0))
        _ = engine.handle(.gatewayFault(fault: "database_corrupt", evidence: .object([]), at: D.t0 + 3_600_000))
        #expect(engine.now == D.t0)
        let later = engine.handle(D.smoke("SD-1", D.t0 + 1000))
        #expect(!later.contains { if case .rejected = $0 { return true } else { return false } })
    }
}
