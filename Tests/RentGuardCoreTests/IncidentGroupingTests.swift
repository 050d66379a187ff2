import Testing
@testable import RentGuardCore

/// Issue 25: one fire, one incident. Alarms that one event causes in one place share an
/// `incident_id`; nothing is hidden (every alarm keeps its own transitions).
@Suite struct IncidentGroupingTests {
    typealias D = T
    static let minute: Int64 = 60_000

    static func config(_ extra: [DeviceConfig] = []) -> BuildingConfig {
        D.config(devices: [
            D.detector("SD-1", unit: "101", zone: .bedroom), D.detector("SD-2", unit: "101", zone: .living),
            D.detector("SD-3", unit: "102"),
            DeviceConfig(id: "SD-C2", kind: .smokeDetector, zone: .corridor, floor: 2, reportIntervalSeconds: 60),
            DeviceConfig(id: "SD-C2b", kind: .smokeDetector, zone: .corridor, floor: 2, reportIntervalSeconds: 60),
            DeviceConfig(id: "SD-C3", kind: .smokeDetector, zone: .corridor, floor: 3, reportIntervalSeconds: 60),
        ] + extra)
    }

    static func fire(_ dev: String, _ ts: Int64, temp: Double = 22) -> CoreInput { D.smoke(dev, ts, obs: 8, temp: temp, alarm: true) }
    static func calm(_ dev: String, _ ts: Int64) -> CoreInput { D.smoke(dev, ts, obs: 0.1, temp: 22, alarm: false) }

