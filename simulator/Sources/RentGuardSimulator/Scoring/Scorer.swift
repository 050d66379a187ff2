import Foundation
import RentGuardCore

/// One alarm detection seen at the registry: the first `raised` (or `escalated`) message
/// of an alarm id with a given type.
public struct CapturedDetection: Sendable, Equatable {
    public var alarmID: String
    public var type: String
    public var device: String?
    public var unit: String?
    public var port: Int?
    /// Detection time: the message's `updated_at` (the gateway's decision time, which follows
    /// device time on an event clock), else `sent_at`, else the capture time.
    public var tMs: Int64
    public var state: String
}

/// Thresholds that make `score` fail (exit status 1). `nil`: not checked.
public struct ScoreThresholds: Sendable, Equatable {
    public var minRecall: Double?
    public var minPrecision: Double?
    public var maxFalsePerDeviceDay: Double?
    public var maxMedianDelayS: Double?
    public var maxP95DelayS: Double?
    public var maxDelayS: Double?
    public var maxOccupancyMAE: Double?
    /// Alarms that match a `must_not` expectation.
    public var maxViolations: Int?
    /// Per-type minimum recall, e.g. `fire` → 1.
    public var minTypeRecall: [String: Double]
    public init(minRecall: Double? = nil, minPrecision: Double? = nil, maxFalsePerDeviceDay: Double? = nil, maxMedianDelayS: Double? = nil, maxP95DelayS: Double? = nil, maxDelayS: Double? = nil, maxOccupancyMAE: Double? = nil, maxViolations: Int? = nil, minTypeRecall: [String: Double] = [:]) {
        self.minRecall = minRecall
        self.minPrecision = minPrecision
        self.maxFalsePerDeviceDay = maxFalsePerDeviceDay
        self.maxMedianDelayS = maxMedianDelayS
        self.maxP95DelayS = maxP95DelayS
        self.maxDelayS = maxDelayS
        self.maxOccupancyMAE = maxOccupancyMAE
        self.maxViolations = maxViolations
        self.minTypeRecall = minTypeRecall
    }
}

public struct DelayStats: Sendable, Equatable {
    public var count: Int
    public var minS: Double
    public var medianS: Double
    public var p95S: Double
    public var maxS: Double

    /// Nearest-rank percentiles of `values` (seconds); `nil` for none.
    public static func of(_ values: [Double]) -> DelayStats? {
        guard !values.isEmpty else { return nil }
        let v = values.sorted()
        func rank(_ p: Double) -> Double { v[max(0, min(v.count - 1, Int((p * Double(v.count)).rounded(.up)) - 1))] }
        return DelayStats(count: v.count, minS: v[0], medianS: rank(0.5), p95S: rank(0.95), maxS: v[v.count - 1])
    }

    var json: JSONValue {
        ["count": JSONValue(count), "min_s": num(minS, 3), "median_s": num(medianS, 3), "p95_s": num(p95S, 3), "max_s": num(maxS, 3)]
    }
}

public struct TypeScore: Sendable, Equatable {
    public var type: String
    /// `must` expectations, and how many were detected.
    public var expected: Int
    public var detected: Int
    /// Detections matching a `must` (duplicates of one condition included).
    public var truePositives: Int
    /// Detections matching nothing, or a `must_not`.
    public var falsePositives: Int
    /// Detections matching only a `may` (tolerated nuisance, neither true nor false).
    public var tolerated: Int
    public var delays: DelayStats?

    public var recall: Double? { expected > 0 ? Double(detected) / Double(expected) : nil }
    public var precision: Double? { truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil }
}

public struct ScoreReport: Sendable {
    public var scenario: String
    public var perType: [TypeScore]
    public var expected: Int
    public var detected: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var tolerated: Int
    public var violations: Int
    public var delays: DelayStats?
    public var deviceDays: Double
    public var falsePerDeviceDay: Double
    public var missed: [Expectation]
    public var falseAlarms: [CapturedDetection]
    public var occupancyMessages: Int
    public var occupancyMAE: Double?
    public var groupRentalAccuracy: Double?
    public var duplicateMessages: Int
    /// Alarm messages, distinct alarms and distinct incidents in the registry traffic
    /// (issue 25: one fire, one incident), and the incidents per alarm type of their first alarm.
    public var alarmCounts: AlarmCounts = .init()
    /// Thresholds missed, one line each; empty: passed.
    public var failures: [String]

