import Foundation
import RentGuardCore

/// Replays DAIAD households as the water meters of a building and scores the occupancy
/// estimator and the group-rental flag (docs/occupancy.md §7).
///
/// Split: the folder's households are split by index into a tuning half (even) and a held-out
/// half (odd); parameters are tuned on the first and reported on the second. Each half is one
/// building, replayed `rotations` times with three populations:
///
/// - singles, honest: registered = real size;
/// - singles, under-registered: a third of the households of 3 or more (a different third in
///   each rotation) registered 2 below their real size, from the first day;
/// - pooled units: `pooledPerBuilding` triples of households behind one unit (three water
///   meters summed), registered as the first household's size. The first household lives
///   there from the start; the other two move in on the rotation's start day (day 0, 60, 120,
///   180, 240), so a pooled unit is sometimes pooled from the start and sometimes a step.
struct DAIADEvaluation {
    let data: DAIADData
    let overrides: [String: [String: Double]]
    var rotations = 5
    var pooledPerBuilding = 2
    /// Days within which a pooled unit must be flagged after its start.
    var flagWithinDays = 21
    var warmupDays = 28
    /// Also keep the pooled units' evidence 5, 10, 20 and 40 days after the move-in.
    var verboseDays = false
    static let day: Int64 = 86_400_000

    enum Role { case honest, under, pooled }

    struct Unit {
        var id: String
        var households: [Int]
        var registered: Int
        var role: Role
        /// Event time at which the 2nd and 3rd households move in (pooled units).
        var joinTs: Int64 = .min
    }

    struct Series {
        var estimates: [OccupancyEstimate] = []
    }

