import RentGuardCentre
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Issue 25, item 4: grouping alarms into incidents changes nothing on the GB/T 26875.3
/// link: every member of a fire's incident still becomes its own component status row for
/// the centre, under its own detector's address, whatever the landlord receives.
struct CentreIncidentTests {
    @Test func everyMemberOfAFiresIncidentIsSentToTheCentre() throws {
        let c = CentreMappingTests.config()
        var engine = DetectionEngine(config: c)
        let t0: Int64 = 1_767_225_600_000
        func smoke(_ dev: String, _ ts: Int64, temp: Double) -> CoreInput {
            .reading(Reading(device: dev, ts: ts, observation: .telemetry(.smoke(SmokeTelemetry(
                obscurationPctPerM: 8, temperatureC: temp, coPpm: nil, batteryPct: nil, alarm: true)))))
        }
        var out = engine.handle(smoke("SD-201", t0, temp: 30))
        out += engine.handle(smoke("SD-201b", t0 + 5000, temp: 90))
        let plan = DeliveryPlan(config: c, registryDestinations: ["registry-mqtt"], centreDestination: "centre")
        let members = out.compactMap { o -> AlarmTransition? in if case let .alarm(t) = o { return t } else { return nil } }
        try #require(members.count >= 2)
        #expect(Set(members.map(\.alarm.incidentID)).count == 1, "one incident")
        let reported = members.filter { CentreReport.of($0, config: c, centre: c.registry.centre!) != nil }
        #expect(reported.count >= 2, "the smoke alarms of both detectors are centre-reportable")
        for t in reported {
            let rows = plan.rows(for: t, createdAt: t.alarm.updatedAt).filter { $0.destination == "centre" }
            #expect(rows.count == 1, "\(t.alarm.key)")
            #expect(rows.first?.notBefore == nil, "the centre never waits for an incident's update slot")
            #expect(rows.first?.messageID == t.messageID)
        }
        // Both detectors' addresses appear.
        let devices = Set(reported.compactMap(\.alarm.key.device))
        #expect(devices.isSuperset(of: ["SD-201", "SD-201b"]))
    }
}
