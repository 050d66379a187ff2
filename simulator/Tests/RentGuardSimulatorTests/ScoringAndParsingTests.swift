import Foundation
import RentGuardCore
import Testing
@testable import RentGuardSimulator

@Suite struct ScorerTests {
    static let t0: Int64 = 1_772_380_800_000

    static let truth = GroundTruth(
        scenario: "hand", building: "t", seed: 1, startMs: t0, endMs: t0 + SimTime.dayMs, deviceCount: 10, unitCount: 2,
        expectations: [
            Expectation(id: "a", type: "fire", expect: .must, device: "SD-1", unit: "u1", onsetMs: t0 + 1_000_000, fromMs: t0 + 1_100_000, cause: "flaming_fire"),
            Expectation(id: "b", type: "smoke", expect: .may, device: "SD-1", unit: "u1", onsetMs: t0 + 1_000_000, fromMs: t0 + 1_050_000, cause: "flaming_fire"),
            Expectation(id: "c", type: "charger_overheat", expect: .must, device: "CH", port: 3, onsetMs: t0 + 2_000_000, fromMs: t0 + 2_100_000, toMs: t0 + 3_000_000, cause: "hot_plug"),
            Expectation(id: "d", type: "fire", expect: .mustNot, device: "SD-K", unit: "u1", onsetMs: t0 + 5_000_000, fromMs: t0 + 5_000_000, toMs: t0 + 6_000_000, cause: "cooking"),
            Expectation(id: "e", type: "leakage", expect: .must, device: "PM-1", unit: "u1", onsetMs: t0 + 7_000_000, fromMs: t0 + 7_000_000, cause: "leakage"),
        ],
        occupancy: [
            OccupancyTruth(unit: "u1", day: 0, dayStartMs: t0, dayEndMs: t0 + SimTime.dayMs, occupants: 4, registered: 2, areaM2: 30, completeFlat: true, groupRental: true),
            OccupancyTruth(unit: "u2", day: 0, dayStartMs: t0, dayEndMs: t0 + SimTime.dayMs, occupants: 1, registered: 1, areaM2: 12, completeFlat: false, groupRental: false),
        ])

    static func alarm(_ id: String, _ msg: String, type: String, state: String = "raised", device: String?, unit: String? = nil, port: Int? = nil, at: Int64) -> SimMessage {
        SimMessage(tMs: at + 200, topic: "registry/t/alarms", payload: [
            "message_id": .string(msg), "building": "t", "gateway": "gw", "sent_at": JSONValue(at + 100), "alarm_id": .string(id),
            "state": .string(state), "type": .string(type), "severity": "major", "unit": JSONValue(unit), "device": JSONValue(device),
            "port": port.map { JSONValue($0) } ?? .null, "started_at": JSONValue(at), "updated_at": JSONValue(at),
        ])
    }

    static func occupancy(_ msg: String, unit: String, estimate: Double, flag: Bool) -> SimMessage {
        SimMessage(tMs: t0 + 80_000_000, topic: "registry/t/occupancy", payload: [
            "message_id": .string(msg), "unit": .string(unit), "period_start": JSONValue(t0), "period_end": JSONValue(t0 + SimTime.dayMs),
            "estimated_occupants": .number(estimate), "low": 1, "high": 6, "registered_occupants": 2, "area_m2": 30,
            "group_rental_suspected": .bool(flag), "reasons": [],
        ])
    }

    static let captured: [SimMessage] = [
        // Smoke on SD-1 (tolerated), then escalated to fire 10 s after the truth's from.
        alarm("A1", "A1#0", type: "smoke", device: "SD-1", unit: "u1", at: t0 + 1_060_000),
        alarm("A1", "A1#1", type: "fire", state: "escalated", device: "SD-1", unit: "u1", at: t0 + 1_110_000),
        alarm("A1", "A1#1", type: "fire", state: "escalated", device: "SD-1", unit: "u1", at: t0 + 1_110_000),  // duplicate delivery
        alarm("A1", "A1#2", type: "fire", state: "cleared", device: "SD-1", unit: "u1", at: t0 + 1_900_000),
        // Charger overheat on port 3, 30 s late.
        alarm("A2", "A2#0", type: "charger_overheat", device: "CH", port: 3, at: t0 + 2_130_000),
        // A fire on the kitchen detector while cooking: a must-not violation.
        alarm("A3", "A3#0", type: "fire", device: "SD-K", unit: "u1", at: t0 + 5_100_000),
        // A battery_low nobody expected: false.
        alarm("A4", "A4#0", type: "battery_low", device: "SD-2", unit: "u2", at: t0 + 9_000_000),
        // Leakage: never raised (missed).
        occupancy("O1", unit: "u1", estimate: 3.5, flag: true),
        occupancy("O2", unit: "u2", estimate: 2, flag: false),
    ]