    @Test func oneFlatsFireIsOneIncidentWithEveryAlarmKept() {
        var e = DetectionEngine(config: Self.config())
        var out: [CoreOutput] = []
        e.handle(Self.fire("SD-1", D.t0), into: &out)
        e.handle(Self.fire("SD-2", D.t0 + 30_000), into: &out)
        e.handle(Self.fire("SD-1", D.t0 + 60_000, temp: 90), into: &out)  // heat too
        e.handle(Self.fire("SD-3", D.t0 + 90_000), into: &out)  // the flat next door
        let raised = D.transitions(out).filter { $0.state == .raised }
        let inFlat = raised.filter { $0.key.unit == "101" }
        #expect(inFlat.count >= 3, "\(D.summary(out))")
        #expect(Set(inFlat.map(\.key.type)).isSuperset(of: [.smoke, .heat]))
        let first = inFlat.min { $0.startedAt < $1.startedAt }!
        #expect(Set(inFlat.map(\.incidentID)) == ["inc:\(first.id)"])
        let next = raised.filter { $0.key.unit == "102" }
        #expect(!next.isEmpty)
        #expect(next.allSatisfy { $0.incidentID != first.incidentID && $0.incidentID != nil })
        // Every transition of a member carries the incident, escalations and clears too.
        for t in D.transitions(out) where t.key.unit == "101" { #expect(t.incidentID == first.incidentID) }
        // The active alarms carry it (what a reload or the API sees).
        #expect(e.activeAlarms.filter { $0.key.unit == "101" }.allSatisfy { $0.incidentID == first.incidentID })
    }

    @Test func analarmOutsideTheFireFamilyIsAnIncidentOfItsOwn() {
        let (_, out) = D.run(Self.config(), [Self.fire("SD-1", D.t0), D.smoke("SD-1", D.t0 + 1000, battery: 3)])
        let battery = D.raised(out, .batteryLow)
        let smoke = D.raised(out, .smoke)
        try? #require(battery.count == 1 && smoke.count == 1)
        #expect(battery.first?.incidentID == "inc:\(battery.first?.id ?? "")")
        #expect(battery.first?.incidentID != smoke.first?.incidentID)
    }

    /// After every member cleared, an alarm within the window rejoins; past it, a new incident.
    @Test func theWindowDecidesWhetherALaterAlarmRejoins() {
        let c = Self.config()
        var e = DetectionEngine(config: c)
        var out: [CoreOutput] = []
        e.handle(Self.fire("SD-1", D.t0), into: &out)
        let firstID = D.raised(out, .smoke).first?.incidentID
        var t = D.t0
        while e.activeAlarms.contains(where: { $0.key.unit == "101" }) {
            t += 10_000
            e.handle(Self.calm("SD-1", t), into: &out)
            e.handle(.tick(t), into: &out)
            if t > D.t0 + 30 * Self.minute { break }
        }
        #expect(!e.activeAlarms.contains { $0.key.unit == "101" }, "\(D.summary(out))")
        out.removeAll()
        e.handle(Self.fire("SD-2", t + 5 * Self.minute), into: &out)
        #expect(D.raised(out, .smoke).first?.incidentID == firstID)
        // Clear again, then past the 10-minute window: a new incident.
        var u = t + 5 * Self.minute
        while e.activeAlarms.contains(where: { $0.key.unit == "101" }) {
            u += 10_000
            e.handle(Self.calm("SD-2", u), into: &out)
            e.handle(.tick(u), into: &out)
            if u > t + 60 * Self.minute { break }
        }
        out.removeAll()
        e.handle(Self.fire("SD-1", u + 11 * Self.minute), into: &out)
        let later = D.raised(out, .smoke).first
        #expect(later != nil)
        #expect(later?.incidentID != firstID)
        #expect(later?.incidentID == "inc:\(later?.id ?? "")")
    }

    @Test func sharedSpacesGroupByFloorAndZone() {
        let (_, out) = D.run(Self.config(), [Self.fire("SD-C2", D.t0), Self.fire("SD-C2b", D.t0 + 10_000), Self.fire("SD-C3", D.t0 + 20_000)])
        let s = D.raised(out, .smoke)
        let byDevice = Dictionary(uniqueKeysWithValues: s.map { ($0.key.device!, $0.incidentID) })
        #expect(byDevice["SD-C2"] != nil && byDevice["SD-C2"] == byDevice["SD-C2b"])
        #expect(byDevice["SD-C3"] != byDevice["SD-C2"])
    }

    /// A restart (the engine rebuilt from the stored active alarms) keeps the open incident.
    @Test func aRestartKeepsTheOpenIncident() {
        let c = Self.config()
        var e = DetectionEngine(config: c)
        let out = e.handle(Self.fire("SD-1", D.t0))
        let id = D.raised(out, .smoke).first?.incidentID
        #expect(id != nil)
        var restarted = DetectionEngine(config: c, restoring: e.activeAlarms)
        let after = restarted.handle(Self.fire("SD-2", D.t0 + 20_000))
        #expect(D.raised(after, .smoke).first?.incidentID == id)
    }

    @Test func theWindowIsATunedThresholdWithASource() {
        #expect(RuleCatalog.knownThresholds["incidents"] == ["window_s"])
        #expect(IncidentGrouping.window.defaultValue == 600)
        #expect(IncidentGrouping.window.source.contains("ISA-18.2"))
        let c = D.config(devices: [D.detector("SD-1")], thresholds: ["incidents": ["window_s": 30]])
        #expect(IncidentGrouping(config: c, thresholds: Thresholds(config: c)).windowMs == 30_000)
    }

    @Test func theIncidentViewSummarisesItsMembers() {
        var e = DetectionEngine(config: Self.config())
        var out: [CoreOutput] = []
        e.handle(Self.fire("SD-1", D.t0), into: &out)
        e.handle(Self.fire("SD-2", D.t0 + 30_000, temp: 95), into: &out)
        e.handle(D.smoke("SD-3", D.t0 + 40_000, battery: 3), into: &out)
        let incidents = Incident.build(e.activeAlarms)
        let fire = incidents.first { $0.first.key.unit == "101" && $0.types.contains(.smoke) }
        #expect(fire != nil)
        #expect(fire?.devices.sorted() == ["SD-1", "SD-2"])
        #expect(fire?.first.key.device == "SD-1")
        #expect(fire?.isActive == true)
        #expect(fire?.startedAt == D.t0)
        #expect(fire?.members.count == e.activeAlarms.filter { $0.key.unit == "101" }.count)
        // The fire outranks the battery: most severe active first.
        #expect(incidents.first?.id == fire?.id)
        #expect(fire?.json["alarm_count"]?.doubleValue == Double(fire?.members.count ?? 0))
    }
}
