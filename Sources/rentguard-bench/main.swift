// rentguard-bench: the detection core alone, on one thread.
//
// Streams readings from 10,000 devices (6,000 smoke detectors, 3,000 power meters,
// 1,000 four-port chargers) through `DetectionEngine`, each device reporting once per
// simulated minute with small noise, and prints readings per second and allocations per
// reading. Build and run in release:
//     swift build -c release --product rentguard-bench && .build/release/rentguard-bench [rounds]
//
// Allocations: not counted (see AllocCounter.swift for what was tried). The RSS from
// /proc/self/statm before and after the timed loop is printed: flat RSS over millions of
// readings shows the engine's memory stays bounded.
import Glibc
import RentGuardCore

func fmt(_ x: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let v = (x * p).rounded() / p
    return digits == 0 ? String(Int(v)) : String(v)
}

func runBench() {

    let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200 : 200
    let smokeCount = 6_000, meterCount = 3_000, chargerCount = 1_000

    var devices: [DeviceConfig] = []
    var units: [UnitConfig] = []
    for u in 0..<3_000 {
        units.append(UnitConfig(id: "U\(u)", areaM2: 60, registeredOccupants: 3, adjacent: u > 0 ? ["U\(u - 1)"] : []))
    }
    for i in 0..<smokeCount {
        devices.append(DeviceConfig(id: "SD-\(i)", kind: .smokeDetector, unit: "U\(i / 2)", zone: i % 2 == 0 ? .kitchen : .bedroom, reportIntervalSeconds: 60))
    }
    for i in 0..<meterCount {
        devices.append(DeviceConfig(id: "PM-\(i)", kind: .powerMeter, unit: "U\(i)", reportIntervalSeconds: 60, ratedCurrentA: 40))
    }
    for i in 0..<chargerCount {
        devices.append(DeviceConfig(id: "CH-\(i)", kind: .charger, zone: .station, reportIntervalSeconds: 60, ports: 4,
                                    ratedPortCurrentA: 5.5, stationPowerCapW: 8700, commands: ["port_off"], near: ["SD-\(i)"]))
    }
    let config = BuildingConfig(gateway: GatewayIdentity(id: "gw-bench", building: "BENCH"), units: units, devices: devices)

    // A tiny LCG for noise (deterministic, no allocation).
    var rng: UInt64 = 0x2545_F491_4F6C_DD1D
    func noise() -> Double {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(rng >> 11) / Double(1 << 53) - 0.5
    }

    // One template reading per device; the loop changes its time and values.
    let templates: [Reading] = devices.map { d in
        switch d.kind {
        case .smokeDetector:
            return Reading(device: d.id, ts: 0, observation: .telemetry(.smoke(SmokeTelemetry(obscurationPctPerM: 0.3, temperatureC: 22, coPpm: 2, batteryPct: 90))))
        case .powerMeter:
            return Reading(device: d.id, ts: 0, observation: .telemetry(.power(PowerTelemetry(powerW: 600, voltageV: 230, currentA: 2.6, residualCurrentMA: 40))))
        default:
            let ports = (1...4).map { ChargerPortReading(port: $0, state: .charging, voltageV: 52, currentA: 3, powerW: 156, temperatureC: 32, energyWh: 100) }
            return Reading(device: d.id, ts: 0, observation: .telemetry(.charger(ChargerTelemetry(ports: ports, ambientC: 24))))
        }
    }

    func statmRSSKiB() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return -1 }
        defer { fclose(f) }
        var size = 0, rss = 0
        withUnsafeMutablePointer(to: &size) { s in
            withUnsafeMutablePointer(to: &rss) { r in
                _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
            }
        }
        return rss * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    var engine = DetectionEngine(config: config)
    var out: [CoreOutput] = []
    out.reserveCapacity(1024)
    let t0: Int64 = 1_767_225_600_000
    let n = devices.count
    let stepMs = Int64(60_000 / n)  // devices staggered over the minute

    func feed(round: Int) {
        let base = t0 + Int64(round) * 60_000
        for i in 0..<n {
            var r = templates[i]
            r.ts = base + Int64(i) * stepMs
            switch r.observation {
            case var .telemetry(.smoke(s)):
                s.obscurationPctPerM = 0.3 + 0.2 * noise()
                s.temperatureC = 22 + noise()
                r.observation = .telemetry(.smoke(s))
            case var .telemetry(.power(p)):
                let w = 600 + 300 * noise()
                p.powerW = w
                p.currentA = w / 230
                r.observation = .telemetry(.power(p))
            default:
                break  // charger: same ports, new time
            }
            engine.handle(.reading(r), into: &out)
            if out.count > 512 { out.removeAll(keepingCapacity: true) }
        }
    }

    // Warm-up: a few rounds so that per-device state and windows have reached their size.
    for r in 0..<5 { feed(round: r) }
    let rss0 = statmRSSKiB()
    let a0 = allocationCount()
    let start = monotonic()
    for r in 5..<(5 + rounds) { feed(round: r) }
    let elapsed = monotonic() - start
    let a1 = allocationCount()
    let rss1 = statmRSSKiB()
    let readings = Double(rounds * n)
    print("rentguard-bench: \(n) devices (\(smokeCount) smoke detectors, \(meterCount) power meters, \(chargerCount) 4-port chargers), \(rounds) rounds")
    print("readings: \(Int(readings)) in \(fmt(elapsed, 3)) s = \(fmt(readings / elapsed, 0)) readings/s (\(fmt(elapsed / readings * 1e9, 0)) ns/reading)")
    if hooked { print("allocations: \(a1 - a0) = \(fmt(Double(a1 - a0) / readings, 3)) per reading (malloc/calloc/realloc interposer; warm-up allocated \(a0))") }
    print("RSS: \(rss0) → \(rss1) KiB")
    print("active alarms at the end: \(engine.activeAlarms.count)")

}

let hooked = CommandLine.arguments.count > 2 ? false : installAllocationCounter()
if !hooked { print("(allocations not counted; see AllocCounter.swift)") }
runBench()
