import Testing

@testable import RentGuardCore

/// E-bike charging at charger ports linked to a unit (`unit_ports`) as occupancy evidence
/// (docs/occupancy.md §1, §4): per-port session counters, their spreading into local days,
/// and the `charging` kind in the posterior.
@Suite("Occupancy: e-bike charging")
struct OccupancyChargingTests {
    static let day = SyntheticBuilding.day
    static let minute: Int64 = 60_000

    // MARK: - The session counter

    static func approx(_ x: Double?, _ y: Double) -> Bool { x.map { abs($0 - y) < 1e-9 } ?? false }

    @Test("a session counter's restarts are new sessions, not resets; only increases count")
    func sessionCounter() {
        var t = ChargingTrack()
        // First reading in the middle of a session: only sets the baseline.
        #expect(Self.approx(t.observe(ts: 0, state: .charging, energyWh: 400), 0))
        #expect(Self.approx(t.observe(ts: 10, state: .charging, energyWh: 450), 0.05))
        // The session ends between readings: the tail counts, the idle counter is kept.
        #expect(Self.approx(t.observe(ts: 20, state: .idle, energyWh: 500), 0.1))
        #expect(Self.approx(t.observe(ts: 30, state: .idle, energyWh: 500), 0.1))
        // idle → charging: a new session whose counter started at 0 (30 Wh since its start).
        #expect(Self.approx(t.observe(ts: 40, state: .charging, energyWh: 30), 0.13))
        #expect(Self.approx(t.observe(ts: 50, state: .full, energyWh: 230), 0.33))
        // Back-to-back sessions: the counter drops to 20 — a new session, 20 Wh counted.
        #expect(Self.approx(t.observe(ts: 60, state: .charging, energyWh: 20), 0.35))
        // A new session that has already passed the old counter is still new after idle.
        #expect(Self.approx(t.observe(ts: 70, state: .idle, energyWh: 0), 0.35))
        #expect(Self.approx(t.observe(ts: 80, state: .charging, energyWh: 100), 0.45))
        // session_start: the next counter is the new session's even without a drop.
        t.sessionStart(ts: 85)
        #expect(Self.approx(t.observe(ts: 90, state: .charging, energyWh: 150), 0.6))
        // A fault interrupts the session; the counter goes on: no double count.
        #expect(Self.approx(t.observe(ts: 100, state: .fault, energyWh: 160), 0.61))
        #expect(Self.approx(t.observe(ts: 110, state: .charging, energyWh: 200), 0.65))
        // Late, duplicate and invalid readings change nothing.
        #expect(t.observe(ts: 105, state: .charging, energyWh: 0) == nil)
        #expect(t.observe(ts: 110, state: .charging, energyWh: 999) == nil)
        #expect(t.observe(ts: 120, state: .charging, energyWh: .nan) == nil)
        // A session_start already reflected in a reading is ignored.
        t.sessionStart(ts: 110)
        #expect(Self.approx(t.observe(ts: 130, state: .charging, energyWh: 210), 0.66))
        #expect(t.sessions == 4)
    }

    // MARK: - A building with charger ports linked to units

    /// One charging session per linked port per day, from 17:00 local, at 300 W.
    struct Session {
        var device: String
        var port: Int
        var day: Int
        var kwh: Double
    }

    struct Scenario {
        var building = SyntheticBuilding.honest(count: 10, days: 56)
        /// Unit → its ports on CH-1. U109 has none.
        var links: [String: [Int]] = Dictionary(uniqueKeysWithValues: (0..<9).map { ("U\(100 + $0)", [2 * $0 + 1, 2 * $0 + 2]) })
        /// kWh per person per day of charging (each resident's e-bike).
        var perPersonKWh = 0.35
        /// U101 (2 people, registered 2) charges as if this many lived there from `stepDay` on.
        var stepPeople = 7
        var stepDay = 35
        var seed: UInt64 = 11

        var config: BuildingConfig {
            var cfg = building.config
            let entries = links.keys.sorted().map { DeviceConfig.UnitPorts(unit: $0, ports: links[$0]!) }
            cfg.devices.append(DeviceConfig(id: "CH-1", kind: .charger, ports: 24, ratedPortCurrentA: 5, unitPorts: entries))
            cfg.devices.append(DeviceConfig(id: "CH-2", kind: .charger, ports: 4, ratedPortCurrentA: 5))
            return cfg
        }

