import Testing
import RentGuardCore

@Suite struct RuleMeterTests {
    let t0 = T.t0

    func overloadMinutes(_ multiple: Double, limit: Int = 120) -> Double? {
        let inputs = (0...(limit * 6)).map { T.power("PM-101", t0 + Int64($0) * 10_000, w: 0, a: 60 * multiple) }
        let (_, out) = T.run(T.config(devices: [T.meter()]), inputs)
        return T.transitions(out).first { $0.key.type == .overload && $0.severity == .major }.map { Double($0.updatedAt - t0) / 60_000 }
    }

    @Test func overloadInverseTime() {
        #expect(overloadMinutes(1.13, limit: 180) == nil)
        let m145 = overloadMinutes(1.45)
        #expect(m145 != nil && m145! <= 60)
        let m3 = overloadMinutes(3)
        #expect(m3 != nil && m3! < 1)
        // Inrush: 2× for one 10 s reading in an hour of normal load.
        var inputs = [T.power("PM-101", t0, w: 0, a: 120)]
        inputs += (1...360).map { T.power("PM-101", t0 + Int64($0) * 10_000, w: 0, a: 20) }
        let (_, out) = T.run(T.config(devices: [T.meter()]), inputs)
        #expect(!T.transitions(out).contains { $0.key.type == .overload && $0.severity == .major })
    }

    @Test func leakageSustained() {
        let cfg = T.config(devices: [T.meter()])
        let (_, out) = T.run(cfg, [T.power("PM-101", t0, w: 500, residual: 320), .tick(t0 + 30_000)])
        let l = T.raised(out, .leakage)
        #expect(l.first?.startedAt == t0 + 10_000)  // within GB 31252's 30 s
        // Near miss: 250 mA; transient: 400 mA for 2 s.
        let (_, miss) = T.run(cfg, [T.power("PM-101", t0, w: 500, residual: 250), .tick(t0 + 60_000)])
        #expect(T.raised(miss, .leakage).isEmpty)
        let (_, blip) = T.run(cfg, [T.power("PM-101", t0, w: 500, residual: 400), T.power("PM-101", t0 + 2000, w: 500, residual: 120), .tick(t0 + 60_000)])
        #expect(T.raised(blip, .leakage).isEmpty)
    }

    /// Days of a quiet flat (150–250 W with a fridge cycling) with an e-bike charge on `chargeNight`.
    func flat(days: Int, chargeNight: Int?, chargeW: Double = 200, ccHours: Double = 4, startHourLocal: Double = 21) -> [CoreInput] {
        var inputs: [CoreInput] = []
        var rng = SeededRNG(seed: 7)
        let offset: Int64 = 8 * 3_600_000
        let dayZero = (t0 + offset) / 86_400_000 * 86_400_000 - offset  // local midnight
        for m in 0..<(days * 1440) {
            let ts = dayZero + Int64(m) * 60_000
            var w = 160 + rng.uniform(-5, 5) + ((m / 20) % 3 == 0 ? 90 : 0)
            if (m % 1440) / 60 == 19, m % 60 < 20 { w += 2000 }  // cooking
            if let n = chargeNight {
                let start = n * 1440 + Int(startHourLocal * 60)
                let cc = Int(ccHours * 60)
                if m >= start && m < start + cc { w += chargeW * (0.95 + 0.1 * Double(m - start) / Double(cc)) }
                if m >= start + cc && m < start + cc + 75 { let f = 1 - Double(m - start - cc) / 75; w += chargeW * f * f * 0.9 + 25 }
                if m >= start + cc + 75 && m < start + cc + 165 { w += 25 }
            }
            inputs.append(T.power("PM-101", ts, w: w))
        }
        return inputs
    }

    @Test func indoorEbikeChargingDetectedAtNightOnly() {
        let cfg = T.config(devices: [T.meter()])
        let (_, out) = T.run(cfg, flat(days: 6, chargeNight: 4))
        #expect(T.raised(out, .indoorEbikeCharging).count == 1)
        // Near miss: a 1.5 h charge (too short); nuisance: a TV/PC of 200 W that switches off at once.
        let (_, short) = T.run(cfg, flat(days: 6, chargeNight: 4, ccHours: 1.5))
        #expect(T.raised(short, .indoorEbikeCharging).isEmpty)
        let (_, none) = T.run(cfg, flat(days: 6, chargeNight: nil))
        #expect(T.raised(none, .indoorEbikeCharging).isEmpty)
    }

    @Test func abnormalConsumptionAgainstLearnedBaseline() {
        let cfg = T.config(devices: [T.meter()])
        var inputs: [CoreInput] = []
        for h in 0..<(12 * 24) {
            let day = h / 24
            let w = day == 10 ? 3000.0 : 500.0  // 12 kWh/day, then 72 kWh (6×)
            for m in stride(from: 0, to: 60, by: 5) { inputs.append(T.power("PM-101", t0 + Int64(h) * 3_600_000 + Int64(m) * 60_000, w: w)) }
        }
        let (_, out) = T.run(cfg, inputs)
        #expect(T.raised(out, .abnormalConsumption).count == 1)
        // Near miss: 2× the baseline.
        let near = inputs.map { i -> CoreInput in
            if case let .reading(r) = i, case let .telemetry(.power(p)) = r.observation, (p.powerW ?? 0) > 1000 { return T.power("PM-101", r.ts, w: 1000) }
            return i
        }
        let (_, ok) = T.run(cfg, near)
        #expect(T.raised(ok, .abnormalConsumption).isEmpty)
    }
}
