import Foundation
@testable import RentGuardCore
import Testing
@testable import RentGuardStore

/// Issue 13: the occupancy estimator's state is part of the engine snapshot. Through a real
/// SQLite file: a restarted engine gives the uninterrupted run's estimates and group-rental
/// flag; a snapshot written before the occupancy part existed restores everything else with
/// an empty estimator; a damaged occupancy part is set aside with its reason and the rest
/// still restores.
@Suite struct EngineSnapshotOccupancyTests {
    static let t0: Int64 = 1_767_196_800_000  // 2026-01-01 00:00 local (UTC+8)
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    static let days = 26

    /// Eight flats with hourly water meters; U8 holds 9 people, registered 2, in 40 m².
    static let people = [1, 2, 3, 4, 2, 3, 1, 9]
    static let registered = [1, 2, 3, 4, 2, 3, 1, 2]

    static var config: BuildingConfig {
        var units: [UnitConfig] = []
        var devices: [DeviceConfig] = []
        for i in 0..<people.count {
            units.append(UnitConfig(id: "U\(i + 1)", areaM2: i == 7 ? 40 : 90, registeredOccupants: registered[i]))
            devices.append(DeviceConfig(id: "WM-\(i + 1)", kind: .waterMeter, unit: "U\(i + 1)"))
        }
        devices.append(DeviceConfig(id: "PM-1", kind: .powerMeter, unit: "U1", ratedCurrentA: 40))
        return BuildingConfig(gateway: GatewayIdentity(id: "gw-1", building: "B1", zone: .chinaStandardTime), units: units, devices: devices)
    }

    /// Hourly register readings (use between 06 and 23 h, a day-to-day wobble), a power meter
    /// on U1 every 15 minutes, and a tick every 10 minutes.
    static let inputs: [CoreInput] = {
        var events: [(Int64, Int, CoreInput)] = []
        var register = Array(repeating: 0.0, count: people.count)
        for h in 0..<(days * 24) {
            let d = h / 24, hh = h % 24
            for u in 0..<people.count {
                let wobble = 1 + 0.2 * sin(Double(d) * 1.7 + Double(u) * 2.3)
                let daily = (60 + 110 * Double(people[u])) * wobble
                if hh >= 6 && hh < 23 { register[u] += daily / 17 }
                let ts = t0 + Int64(h) * hour + 7 * 60_000
                events.append((ts, u, .reading(Reading(device: "WM-\(u + 1)", ts: ts, observation: .telemetry(.water(WaterTelemetry(volumeL: register[u])))))))
            }
        }
        for q in 0..<(days * 96) {
            let ts = t0 + Int64(q) * 15 * 60_000 + 30_000
            let w = 200.0 + Double((q * 37) % 100)
            events.append((ts, 20, .reading(Reading(device: "PM-1", ts: ts, observation: .telemetry(.power(PowerTelemetry(powerW: w, voltageV: 230, currentA: w / 230)))))))
        }
        for k in 0..<(days * 144) { events.append((t0 + Int64(k) * 600_000 + 59_000, 30, .tick(t0 + Int64(k) * 600_000 + 59_000))) }
        return events.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }()

    static func run(_ inputs: ArraySlice<CoreInput>, _ engine: inout DetectionEngine) -> [CoreOutput] {
        var out: [CoreOutput] = []
        for i in inputs { engine.handle(i, into: &out) }
        return out
    }

    static func index(at ts: Int64) -> Int {
        inputs.firstIndex { if case let .tick(t) = $0 { t >= ts } else { false } }!
    }

    /// The stored text after the first `cut` inputs, changed by `edit`, loaded back from SQLite.
    static func stored(after cut: Int, edit: ((inout [String: Any]) -> Void)? = nil) throws -> (engine: DetectionEngine, load: Store.EngineSnapshotLoad, out: [CoreOutput]) {
        var first = DetectionEngine(config: config)
        let out = run(inputs[..<cut], &first)
        var text = try Store.encodeEngineSnapshot(first.snapshot())
        if let edit {
            let nl = text.firstIndex(of: "\n")!
            var o = try #require(try JSONSerialization.jsonObject(with: Data(text[text.index(after: nl)...].utf8)) as? [String: Any])
            edit(&o)
            text = String(text[...nl]) + String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
        }
        let dir = try TemporaryDirectory()
        var store = try Store(path: dir.databasePath)
        try store.setValue(text, forKey: Store.engineSnapshotKey, at: 1)
        store.close()
        store = try Store(path: dir.databasePath)
        defer { store.close() }
        return (first, store.loadEngineSnapshot(), out)
    }

