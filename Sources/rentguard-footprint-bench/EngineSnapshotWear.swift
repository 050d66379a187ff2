import Foundation
import RentGuardCore
import RentGuardStore
import RentGuardTesting

/// `--engine-snapshot`: the flash the detection state's snapshot costs, measured in-process on
/// a real SQLite file (the daemon's `Store`, WAL, `synchronous=FULL`), without a broker or a
/// wall clock: a building of `devices` devices (per flat two smoke detectors, a power meter and
/// a water meter; one device in ten a four-port charger) reporting at the simulator's
/// intervals (docs/simulator.md: 60 s, water meters 300 s) with moving values, driven in event
/// time through a `DetectionEngine`; after `warmup` hours the snapshot is saved every 5 minutes
/// of event time as the daemon saves it (`Pipeline.saveSnapshot`: the rules' part, the
/// occupancy part in its own row once a day) for `hours` hours, and each save's writes are
/// read from /proc/self/io. Per day = the mean per save × 288.
enum EngineSnapshotWear {
    static func run() throws {
        let deviceCount = BenchArguments.int("--devices", 2_000)
        let warmupHours = BenchArguments.int("--warmup-hours", 6)
        let hours = BenchArguments.int("--hours", 2)
        let config = building(deviceCount)
        let t0: Int64 = 1_767_225_600_000  // 2026-01-01 08:00 in the building's zone
        let minute: Int64 = 60_000
        let dir = try TemporaryDirectory(prefix: "snapshot-wear")
        defer { dir.remove() }
        let store = try Store(path: dir.file(Store.fileName))
        defer { store.close() }
        var engine = DetectionEngine(config: config)

        // Each device reports at its interval from its own phase; ticks every 10 s.
        var out: [CoreOutput] = []
        var next = config.devices.indices.map { i in t0 + Int64(i * 7_919 % 60_000) }
        var counter = Array(repeating: 0, count: config.devices.count)
        func advance(to end: Int64) {
            var t = (next.min() ?? end)
            var tick = t - t % 10_000
            while t < end {
                for (i, d) in config.devices.enumerated() where next[i] <= t {
                    counter[i] += 1
                    engine.handle(.reading(reading(d, ts: next[i], n: counter[i], index: i)), into: &out)
                    next[i] += Int64((d.reportIntervalSeconds ?? 60) * 1000)
                }
                t += 1_000
                if t >= tick + 10_000 { tick += 10_000; engine.handle(.tick(tick), into: &out) }
                out.removeAll(keepingCapacity: true)
            }
        }

        advance(to: t0 + Int64(warmupHours) * 60 * minute)
        let full = try fullText(engine)
        var saves: [(writeBytes: Int, wchar: Int, seconds: Double)] = []
        // Per part of the snapshot (each rule's per-device states, the fingerprints, the last
        // seen times, the rest): its text, and the text of the devices whose value changed
        // since the previous save, in bytes summed over the saves.
        var previous = try pieces(engine)
        var partTotal: [String: Int] = [:], partChanged: [String: Int] = [:]
        var t = t0 + Int64(warmupHours) * 60 * minute
        for _ in 0..<(hours * 12) {
            t += 5 * minute
            advance(to: t)
            let now = try pieces(engine)
            for (part, rows) in now {
                for (key, text) in rows {
                    partTotal[part, default: 0] += text.count
                    if previous[part]?[key] != text { partChanged[part, default: 0] += text.count }
                }
            }
            previous = now
            var s = engine.snapshot()
            s.occupancy = nil
            let before = ioCounters()
            let clock = ContinuousClock.now
            try store.saveEngineSnapshot(s, at: t)
            let elapsed = ContinuousClock.now - clock
            let after = ioCounters()
            saves.append((after.writeBytes - before.writeBytes, after.wchar - before.wchar,
                          Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)))
        }
        // The restore gives back the same state.
        guard case let .loaded(back) = store.loadEngineSnapshot() else { print("the stored snapshot does not load"); exit(1) }
        var last = engine.snapshot()
        last.occupancy = nil
        let same = try canonical(back) == (try canonical(last))

