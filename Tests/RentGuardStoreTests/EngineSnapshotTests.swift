import Foundation
import RentGuardCore
import Testing
@testable import RentGuardStore

/// Issue 11 item 11: the core's learned state survives a restart. A scenario's inputs go
/// through one engine without interruption, and through engines restarted at several points:
/// the first half's engine is snapshotted into a real SQLite file, and a new engine starts
/// from that file's snapshot and the active alarms. The transitions must be identical.
@Suite struct EngineSnapshotTests {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01 08:00 local
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static var config: BuildingConfig {
        BuildingConfig(
            gateway: GatewayIdentity(id: "gw-1", building: "B1", zone: .chinaStandardTime), units: [],
            devices: [
                DeviceConfig(id: "SD-1", kind: .smokeDetector, unit: "101", zone: .bedroom, reportIntervalSeconds: 60),
                DeviceConfig(id: "CH-1", kind: .charger, zone: .station, reportIntervalSeconds: 60, ports: 2, ratedPortCurrentA: 5.5),
                DeviceConfig(id: "PM-101", kind: .powerMeter, unit: "101", ratedCurrentA: 40),
                DeviceConfig(id: "WM-101", kind: .waterMeter, unit: "101"),
            ])
    }

    /// Ten days: a power meter learning its daily baseline (abnormal use on day 9, an
    /// overload on day 5), an hourly water meter without `report_interval_s` (a 6 h outage on
    /// day 6), a smoke detector with a verified plume on day 3, a charger overheating on day 4.
    static let inputs: [CoreInput] = {
        var events: [(Int64, Int, CoreInput)] = []
        func add(_ ts: Int64, _ order: Int, _ i: CoreInput) { events.append((ts, order, i)) }
        for q in 0..<(10 * 96) {
            let ts = t0 + Int64(q) * 15 * minute
            let d = q / 96
            var w = 250.0 + Double((q * 37) % 100)
            if d == 8 { w = 3200 }
            var amps = w / 230
            if d == 4 && (q % 96) >= 40 && (q % 96) < 44 { amps = 75; w = 75 * 230 }
            add(ts, 0, .reading(Reading(device: "PM-101", ts: ts, observation: .telemetry(.power(PowerTelemetry(powerW: w, voltageV: 230, currentA: amps))))))
        }
        for h in 0..<(10 * 24) where !(h >= 6 * 24 + 2 && h < 6 * 24 + 8) {
            let ts = t0 + Int64(h) * hour + 7_000
            add(ts, 1, .reading(Reading(device: "WM-101", ts: ts, observation: .telemetry(.water(WaterTelemetry(volumeL: Double(h) * 12))))))
        }
        for m in 0..<(10 * 1440) where m % 5 == 0 || (m >= 3 * 1440 + 600 && m < 3 * 1440 + 620) {
            let ts = t0 + Int64(m) * minute + 3_000
            let plume = m >= 3 * 1440 + 602 && m < 3 * 1440 + 612
            add(ts, 2, .reading(Reading(device: "SD-1", ts: ts, observation: .telemetry(.smoke(SmokeTelemetry(
                obscurationPctPerM: plume ? 6.5 : 0.2, temperatureC: 22, coPpm: nil, batteryPct: 90, alarm: nil))))))
        }
        for m in 0..<(10 * 1440) where m % 5 == 0 || (m >= 4 * 1440 && m < 4 * 1440 + 120) {
            let ts = t0 + Int64(m) * minute + 11_000
            let session = m >= 4 * 1440 && m < 4 * 1440 + 120
            let temp = session ? 30 + Double(m - 4 * 1440) * 0.4 : 25
            let port = ChargerPortReading(port: 1, state: session ? .charging : .idle, voltageV: 52, currentA: session ? 3 : 0,
                                          powerW: session ? 156 : 0, temperatureC: temp)
            add(ts, 3, .reading(Reading(device: "CH-1", ts: ts, observation: .telemetry(.charger(ChargerTelemetry(ports: [port], ambientC: 24))))))
        }
        for k in 0..<(10 * 144) { add(t0 + Int64(k) * 10 * minute + 59_000, 4, .tick(t0 + Int64(k) * 10 * minute + 59_000)) }
        return events.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }()

    static func transitions(_ out: [CoreOutput]) -> [AlarmTransition] {
        out.compactMap { if case let .alarm(t) = $0 { return t } else { return nil } }
    }

    static func run(_ inputs: ArraySlice<CoreInput>, _ engine: inout DetectionEngine) -> [CoreOutput] {
        var out: [CoreOutput] = []
        for i in inputs { engine.handle(i, into: &out) }
        return out
    }

    /// Runs the scenario with a restart after `cut` inputs, through a SQLite file.
    static func restarted(at cut: Int, withSnapshot: Bool = true) throws -> [CoreOutput] {
        let dir = try TemporaryDirectory()
        var first = DetectionEngine(config: config)
        var out = run(inputs[..<cut], &first)
        var store = try Store(path: dir.databasePath)
        if withSnapshot { try store.saveEngineSnapshot(first.snapshot(), at: 1) }
        store.close()
        store = try Store(path: dir.databasePath)
        defer { store.close() }
        var snapshot: EngineSnapshot? = nil
        if case let .loaded(s) = store.loadEngineSnapshot() { snapshot = s }
        #expect((snapshot != nil) == withSnapshot)
        var second = DetectionEngine(config: config, restoring: first.activeAlarms, snapshot: snapshot)
        out += run(inputs[cut...], &second)
        return out
    }

