import Foundation
import Testing
@testable import RentGuardCore

/// The occupancy estimator's state survives a restart (issue 13): an estimator snapshotted,
/// encoded to JSON, decoded and restored into a new estimator gives exactly what the
/// uninterrupted one gives on the following days; a configuration changed in between keeps
/// what still matches and drops the rest, counted.
@Suite struct OccupancySnapshotTests {
    typealias S = SyntheticBuilding

    /// JSON as the store writes it (sorted keys, non-finite numbers as strings).
    static func encode(_ s: OccupancyEstimator.Snapshot) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(s)
    }

    static func decode(_ d: Data) throws -> OccupancyEstimator.Snapshot {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try dec.decode(OccupancyEstimator.Snapshot.self, from: d)
    }

    struct Run {
        var out = OccupancyOutput()
        var reports: [OccupancyEstimator.RestoreReport] = []
        var bytes: [Int] = []
    }

    /// Runs the building's readings through an estimator that is restarted before the first
    /// reading at or after each of `cuts`: through JSON when `snapshot`, else from nothing.
    /// `restartConfig` is the configuration after the first restart (default: unchanged).
    static func run(_ b: S, cuts: [Int64], snapshot: Bool = true, restartConfig: BuildingConfig? = nil) throws -> Run {
        var cfg = b.config
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
        var r = Run()
        var pending = cuts.sorted()[...]
        func collect(_ o: OccupancyOutput) {
            r.out.estimates += o.estimates
            r.out.conditions += o.conditions
        }
        for reading in b.readings() {
            while let c = pending.first, reading.ts >= c {
                pending = pending.dropFirst()
                let data = try encode(est.snapshot())
                r.bytes.append(data.count)
                cfg = restartConfig ?? cfg
                est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
                if snapshot { r.reports.append(est.restore(try decode(data))) }
            }
            if reading.ts >= est.nextDeadline { collect(est.advance(to: reading.ts)) }
            est.observe(reading)
        }
        collect(est.advance(to: S.start + Int64(b.days + 1) * S.day + 3 * S.hour))
        return r
    }

    /// What was produced from `ts` on.
    static func after(_ o: OccupancyOutput, _ ts: Int64) -> OccupancyOutput {
        OccupancyOutput(estimates: o.estimates.filter { $0.periodEnd > ts }, conditions: o.conditions.filter { $0.at > ts })
    }

    /// A frugal 2-person flat becomes 7 on day 35 (the own-history step flags it); some units
    /// have a power meter with an energy register too.
    static var stepBuilding: S {
        var b = S.honest(count: 20, days: 62, habitSigma: 0.35)
        b.units[6].people = 2
        b.units[6].registered = 2
        b.units[6].habit = 0.55
        b.units[6].crowd = (35..<62, 7)
        for i in 10..<15 { b.units[i].power = true }
        return b
    }

    // MARK: - Round trip

    @Test func aRestoredEstimatorContinuesExactlyAsTheUninterruptedOne() throws {
        let b = Self.stepBuilding
        let flagged = b.units[6].id
        let reference = try Self.run(b, cuts: []).out
        let raised = try #require(reference.conditions.first { $0.key.unit == flagged && $0.active }, "the scenario raises a flag")
        // Cut points: mid-day with 42 days of history, and inside the flag's 7-day run (3 days
        // before it is raised: the run of days holding must survive), each mid-afternoon.
        let cuts: [Int64] = [S.start + 44 * S.day + 15 * S.hour + 20 * 60_000, raised.at - 3 * S.day + 13 * S.hour]
        for cut in cuts {
            let restarted = try Self.run(b, cuts: [cut])
            let want = Self.after(reference, cut), got = Self.after(restarted.out, cut)
            #expect(want.estimates.count > 100)
            #expect(got == want, "restart at day \((cut - S.start) / S.day): \(got.estimates.count) estimates, \(got.conditions.count) conditions; expected \(want.estimates.count), \(want.conditions.count)")
            #expect(restarted.out == reference)
            let r = try #require(restarted.reports.first)
            #expect(r.discarded == nil)
            #expect(r.metersKept == 25 && r.metersDropped == 0)
            #expect(r.historiesKept == 25 && r.historiesDropped == 0)
        }
        // Several restarts in one run, one of them inside the flag's run: the same flag on the same day.
        let many = try Self.run(b, cuts: stride(from: 3, to: 62, by: 4).map { S.start + Int64($0) * S.day + Int64($0 % 24) * S.hour } + [raised.at - S.hour])
        #expect(many.out == reference)
        #expect(many.out.conditions.filter { $0.active } == reference.conditions.filter { $0.active })
    }

    /// The comparison above has teeth: a restart without the snapshot loses the windows, so
    /// the days after it differ and the flag comes later (or not at all).
    @Test func withoutTheSnapshotARestartForgets() throws {
        let b = Self.stepBuilding
        let flagged = b.units[6].id
        let reference = try Self.run(b, cuts: []).out
        let raised = try #require(reference.conditions.first { $0.key.unit == flagged && $0.active })
        let cut = raised.at - 3 * S.day + 13 * S.hour
        let fresh = try Self.run(b, cuts: [cut], snapshot: false).out
        #expect(Self.after(fresh, cut) != Self.after(reference, cut))
        // The first day after the restart has no rolling estimate (no window) without the snapshot.
        let firstAfter = try #require(Self.after(fresh, cut).estimates.first { $0.unit == flagged })
        #expect(firstAfter.rolling == nil)
        let freshRaise = fresh.conditions.first { $0.key.unit == flagged && $0.active }
        #expect(freshRaise.map { $0.at > raised.at } ?? true, "without the snapshot the flag is not raised on the same day")
    }

    @Test func snapshotOfARestoredEstimatorIsTheSnapshot() throws {
        let b = S.honest(count: 8, days: 20, power: true)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        for r in b.readings() where r.ts < S.start + 17 * S.day + 9 * S.hour {
            if r.ts >= est.nextDeadline { _ = est.advance(to: r.ts) }
            est.observe(r)
        }
        let s = est.snapshot()
        #expect(s.nextPeriod != nil)
        #expect(s.meters.values.allSatisfy { !$0.open.isEmpty && $0.lastRegister != nil })
        #expect(s.units.count == 8 && s.units.values.allSatisfy { $0.history.count == 2 })
        let decoded = try Self.decode(try Self.encode(s))
        #expect(decoded == s)
        var again = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        again.restore(decoded)
        #expect(again.snapshot() == s)
    }

    @Test func powerSamplesWithoutARegisterSurvive() throws {
        // A power meter without an energy register: the last power sample is held across the restart.
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "g", building: "B"))
        for i in 0..<6 {
            cfg.units.append(UnitConfig(id: "U\(i)", areaM2: 50, registeredOccupants: 1 + i % 3))
            cfg.devices.append(DeviceConfig(id: "PM-\(i)", kind: .powerMeter, unit: "U\(i)"))
        }
        func play(restartAt: Int?) throws -> [OccupancyEstimate] {
            var est = OccupancyEstimator(config: cfg, thresholds: Thresholds())
            var out: [OccupancyEstimate] = []
            for k in 0..<(12 * 144) {
                let ts = S.start + Int64(k) * 600_000
                if k == restartAt {
                    let s = try Self.decode(try Self.encode(est.snapshot()))
                    #expect(s.meters["PM-0"]?.lastPowerW != nil && s.meters["PM-0"]?.usesRegister == false)
                    est = OccupancyEstimator(config: cfg, thresholds: Thresholds())
                    est.restore(s)
                }
                let hour = ((ts - S.start) / S.hour) % 24
                for i in 0..<6 {
                    let w = 50 + (hour >= 7 && hour < 23 ? (60 + 90 * Double(1 + i % 3)) * 1.5 + Double(k % 7) : 0)
                    est.observe(Reading(device: "PM-\(i)", ts: ts, observation: .telemetry(.power(PowerTelemetry(powerW: w)))))
                }
                if ts >= est.nextDeadline { out += est.advance(to: ts).estimates }
            }
            return out
        }
        let reference = try play(restartAt: nil)
        #expect(reference.count > 50)
        #expect(try play(restartAt: 9 * 144 + 61) == reference)
    }

    @Test func chargerPortsSessionCountersSurvive() throws {
        // Charger ports linked to units (unit_ports): the session counters and the ports'
        // meter tracks are kept by `<charger>/<port>`; a restart in the middle of the evening's
        // sessions (ports charging) gives the uninterrupted run's estimates.
        let sc = OccupancyChargingTests.Scenario()
        let cfg = sc.config
        let all = sc.allReadings()
        func play(cut: Int64?) throws -> (OccupancyOutput, OccupancyEstimator.Snapshot?) {
            var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
            var out = OccupancyOutput()
            var taken: OccupancyEstimator.Snapshot? = nil
            var pending = cut
            for r in all {
                if let c = pending, r.ts >= c {
                    pending = nil
                    let s = try Self.decode(try Self.encode(est.snapshot()))
                    taken = s
                    est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
                    let rep = est.restore(s)
                    #expect(rep.metersDropped == 0 && rep.historiesDropped == 0, "\(rep)")
                }
                if r.ts >= est.nextDeadline {
                    let o = est.advance(to: r.ts)
                    out.estimates += o.estimates
                    out.conditions += o.conditions
                }
                est.observe(r)
            }
            let o = est.advance(to: S.start + Int64(sc.building.days + 1) * S.day + 3 * S.hour)
            out.estimates += o.estimates
            out.conditions += o.conditions
            return (out, taken)
        }
        let (reference, _) = try play(cut: nil)
        let (restarted, taken) = try play(cut: S.start + 40 * S.day + 17 * S.hour + 25 * 60_000)
        let s = try #require(taken)
        let port = try #require(s.meters["CH-1/3"])
        #expect(port.kind == .charging && port.unit == "U101" && port.charging?.inSession == true && port.charging?.sessions ?? 0 > 30)
        #expect(s.meters["CH-1/20"] == nil, "shared ports are not the estimator's")
        #expect(s.units["U101"]?.history["charging"]?.meters == ["CH-1/3", "CH-1/4"])
        #expect(reference.estimates.count > 400)
        #expect(restarted == reference)
    }

    // MARK: - Configuration changed between save and restore

    @Test func aChangedConfigurationKeepsWhatMatchesAndDropsTheRest() throws {
        var b = S.honest(count: 10, days: 30, power: true)
        b.units[3].people = 9
        b.units[3].registered = 2
        b.units[3].areaM2 = 40
        let cut = S.start + 24 * S.day + 10 * S.hour
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        for r in b.readings() where r.ts < cut {
            if r.ts >= est.nextDeadline { _ = est.advance(to: r.ts) }
            est.observe(r)
        }
        let before = est.snapshot()
        #expect(before.units["U103"]?.tracker != nil, "unit 103 is in a group-rental run or flagged")
        let data = try Self.encode(before)

        var cfg = b.config
        // U100 removed with its meters; U101's water meter moved to U102 (U101 keeps its power
        // meter, U102 has two water meters now); U104 registered differently; a new unit U200.
        cfg.units.removeAll { $0.id == "U100" }
        cfg.devices.removeAll { $0.unit == "U100" }
        let wm101 = try #require(cfg.devices.firstIndex { $0.id == "WM-U101" })
        cfg.devices[wm101].unit = "U102"
        let u104 = try #require(cfg.units.firstIndex { $0.id == "U104" })
        cfg.units[u104].registeredOccupants += 1
        cfg.units.append(UnitConfig(id: "U200", areaM2: 60, registeredOccupants: 2))
        cfg.devices.append(DeviceConfig(id: "WM-U200", kind: .waterMeter, unit: "U200"))

        var after = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
        let r = after.restore(try Self.decode(data))
        #expect(r.discarded == nil)
        // Meters: 20 stored; WM-U100 and PM-U100 gone, WM-U101 now in another unit.
        #expect(r.metersKept == 17 && r.metersDropped == 3, "\(r)")
        // Series: 20 stored; U100's two gone, U101 water (its meter left) and U102 water (a meter
        // joined) no longer measured by the same meters.
        #expect(r.historiesKept == 16 && r.historiesDropped == 4, "\(r)")
        let trackersStored = before.units.values.filter { $0.tracker != nil }.count
        let droppedTrackers = ["U100", "U104"].filter { before.units[$0]?.tracker != nil }.count
        #expect(r.trackersKept == trackersStored - droppedTrackers && r.trackersDropped == droppedTrackers, "\(r)")

        let s = after.snapshot()
        #expect(s.nextPeriod == before.nextPeriod)
        #expect(s.units["U100"] == nil)
        #expect(s.units["U101"]?.history["water"] == nil)
        #expect(s.units["U101"]?.history["electricity"] == before.units["U101"]?.history["electricity"])
        #expect(s.units["U102"]?.history["water"] == nil)
        #expect(s.units["U103"] == before.units["U103"])
        #expect(s.units["U104"]?.history == before.units["U104"]?.history)
        #expect(s.units["U104"]?.tracker == nil)
        #expect(s.units["U200"] == nil)
        #expect(s.meters["WM-U101"]?.unit == "U102" && s.meters["WM-U101"]?.lastRegister == nil)
        #expect(s.meters["PM-U101"] == before.meters["PM-U101"])
        #expect(s.meters["WM-U200"]?.lastRegister == nil)

        // The restored estimator runs on: the kept units have estimates with a rolling window on
        // the first day it closes, the dropped ones rebuild theirs.
        var out: [OccupancyEstimate] = []
        for rd in b.readings() where rd.ts >= cut && rd.device != "WM-U100" && rd.device != "PM-U100" {
            if rd.ts >= after.nextDeadline { out += after.advance(to: rd.ts).estimates }
            after.observe(rd)
        }
        let firstDay = out.filter { $0.periodStart == S.start + 24 * S.day }
        #expect(firstDay.first { $0.unit == "U105" }?.rolling != nil)
        let u102 = try #require(firstDay.first { $0.unit == "U102" }?.evidence["meters"]?.arrayValue)
        #expect(u102.first { $0["kind"] == "water" }?["rolling_days"] == nil)
        #expect(u102.first { $0["kind"] == "electricity" }?["rolling_days"] != nil)
    }

    @Test func anotherZoneOrPeriodLengthDiscardsEverything() throws {
        let b = S.honest(count: 6, days: 10)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        for r in b.readings() where r.ts < S.start + 9 * S.day {
            if r.ts >= est.nextDeadline { _ = est.advance(to: r.ts) }
            est.observe(r)
        }
        let s = est.snapshot()
        var utc = OccupancyEstimator(config: b.config, thresholds: Thresholds(), options: OccupancyOptions(utcOffsetSeconds: 0))
        let r = utc.restore(s)
        #expect(r.discarded?.contains("local time") == true, "\(r)")
        #expect(r.metersKept == 0 && r.metersDropped == 6 && r.historiesDropped == 6)
        #expect(utc.snapshot().units.isEmpty && utc.snapshot().nextPeriod == nil)
        var hourly = OccupancyEstimator(config: b.config, thresholds: Thresholds(), options: OccupancyOptions(periodSeconds: 3600))
        #expect(hourly.restore(s).discarded?.contains("periods") == true)
    }

    @Test func theAlarmsDecideWhichUnitsAreSuspected() throws {
        var b = S.honest(count: 10, days: 30)
        b.units[3].people = 9
        b.units[3].registered = 2
        b.units[3].areaM2 = 40
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        var conds: [Condition] = []
        for r in b.readings() {
            if r.ts >= est.nextDeadline { conds += est.advance(to: r.ts).conditions }
            est.observe(r)
        }
        let raised = try #require(conds.first { $0.active })
        let s = est.snapshot()
        #expect(s.units[b.units[3].id]?.tracker?.active == true)
        // The alarm table has no active flag (a snapshot ahead of it): the unit is not suspected.
        var restored = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        restored.restore(s)
        restored.restoreFlags(from: [])
        #expect(restored.snapshot().units[b.units[3].id]?.tracker?.active == false)
        #expect(restored.snapshot().units[b.units[3].id]?.tracker?.holdRun == s.units[b.units[3].id]?.tracker?.holdRun)
        // With the alarm active it is.
        let alarm = Alarm(id: "a", key: raised.key, state: .raised, severity: .warning, location: nil, startedAt: raised.at, updatedAt: raised.at, evidence: .object([]))
        restored.restoreFlags(from: [alarm])
        #expect(restored.snapshot().units[b.units[3].id]?.tracker?.active == true)
    }

    // MARK: - Damaged snapshots

    static func mutate(_ data: Data, _ f: (inout [String: Any]) -> Void) throws -> Data {
        var o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        f(&o)
        return try JSONSerialization.data(withJSONObject: o)
    }

    @Test func damagedValuesAreRejectedWithAReason() throws {
        let b = S.honest(count: 6, days: 12)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        for r in b.readings() where r.ts < S.start + 11 * S.day + 5 * S.hour {
            if r.ts >= est.nextDeadline { _ = est.advance(to: r.ts) }
            est.observe(r)
        }
        let good = try Self.encode(est.snapshot())
        #expect(try Self.decode(good) == est.snapshot())
        func unit(_ o: inout [String: Any], _ f: (inout [String: Any]) -> Void) {
            var units = o["units"] as! [String: Any]
            var u = units["U100"] as! [String: Any]
            var h = u["history"] as! [String: Any]
            var w = h["water"] as! [String: Any]
            f(&w)
            h["water"] = w; u["history"] = h; units["U100"] = u; o["units"] = units
        }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("version", { $0["version"] = 99 }),
            ("nan", { o in unit(&o) { w in var u = w["use"] as! [Any]; u[2] = "nan"; w["use"] = u } }),
            ("negative", { o in unit(&o) { w in var u = w["use"] as! [Any]; u[0] = -5.0; w["use"] = u } }),
            ("periods", { o in unit(&o) { w in var p = w["periods"] as! [Any]; p[1] = 0; w["periods"] = p } }),
            ("length", { o in unit(&o) { w in var u = w["use"] as! [Any]; u.removeLast(); w["use"] = u } }),
            ("missing", { $0["meters"] = nil }),
            ("overflow", { $0["next_period"] = Int64.max }),
            ("open before next", { o in
                var ms = o["meters"] as! [String: Any]
                var m = ms["WM-U101"] as! [String: Any]
                var open = m["open"] as! [[String: Any]]
                open[0]["p"] = (o["next_period"] as! Int) - 3
                m["open"] = open; ms["WM-U101"] = m; o["meters"] = ms
            }),
        ]
        for (name, f) in cases {
            let bad = try Self.mutate(good, f)
            #expect(throws: DecodingError.self, "\(name)") { try Self.decode(bad) }
        }
    }
}