        let n = Double(saves.count)
        let write = Double(saves.map(\.writeBytes).reduce(0, +)) / n
        let wchar = Double(saves.map(\.wchar).reduce(0, +)) / n
        let first = saves.first!
        let kinds = Dictionary(grouping: config.devices, by: \.kind).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
        print("rentguard-footprint-bench --engine-snapshot: \(config.devices.count) devices (\(kinds.joined(separator: ", "))), \(config.units.count) flats")
        print("  warm-up \(warmupHours) h of event time, then \(saves.count) saves, one every 5 minutes (\(hours) h)")
        print("  a whole snapshot of the rules' state as JSON text: \(full) B (\(mb(Double(full) * 288)) MB/day if rewritten every 5 minutes)")
        print("  per save, mean of \(saves.count): write() \(Int(wchar)) B, block-layer writes \(Int(write)) B, \(String(format: "%.0f", 1000 * saves.map(\.seconds).reduce(0, +) / n)) ms")
        print("  first save: write() \(first.wchar) B, block-layer writes \(first.writeBytes) B")
        print("  what changes between two saves (text of the values that differ from the previous save / all, per part):")
        for part in partTotal.keys.sorted(by: { partTotal[$0]! > partTotal[$1]! }) {
            let total = partTotal[part]!, changed = partChanged[part] ?? 0
            print("    \(part): \(changed / saves.count) of \(total / saves.count) B (\(String(format: "%.0f", 100 * Double(changed) / Double(max(1, total)))) %)")
        }
        print("  per day (× 288): write() \(mb(wchar * 288)) MB, block-layer writes \(mb(write * 288)) MB")
        print("  database after: \(mb(Double(fileSize(dir.file(Store.fileName))))) MB, WAL \(mb(Double(fileSize(dir.file(Store.fileName) + "-wal")))) MB")
        print("  restored snapshot equals the engine's: \(same)")
    }

    static func building(_ count: Int) -> BuildingConfig {
        let chargers = count / 10
        let flats = (count - chargers) / 4
        var units: [UnitConfig] = []
        var devices: [DeviceConfig] = []
        for f in 0..<flats {
            let u = "U\(f)"
            units.append(UnitConfig(id: u, floor: f / 20 + 1, areaM2: 40, registeredOccupants: 2))
            devices.append(DeviceConfig(id: "SD-\(f)-a", kind: .smokeDetector, unit: u, zone: .bedroom, reportIntervalSeconds: 60))
            devices.append(DeviceConfig(id: "SD-\(f)-b", kind: .smokeDetector, unit: u, zone: .kitchen, reportIntervalSeconds: 60))
            devices.append(DeviceConfig(id: "PM-\(f)", kind: .powerMeter, unit: u, reportIntervalSeconds: 60, ratedCurrentA: 40))
            devices.append(DeviceConfig(id: "WM-\(f)", kind: .waterMeter, unit: u, reportIntervalSeconds: 300))
        }
        for c in 0..<(count - 4 * flats) {
            devices.append(DeviceConfig(id: "CH-\(c)", kind: .charger, zone: .station, reportIntervalSeconds: 60, ports: 4, ratedPortCurrentA: 5.5))
        }
        return BuildingConfig(gateway: GatewayIdentity(id: "gw-wear", building: "wear"), units: units, devices: devices)
    }

    /// Ordinary readings whose values move a little every time (no alarms), with the
    /// resolution devices report (0.1 °C, 0.01 %/m, 0.1 W, 1 Wh, 0.1 L).
    static func reading(_ d: DeviceConfig, ts: Int64, n: Int, index: Int) -> Reading {
        let wobble = Double((n * 31 + index * 17) % 23) / 23
        func r(_ x: Double, _ step: Double) -> Double { (x / step).rounded() * step }
        let t: Telemetry
        switch d.kind {
        case .smokeDetector:
            t = .smoke(SmokeTelemetry(obscurationPctPerM: r(0.05 + 0.1 * wobble, 0.01), temperatureC: r(21 + wobble, 0.1), batteryPct: 90))
        case .powerMeter:
            let w = r(150 + 600 * wobble, 0.1)
            t = .power(PowerTelemetry(powerW: w, voltageV: 230, currentA: r(w / 230, 0.01), energyKWh: r(Double(n) * 0.006 + Double(index % 1000), 0.001)))
        case .waterMeter:
            t = .water(WaterTelemetry(volumeL: r(Double(n) * 1.3 + Double(index % 1000), 0.1)))
        default:
            let charging = (n / 120 + index) % 4 == 0
            let ports = (1...4).map { p in
                p == 1 && charging
                    ? ChargerPortReading(port: p, state: .charging, voltageV: 52, currentA: 3, powerW: 156, temperatureC: r(28 + 2 * wobble, 0.1))
                    : ChargerPortReading(port: p, state: .idle, voltageV: 52, currentA: 0, powerW: 0, temperatureC: 24)
            }
            t = .charger(ChargerTelemetry(ports: ports, ambientC: r(22 + wobble, 0.1)))
        }
        return Reading(device: d.id, ts: ts, observation: .telemetry(t))
    }

    /// The snapshot's values, part → key → JSON text: each rule's state per device, the
    /// devices' fingerprints and last seen times, and the rest as one value.
    static func pieces(_ engine: DetectionEngine) throws -> [String: [String: Data]] {
        var s = engine.snapshot()
        s.occupancy = nil
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var out: [String: [String: Data]] = [:]
        for (rule, states) in s.rules.states {
            var m: [String: Data] = [:]
            for (id, state) in states { m[id] = try e.encode(state) }
            out["rule " + rule] = m
        }
        out["fingerprints"] = try s.devices.mapValues { try e.encode($0) }
        out["last seen"] = try s.lastSeen.mapValues { try e.encode($0) }
        var rest = s
        rest.rules = .init()
        rest.devices = [:]
        rest.lastSeen = [:]
        out["event time, lifecycle, commands"] = ["": try e.encode(rest)]
        return out
    }

    static func fullText(_ engine: DetectionEngine) throws -> Int {
        var s = engine.snapshot()
        s.occupancy = nil
        return try canonical(s).count
    }

    static func canonical(_ s: EngineSnapshot) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(s)
    }

    static func ioCounters() -> (writeBytes: Int, wchar: Int) {
        let text = (try? String(contentsOfFile: "/proc/self/io", encoding: .utf8)) ?? ""
        var f: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":")
            if parts.count == 2, let v = Int(parts[1].trimmingCharacters(in: .whitespaces)) { f[String(parts[0])] = v }
        }
        return (f["write_bytes"] ?? 0, f["wchar"] ?? 0)
    }

    static func fileSize(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
    static func mb(_ x: Double) -> String { String(format: "%.1f", x / 1_048_576) }
}