    @Test func aRestartAnywhereGivesTheSameTransitionsAsAnUninterruptedRun() throws {
        var engine = DetectionEngine(config: Self.config)
        let reference = Self.transitions(Self.run(Self.inputs[...], &engine))
        let types = Set(reference.map(\.alarm.key.type))
        print("[restart] uninterrupted: \(reference.count) transitions of \(types.map(\.rawValue).sorted())")
        // The scenario exercises what must survive: learned baselines and cadences, timers.
        for t in [AlarmType.abnormalConsumption, .overload, .deviceOffline, .smoke, .chargerOverheat] {
            #expect(types.contains(t), "the scenario raises \(t)")
        }
        // Cut points: spread over the ten days, plus inside the smoke verification window,
        // the charger session, the overload and the water meter's outage.
        var cuts = stride(from: 1, to: Self.inputs.count, by: Self.inputs.count / 9).map { $0 }
        for ts in [Self.t0 + 3 * Self.day + 603 * Self.minute + 20_000, Self.t0 + 4 * Self.day + 30 * Self.minute,
                   Self.t0 + 4 * Self.day + 10 * Self.hour + 20 * Self.minute, Self.t0 + 6 * Self.day + 5 * Self.hour,
                   Self.t0 + 8 * Self.day + 12 * Self.hour] {
            cuts.append(Self.inputs.firstIndex { if case let .reading(r) = $0 { r.ts >= ts } else { false } } ?? 1)
        }
        for cut in cuts {
            let got = Self.transitions(try Self.restarted(at: cut))
            let i = Array(zip(got, reference)).firstIndex { $0.0 != $0.1 } ?? min(got.count, reference.count)
            func line(_ t: [AlarmTransition]) -> String { i < t.count ? "\(t[i].alarm.key) \(t[i].alarm.state.rawValue) \(t[i].alarm.severity.rawValue) @\(t[i].alarm.updatedAt)" : "none" }
            #expect(got == reference, "restart after input \(cut): \(got.count) transitions, expected \(reference.count); first difference at \(i): got \(line(got)), expected \(line(reference))")
        }
    }

    /// The same restart without the snapshot (alarms only, as before) forgets the learned
    /// baseline and cadence: the comparison above is not vacuous.
    @Test func withoutTheSnapshotARestartChangesTheOutcome() throws {
        var engine = DetectionEngine(config: Self.config)
        let reference = Self.transitions(Self.run(Self.inputs[...], &engine))
        let cut = Self.inputs.firstIndex { if case let .reading(r) = $0 { r.ts >= Self.t0 + 7 * Self.day } else { false } }!
        let got = Self.transitions(try Self.restarted(at: cut, withSnapshot: false))
        #expect(got != reference)
        #expect(!got.contains { $0.alarm.key.type == .abnormalConsumption && $0.alarm.key.device == "PM-101" }, "the baseline is relearned from scratch")
    }

    /// A reload keeps the state of devices whose configuration did not change and drops it
    /// for the ones that changed.
    @Test func aReloadKeepsUnchangedDevicesAndRelearnsChangedOnes() {
        let cut = Self.inputs.firstIndex { if case let .reading(r) = $0 { r.ts >= Self.t0 + 8 * Self.day } else { false } }!
        var engine = DetectionEngine(config: Self.config)
        _ = Self.run(Self.inputs[..<cut], &engine)
        var changed = Self.config
        changed.devices[3].thresholds = ["device_offline": ["missed_reports": 4]]
        var reloaded = engine.reconfigured(changed)
        let out = Self.transitions(Self.run(Self.inputs[cut...], &reloaded))
        #expect(out.contains { $0.alarm.key.type == .abnormalConsumption && $0.alarm.state == .raised }, "PM-101 kept its baseline")
        #expect(reloaded.offlineTimeouts["WM-101"] == 4 * 60_000 || reloaded.offlineTimeouts["WM-101"] == 4 * Self.hour)
        let fresh = DetectionEngine(config: changed, snapshot: engine.snapshot())
        let relearned: Int64? = fresh.offlineTimeouts["WM-101"]
        let expected: Int64 = 4 * 60_000
        #expect(relearned == expected, "WM-101 changed: its cadence is relearned")
        #expect(fresh.offlineTimeouts["PM-101"] == engine.offlineTimeouts["PM-101"])
    }

    @Test func theStoredSnapshotRoundTripsAndABadOneIsReportedNotFatal() throws {
        let f = try StoreFixture()
        #expect({ if case .none = f.store.loadEngineSnapshot() { true } else { false } }())
        var engine = DetectionEngine(config: Self.config)
        _ = Self.run(Self.inputs[..<5000], &engine)
        let snap = engine.snapshot()
        try f.store.saveEngineSnapshot(snap, at: 1)
        guard case let .loaded(back) = f.store.loadEngineSnapshot() else { Issue.record("not loaded"); return }
        #expect(back.now == snap.now)
        #expect(try Store.encodeEngineSnapshot(back) == (try Store.encodeEngineSnapshot(snap)))
        // A bad snapshot row of schema v2 (read until the first save replaces it); bad rows
        // of schema v4 are in EngineSnapshotRowsTests.
        for bad in ["rentguard-engine-snapshot 999\n{}", "rentguard-engine-snapshot 1\n{not json", "garbage", "rentguard-engine-snapshot 1\n{\"version\":1}"] {
            let g = try StoreFixture()
            try g.store.setValue(bad, forKey: "engine.snapshot", at: 2)
            guard case let .unreadable(reason) = g.store.loadEngineSnapshot() else { Issue.record("'\(bad)' was accepted"); continue }
            #expect(!reason.isEmpty)
        }
        // Another building's snapshot is not restored.
        var other = Self.config
        other.gateway = GatewayIdentity(id: "gw-1", building: "B2", zone: .chinaStandardTime)
        #expect(snap.incompatibility(with: other) != nil)
        #expect(snap.incompatibility(with: Self.config) == nil)
    }
}