    func config(_ units: [Unit]) -> BuildingConfig {
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "eval", building: "daiad"))
        for u in units {
            // Area unknown (0): DAIAD has no floor areas, so the area criterion cannot fire.
            cfg.units.append(UnitConfig(id: u.id, areaM2: 0, completeFlat: true, registeredOccupants: u.registered))
            for h in u.households { cfg.devices.append(DeviceConfig(id: "WM-" + data.households[h].id, kind: .waterMeter, unit: u.id)) }
        }
        cfg.thresholds = overrides
        return cfg
    }

    /// Replays the year in event time (days in the data's own local time); a joining
    /// household's readings count only from its unit's join time.
    func replay(_ units: [Unit]) -> [Series] {
        let cfg = config(units)
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg), options: OccupancyOptions(utcOffsetSeconds: 0))
        var slot: [String: Int] = [:]
        for (i, u) in units.enumerated() { slot[u.id] = i }
        var joinOf = Array(repeating: Int64.min, count: data.households.count)
        var used = Array(repeating: false, count: data.households.count)
        for u in units {
            for (k, h) in u.households.enumerated() {
                used[h] = true
                if k > 0 { joinOf[h] = u.joinTs }
            }
        }
        var series = Array(repeating: Series(), count: units.count)
        func collect(_ o: OccupancyOutput) { for e in o.estimates { series[slot[e.unit]!].estimates.append(e) } }
        let devices = data.households.map { "WM-" + $0.id }
        for s in data.merged where used[s.household] && s.ts >= joinOf[s.household] {
            if s.ts >= est.nextDeadline { collect(est.advance(to: s.ts)) }
            est.observe(Reading(device: devices[s.household], ts: s.ts, observation: .telemetry(.water(WaterTelemetry(volumeL: s.litres)))))
        }
        collect(est.advance(to: data.lastTs + 3 * Self.day))
        return series
    }

    /// The registry's figure (`estimated_occupants`, `low`, `high`: the posterior) and the
    /// period's own figure (`day_estimated_occupants`) against the real size, with the
    /// registration and the building's typical size as baselines, on the same unit-days: those
    /// with a rolling window (the figures of docs/occupancy.md §7).
    struct Accuracy {
        var n = 0, absErr = 0.0, within1 = 0, covered = 0, width = 0.0
        var dayAbsErr = 0.0, dayWithin1 = 0, dayCovered = 0
        var regAbsErr = 0.0, typAbsErr = 0.0, regWithin1 = 0, typWithin1 = 0

        mutating func add(_ e: OccupancyEstimate, real: Int, typical: Double) {
            guard e.rolling != nil else { return }
            let (ro, lo, hi) = (e.estimated, e.low, e.high)
            let r = Double(real)
            n += 1
            absErr += abs(ro - r)
            if abs(ro - r) <= 1 { within1 += 1 }
            if lo <= r && r <= hi { covered += 1 }
            width += hi - lo
            dayAbsErr += abs(e.dayEstimated - r)
            if abs(e.dayEstimated - r) <= 1 { dayWithin1 += 1 }
            if e.dayLow <= r && r <= e.dayHigh { dayCovered += 1 }
            let reg = Double(e.registeredOccupants)
            regAbsErr += abs(reg - r)
            if abs(reg - r) <= 1 { regWithin1 += 1 }
            typAbsErr += abs(typical - r)
            if abs(typical - r) <= 1 { typWithin1 += 1 }
        }

        func ratio(_ a: Double) -> Double { n > 0 ? a / Double(n) : .nan }
        var mae: Double { ratio(absErr) }
        var dayMAE: Double { ratio(dayAbsErr) }
        var regMAE: Double { ratio(regAbsErr) }
        var typMAE: Double { ratio(typAbsErr) }

        func line(_ label: String) -> String {
            String(
                format: "  %@ (%d unit-days): estimated_occupants MAE %.2f persons, within ±1 %.1f %%, [low, high] coverage %.1f %% (mean width %.1f) | day figure MAE %.2f (±1 %.1f %%, [day_low, day_high] coverage %.1f %%) | baselines: registered count MAE %.2f (±1 %.1f %%), building's typical size MAE %.2f (±1 %.1f %%)",
                label, n, mae, 100 * ratio(Double(within1)), 100 * ratio(Double(covered)), ratio(width),
                dayMAE, 100 * ratio(Double(dayWithin1)), 100 * ratio(Double(dayCovered)), regMAE,
                100 * ratio(Double(regWithin1)), typMAE, 100 * ratio(Double(typWithin1)))
        }
    }

    struct Report {
        var title = ""
        var singles = Accuracy(), singlesAfterWarmup = Accuracy(), honest = Accuracy(), under = Accuracy()
        var pooledAcc = Accuracy()
        var honestDays = 0, honestFlaggedDays = 0, honestUnits = 0, honestUnitsFlagged = 0
        var underDays = 0, underFlaggedDays = 0, underUnits = 0, underUnitsFlagged = 0
        var pooledUnits = 0, pooledFlaggedInTime = 0, pooledFlaggedEver = 0
        var delays: [Int] = []
        var lines: [String] = []

        func print(verbose: Bool) {
            func pct(_ a: Int, _ b: Int) -> String { b > 0 ? String(format: "%.1f %%", 100 * Double(a) / Double(b)) : "n/a" }
            Swift.print("== \(title)")
            if verbose { for l in lines { Swift.print(l) } }
            Swift.print("Occupancy vs real size: the registry's estimated_occupants (the posterior) and the day-only figure, against the registration:")
            Swift.print(singles.line("honest + under-registered singles"))
            Swift.print(singlesAfterWarmup.line("  the same after the 28-day warm-up"))
            Swift.print(honest.line("  honest only"))
            Swift.print(under.line("  registered 2 below only"))
            Swift.print(pooledAcc.line("pooled units, 14+ days after the move-in"))
            Swift.print("Group-rental flags:")
            Swift.print("  honest singles: \(honestFlaggedDays) of \(honestDays) unit-days flagged (\(pct(honestFlaggedDays, honestDays))), \(honestUnitsFlagged) of \(honestUnits) units ever flagged in the year")
            Swift.print("  registered 2 below: \(underUnitsFlagged) of \(underUnits) units ever flagged (recall \(pct(underUnitsFlagged, underUnits))), \(underFlaggedDays) of \(underDays) unit-days (\(pct(underFlaggedDays, underDays)))")
            let d = delays.sorted()
            Swift.print("  pooled units: \(pooledFlaggedInTime) of \(pooledUnits) flagged within 21 days of the move-in (recall \(pct(pooledFlaggedInTime, pooledUnits))), \(pooledFlaggedEver) ever; days to flag: median \(d.isEmpty ? "n/a" : String(d[d.count / 2])), max \(d.last.map(String.init) ?? "n/a")")
            Swift.print("  precision, pooled vs honest units: \(pct(pooledFlaggedInTime, pooledFlaggedInTime + honestUnitsFlagged)) (\(pooledFlaggedInTime) pooled flagged in time, \(honestUnitsFlagged) honest units ever flagged)")
        }
    }

    /// A deterministic shuffle (SplitMix64) so that rotations differ but runs repeat.
    static func shuffled(_ v: [Int], seed: UInt64) -> [Int] {
        var x = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            x = x &+ 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var a = v
        if a.count > 1 { for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(next() % UInt64(i + 1))) } }
        return a
    }

    func run(title: String, households hs: [Int], seed: UInt64) -> Report {
        var rep = Report()
        rep.title = title
        let H = data.households
        let warmupEnd = data.firstTs + Int64(warmupDays) * Self.day
        for r in 0..<rotations {
            let order = Self.shuffled(hs, seed: seed &+ UInt64(r) &* 7919)
            var units: [Unit] = []
            let startDay = [0, 60, 120, 180, 240][r % 5]
            let join = data.firstTs + Int64(startDay) * Self.day
            var k = 0
            for t in 0..<pooledPerBuilding where k + 3 <= order.count {
                let tri = Array(order[k..<(k + 3)])
                units.append(Unit(id: "P\(r)-\(t)", households: tri, registered: H[tri[0]].members, role: .pooled, joinTs: join))
                k += 3
            }
            let singles = Array(order[k...]).sorted()
            let bigger = singles.filter { H[$0].members >= 3 }
            for h in singles {
                let under = bigger.firstIndex(of: h).map { ($0 + r) % 3 == 0 } ?? false
                units.append(Unit(id: H[h].id, households: [h], registered: under ? H[h].members - 2 : H[h].members, role: under ? .under : .honest))
            }
            let series = replay(units)
            let regs = units.map { Double($0.registered) }
            for (i, u) in units.enumerated() {
                let others = regs.enumerated().filter { $0.offset != i }.map(\.element).sorted()
                let typical = others.isEmpty ? 0 : (others.count % 2 == 1 ? others[others.count / 2] : (others[others.count / 2 - 1] + others[others.count / 2]) / 2)
                let es = series[i].estimates
                let assessed = es.filter { $0.rolling != nil }
                switch u.role {
                case .honest, .under:
                    let real = H[u.households[0]].members
                    for e in es {
                        rep.singles.add(e, real: real, typical: typical)
                        if e.periodStart >= warmupEnd { rep.singlesAfterWarmup.add(e, real: real, typical: typical) }
                        if u.role == .honest { rep.honest.add(e, real: real, typical: typical) } else { rep.under.add(e, real: real, typical: typical) }
                    }
                    let f = assessed.filter(\.groupRentalSuspected).count
                    if u.role == .honest {
                        rep.honestDays += assessed.count; rep.honestFlaggedDays += f; rep.honestUnits += 1
                        if f > 0 { rep.honestUnitsFlagged += 1 }
                    } else {
                        rep.underDays += assessed.count; rep.underFlaggedDays += f; rep.underUnits += 1
                        if f > 0 { rep.underUnitsFlagged += 1 }
                    }
                    if f > 0 {
                        rep.lines.append("  \(u.role == .honest ? "honest" : "under ") \(u.id) real \(real) registered \(u.registered): flagged \(f) of \(assessed.count) days, mean estimate \(String(format: "%.2f", assessed.compactMap(\.rolling).reduce(0, +) / Double(max(1, assessed.count))))")
                    }
                case .pooled:
                    let real = u.households.map { H[$0].members }.reduce(0, +)
                    rep.pooledUnits += 1
                    let after = es.filter { $0.periodStart >= u.joinTs }
                    for e in after where e.periodStart >= u.joinTs + 14 * Self.day { rep.pooledAcc.add(e, real: real, typical: typical) }
                    let firstFlag = after.first(where: \.groupRentalSuspected).map { Int(($0.periodEnd - u.joinTs) / Self.day) }
                    if let d = firstFlag {
                        rep.pooledFlaggedEver += 1
                        if d <= flagWithinDays { rep.pooledFlaggedInTime += 1 }
                        rep.delays.append(d)
                    }
                    let ro = after.compactMap(\.rolling)
                    if verboseDays {
                        // P(≥ registered + 2) on each of the first 28 days after the move-in, in tenths ("9" ≥ 0.9), "*" flagged.
                        var trace = ""
                        for e in after.prefix(28) {
                            let p = e.evidence["posterior"]?["p_at_least_registered_plus_2"]?.doubleValue ?? 0
                            trace += e.groupRentalSuspected ? "*" : String(min(9, Int(p * 10)))
                        }
                        rep.lines.append("    P(≥ registered + 2) by day, tenths: \(trace)")
                        for e in after where [5, 10, 20, 40].contains(Int((e.periodStart - u.joinTs) / Self.day)) {
                            rep.lines.append("    +\((e.periodStart - u.joinTs) / Self.day)d rolling \(e.rolling ?? -1) \(e.evidence["meters"]?.arrayValue?.first?.serialized() ?? "") \(e.evidence["posterior"]?.serialized() ?? "")")
                        }
                    }
                    let post = es.filter { $0.periodStart < u.joinTs }.filter(\.groupRentalSuspected).count
                    rep.lines.append(
                        String(format: "  pooled %@ (%@) from day %d: real %d, registered %d, mean estimate %.2f after, first flag day %@, flagged before the move-in %d days",
                               u.id, u.households.map { H[$0].id }.joined(separator: "+"), startDay, real, u.registered,
                               ro.isEmpty ? Double.nan : ro.reduce(0, +) / Double(ro.count), firstFlag.map { String($0) } ?? "never", post))
                }
            }
        }
        return rep
    }
}