        /// Every unit's charging sessions (U109 and the shared ports charge too, unlinked).
        var sessions: [Session] {
            var rng = SeededRNG(seed: seed)
            var out: [Session] = []
            for d in 0..<building.days {
                for (i, u) in building.units.enumerated() {
                    let people = u.id == "U101" && d >= stepDay ? stepPeople : u.people
                    let kwh = perPersonKWh * Double(people) * rng.uniform(0.8, 1.2)
                    if i < 9 {
                        out.append(Session(device: "CH-1", port: 2 * i + 1, day: d, kwh: kwh / 2))
                        out.append(Session(device: "CH-1", port: 2 * i + 2, day: d, kwh: kwh / 2))
                    } else {
                        out.append(Session(device: "CH-2", port: 1, day: d, kwh: kwh))  // U109 charges at the shared station
                    }
                }
                for p in 19...24 { out.append(Session(device: "CH-1", port: p, day: d, kwh: 1.2)) }  // shared ports
                for p in 2...4 { out.append(Session(device: "CH-2", port: p, day: d, kwh: 1.2)) }
            }
            return out
        }

        /// Charger telemetry every 10 min (all ports; the counter is kept after a session,
        /// like the simulator's stations), and session_start / session_end events.
        func chargerReadings() -> [Reading] {
            let start = SyntheticBuilding.start
            let all = sessions
            var out: [Reading] = []
            for (device, ports) in [("CH-1", 24), ("CH-2", 4)] {
                // port → sessions ordered by start
                var byPort: [Int: [(s: Int64, e: Int64, wh: Double)]] = [:]
                for x in all where x.device == device {
                    let s = start + Int64(x.day) * day + 17 * 3_600_000 + Int64(x.port) * 2 * minute
                    let durMs = Int64(x.kwh / 0.3 * 3_600_000)
                    byPort[x.port, default: []].append((s, s + durMs, x.kwh * 1000))
                    out.append(Reading(device: device, ts: s, observation: .event(DeviceEvent(name: .sessionStart, port: x.port))))
                    out.append(Reading(device: device, ts: s + durMs, observation: .event(DeviceEvent(name: .sessionEnd, port: x.port))))
                }
                var t = start
                let end = start + Int64(building.days) * day + 3 * 3_600_000
                while t < end {
                    var items: [ChargerPortReading] = []
                    for p in 1...ports {
                        // The latest session that started at or before t.
                        let last = byPort[p]?.last { $0.s <= t }
                        if let l = last, t < l.e {
                            items.append(ChargerPortReading(port: p, state: .charging, powerW: 300, energyWh: l.wh * Double(t - l.s) / Double(l.e - l.s)))
                        } else {
                            items.append(ChargerPortReading(port: p, state: .idle, powerW: 0, energyWh: last?.wh ?? 0))
                        }
                    }
                    out.append(Reading(device: device, ts: t + 30_000, observation: .telemetry(.charger(ChargerTelemetry(ports: items)))))
                    t += 10 * minute
                }
            }
            return out
        }

        /// Every reading of the building, time-ordered.
        func allReadings() -> [Reading] {
            (building.readings() + chargerReadings()).enumerated().sorted { a, b in
                a.element.ts != b.element.ts ? a.element.ts < b.element.ts : a.offset < b.offset
            }.map(\.element)
        }

        func run() -> OccupancyOutput {
            let cfg = config
            var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
            let all = allReadings()
            var out = OccupancyOutput()
            for r in all {
                if r.ts >= est.nextDeadline {
                    let o = est.advance(to: r.ts)
                    out.estimates += o.estimates
                    out.conditions += o.conditions
                }
                est.observe(r)
            }
            let o = est.advance(to: SyntheticBuilding.start + Int64(building.days + 1) * day + 3 * 3_600_000)
            out.estimates += o.estimates
            out.conditions += o.conditions
            return out
        }
    }

    static func estimate(_ out: OccupancyOutput, _ unit: String, day d: Int) -> OccupancyEstimate? {
        out.estimates(of: unit).first { $0.periodStart == SyntheticBuilding.start + Int64(d) * day }
    }

    static func charging(_ e: OccupancyEstimate) -> JSONValue? {
        e.evidence["meters"]?.arrayValue?.first { $0["kind"]?.stringValue == "charging" }
    }

    static func posteriorMean(_ e: OccupancyEstimate) -> Double { e.evidence["posterior"]?["mean"]?.doubleValue ?? .nan }