    public var recall: Double? { expected > 0 ? Double(detected) / Double(expected) : nil }
    public var precision: Double? { truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil }
    public var passed: Bool { failures.isEmpty }

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }
    static func secs(_ x: Double) -> String { String(format: "%.1f s", x) }

    /// A human-readable report.
    public var text: String {
        var s = "scenario \(scenario)\n"
        s += "  alarms: \(expected) expected, \(detected) detected (recall \(Self.pct(recall))); "
        s += "\(truePositives) true, \(falsePositives) false (precision \(Self.pct(precision))), \(tolerated) tolerated, \(violations) must-not violations\n"
        s += String(format: "  false alarms per device-day: %.4f (%d over %.2f device-days)\n", falsePerDeviceDay, falsePositives, deviceDays)
        if let d = delays {
            s += "  detection delay: min \(Self.secs(d.minS)), median \(Self.secs(d.medianS)), p95 \(Self.secs(d.p95S)), max \(Self.secs(d.maxS)) (n=\(d.count))\n"
        } else {
            s += "  detection delay: —\n"
        }
        if occupancyMessages > 0 {
            s += "  occupancy: \(occupancyMessages) estimates, MAE \(occupancyMAE.map { String(format: "%.2f", $0) } ?? "—") persons, group-rental flag accuracy \(Self.pct(groupRentalAccuracy))\n"
        } else {
            s += "  occupancy: no estimates captured\n"
        }
        if duplicateMessages > 0 { s += "  (\(duplicateMessages) duplicate messages ignored)\n" }
        s += "  incidents: \(alarmCounts.incidents) for \(alarmCounts.alarms) alarms (\(alarmCounts.messages) alarm messages)\n"
        if !perType.isEmpty {
            s += "  per type:\n"
            let w = max(4, perType.map(\.type.count).max() ?? 4)
            s += "    " + "type".padding(toLength: w, withPad: " ", startingAt: 0) + "  must  found  recall   tp   fp  tol  precision  median delay\n"
            for t in perType {
                let name = t.type.padding(toLength: w, withPad: " ", startingAt: 0)
                s += "    \(name)  " + String(format: "%4d  %5d  ", t.expected, t.detected) + Self.pct(t.recall).leftPad(6)
                s += String(format: "  %3d  %3d  %3d  ", t.truePositives, t.falsePositives, t.tolerated) + Self.pct(t.precision).leftPad(9)
                s += "  " + (t.delays.map { Self.secs($0.medianS) } ?? "—") + "\n"
            }
        }
        for m in missed {
            s += "  MISSED \(m.type) \(m.device ?? m.unit.map { "unit " + $0 } ?? "")\(m.port.map { " port \($0)" } ?? "") from \(m.fromMs) (\(m.cause))\n"
        }
        for f in falseAlarms {
            s += "  FALSE  \(f.type) \(f.device ?? f.unit.map { "unit " + $0 } ?? "")\(f.port.map { " port \($0)" } ?? "") at \(f.tMs) (alarm \(f.alarmID))\n"
        }
        s += failures.isEmpty ? "  PASS\n" : failures.map { "  FAIL \($0)\n" }.joined()
        return s
    }

    public var json: JSONValue {
        [
            "scenario": .string(scenario), "expected": JSONValue(expected), "detected": JSONValue(detected),
            "recall": recall.map { num($0, 4) } ?? .null, "precision": precision.map { num($0, 4) } ?? .null,
            "true_positives": JSONValue(truePositives), "false_positives": JSONValue(falsePositives), "tolerated": JSONValue(tolerated),
            "violations": JSONValue(violations), "device_days": num(deviceDays, 3), "false_per_device_day": num(falsePerDeviceDay, 5),
            "delay": delays?.json ?? .null,
            "occupancy": ["estimates": JSONValue(occupancyMessages), "mae": occupancyMAE.map { num($0, 3) } ?? .null, "group_rental_accuracy": groupRentalAccuracy.map { num($0, 4) } ?? .null],
            "per_type": .array(perType.map { t in
                ["type": .string(t.type), "expected": JSONValue(t.expected), "detected": JSONValue(t.detected), "recall": t.recall.map { num($0, 4) } ?? .null,
                 "true_positives": JSONValue(t.truePositives), "false_positives": JSONValue(t.falsePositives), "tolerated": JSONValue(t.tolerated),
                 "precision": t.precision.map { num($0, 4) } ?? .null, "delay": t.delays?.json ?? .null]
            }),
            "missed": .array(missed.map(\.json)),
            "false_alarms": .array(falseAlarms.map { ["alarm_id": .string($0.alarmID), "type": .string($0.type), "device": JSONValue($0.device), "unit": JSONValue($0.unit), "port": $0.port.map { JSONValue($0) } ?? .null, "t_ms": JSONValue($0.tMs)] }),
            "failures": .array(failures.map { .string($0) }), "passed": .bool(passed),
            "alarm_messages": JSONValue(alarmCounts.messages), "alarms": JSONValue(alarmCounts.alarms), "incidents": JSONValue(alarmCounts.incidents),
        ]
    }
}

