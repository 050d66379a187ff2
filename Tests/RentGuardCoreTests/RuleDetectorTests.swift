import Foundation
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

    @Test func kitchenGetsPreAlarmFirstThenEscalatesWhenSustained() {
        let cfg = T.config(devices: [T.detector("SD-K", zone: .kitchen)])
        // 5.5 %/m without heat or CO: a warning at once, major only after nuisance_sustain_s (300 s).
        var inputs = [T.smoke("SD-K", t0, obs: 3.5)]
        inputs += (1...40).map { T.smoke("SD-K", t0 + Int64($0) * 10_000, obs: 5.5) }
        let (_, out) = T.run(cfg, inputs)
        let tr = T.transitions(out).filter { $0.key.type == .smoke }
        #expect(tr.map(\.state) == [.raised, .escalated])
        #expect(tr.first?.severity == .warning && tr.last?.severity == .major)
        #expect(tr.last?.updatedAt == t0 + 310_000)  // 5.5 from t0 + 10 s, sustained 300 s
        #expect(tr.last?.evidence["trigger"] == "nuisance_zone_sustained")
        // Cooking nuisance: a short burst at pre-alarm level gives a warning, never smoke major or fire.
        let (_, cook) = T.run(cfg, [T.smoke("SD-K", t0, obs: 4), T.smoke("SD-K", t0 + 30_000, obs: 0.5), .tick(t0 + 600_000)])
        #expect(T.transitions(cook).filter { $0.key.type == .smoke }.allSatisfy { $0.severity == .warning })
        #expect(T.raised(cook, .fire).isEmpty)
    }

    /// A cooking plume: a 30 s rise to `peak` %/m, held `holdS`, a 60 s fall; no heat, no CO.
    func plume(_ dev: String, at start: Int64, peak: Double, holdS: Int64) -> [CoreInput] {
        var r: [CoreInput] = []
        var t: Int64 = 0
        while t <= 30 + holdS + 60 {
            let o = t < 30 ? peak * Double(t) / 30 : t <= 30 + holdS ? peak : peak * Double(30 + holdS + 60 - t) / 60
            r.append(T.smoke(dev, start + t * 1000, obs: max(0.2, o), temp: 23, co: 1))
            t += 10
        }
        return r
    }

    @Test func threeShortCookingPlumesAreWarningsNotMajorAlarms() {
        // Issue 12's case: three plumes up to 7.7 %/m for about 90 s, no heat rise, no CO.
        let cfg = T.config(devices: [T.detector("SD-K", zone: .kitchen)])
        var inputs: [CoreInput] = []
        for k in 0..<3 { inputs += plume("SD-K", at: t0 + Int64(k) * 1_200_000, peak: 7.7, holdS: 90) }
        inputs.append(.tick(t0 + 4_000_000))
        let (_, out) = T.run(cfg, inputs)
        let smoke = T.transitions(out).filter { $0.key.type == .smoke }
        #expect(T.raised(out, .smoke).count == 3)
        #expect(smoke.allSatisfy { $0.severity == .warning })
        #expect(T.raised(out, .fire).isEmpty && T.raised(out, .heat).isEmpty)
        // The same plume outside a nuisance-prone zone is verified and raised (major).
        let (_, room) = T.run(T.config(devices: [T.detector("SD-R")]), plume("SD-R", at: t0, peak: 7.7, holdS: 90) + [.tick(t0 + 600_000)])
        #expect(T.raised(room, .smoke).first?.severity == .major)
        // Corroborated plumes in the kitchen raise at once: heat over the fixed level, CO over 70 ppm, the detector's flag.
        for extra in [T.smoke("SD-K", t0 + 40_000, obs: 6, temp: 58), T.smoke("SD-K", t0 + 40_000, obs: 6, temp: 23, co: 90),
                      T.smoke("SD-K", t0 + 40_000, obs: 6, temp: 23, alarm: true)] {
            let (_, c) = T.run(cfg, [T.smoke("SD-K", t0, obs: 4)] + [extra])
            #expect(T.transitions(c).contains { $0.key.type == .smoke && $0.severity == .major && $0.updatedAt == t0 + 40_000 })
        }
    }

    /// Obscuration (%/m), temperature rise (°C) and CO (ppm) of the simulator's fire models
    /// (simulator/Sources/RentGuardSimulator/Models/SmokeModel.swift) with their defaults, at `s` seconds.
    static func smoulderingFire(_ s: Double, co: Bool) -> (obs: Double, rise: Double, co: Double) {
        let f = min(1, s / 2400)  // 40 min ramp to 15 %/m, 2 °C, 300 ppm (smouldering_fire.yaml)
        let peakOD = -log10(1 - 0.15)
        let od = peakOD * f * f
        return (100 * (1 - pow(10, -od)), 2 * f, co ? 300 * f * f.squareRoot() : 0)
    }

    static func flamingFire(_ s: Double) -> (obs: Double, rise: Double, co: Double) {
        // Medium t² fire (α 0.01172 kW/s²) after 120 s incubation; Alpert's ceiling jet at H 2.6 m, r 2 m; 0.003 OD/K, 3 ppm/K.
        let tau = s - 120
        func gas(_ t: Double) -> Double {
            guard t > 0 else { return 0 }
            let q = min(0.01172 * t * t, 1000)
            return min(5.38 * pow(q / 2, 2.0 / 3.0) / 2.6, 700)
        }
        let od = 0.003 * min(1, s / 120) + 0.003 * gas(tau)
        return (100 * (1 - pow(10, -od)), gas(tau - 10), 3 * gas(tau))
    }

    @Test func kitchenFiresFromTheSimulatorsModelsStillRaise() {
        let cfg = T.config(devices: [T.detector("SD-K", zone: .kitchen)])
        func run(_ model: (Double) -> (obs: Double, rise: Double, co: Double), minutes: Int) -> (major: Double?, fire: Bool) {
            let inputs: [CoreInput] = (0...(minutes * 6)).map { i in
                let m = model(Double(i) * 10)
                return T.smoke("SD-K", t0 + Int64(i) * 10_000, obs: 0.2 + m.obs, temp: 22 + m.rise, co: m.co)
            } + [.tick(t0 + Int64(minutes) * 60_000 + 1)]
            let (_, out) = T.run(cfg, inputs)
            let major = T.transitions(out).first { $0.key.type == .smoke && $0.severity >= .major }
            return (major.map { Double($0.updatedAt - t0) / 60_000 }, !T.raised(out, .fire).isEmpty)
        }
        // Smouldering with CO: at 5 %/m (≈ 22.5 min) CO is ≈ 126 ppm: multi-sensor, at once.
        let sm = run({ Self.smoulderingFire($0, co: true) }, minutes: 45)
        #expect(sm.major != nil && sm.major! < 24)
        #expect(sm.fire)
        // Smouldering on a smoke-only detector: sustained over the alarm level, ≈ 22.5 + 5 min.
        let smNoCO = run({ Self.smoulderingFire($0, co: false) }, minutes: 45)
        #expect(smNoCO.major != nil && smNoCO.major! < 29)
        // Flaming: smoke climbs past 12.5 %/m within a minute of the alarm level.
        let fl = run(Self.flamingFire, minutes: 10)
        #expect(fl.major != nil && fl.major! < 5)
        #expect(fl.fire)
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