    @Test("a unit's linked ports charging more from a date raise its posterior, water unchanged")
    func stepInCharging() throws {
        let s = Scenario()
        let out = s.run()
        var control = s
        control.links["U101"] = nil
        let base = control.run()

        let before = try #require(Self.estimate(out, "U101", day: 33))
        let after = try #require(Self.estimate(out, "U101", day: 48))  // rolling 35–48 all after the step, baseline 7–34 before
        let ch = try #require(Self.charging(after))
        #expect(ch["model"]?["source"]?.stringValue == "building")
        // The building's fit: about 0.35 kWh per person per charging day.
        let b = try #require(ch["model"]?["per_person_day"]?.doubleValue)
        let a = try #require(ch["model"]?["fixed_per_day"]?.doubleValue)
        #expect(abs(a + 2 * b - 0.7) < 0.15, "model a=\(a) b=\(b)")
        // Its own step: from 0.7 to 2.45 kWh/day, ln 3.5 = 1.25.
        let step = try #require(ch["own_step_log"]?.doubleValue)
        #expect(step > 1.0 && step < 1.5, "own step \(step)")
        #expect(ch["register_resets"] == nil)

        let pBefore = Self.posteriorMean(before), pAfter = Self.posteriorMean(after)
        let pControl = Self.posteriorMean(try #require(Self.estimate(base, "U101", day: 48)))
        let p2 = after.evidence["posterior"]?["p_at_least_registered_plus_2"]?.doubleValue ?? 0
        let p2Control = Self.estimate(base, "U101", day: 48)?.evidence["posterior"]?["p_at_least_registered_plus_2"]?.doubleValue ?? 1
        print("U101 posterior mean: day 33 \(pBefore), day 48 \(pAfter) (without the link \(pControl)); P(≥ reg + 2) \(p2) (without \(p2Control)); rolling \(after.rolling ?? -1)")
        #expect(pAfter > pBefore + 1)
        #expect(pAfter > pControl + 1)
        #expect(p2 > p2Control + 0.3)
        // Without the link the same unit has no charging evidence and its posterior stays.
        #expect(Self.charging(try #require(Self.estimate(base, "U101", day: 48))) == nil)
        #expect(abs(pControl - pBefore) < 0.5)

        // Charging enters the rolling posterior only: the day figures are the water's.
        #expect(out.estimates.count == base.estimates.count)
        for (x, y) in zip(out.estimates, base.estimates) {
            #expect(x.unit == y.unit && x.periodStart == y.periodStart && x.dayEstimated == y.dayEstimated && x.dayLow == y.dayLow && x.dayHigh == y.dayHigh)
        }
    }

    @Test("each unit's charging is its own ports' energy per local day; other ports are ignored")
    func perUnitEnergy() throws {
        let s = Scenario()
        let out = s.run()
        let sessions = s.sessions
        for (unit, ports) in [("U100", [1, 2]), ("U104", [9, 10]), ("U101", [3, 4])] {
            var checked = 0
            for d in 1..<s.building.days {
                guard let e = Self.estimate(out, unit, day: d), let ch = Self.charging(e), let use = ch["day_use_kwh"]?.doubleValue else { continue }
                let expected = sessions.filter { $0.device == "CH-1" && ports.contains($0.port) && $0.day == d }.reduce(0) { $0 + $1.kwh }
                #expect(abs(use - expected) < 0.002, "\(unit) day \(d): \(use) kWh, sessions \(expected)")
                #expect(ch["register_resets"] == nil && ch["implausible_jumps"] == nil)
                #expect(ch["meters"]?.doubleValue == 2)
                checked += 1
            }
            // Every day once the building has calibrated the kind (7 days; no published fallback).
            #expect(checked == s.building.days - 6, "\(unit): \(checked) days")
        }
        // U109's charging is at the shared station, not linked: no charging evidence.
        for e in out.estimates(of: "U109") { #expect(Self.charging(e) == nil) }
    }

    @Test("the detection engine routes charger readings to the estimator")
    func throughTheEngine() throws {
        var s = Scenario()
        s.building.days = 30
        s.stepDay = 14
        var engine = DetectionEngine(config: s.config)
        var published: [OccupancyEstimate] = []
        for r in s.allReadings() {
            for o in engine.handle(.reading(r)) { if case let .occupancy(e) = o { published.append(e) } }
        }
        for o in engine.handle(.tick(SyntheticBuilding.start + 31 * Self.day + 3 * 3_600_000)) { if case let .occupancy(e) = o { published.append(e) } }
        let direct = s.run()
        let fromEngine = try #require(published.first { $0.unit == "U101" && $0.periodStart == SyntheticBuilding.start + 28 * Self.day })
        let ch = try #require(Self.charging(fromEngine))
        #expect(ch["own_step_log"]?.doubleValue ?? 0 > 0.8)
        #expect(fromEngine == Self.estimate(direct, "U101", day: 28))
        #expect(published.count == direct.estimates.count)
    }

    @Test("a charger without unit_ports, and unlinked ports, change nothing")
    func unlinkedChangeNothing() {
        var s = Scenario()
        s.links = [:]
        s.building.days = 20
        var plain = SyntheticBuilding.honest(count: 10, days: 20)
        plain.seed = s.building.seed
        let with = s.run()
        let without = plain.run()
        #expect(with.estimates == without.estimates)
    }
}
