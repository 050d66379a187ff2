import Foundation
import RentGuardCore

/// Water leaks (`abnormal_consumption` at water meters) on DAIAD trial A: every raise is
/// counted (the data's own leaks are real, but no leak is labelled, so each raise is
/// reported as an alarm to explain). The halves March–August 2016 and September 2016–
/// February 2017 are reported apart (the defaults were chosen on a whole-year prototype
/// count, so neither half is strictly unseen; see docs/detection.md).
/// Timestamps are the households' local (Spanish) clock played with a UTC offset of 0, so the
/// rule's night window is the households' night.
struct LeakEvaluation {
    let data: DAIADData
    let overrides: [String: [String: Double]]
    /// 2016-09-01T00:00 on the local axis: the start of the held-out half.
    static let heldOutFrom: Int64 = DAIADData.parseLocalTime("2016-09-01T00:00:00")!

    func run(verbose: Bool) -> String {
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "eval", building: "daiad"))
        for h in data.households {
            cfg.devices.append(DeviceConfig(id: "WM-" + h.id, kind: .waterMeter, unit: h.id, reportIntervalSeconds: 3600))
        }
        var o = overrides
        o["abnormal_consumption", default: [:]]["utc_offset_h"] = o["abnormal_consumption"]?["utc_offset_h"] ?? 0
        cfg.thresholds = o
        var engine = DetectionEngine(config: cfg, rules: [AbnormalConsumptionRule.self])
        let devices = data.households.map { "WM-" + $0.id }
        var out: [CoreOutput] = []
        var tuneAlarms = 0, heldAlarms = 0
        var perHousehold: [String: Int] = [:]
        for s in data.merged {
            out.removeAll(keepingCapacity: true)
            engine.handle(.reading(Reading(device: devices[s.household], ts: s.ts, observation: .telemetry(.water(WaterTelemetry(volumeL: s.litres))))), into: &out)
            for x in out {
                guard case let .alarm(t) = x, t.alarm.state == .raised, t.alarm.key.type == .abnormalConsumption else { continue }
                if t.alarm.startedAt < Self.heldOutFrom { tuneAlarms += 1 } else { heldAlarms += 1 }
                perHousehold[data.households[s.household].id, default: 0] += 1
                if verbose { print("  raised \(t.alarm.key.device ?? "") at \(t.alarm.startedAt): \(t.alarm.evidence)") }
            }
        }
        var tuneDays = 0.0, heldDays = 0.0
        for h in data.households {
            guard let a = h.readings.first?.ts, let b = h.readings.last?.ts else { continue }
            tuneDays += Double(max(0, min(b, Self.heldOutFrom) - a)) / 86_400_000
            heldDays += Double(max(0, b - max(a, Self.heldOutFrom))) / 86_400_000
        }
        var r = "water leak (abnormal_consumption) on DAIAD trial A, \(data.households.count) households:\n"
        r += String(format: "  first half (Mar–Aug 2016): %d alarms in %.0f meter-days = %.2f per 100 meter-days\n", tuneAlarms, tuneDays, 100 * Double(tuneAlarms) / max(1, tuneDays))
        r += String(format: "  second half (Sep 2016–Feb 2017): %d alarms in %.0f meter-days = %.2f per 100 meter-days\n", heldAlarms, heldDays, 100 * Double(heldAlarms) / max(1, heldDays))
        r += "  households with alarms: \(perHousehold.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        return r
    }
}