    static func estimates(_ out: [CoreOutput]) -> [OccupancyEstimate] {
        out.compactMap { if case let .occupancy(e) = $0 { return e } else { return nil } }
    }

    @Test func aRestartedEngineGivesTheUninterruptedEstimatesAndFlag() throws {
        var engine = DetectionEngine(config: Self.config)
        let reference = Self.run(Self.inputs[...], &engine)
        let raised = try #require(reference.first { if case let .alarm(t) = $0 { t.alarm.key.type == .groupRentalSuspected } else { false } })
        guard case let .alarm(flag) = raised else { return }
        // Mid-afternoon inside the flag's run of days, and a day later.
        for ts in [flag.alarm.startedAt - 3 * Self.day + 15 * Self.hour, flag.alarm.startedAt - 2 * Self.day + 15 * Self.hour] {
            let cut = Self.index(at: ts)
            let (first, load, before) = try Self.stored(after: cut)
            guard case let .loaded(s) = load else { Issue.record("snapshot not loaded: \(load)"); return }
            var second = DetectionEngine(config: Self.config, restoring: first.activeAlarms, snapshot: s)
            let r = try #require(second.occupancyRestore)
            #expect(r.discarded == nil && r.metersKept == 9 && r.historiesKept == 9, "\(r)")
            let got = before + Self.run(Self.inputs[cut...], &second)
            #expect(Self.estimates(got).count == Self.estimates(reference).count)
            #expect(got == reference, "restart at day \((ts - Self.t0) / Self.day)")
        }
    }

    @Test func aSnapshotWithoutTheOccupancyPartRestoresTheRest() throws {
        let cut = Self.index(at: Self.t0 + 20 * Self.day + 15 * Self.hour)
        let (first, load, _) = try Self.stored(after: cut) { $0["occupancy"] = nil }
        guard case let .loaded(s) = load else { Issue.record("snapshot not loaded: \(load)"); return }
        #expect(s.occupancy == nil)
        #expect(s.rules.states.isEmpty == false)
        #expect(s.now == first.now)
        let e = DetectionEngine(config: Self.config, restoring: first.activeAlarms, snapshot: s)
        #expect(e.occupancyRestore == nil)
        #expect(e.now == first.now)
        // Empty: no daily use, no meter state; only the flag the active alarm restores.
        let o = try #require(e.snapshot().occupancy?.state)
        #expect(o.nextPeriod == nil)
        #expect(o.units.values.allSatisfy { $0.history.isEmpty && $0.tracker?.holdRun == 0 })
        #expect(o.units.keys.sorted() == first.activeAlarms.filter { $0.key.type == .groupRentalSuspected }.compactMap(\.key.unit).sorted())
        #expect(o.meters.values.allSatisfy { $0.lastRegister == nil && $0.open.isEmpty })
    }

