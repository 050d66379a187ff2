import Testing
import RentGuardCore

/// Property-style tests with a seeded PRNG: noise raises nothing, every alarm can clear,
/// output does not depend on batching or the tick rate.
@Suite struct DetectionPropertyTests {
    let t0 = T.t0
    static let units = [UnitConfig(id: "101", areaM2: 50, registeredOccupants: 2, adjacent: ["102"]),
                        UnitConfig(id: "102", areaM2: 50, registeredOccupants: 2)]
    let cfg = T.config(devices: [
        T.detector("SD-1"), T.detector("SD-2", zone: .kitchen), T.detector("SD-3", unit: "102"),
        T.charger(near: ["SD-3"]), T.meter("PM-101", unit: "101", rated: 40), T.meter("PM-102", unit: "102", rated: 40),
    ], units: units)

    /// Normal traffic with noise, every device every minute (jittered, some out of order):
    /// readings noisy within normal ranges, temperatures drifting as real ones do (a random
    /// walk of ±0.3 °C a minute inside 18–30 °C rooms and 25–40 °C plugs).
    func normalTraffic(seed: UInt64, minutes: Int) -> [CoreInput] {
        var rng = SeededRNG(seed: seed)
        var inputs: [CoreInput] = []
        var room = [22.0, 24.0, 21.0], plug = [30.0, 32.0, 28.0, 35.0]
        for m in 0..<minutes {
            let base = t0 + Int64(m) * 60_000
            var batch: [CoreInput] = []
            for (k, d) in ["SD-1", "SD-2", "SD-3"].enumerated() {
                room[k] = min(30, max(18, room[k] + rng.uniform(-0.3, 0.3)))
                batch.append(T.smoke(d, base + Int64(rng.uniform(0, 5000)), obs: rng.uniform(0, 1.5), temp: room[k] + rng.uniform(-0.1, 0.1),
                                     co: rng.uniform(0, 20), battery: rng.uniform(60, 100)))
            }
            for k in 0..<4 { plug[k] = min(40, max(25, plug[k] + rng.uniform(-0.3, 0.3))) }
            let ports = (1...4).map { p in T.port(p, .charging, v: rng.uniform(51, 53), a: rng.uniform(2, 4), temp: plug[p - 1]) }
            batch.append(T.chargerReading("CH-1", base + Int64(rng.uniform(0, 5000)), ports, ambient: rng.uniform(15, 35)))
            for pm in ["PM-101", "PM-102"] {
                batch.append(T.power(pm, base + Int64(rng.uniform(0, 5000)), w: rng.uniform(100, 3000), residual: rng.uniform(10, 150)))
            }
            if rng.uniform(0, 1) < 0.2 { batch.swapAt(0, batch.count - 1) }
            inputs += batch
        }
        return inputs
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func noiseInNormalRangesRaisesNothing(seed: UInt64) {
        let (_, out) = T.run(cfg, normalTraffic(seed: seed, minutes: 600))
        let raised = T.transitions(out).filter { $0.state == .raised && $0.key.type != .chargerOvertime }
        #expect(raised.isEmpty, "\(T.summary(out))")
    }

    /// A hazard of every kind, then normal readings for a long time: everything clears.
    @Test func everyRaisedAlarmCanClear() {
        var inputs: [CoreInput] = [
            T.smoke("SD-1", t0, obs: 8, temp: 60, co: 500, battery: 10, alarm: true), T.event("SD-1", t0 + 1, .tamper),
            T.event("SD-1", t0 + 2, .fault), T.smoke("SD-3", t0 + 3, obs: 7),
            T.chargerReading("CH-1", t0 + 4, [T.port(1, .full, a: 9, w: 1200, temp: 90)], ambient: 65),
            T.power("PM-101", t0 + 5, w: 40_000, a: 250, residual: 600),
        ]
        for m in 1...1500 {
            let ts = t0 + Int64(m) * 60_000
            inputs += [T.smoke("SD-1", ts, co: 0, battery: 95, alarm: false), T.smoke("SD-2", ts), T.smoke("SD-3", ts, alarm: false),
                       T.chargerReading("CH-1", ts, [T.port(1, .idle, a: 0, w: 0, temp: 25)], ambient: 20),
                       T.power("PM-101", ts, w: 300, residual: 20), T.power("PM-102", ts, w: 300, residual: 20)]
        }
        let (e, out) = T.run(cfg, inputs)
        #expect(T.transitions(out).filter { $0.state == .raised }.count >= 10)
        #expect(e.activeAlarms.isEmpty, "\(e.activeAlarms.map(\.key))")
    }

    /// A scenario with hazards, replayed with ticks every 1 s and every 10 s (and none): the
    /// same alarm transitions, with the same times.
    @Test func independentOfTickRateAndBatching() {
        var rng = SeededRNG(seed: 42)
        var readings = normalTraffic(seed: 9, minutes: 30)
        for s in 0..<20 {
            let ts = t0 + 600_000 + Int64(s) * 7000
            readings.append(T.smoke("SD-1", ts, obs: 6 + rng.uniform(0, 1), temp: 30))
            readings.append(T.power("PM-101", ts + 1000, w: 2000, residual: 350))
            readings.append(T.chargerReading("CH-1", ts + 2000, [T.port(1, a: 7)]))
        }
        readings.sort { a, b in
            if case let .reading(x) = a, case let .reading(y) = b { return x.ts < y.ts }
            return false
        }
        func replay(tickEvery: Int64?) -> [String] {
            var e = DetectionEngine(config: cfg)
            var out: [CoreOutput] = []
            var nextTick = t0
            for i in readings {
                if let step = tickEvery, case let .reading(r) = i {
                    while nextTick < r.ts { e.handle(.tick(nextTick), into: &out); nextTick += step }
                }
                e.handle(i, into: &out)
            }
            e.handle(.tick(t0 + 3_600_000), into: &out)
            return T.summary(out)
        }
        let none = replay(tickEvery: nil), fine = replay(tickEvery: 1000), coarse = replay(tickEvery: 10_000)
        #expect(!fine.isEmpty)
        #expect(fine == coarse)
        #expect(fine == none)
        // Batching: handle(_:) per input vs handle(_:into:) into one buffer.
        var e = DetectionEngine(config: cfg)
        var batched: [CoreOutput] = []
        for i in readings { batched += e.handle(i) }
        batched += e.handle(.tick(t0 + 3_600_000))
        #expect(T.summary(batched) == none)
    }
}