    @Test func handcraftedScore() {
        let r = Scorer(truth: Self.truth).score(captured: Self.captured)
        #expect(r.expected == 3)
        #expect(r.detected == 2)
        #expect(abs(r.recall! - 2.0 / 3.0) < 1e-9)
        #expect(r.truePositives == 2)
        #expect(r.falsePositives == 2)
        #expect(r.tolerated == 1)
        #expect(r.violations == 1)
        #expect(r.precision == 0.5)
        #expect(r.duplicateMessages == 1)
        #expect(abs(r.falsePerDeviceDay - 0.2) < 1e-9)
        let d = r.delays!
        #expect(d.count == 2 && d.minS == 10 && d.maxS == 30 && d.medianS == 10 && d.p95S == 30)
        #expect(r.missed.map(\.id) == ["e"])
        #expect(Set(r.falseAlarms.map(\.alarmID)) == ["A3", "A4"])
        #expect(abs(r.occupancyMAE! - 0.75) < 1e-9)
        #expect(r.groupRentalAccuracy == 1)
        let fire = r.perType.first { $0.type == "fire" }!
        #expect(fire.expected == 1 && fire.detected == 1 && fire.truePositives == 1 && fire.falsePositives == 1)
        #expect(r.passed)
        #expect(r.text.contains("MISSED leakage"))
        #expect(r.json["recall"]?.doubleValue != nil)
    }

    @Test func thresholdsFail() {
        let th = ScoreThresholds(minRecall: 0.9, minPrecision: 0.4, maxFalsePerDeviceDay: 0.1, maxMedianDelayS: 60, maxOccupancyMAE: 0.5, maxViolations: 0, minTypeRecall: ["fire": 1, "leakage": 1])
        let r = Scorer(truth: Self.truth, thresholds: th).score(captured: Self.captured)
        #expect(!r.passed)
        #expect(r.failures.count == 5, "\(r.failures)")  // recall, false/device-day, MAE, violations, leakage recall
        #expect(r.failures.contains { $0.hasPrefix("recall") })
        #expect(r.failures.contains { $0.hasPrefix("leakage recall") })
        #expect(!r.failures.contains { $0.hasPrefix("precision") })
    }

    @Test func alarmsOutsideTheWindowDoNotMatch() {
        // A charger_overheat on another port, and one long after the condition ended.
        let c = [
            Self.alarm("B1", "B1#0", type: "charger_overheat", device: "CH", port: 4, at: Self.t0 + 2_200_000),
            Self.alarm("B2", "B2#0", type: "charger_overheat", device: "CH", port: 3, at: Self.t0 + 3_000_000 + 11 * 60_000),
        ]
        let r = Scorer(truth: Self.truth).score(captured: c)
        #expect(r.detected == 0)
        #expect(r.falsePositives == 2)
    }

    @Test func aUnitLevelFireMatchesAnyDetectorOfTheFlat() {
        let c = [Self.alarm("C1", "C1#0", type: "fire", device: nil, unit: "u1", at: Self.t0 + 1_200_000)]
        let r = Scorer(truth: Self.truth).score(captured: c)
        #expect(r.detected == 1)
        #expect(r.delays?.medianS == 100)
    }

    @Test func truthRoundTrips() throws {
        let text = Self.truth.serialized()
        let back = try GroundTruth.parse(text, file: "t.json")
        #expect(back == Self.truth)
        let g = try Fixtures.generate("overcrowded_block")
        #expect(try GroundTruth.parse(g.truth.serialized(), file: "x") == g.truth)
    }

    @Test func percentiles() {
        let d = DelayStats.of([5, 1, 3, 2, 4])!
        #expect(d.minS == 1 && d.medianS == 3 && d.maxS == 5 && d.p95S == 5)
        #expect(DelayStats.of([]) == nil)
    }
}

@Suite struct ScenarioParsingTests {
    func parse(_ yaml: String) throws -> Scenario {
        try Scenario.parse(text: yaml, file: "test.yaml", baseDirectory: ".", buildingOverride: Fixtures.building)
    }