extension String {
    fileprivate func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// Compares what the gateway sent to the registry with a scenario's ground truth.
public struct Scorer: Sendable {
    public var truth: GroundTruth
    public var thresholds: ScoreThresholds
    /// An alarm up to this long after an expectation's end (or the scenario's) still matches.
    public var graceMs: Int64
    /// An alarm this long before an expectation's onset still matches (clock skew).
    public var earlyMs: Int64

    public init(truth: GroundTruth, thresholds: ScoreThresholds = .init(), graceMs: Int64 = 10 * SimTime.minuteMs, earlyMs: Int64 = 5_000) {
        self.truth = truth
        self.thresholds = thresholds
        self.graceMs = graceMs
        self.earlyMs = earlyMs
    }

    /// Types whose subject is a device (or port): a unit match is not enough.
    static let deviceScoped: Set<String> = [
        "charger_overcurrent", "charger_overheat", "charger_thermal_runaway", "charger_overtime", "charger_no_cutoff",
        "station_overload", "device_offline", "device_fault", "tamper", "battery_low", "unregistered_device",
    ]

    /// Alarm detections in captured registry traffic (topics ending in `/alarms`),
    /// de-duplicated by `message_id`.
    public static func detections(in captured: [SimMessage]) -> (detections: [CapturedDetection], duplicates: Int) {
        var seen = Set<String>()
        var dup = 0
        var firstByKey: [String: CapturedDetection] = [:]
        var order: [String] = []
        for m in captured where m.topic.hasSuffix("/alarms") {
            let p = m.payload
            if let id = p["message_id"]?.stringValue {
                if !seen.insert(id).inserted { dup += 1; continue }
            }
            guard let state = p["state"]?.stringValue, state == "raised" || state == "escalated",
                  let type = p["type"]?.stringValue else { continue }
            let alarmID = p["alarm_id"]?.stringValue ?? p["message_id"]?.stringValue ?? "\(m.tMs)"
            let key = alarmID + "|" + type
            guard firstByKey[key] == nil else { continue }
            let t = p["updated_at"]?.doubleValue ?? p["sent_at"]?.doubleValue ?? Double(m.tMs)
            firstByKey[key] = CapturedDetection(
                alarmID: alarmID, type: type, device: p["device"]?.stringValue, unit: p["unit"]?.stringValue,
                port: p["port"]?.doubleValue.map { Int($0) }, tMs: Int64(t), state: state)
            order.append(key)
        }
        return (order.map { firstByKey[$0]! }, dup)
    }