    @Test func aDamagedOccupancyPartIsSetAsideAndTheRestRestores() throws {
        let cut = Self.index(at: Self.t0 + 20 * Self.day + 15 * Self.hour)
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("a negative day", { o in
                var occ = o["occupancy"] as! [String: Any]
                var units = occ["units"] as! [String: Any]
                var u = units["U3"] as! [String: Any]
                var h = u["history"] as! [String: Any]
                var w = h["water"] as! [String: Any]
                var use = w["use"] as! [Any]
                use[4] = -120.5
                w["use"] = use; h["water"] = w; u["history"] = h; units["U3"] = u; occ["units"] = units; o["occupancy"] = occ
            }),
            ("another version", { o in
                var occ = o["occupancy"] as! [String: Any]
                occ["version"] = 7
                o["occupancy"] = occ
            }),
            ("not an object", { o in o["occupancy"] = [1, 2, 3] }),
        ]
        for (name, edit) in edits {
            let (first, load, _) = try Self.stored(after: cut, edit: edit)
            guard case let .loaded(s) = load else { Issue.record("\(name): snapshot not loaded: \(load)"); continue }
            #expect(s.occupancy?.state == nil, "\(name)")
            let reason = try #require(s.occupancy?.unreadable, "\(name)")
            print("[occupancy snapshot] \(name): \(reason)")
            #expect(s.rules.states.isEmpty == false, "\(name): the rules' state is still there")
            let e = DetectionEngine(config: Self.config, restoring: first.activeAlarms, snapshot: s)
            #expect(e.occupancyRestore?.discarded == reason, "\(name)")
            #expect(e.now == first.now, "\(name)")
            let o = try #require(e.snapshot().occupancy?.state)
            #expect(o.nextPeriod == nil && o.units.values.allSatisfy { $0.history.isEmpty && $0.tracker?.holdRun == 0 }, "\(name)")
            #expect(o.meters.values.allSatisfy { $0.lastRegister == nil && $0.open.isEmpty }, "\(name)")
        }
    }
    /// The snapshot's size for a building of 200 flats with a water and an electricity meter
    /// each, after 44 days (42 days of daily use kept per meter kind): it is written to flash
    /// every 5 minutes (docs/footprint.md). Prints the figures; asserts only that the state
    /// measured is the full one.
    @Test func snapshotSizeOfTwoHundredFlats() throws {
        let flats = 200, days = 44
        var units: [UnitConfig] = []
        var devices: [DeviceConfig] = []
        for i in 0..<flats {
            units.append(UnitConfig(id: "\(1000 + i)", areaM2: 70, registeredOccupants: 1 + i % 4))
            devices.append(DeviceConfig(id: "WM-\(1000 + i)", kind: .waterMeter, unit: "\(1000 + i)"))
            devices.append(DeviceConfig(id: "EM-\(1000 + i)", kind: .powerMeter, unit: "\(1000 + i)", ratedCurrentA: 40))
        }
        let config = BuildingConfig(gateway: GatewayIdentity(id: "gw-1", building: "B1", zone: .chinaStandardTime), units: units, devices: devices)
        var engine = DetectionEngine(config: config)
        var water = Array(repeating: 0.0, count: flats), energy = Array(repeating: 0.0, count: flats)
        var out: [CoreOutput] = []
        for h in 0..<(days * 24) {
            let d = h / 24, hh = h % 24
            let ts = Self.t0 + Int64(h) * Self.hour + 7 * 60_000
            for i in 0..<flats {
                let n = Double(1 + i % 4)
                let wobble = 1 + 0.2 * sin(Double(d) * 1.7 + Double(i) * 2.3)
                if hh >= 6 && hh < 23 {
                    water[i] += (60 + 110 * n) * wobble / 17
                    energy[i] += (1.5 + 2 * n) * wobble / 17
                }
                energy[i] += 0.05
                engine.handle(.reading(Reading(device: "WM-\(1000 + i)", ts: ts, observation: .telemetry(.water(WaterTelemetry(volumeL: water[i]))))), into: &out)
                engine.handle(.reading(Reading(device: "EM-\(1000 + i)", ts: ts + 1000, observation: .telemetry(.power(PowerTelemetry(powerW: 300, voltageV: 230, currentA: 1.3, energyKWh: energy[i]))))), into: &out)
            }
            engine.handle(.tick(ts + 30 * 60_000), into: &out)
            out.removeAll(keepingCapacity: true)
        }
        let snap = engine.snapshot()
        let occ = try #require(snap.occupancy?.state)
        #expect(occ.units.count == flats)
        #expect(occ.units.values.allSatisfy { $0.history.count == 2 && $0.history.values.allSatisfy { $0.use.count == 42 } })
        let text = try Store.encodeEngineSnapshot(snap)
        var withoutOccupancy = snap
        withoutOccupancy.occupancy = nil
        let rest = try Store.encodeEngineSnapshot(withoutOccupancy)
        let occupancyBytes = text.utf8.count - rest.utf8.count
        // The daemon writes the rules' part every 5 minutes and the occupancy part in its own
        // row once a day (`Pipeline+Snapshot.swift`).
        let rulesBytes = text.utf8.count - occupancyBytes
        let perDay = (Double(rulesBytes) * 288 + Double(occupancyBytes)) / 1_000_000
        var metersOnly = occ, unitsOnly = occ
        metersOnly.units = [:]
        unitsOnly.meters = [:]
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        print("[snapshot size] occupancy part: meters' baselines and open periods \(try enc.encode(metersOnly).count) B, "
            + "units' daily use and runs \(try enc.encode(unitsOnly).count) B")
        print("[snapshot size] \(flats) flats × 2 meters, \(days) days: engine snapshot \(text.utf8.count) B, of which occupancy \(occupancyBytes) B "
            + "(\(occupancyBytes / (flats * 2)) B per meter); the rules' \(rulesBytes) B every 5 min and the occupancy row once a day: "
            + "\(String(format: "%.1f", perDay)) MB/day of snapshot text before SQLite's page and WAL overhead")
    }
}
