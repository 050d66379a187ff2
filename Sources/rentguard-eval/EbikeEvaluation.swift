import Foundation
import RentGuardCore

/// Indoor e-bike charging on a real flat's meter: charges from the NASA curves injected into
/// household-power 2007, replayed through `IndoorEbikeChargingRule` in event time.
///
/// Split by time: the rule's defaults were tuned on the odd months (January, March, …,
/// November); the even months (February, April, …, December) are held out and reported apart.
/// A charge counts as found when the alarm is raised between its start and its end (the end
/// of the CV taper); its delay is the raise time minus its start. False alarms are counted on
/// the clean year (no injection) per 100 meter-days, and in the injected replays as raises
/// that fall in no charge.
struct EbikeEvaluation {
    let data: HouseholdPowerData
    let curves: NASACurves
    let overrides: [String: [String: Double]]
    /// Local start hours of the injected charges: [from, to) hours after local midnight (to may pass 24).
    var startHours: (Double, Double) = (18, 30)
    var seeds: [UInt64] = [1, 2, 3]
    /// Every `spacingDays` days one charge (so that charges never overlap).
    var spacingDays = 3
    static let trainMonths: Set<UInt8> = [1, 3, 5, 7, 9, 11]

    func config() -> BuildingConfig {
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "eval", building: "household-power"))
        cfg.devices.append(DeviceConfig(id: "PM-1", kind: .powerMeter, unit: "1", reportIntervalSeconds: 60, ratedCurrentA: 60))
        cfg.thresholds = overrides
        return cfg
    }

    /// Replays the year (plus the injected charges); returns the raise times.
    func replay(_ charges: [InjectedCharge]) -> [Int64] {
        let cfg = config()
        var engine = DetectionEngine(config: cfg, rules: [IndoorEbikeChargingRule.self])
        var add = Array(repeating: 0.0, count: data.watts.count)
        for c in charges {
            let i0 = Int((c.start - data.firstTs) / 60_000)
            for (k, w) in c.watts.enumerated() where i0 + k < add.count { add[i0 + k] += w }
        }
        var out: [CoreOutput] = []
        var raised: [Int64] = []
        for i in data.watts.indices {
            let w = data.watts[i]
            guard !w.isNaN else { continue }
            let ts = data.firstTs + Int64(i) * 60_000
            let p = w + add[i]
            out.removeAll(keepingCapacity: true)
            engine.handle(.reading(Reading(device: "PM-1", ts: ts, observation: .telemetry(.power(PowerTelemetry(powerW: p, voltageV: 230, currentA: p / 230))))), into: &out)
            for o in out {
                if case let .alarm(t) = o, t.alarm.key.type == .indoorEbikeCharging, t.alarm.state == .raised { raised.append(t.alarm.startedAt) }
            }
        }
        return raised
    }

    func month(_ ts: Int64) -> UInt8 {
        let i = Int((ts - data.firstTs) / 60_000)
        return data.months[max(0, min(data.months.count - 1, i))]
    }

    func charges(seed: UInt64) -> [InjectedCharge] {
        var rng = SplitMix(seed: seed)
        var r: [InjectedCharge] = []
        let day0 = data.firstTs  // local midnight of 1 January (played as UTC+8)
        let days = data.watts.count / 1440
        var d = Int(seed % UInt64(spacingDays)) + 7  // a week for the rule to settle
        while d < days - 2 {
            let h = startHours.0 + (startHours.1 - startHours.0) * rng.uniform()
            let start = day0 + Int64(d) * 86_400_000 + Int64(h * 3_600_000) / 60_000 * 60_000
            let c = InjectedCharge.make(start: start, curves: curves, rng: &rng)
            if Int((c.end - data.firstTs) / 60_000) < data.watts.count { r.append(c) }
            d += spacingDays
        }
        return r
    }

    struct Split {
        var charges = 0, found = 0, late = 0
        var delaysMin: [Double] = []
        var injectedFalse = 0
        var injectedDays = 0.0
        var cleanFalse = 0
        var cleanDays = 0.0
        var missedByPower: [Int] = [0, 0, 0]  // peak < 150 W, 150–250 W, > 250 W
        var chargesByPower: [Int] = [0, 0, 0]

        var recall: Double { Double(found) / Double(max(1, charges)) }
        var medianDelay: Double? {
            guard !delaysMin.isEmpty else { return nil }
            let s = delaysMin.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        func p90Delay() -> Double? {
            guard !delaysMin.isEmpty else { return nil }
            let s = delaysMin.sorted()
            return s[min(s.count - 1, Int(0.9 * Double(s.count)))]
        }
    }

    func run(verbose: Bool) -> (train: Split, test: Split) {
        var train = Split(), test = Split()
        // Clean year: every raise is false.
        let clean = replay([])
        for r in clean {
            if Self.trainMonths.contains(month(r)) { train.cleanFalse += 1 } else { test.cleanFalse += 1 }
            if verbose { print("  clean false alarm at minute \((r - data.firstTs) / 60_000), month \(month(r)), local hour \(Double((r + HouseholdPowerData.chinaOffsetMs) % 86_400_000) / 3_600_000)") }
        }
        for i in data.watts.indices where i % 1440 == 0 {
            let m = data.months[i]
            if Self.trainMonths.contains(m) { train.cleanDays += 1 } else { test.cleanDays += 1 }
        }
        for seed in seeds {
            let cs = charges(seed: seed)
            let raised = replay(cs).sorted()
            var used = Array(repeating: false, count: raised.count)
            for c in cs {
                let isTrain = Self.trainMonths.contains(month(c.start))
                let band = c.peakW < 150 ? 0 : c.peakW <= 250 ? 1 : 2
                var hit: Int? = nil
                var late = false
                for (j, r) in raised.enumerated() where r >= c.start {
                    if r <= c.end { hit = j; break }
                    if r <= c.end + 3_600_000 { late = true; used[j] = true }
                    break
                }
                if let j = hit { used[j] = true }
                func upd(_ s: inout Split) {
                    s.charges += 1
                    s.chargesByPower[band] += 1
                    if let j = hit { s.found += 1; s.delaysMin.append(Double(raised[j] - c.start) / 60_000) }
                    else { s.missedByPower[band] += 1; if late { s.late += 1 } }
                }
                if isTrain { upd(&train) } else { upd(&test) }
                if verbose && hit == nil {
                    print(String(format: "  missed: start local %.2f h, month %d, %d V %.2f A soc %.2f, CC %.1f h CV %.1f h, mean %.0f W peak %.0f W%@",
                                 Double((c.start + HouseholdPowerData.chinaOffsetMs) % 86_400_000) / 3_600_000, Int(month(c.start)), c.packV, c.currentA, c.soc,
                                 c.ccHours, c.cvHours, c.meanW, c.peakW, late ? " (raised after its end)" : ""))
                }
            }
            for (j, r) in raised.enumerated() where !used[j] {
                if Self.trainMonths.contains(month(r)) { train.injectedFalse += 1 } else { test.injectedFalse += 1 }
            }
            train.injectedDays += train.cleanDays
            test.injectedDays += test.cleanDays
        }
        return (train, test)
    }

    static func describe(_ name: String, _ s: Split) -> String {
        var t = "\(name): \(s.found)/\(s.charges) charges found (recall \(String(format: "%.3f", s.recall)))"
        if let m = s.medianDelay { t += String(format: ", delay median %.0f min, p90 %.0f min", m, s.p90Delay() ?? 0) }
        if s.late > 0 { t += ", \(s.late) raised only after the charge ended" }
        t += String(format: "\n    false alarms: clean year %d in %.0f meter-days = %.2f per 100 meter-days; in the injected replays %d in %.0f meter-days = %.2f per 100",
                    s.cleanFalse, s.cleanDays, 100 * Double(s.cleanFalse) / max(1, s.cleanDays),
                    s.injectedFalse, s.injectedDays, 100 * Double(s.injectedFalse) / max(1, s.injectedDays))
        t += "\n    recall by the charge's peak power: "
        t += ["< 150 W", "150–250 W", "> 250 W"].indices.map { i in
            let n = s.chargesByPower[i]
            return "\(["< 150 W", "150–250 W", "> 250 W"][i]) \(n - s.missedByPower[i])/\(n)"
        }.joined(separator: ", ")
        return t
    }
}