    /// How well a detection matches an expectation: 0 no match, 1 same unit (or an
    /// expectation without a subject), 2 same device.
    func match(_ d: CapturedDetection, _ e: Expectation) -> Int {
        guard d.type == e.type else { return 0 }
        guard d.tMs >= e.onsetMs - earlyMs, d.tMs <= (e.toMs ?? truth.endMs) + graceMs else { return 0 }
        if let ep = e.port, let dp = d.port, ep != dp { return 0 }
        if let ed = e.device, let dd = d.device, ed == dd { return 2 }
        if !Self.deviceScoped.contains(e.type), let eu = e.unit, let du = d.unit, eu == du { return 1 }
        if e.device == nil, e.unit == nil { return 1 }
        if e.device != nil, d.device == nil, let eu = e.unit, d.unit == eu { return 1 }
        return 0
    }

    func matches(_ d: CapturedDetection, _ e: Expectation) -> Bool { match(d, e) > 0 }

    public func score(captured: [SimMessage]) -> ScoreReport {
        let (dets, dup) = Self.detections(in: captured)
        let must = truth.expectations.filter { $0.expect == .must }
        var firstDetection: [String: Int64] = [:]
        var tp: [String: Int] = [:], fp: [String: Int] = [:], tol: [String: Int] = [:]
        var falseAlarms: [CapturedDetection] = []
        var violations = 0
        for d in dets {
            // The closest subject wins (a kitchen detector's fire during cooking is the
            // cooking's must-not, even while the flat has a fire elsewhere).
            let scored = truth.expectations.map { ($0, match(d, $0)) }.filter { $0.1 > 0 }
            let best = scored.map(\.1).max() ?? 0
            let hits = scored.filter { $0.1 == best }.map(\.0)
            if hits.contains(where: { $0.expect == .must }) {
                tp[d.type, default: 0] += 1
                for h in hits where h.expect == .must {
                    firstDetection[h.id] = min(firstDetection[h.id] ?? .max, d.tMs)
                }
            } else if hits.contains(where: { $0.expect == .mustNot }) {
                fp[d.type, default: 0] += 1
                violations += 1
                falseAlarms.append(d)
            } else if hits.contains(where: { $0.expect == .may }) {
                tol[d.type, default: 0] += 1
            } else {
                fp[d.type, default: 0] += 1
                falseAlarms.append(d)
            }
        }
        var types = Set(must.map(\.type))
        for d in dets { types.insert(d.type) }
        var perType: [TypeScore] = []
        var allDelays: [Double] = []
        var missed: [Expectation] = []
        for type in types.sorted() {
            let exps = must.filter { $0.type == type }
            var delays: [Double] = []
            var found = 0
            for e in exps {
                if let t = firstDetection[e.id] {
                    found += 1
                    delays.append(Double(t - e.fromMs) / 1000)
                } else {
                    missed.append(e)
                }
            }
            allDelays += delays
            perType.append(TypeScore(type: type, expected: exps.count, detected: found, truePositives: tp[type] ?? 0, falsePositives: fp[type] ?? 0, tolerated: tol[type] ?? 0, delays: DelayStats.of(delays)))
        }

        // Occupancy.
        var errs: [Double] = []
        var flagsRight = 0, flags = 0
        var occCount = 0
        var seen = Set<String>()
        for m in captured where m.topic.hasSuffix("/occupancy") {
            let p = m.payload
            if let id = p["message_id"]?.stringValue, !seen.insert(id).inserted { continue }
            guard let unit = p["unit"]?.stringValue, let est = p["estimated_occupants"]?.doubleValue else { continue }
            let ps = p["period_start"]?.doubleValue ?? Double(m.tMs)
            let pe = p["period_end"]?.doubleValue ?? ps
            let mid = Int64((ps + pe) / 2)
            guard let row = truth.occupancy.first(where: { $0.unit == unit && mid >= $0.dayStartMs && mid < $0.dayEndMs })
                ?? truth.occupancy.filter({ $0.unit == unit }).min(by: { abs($0.dayStartMs - mid) < abs($1.dayStartMs - mid) }) else { continue }
            occCount += 1
            errs.append(abs(est - Double(row.occupants)))
            if let flag = p["group_rental_suspected"]?.boolValue {
                flags += 1
                if flag == row.groupRental { flagsRight += 1 }
            }
        }

        let tpSum = tp.values.reduce(0, +), fpSum = fp.values.reduce(0, +)
        var report = ScoreReport(
            scenario: truth.scenario, perType: perType, expected: must.count, detected: firstDetection.count, truePositives: tpSum,
            falsePositives: fpSum, tolerated: tol.values.reduce(0, +), violations: violations, delays: DelayStats.of(allDelays),
            deviceDays: truth.deviceDays, falsePerDeviceDay: truth.deviceDays > 0 ? Double(fpSum) / truth.deviceDays : 0,
            missed: missed, falseAlarms: falseAlarms, occupancyMessages: occCount,
            occupancyMAE: errs.isEmpty ? nil : errs.reduce(0, +) / Double(errs.count),
            groupRentalAccuracy: flags > 0 ? Double(flagsRight) / Double(flags) : nil, duplicateMessages: dup, failures: [])

        report.alarmCounts = AlarmCounts(captured)
        // Thresholds.
        let th = thresholds
        var f: [String] = []
        if let x = th.minRecall, let r = report.recall, r < x { f.append(String(format: "recall %.3f < %.3f", r, x)) }
        if let x = th.minPrecision, let p = report.precision, p < x { f.append(String(format: "precision %.3f < %.3f", p, x)) }
        if let x = th.maxFalsePerDeviceDay, report.falsePerDeviceDay > x { f.append(String(format: "false alarms per device-day %.4f > %.4f", report.falsePerDeviceDay, x)) }
        if let x = th.maxMedianDelayS, let d = report.delays, d.medianS > x { f.append(String(format: "median delay %.1f s > %.1f s", d.medianS, x)) }
        if let x = th.maxP95DelayS, let d = report.delays, d.p95S > x { f.append(String(format: "p95 delay %.1f s > %.1f s", d.p95S, x)) }
        if let x = th.maxDelayS, let d = report.delays, d.maxS > x { f.append(String(format: "max delay %.1f s > %.1f s", d.maxS, x)) }
        if let x = th.maxOccupancyMAE {
            if let mae = report.occupancyMAE {
                if mae > x { f.append(String(format: "occupancy MAE %.2f > %.2f", mae, x)) }
            } else if !truth.occupancy.isEmpty {
                f.append("occupancy MAE: no occupancy estimates were captured")
            }
        }
        if let x = th.maxViolations, report.violations > x { f.append("\(report.violations) must-not violations > \(x)") }
        for (type, x) in th.minTypeRecall.sorted(by: { $0.key < $1.key }) {
            if let t = perType.first(where: { $0.type == type }), let r = t.recall {
                if r < x { f.append("\(type) recall " + String(format: "%.3f < %.3f", r, x)) }
            } else {
                f.append("\(type): no '\(type)' expectations in the truth to measure recall on")
            }
        }
        report.failures = f
        return report
    }
}

/// How many alarm messages, alarms and incidents the registry received (de-duplicated by
/// `message_id`); an alarm without `incident_id` counts as an incident of its own.
public struct AlarmCounts: Sendable, Equatable {
    public var messages = 0
    public var alarms = 0
    public var incidents = 0

    public init() {}

    public init(_ captured: [SimMessage]) {
        var seen = Set<String>(), alarmIDs = Set<String>(), incidentIDs = Set<String>()
        for m in captured where m.topic.hasSuffix("/alarms") {
            if let id = m.payload["message_id"]?.stringValue, !seen.insert(id).inserted { continue }
            messages += 1
            guard let alarm = m.payload["alarm_id"]?.stringValue else { continue }
            alarmIDs.insert(alarm)
            incidentIDs.insert(m.payload["incident_id"]?.stringValue ?? "inc:" + alarm)
        }
        alarms = alarmIDs.count
        incidents = incidentIDs.count
    }
}
