import Foundation
import RentGuardCore

/// Replays DAIAD households as the water meters of a building and scores the estimator.
///
/// Leakage control: the estimator never calibrates a unit on its own registration (its
/// calibration is leave-one-out over the other units), so a household's real size reaches its
/// estimate only as the thing it is compared with. The flag test is 5-fold: in fold f the
/// households with index % 5 == f (and a real size ≥ 2) are registered 2 below their real
/// size, the others honestly, and the whole year is replayed.
struct DAIADEvaluation {
    let data: DAIADData
    let overrides: [String: [String: Double]]
    static let folds = 5
    /// The first days fall back to published figures while the building calibrates.
    var warmupDays: Int { Int(overrides["occupancy"]?["calibration_window_days"] ?? 28) }

    struct Series {
        var estimates: [OccupancyEstimate] = []
        var raised = 0
        var cleared = 0
    }

    /// A building whose units hold the given households' meters.
    func config(units: [(id: String, households: [Int], registered: Int)]) -> BuildingConfig {
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "eval", building: "daiad"))
        for u in units {
            // Area unknown (0): DAIAD has no floor areas, so the area criterion cannot fire.
            cfg.units.append(UnitConfig(id: u.id, areaM2: 0, completeFlat: true, registeredOccupants: u.registered))
            for h in u.households {
                cfg.devices.append(DeviceConfig(id: "WM-" + data.households[h].id, kind: .waterMeter, unit: u.id))
            }
        }
        cfg.thresholds = overrides
        return cfg
    }

    /// Replays the whole year in event time; returns each unit's estimates (by unit index).
    func replay(_ cfg: BuildingConfig) -> [Series] {
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg), options: OccupancyOptions(utcOffsetSeconds: 0))
        var slot: [String: Int] = [:]
        for (i, u) in cfg.units.enumerated() { slot[u.id] = i }
        var series = Array(repeating: Series(), count: cfg.units.count)
        func collect(_ o: OccupancyOutput) {
            for e in o.estimates { series[slot[e.unit]!].estimates.append(e) }
            for c in o.conditions {
                if c.active { series[slot[c.key.unit!]!].raised += 1 } else { series[slot[c.key.unit!]!].cleared += 1 }
            }
        }
        let devices = data.households.map { "WM-" + $0.id }
        for s in data.merged {
            if s.ts >= est.nextDeadline { collect(est.advance(to: s.ts)) }
            est.observe(Reading(device: devices[s.household], ts: s.ts, observation: .telemetry(.water(WaterTelemetry(volumeL: s.litres)))))
        }
        collect(est.advance(to: data.lastTs + 3 * 86_400_000))
        return series
    }

    struct Accuracy {
        var n = 0
        var absErr = 0.0
        var within1 = 0
        var covered = 0
        var dayN = 0
        var dayCovered = 0
        var dayAbsErr = 0.0
        var width = 0.0

        mutating func add(_ e: OccupancyEstimate, real: Int) {
            let r = Double(real)
            dayN += 1
            dayAbsErr += abs(e.estimated - r)
            if e.low <= r && r <= e.high { dayCovered += 1 }
            guard let ro = e.rolling, let lo = e.rollingLow, let hi = e.rollingHigh else { return }
            n += 1
            absErr += abs(ro - r)
            if abs(ro - r) <= 1 { within1 += 1 }
            if lo <= r && r <= hi { covered += 1 }
            width += hi - lo
        }

        var mae: Double { n > 0 ? absErr / Double(n) : .nan }
        var share1: Double { n > 0 ? Double(within1) / Double(n) : .nan }
        var coverage: Double { n > 0 ? Double(covered) / Double(n) : .nan }
        var dayCoverage: Double { dayN > 0 ? Double(dayCovered) / Double(dayN) : .nan }
        var dayMAE: Double { dayN > 0 ? dayAbsErr / Double(dayN) : .nan }
        var meanWidth: Double { n > 0 ? width / Double(n) : .nan }
    }

    struct FlagCounts {
        var positiveDays = 0, positiveFlaggedDays = 0
        var negativeDays = 0, negativeFlaggedDays = 0
        var positiveUnits = 0, positiveUnitsFlagged = 0
        var negativeUnits = 0, negativeUnitsFlagged = 0

        mutating func add(_ s: Series, positive: Bool) {
            let assessed = s.estimates.filter { $0.rolling != nil }
            let flagged = assessed.filter(\.groupRentalSuspected).count
            if positive {
                positiveDays += assessed.count; positiveFlaggedDays += flagged
                positiveUnits += 1; if flagged > 0 { positiveUnitsFlagged += 1 }
            } else {
                negativeDays += assessed.count; negativeFlaggedDays += flagged
                negativeUnits += 1; if flagged > 0 { negativeUnitsFlagged += 1 }
            }
        }

        static func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : .nan }
        var dayRecall: Double { Self.ratio(positiveFlaggedDays, positiveDays) }
        var dayFalseRate: Double { Self.ratio(negativeFlaggedDays, negativeDays) }
        var dayPrecision: Double { Self.ratio(positiveFlaggedDays, positiveFlaggedDays + negativeFlaggedDays) }
        var unitRecall: Double { Self.ratio(positiveUnitsFlagged, positiveUnits) }
        var unitPrecision: Double { Self.ratio(positiveUnitsFlagged, positiveUnitsFlagged + negativeUnitsFlagged) }
    }

    struct Report {
        var all = Accuracy()
        var afterWarmup = Accuracy()
        var honestFlags = FlagCounts()
        var foldFlags = FlagCounts()
        var perHousehold: [String] = []
        /// A head count that ignores the meters: the median registered size of the other units.
        var baselineAbsErr = 0.0
        var baselineWithin1 = 0
        var baselineN = 0
        var warmupDays = 28
        var households = 0
        /// The building's fitted water model over the year (fixed L/day, L/person/day, σ_log).
        var fits: [(a: Double, b: Double, s: Double)] = []
        var registeredFlagOnly = true

        func print() {
            func pct(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.1f %%", 100 * v) }
            func f2(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.2f", v) }
            for l in perHousehold { Swift.print(l) }
            Swift.print("Occupancy (rolling estimate vs real household size), honest registration, \(households) households:")
            Swift.print("  all unit-days (\(all.n)):            MAE \(f2(all.mae)) persons, within ±1 \(pct(all.share1)), [low, high] coverage \(pct(all.coverage)), mean width \(f2(all.meanWidth))")
            Swift.print("  after \(warmupDays)-day warm-up (\(afterWarmup.n)): MAE \(f2(afterWarmup.mae)) persons, within ±1 \(pct(afterWarmup.share1)), [low, high] coverage \(pct(afterWarmup.coverage)), mean width \(f2(afterWarmup.meanWidth))")
            Swift.print("  baseline without meters (median size of the other households, same unit-days): MAE \(f2(baselineN > 0 ? baselineAbsErr / Double(baselineN) : .nan)), within ±1 \(pct(baselineN > 0 ? Double(baselineWithin1) / Double(baselineN) : .nan))")
            if !fits.isEmpty {
                func med(_ v: [Double]) -> Double { let x = v.sorted(); return x[x.count / 2] }
                func q(_ v: [Double], _ p: Double) -> Double { let x = v.sorted(); return x[Int(Double(x.count - 1) * p)] }
                let a = fits.map(\.a), b = fits.map(\.b), sg = fits.map(\.s)
                Swift.print(String(format: "  building fit over the year (median [10th–90th percentile]): fixed a %.0f [%.0f–%.0f] L/day, per person b %.0f [%.0f–%.0f] L/day, sigma_log %.2f [%.2f–%.2f]",
                                   med(a), q(a, 0.1), q(a, 0.9), med(b), q(b, 0.1), q(b, 0.9), med(sg), q(sg, 0.1), q(sg, 0.9)))
            }
            Swift.print("  daily estimate (\(all.dayN) unit-days): MAE \(f2(all.dayMAE)), [low, high] coverage \(pct(all.dayCoverage))")
            Swift.print("Group-rental flags (registered_margin criterion; area unknown in DAIAD):")
            Swift.print("  honest registration: \(honestFlags.negativeFlaggedDays) of \(honestFlags.negativeDays) unit-days flagged (\(pct(honestFlags.dayFalseRate))), \(honestFlags.negativeUnitsFlagged) of \(honestFlags.negativeUnits) households ever flagged")
            Swift.print("  registered 2 below real (\(folds)-fold, \(foldFlags.positiveUnits) households):")
            Swift.print("    unit-days: recall \(pct(foldFlags.dayRecall)) (\(foldFlags.positiveFlaggedDays)/\(foldFlags.positiveDays)), false-flag rate on honest units \(pct(foldFlags.dayFalseRate)), precision \(pct(foldFlags.dayPrecision))")
            Swift.print("    households ever flagged in the year: recall \(pct(foldFlags.unitRecall)) (\(foldFlags.positiveUnitsFlagged)/\(foldFlags.positiveUnits)), honest households ever flagged \(foldFlags.negativeUnitsFlagged)/\(foldFlags.negativeUnits), precision \(pct(foldFlags.unitPrecision))")
        }
    }

    func run(printPerHousehold: Bool) -> Report {
        let hs = data.households
        var report = Report()
        report.warmupDays = warmupDays
        report.households = hs.count
        let warmupEnd = data.firstTs + Int64(warmupDays) * 86_400_000

        // 1. Honest registration.
        let honest = replay(config(units: hs.indices.map { (hs[$0].id, [$0], hs[$0].members) }))
        for (i, s) in honest.enumerated() {
            var acc = Accuracy()
            for e in s.estimates {
                if let m = e.evidence["meters"]?.arrayValue?.first?["model"], m["source"] == "building",
                    let a = m["fixed_per_day"]?.doubleValue, let b = m["per_person_day"]?.doubleValue, let sg = m["sigma_log"]?.doubleValue
                {
                    report.fits.append((a, b, sg))
                }
                report.all.add(e, real: hs[i].members)
                acc.add(e, real: hs[i].members)
                if e.periodStart >= warmupEnd { report.afterWarmup.add(e, real: hs[i].members) }
            }
            report.honestFlags.add(s, positive: false)
            let others = hs.indices.filter { $0 != i }.map { Double(hs[$0].members) }.sorted()
            let guess = others.isEmpty ? 0 : (others.count % 2 == 1 ? others[others.count / 2] : (others[others.count / 2 - 1] + others[others.count / 2]) / 2)
            let days = s.estimates.filter { $0.rolling != nil }.count
            report.baselineN += days
            report.baselineAbsErr += Double(days) * abs(guess - Double(hs[i].members))
            if abs(guess - Double(hs[i].members)) <= 1 { report.baselineWithin1 += days }
            if printPerHousehold {
                let ro = s.estimates.compactMap(\.rolling), lo = s.estimates.compactMap(\.rollingLow), hi = s.estimates.compactMap(\.rollingHigh)
                func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
                report.perHousehold.append(
                    String(format: "  %@ size %d: rolling %.2f [%.2f, %.2f] over %d days, MAE %.2f, coverage %.0f %%, flagged %d days",
                           hs[i].id, hs[i].members, mean(ro), mean(lo), mean(hi), ro.count, acc.mae, 100 * acc.coverage,
                           s.estimates.filter(\.groupRentalSuspected).count))
            }
        }

        // 2. Under-registration, 5 folds.
        for f in 0..<Self.folds {
            var units: [(id: String, households: [Int], registered: Int)] = []
            var positive: [Bool] = []
            for i in hs.indices {
                let under = i % Self.folds == f && hs[i].members >= 2
                units.append((hs[i].id, [i], under ? hs[i].members - 2 : hs[i].members))
                positive.append(under)
            }
            let series = replay(config(units: units))
            for (i, s) in series.enumerated() { report.foldFlags.add(s, positive: positive[i]) }
        }
        return report
    }

    struct PooledReport {
        var accuracy = Accuracy()
        var flags = FlagCounts()
        var lines: [String] = []

        func print() {
            func pct(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.1f %%", 100 * v) }
            Swift.print("Pooled units (three real households' meters behind one unit, registered as the first household's size):")
            for l in lines { Swift.print(l) }
            Swift.print(String(format: "  pooled units: rolling MAE %.2f persons, within ±1 %@, coverage %@", accuracy.mae, pct(accuracy.share1), pct(accuracy.coverage)))
            Swift.print("  flags: pooled units ever flagged \(flags.positiveUnitsFlagged)/\(flags.positiveUnits), unit-days recall \(pct(flags.dayRecall)); honest units ever flagged \(flags.negativeUnitsFlagged)/\(flags.negativeUnits), false-flag unit-days \(pct(flags.dayFalseRate)), precision (unit-days) \(pct(flags.dayPrecision))")
        }
    }

    /// Over-occupation well beyond 2 persons: in each fold, consecutive triples of that fold's
    /// households share one unit (three water meters summed), registered as the first one's size.
    func runPooled() -> PooledReport {
        let hs = data.households
        var report = PooledReport()
        for f in 0..<Self.folds {
            let chosen = hs.indices.filter { $0 % Self.folds == f }
            var units: [(id: String, households: [Int], registered: Int)] = []
            var real: [Int] = []
            var positive: [Bool] = []
            var used = Set<Int>()
            var k = 0
            while k + 3 <= chosen.count {
                let tri = Array(chosen[k..<(k + 3)])
                let size = tri.map { hs[$0].members }.reduce(0, +)
                units.append(("P\(f)-\(k / 3)", tri, hs[tri[0]].members))
                real.append(size)
                positive.append(true)
                used.formUnion(tri)
                k += 3
            }
            for i in hs.indices where !used.contains(i) {
                units.append((hs[i].id, [i], hs[i].members))
                real.append(hs[i].members)
                positive.append(false)
            }
            let series = replay(config(units: units))
            for (i, s) in series.enumerated() {
                report.flags.add(s, positive: positive[i])
                if positive[i] {
                    var acc = Accuracy()
                    for e in s.estimates {
                        report.accuracy.add(e, real: real[i])
                        acc.add(e, real: real[i])
                    }
                    let ro = s.estimates.compactMap(\.rolling)
                    let lo = s.estimates.compactMap(\.rollingLow)
                    let m = ro.isEmpty ? Double.nan : ro.reduce(0, +) / Double(ro.count)
                    let ml = lo.isEmpty ? Double.nan : lo.reduce(0, +) / Double(lo.count)
                    report.lines.append(
                        String(format: "  %@ (%@): real %d, registered %d, rolling mean %.2f (low %.2f) over %d days, flagged %d days",
                               units[i].id, units[i].households.map { hs[$0].id }.joined(separator: "+"), real[i], units[i].registered,
                               m, ml, ro.count, s.estimates.filter(\.groupRentalSuspected).count))
                }
            }
        }
        return report
    }
}
