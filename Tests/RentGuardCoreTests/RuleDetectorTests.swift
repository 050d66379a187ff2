import Testing
import RentGuardCore

/// Smoke, heat, CO and multi-criteria fire: per rule a true positive, a near miss and a nuisance case.
@Suite struct RuleDetectorTests {
    let t0 = T.t0

    @Test func detectorFlagRaisesSmokeAtOnce() {
        let (_, out) = T.run(T.config(devices: [T.detector("SD-1")]), [T.smoke("SD-1", t0, obs: 0.1, alarm: true)])
        let s = T.raised(out, .smoke)
        #expect(s.count == 1 && s[0].severity == .major && s[0].startedAt == t0)
        #expect(s[0].evidence["trigger"] == "detector_alarm")
    }

    @Test func analogSmokeIsVerifiedWithinSixtySeconds() {
        let cfg = T.config(devices: [T.detector("SD-1")])
        // Above the level for the whole window: raised at t0 + 60 s, stamped then, even with sparse readings.
        let (_, out) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6), .tick(t0 + 30_000), .tick(t0 + 61_000)])
        let s = T.raised(out, .smoke)
        #expect(s.count == 1 && s[0].startedAt == t0 + 60_000 && s[0].severity == .major)
        // Near miss: a puff that drops under the level before the window ends.
        let (_, miss) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6), T.smoke("SD-1", t0 + 20_000, obs: 1), .tick(t0 + 120_000)])
        #expect(T.raised(miss, .smoke).isEmpty)
    }

    @Test func kitchenGetsPreAlarmFirstThenEscalates() {
        let cfg = T.config(devices: [T.detector("SD-K", zone: .kitchen)])
        let (_, out) = T.run(cfg, [T.smoke("SD-K", t0, obs: 3.5), T.smoke("SD-K", t0 + 10_000, obs: 5.5), .tick(t0 + 80_000)])
        let tr = T.transitions(out).filter { $0.key.type == .smoke }
        #expect(tr.map(\.state) == [.raised, .escalated])
        #expect(tr.first?.severity == .warning && tr.last?.severity == .major)
        // Cooking nuisance: a short burst at pre-alarm level gives a warning, never smoke major or fire.
        let (_, cook) = T.run(cfg, [T.smoke("SD-K", t0, obs: 4), T.smoke("SD-K", t0 + 30_000, obs: 0.5), .tick(t0 + 600_000)])
        #expect(T.transitions(cook).filter { $0.key.type == .smoke }.allSatisfy { $0.severity == .warning })
        #expect(T.raised(cook, .fire).isEmpty)
    }

    @Test func testButtonIsRecordedNotAlarmedAndHushDoesNotClear() {
        let cfg = T.config(devices: [T.detector("SD-1"), T.detector("SD-2")])
        let (_, out) = T.run(cfg, [T.event("SD-1", t0, .test), T.smoke("SD-1", t0 + 1000, alarm: true), T.smoke("SD-2", t0 + 2000, alarm: true)])
        #expect(T.raised(out, .fire).isEmpty)
        #expect(T.raised(out, .smoke).map { $0.key.device } == ["SD-2"])
        // A real fire: hush does not clear it.
        let (e, fire) = T.run(cfg, [T.smoke("SD-1", t0, obs: 8, temp: 60, alarm: true), T.event("SD-1", t0 + 5000, .hush), .tick(t0 + 900_000)])
        #expect(T.raised(fire, .fire).count == 1)
        #expect(e.activeAlarms.contains { $0.key.type == .fire })
    }

    @Test func heatFixedAndRateOfRise() {
        let cfg = T.config(devices: [T.detector("SD-1")])
        let (_, fixed) = T.run(cfg, [T.smoke("SD-1", t0, temp: 57.5)])
        #expect(T.raised(fixed, .heat).count == 1)
        // 10 °C/min at low temperature: the fast rate.
        let (_, fast) = T.run(cfg, [T.smoke("SD-1", t0, temp: 25), T.smoke("SD-1", t0 + 30_000, temp: 30), T.smoke("SD-1", t0 + 60_000, temp: 35)])
        #expect(T.raised(fast, .heat).first?.evidence["trigger"] == "rate_of_rise_fast")
        // 5 °C/min: only from 46 °C.
        let (_, slowLow) = T.run(cfg, [T.smoke("SD-1", t0, temp: 30), T.smoke("SD-1", t0 + 60_000, temp: 35)])
        #expect(T.raised(slowLow, .heat).isEmpty)
        let (_, slowHigh) = T.run(cfg, [T.smoke("SD-1", t0, temp: 43), T.smoke("SD-1", t0 + 60_000, temp: 48)])
        #expect(T.raised(slowHigh, .heat).count == 1)
        // Near miss: 56 °C steady.
        let (_, miss) = T.run(cfg, [T.smoke("SD-1", t0, temp: 56), T.smoke("SD-1", t0 + 60_000, temp: 56)])
        #expect(T.raised(miss, .heat).isEmpty)
    }

    /// Minutes until `co` is raised at a constant concentration (nil: never within `limit`).
    func coMinutes(_ ppm: Double, limit: Int = 600) -> Int? {
        var inputs: [CoreInput] = []
        for m in 0...limit { inputs.append(T.smoke("SD-1", t0 + Int64(m) * 60_000, co: ppm)) }
        let (_, out) = T.run(T.config(devices: [T.detector("SD-1")]), inputs)
        return T.raised(out, .co).first.map { Int(($0.startedAt - t0) / 60_000) }
    }

    @Test func coFollowsTheUL2034Curve() {
        #expect(coMinutes(30, limit: 3000) == nil)
        let m70 = coMinutes(70), m150 = coMinutes(150), m400 = coMinutes(400)
        #expect(m70 != nil && (60...240).contains(m70!))
        #expect(m150 != nil && (10...50).contains(m150!))
        #expect(m400 != nil && (4...15).contains(m400!))
        // Nuisance: a brief 200 ppm puff (2 min) then clean air.
        var inputs: [CoreInput] = (0...2).map { T.smoke("SD-1", t0 + Int64($0) * 60_000, co: 200) }
        inputs += (3...120).map { T.smoke("SD-1", t0 + Int64($0) * 60_000, co: 0) }
        let (_, out) = T.run(T.config(devices: [T.detector("SD-1")]), inputs)
        #expect(T.raised(out, .co).isEmpty)
    }

    @Test func multiCriteriaFire() {
        let units = [UnitConfig(id: "101", areaM2: 50, registeredOccupants: 2, adjacent: ["102"]),
                     UnitConfig(id: "102", areaM2: 50, registeredOccupants: 2), UnitConfig(id: "103", areaM2: 50, registeredOccupants: 2)]
        let cfg = T.config(devices: [T.detector("SD-1"), T.detector("SD-2", unit: "102"), T.detector("SD-3", unit: "103")], units: units)
        // Smoke with heat at one detector: fire at once.
        let (_, a) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6, temp: 58)])
        #expect(T.raised(a, .fire).first?.severity == .critical)
        // Smoke with CO ≥ 70 ppm.
        let (_, b) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6, co: 80)])
        #expect(T.raised(b, .fire).count == 1)
        // Two detectors in adjacent units.
        let (_, c) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6), T.smoke("SD-2", t0 + 5000, obs: 7)])
        #expect(T.raised(c, .fire).count >= 1)
        // Near miss: two detectors in units that are not adjacent.
        let (_, d) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6), T.smoke("SD-3", t0 + 5000, obs: 7)])
        #expect(T.raised(d, .fire).isEmpty)
        // Nuisance: shower steam (smoke-like obscuration, warm but under 46 °C, no CO) alone is not fire.
        let (_, e) = T.run(cfg, [T.smoke("SD-1", t0, obs: 6, temp: 30), T.smoke("SD-1", t0 + 60_000, obs: 6, temp: 33)])
        #expect(T.raised(e, .fire).isEmpty)
    }
}