    @Test func durations() {
        #expect(SimTime.parseDuration("90") == 90_000)
        #expect(SimTime.parseDuration("90s") == 90_000)
        #expect(SimTime.parseDuration("1h30m") == 5_400_000)
        #expect(SimTime.parseDuration("2d") == 172_800_000)
        #expect(SimTime.parseDuration("500ms") == 500)
        #expect(SimTime.parseDuration("1.5h") == 5_400_000)
        #expect(SimTime.parseDuration("h") == nil)
        #expect(SimTime.parseDuration("10x") == nil)
        #expect(SimTime.parseDuration("10") == 10_000)
        #expect(SimTime.format(5_400_000) == "1h30m")
    }

    @Test func aMinimalScenario() throws {
        let s = try parse("""
            building: b.yaml
            seed: 9
            start: "2026-03-02T00:00:00+08:00"
            duration: 24h
            occupants: {u1: [3, 4]}
            events:
              - {type: cooking, device: SD-K, at: "18:30", duration: 5m, params: {peak_pct_per_m: 9}}
              - {type: hot_plug, device: CH, port: 2, at: 2h}
              - {type: overload, unit: u1, at: "d0 03:00"}
            """)
        #expect(s.seed == 9)
        #expect(s.startMs == 1_772_380_800_000)
        #expect(s.durationMs == 24 * SimTime.hourMs)
        #expect(s.events[0].atMs == s.startMs + 18 * SimTime.hourMs + 30 * SimTime.minuteMs)
        #expect(s.events[0].double("peak_pct_per_m") == 9)
        #expect(s.events[1].atMs == s.startMs + 2 * SimTime.hourMs)
        #expect(s.events[2].device == "PM-1")
        #expect(s.occupants(unit: "u1", day: 0) == 3)
        #expect(s.occupants(unit: "u1", day: 5) == 4)
        #expect(s.occupants(unit: "u2", day: 0) == 1)
        #expect(s.intervalMs(for: Fixtures.building.devices[0]) == 60_000)
    }

    @Test(arguments: [
        ("building: b.yaml\nduration: 1h\nsede: 3\n", "did you mean 'seed'"),
        ("building: b.yaml\nduration: forever\n", "is not a duration"),
        ("building: b.yaml\n", "duration"),
        ("duration: 1h\n", "missing 'building'"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: flaming_fir, device: SD-1, at: 10}\n", "did you mean 'flaming_fire'"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: flaming_fire, device: SD-9, at: 10}\n", "not a registered device"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: flaming_fire, device: PM-1, at: 10}\n", "needs a smoke_detector"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: hot_plug, device: CH, port: 9, at: 10}\n", "has ports 1…4"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: cooking, device: SD-K, at: 2h}\n", "outside the scenario"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: cooking, device: SD-K, at: 10, params: {peak: 3}}\n", "not a parameter of cooking"),
        ("building: b.yaml\nduration: 1h\noccupants: {u9: 3}\n", "no unit 'u9'"),
        ("building: b.yaml\nduration: 1h\nevents:\n  - {type: unregistered_device, device: SD-1, at: 10}\n", "is registered"),
        ("building: b.yaml\nduration: 1h\nstart: 1772380800\n", "before 2001"),
    ])
    func badScenariosAreRefusedClearly(yaml: String, message: String) {
        do {
            _ = try parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func everyShippedScenarioLoads() throws {
        let paths = try Fixtures.scenarioPaths()
        #expect(paths.count >= 15)
        var covered = Set<String>()
        for p in paths {
            let s = try Scenario.load(path: p)
            #expect(s.durationMs > 0)
            let g = TrafficGenerator(scenario: s).generate()
            for x in g.truth.expectations where x.expect == .must { covered.insert(x.type) }
        }
        // The suite covers every alarm type a device can cause (protocol v1 §3.1; gateway_fault is the gateway's own).
        let all: [AlarmType] = [.fire, .smoke, .heat, .co, .chargerOvercurrent, .chargerOverheat, .chargerThermalRunaway, .chargerOvertime, .chargerNoCutoff,
                                .stationOverload, .overload, .leakage, .indoorEbikeCharging, .abnormalConsumption, .deviceOffline, .deviceFault,
                                .tamper, .batteryLow, .groupRentalSuspected, .unregisteredDevice]
        for t in all { #expect(covered.contains(t.rawValue), "no scenario expects \(t.rawValue)") }
    }
}
