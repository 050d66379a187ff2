// rentguard-bench: the detection core alone, on one thread.
//
// Streams readings from 10,000 devices (6,000 smoke detectors, 3,000 power meters,
// 1,000 four-port chargers) through `DetectionEngine`, each device reporting once per
// simulated minute with small noise, and prints:
//   - memory: RSS of the empty process, the heap held by the configuration, by each rule's
//     state (after `--memory-rounds` simulated minutes of readings), by the occupancy
//     estimator and by the whole engine;
//   - speed: readings per second on one core, beside the figure issue 16 started from;
//   - allocations per reading, counted by the malloc interposer in CAllocCounter.
// Build and run in release:
//     swift build -c release --product rentguard-bench && .build/release/rentguard-bench [rounds] [--memory-rounds N]
import CAllocCounter
import Glibc
import RentGuardCore

/// The figure issue 16 was opened with (release build, same workload), for comparison.
let issueBaselineReadingsPerSecond = 780_000.0

func fmt(_ x: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let v = (x * p).rounded() / p
    return digits == 0 ? String(Int(v)) : String(v)
}

func kib(_ bytes: Int64) -> String { fmt(Double(bytes) / 1024, 0) + " KiB" }

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

/// Live heap bytes (the interposer's count) and resident set at a point.
struct MemoryPoint {
    var heap: Int64 = rg_alloc_live_bytes()
    var rssKiB: Int = statmRSSKiB()
}

let startPoint = MemoryPoint()

/// `[rounds] [--memory-rounds N]`.
let (rounds, memoryRounds): (Int, Int) = {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var memoryRounds = 60
    if let i = arguments.firstIndex(of: "--memory-rounds"), i + 1 < arguments.count {
        memoryRounds = Int(arguments[i + 1]) ?? memoryRounds
        arguments.removeSubrange(i...(i + 1))
    }
    return (arguments.first.flatMap { Int($0) } ?? 200, memoryRounds)
}()

/// Whether the interposer sees the Swift runtime's allocations (it must, for the counts to mean anything).
func allocatorHooked() -> Bool {
    let before = rg_alloc_count()
    let a = [Int](repeating: 7, count: 1000)
    withExtendedLifetime(a) {}
    return rg_alloc_count() > before
}

// MARK: - The building

let smokeCount = 6_000, meterCount = 3_000, chargerCount = 1_000

func makeConfig() -> BuildingConfig {
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
    return BuildingConfig(gateway: GatewayIdentity(id: "gw-bench", building: "BENCH"), units: units, devices: devices)
}

let beforeConfig = MemoryPoint()
let config = makeConfig()
let afterConfig = MemoryPoint()
let devices = config.devices
let n = devices.count

// One template reading per device; the feed changes its time and values.
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

let t0: Int64 = 1_767_225_600_000
let stepMs = Int64(60_000 / n)  // devices staggered over the minute

/// A tiny LCG for noise (deterministic, no allocation).
struct Noise {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) - 0.5
    }
}

/// Device `i`'s reading of simulated minute `round`.
@inline(__always)
func reading(_ i: Int, round: Int, noise: inout Noise) -> Reading {
    var r = templates[i]
    r.ts = t0 + Int64(round) * 60_000 + Int64(i) * stepMs
    switch r.observation {
    case var .telemetry(.smoke(s)):
        s.obscurationPctPerM = 0.3 + 0.2 * noise.next()
        s.temperatureC = 22 + noise.next()
        r.observation = .telemetry(.smoke(s))
    case var .telemetry(.power(p)):
        let w = 600 + 300 * noise.next()
        p.powerW = w
        p.currentA = w / 230
        r.observation = .telemetry(.power(p))
    default:
        break  // charger: same ports, new time
    }
    return r
}

// MARK: - Memory: where the bytes go

let hooked = allocatorHooked()
print("rentguard-bench: \(n) devices (\(smokeCount) smoke detectors, \(meterCount) power meters, \(chargerCount) 4-port chargers)")
if !hooked { print("WARNING: the malloc interposer does not see the runtime's allocations; heap and allocation figures are 0") }
print("")
print("memory (live heap from the malloc interposer; RSS from /proc/self/statm):")
print("  empty process (runtime, before the configuration): RSS \(startPoint.rssKiB) KiB, heap \(kib(startPoint.heap))")
print("  BuildingConfig, 3,000 units and \(n) devices: heap \(kib(afterConfig.heap - beforeConfig.heap)) (\(fmt(Double(afterConfig.heap - beforeConfig.heap) / Double(n), 0)) B/device)")
print("    MemoryLayout<DeviceConfig>.stride = \(MemoryLayout<DeviceConfig>.stride) B inline per device")

/// A rule alone on the building: its heap after `init`, and after `memoryRounds` simulated
/// minutes of every device it sees (ticked once per minute when it uses ticks).
func measureRule<R: DetectionRule>(_ type: R.Type) -> (initBytes: Int64, fedBytes: Int64, devicesSeen: Int, allocationsPerReading: Double) {
    let before = rg_alloc_live_bytes()
    var rule = R(config: config, thresholds: Thresholds(config: config))
    let afterInit = rg_alloc_live_bytes()
    var scratch: [Condition] = []
    scratch.reserveCapacity(256)
    let kinds = Set(R.deviceKinds)
    let seen = devices.indices.filter { kinds.contains(devices[$0].kind) }
    var noise = Noise()
    var lastRoundAllocations: UInt64 = 0
    for round in 0..<memoryRounds {
        let a0 = rg_alloc_count()
        for i in seen {
            rule.observe(reading(i, round: round, noise: &noise), device: devices[i], slot: i, isLatest: true, into: &scratch)
            if scratch.count > 128 { scratch.removeAll(keepingCapacity: true) }
        }
        if R.usesTicks {
            rule.tick(now: t0 + Int64(round + 1) * 60_000, into: &scratch)
            scratch.removeAll(keepingCapacity: true)
        }
        lastRoundAllocations = rg_alloc_count() - a0
    }
    scratch = []
    let afterFeed = rg_alloc_live_bytes()
    withExtendedLifetime(rule) {}
    return (afterInit - before, afterFeed - before, seen.count, Double(lastRoundAllocations) / Double(max(1, seen.count)))
}

func measureAny(_ type: any DetectionRule.Type) -> (initBytes: Int64, fedBytes: Int64, devicesSeen: Int, allocationsPerReading: Double) {
    measureRule(type)
}

print("  rules, each alone, after \(memoryRounds) simulated minutes of readings (heap after init → after readings, per device it sees; allocations per reading in the last minute, the reading's own copy included):")
var ruleTotal: Int64 = 0
for type in RuleCatalog.all {
    let m = measureAny(type)
    ruleTotal += m.fedBytes
    let perDevice = m.devicesSeen > 0 ? fmt(Double(m.fedBytes) / Double(m.devicesSeen), 0) : "-"
    let name = type.id + String(repeating: " ", count: max(0, 30 - type.id.count))
    print("    \(name) \(kib(m.initBytes)) → \(kib(m.fedBytes)) (\(perDevice) B/device, \(m.devicesSeen) devices); \(fmt(m.allocationsPerReading, 3)) allocations/reading in the last minute")
}
print("    all rules: \(kib(ruleTotal)) (\(fmt(Double(ruleTotal) / Double(n), 0)) B/device)")

do {
    let before = rg_alloc_live_bytes()
    var estimator = OccupancyEstimator(config: config, thresholds: Thresholds(config: config))
    let afterInit = rg_alloc_live_bytes()
    var noise = Noise()
    let meters = devices.indices.filter { devices[$0].kind == .powerMeter }
    for round in 0..<memoryRounds {
        for i in meters { estimator.observe(reading(i, round: round, noise: &noise)) }
        let now = t0 + Int64(round + 1) * 60_000
        if now >= estimator.nextDeadline { _ = estimator.advance(to: now) }
    }
    let afterFeed = rg_alloc_live_bytes()
    withExtendedLifetime(estimator) {}
    print("  occupancy estimator (3,000 units, \(meters.count) meters): \(kib(afterInit - before)) → \(kib(afterFeed - before))")
}

// MARK: - The engine: memory, then speed

/// Engine memory and speed, with everything local to one function (as the daemon holds it).
func runEngine() {
    let beforeEngine = MemoryPoint()
    var engine = DetectionEngine(config: config)
    let afterEngineInit = MemoryPoint()
    var out: [CoreOutput] = []
    out.reserveCapacity(1024)
    var noise = Noise()

    func feed(round: Int) {
        for i in 0..<n {
            engine.handle(.reading(reading(i, round: round, noise: &noise)), into: &out)
            if out.count > 512 { out.removeAll(keepingCapacity: true) }
        }
    }

    // Warm-up: per-device state and windows reach their size.
    let warmUp = max(5, memoryRounds)
    for r in 0..<warmUp { feed(round: r) }
    let afterWarmUp = MemoryPoint()
    print("  DetectionEngine (config shared, not copied): heap \(kib(afterEngineInit.heap - beforeEngine.heap)) after init → \(kib(afterWarmUp.heap - beforeEngine.heap)) after \(warmUp) minutes of readings (\(fmt(Double(afterWarmUp.heap - beforeEngine.heap) / Double(n), 0)) B/device)")
    print("  process now: RSS \(afterWarmUp.rssKiB) KiB, heap \(kib(afterWarmUp.heap)) (the rest of RSS: runtime code and data, malloc's free lists)")

    let a0 = rg_alloc_count()
    let bytes0 = rg_alloc_bytes()
    let start = monotonic()
    for r in warmUp..<(warmUp + rounds) { feed(round: r) }
    let elapsed = monotonic() - start
    let a1 = rg_alloc_count()
    let bytes1 = rg_alloc_bytes()
    let afterRun = MemoryPoint()
    let readings = Double(rounds * n)
    let rate = readings / elapsed

    print("")
    print("speed: \(rounds) rounds of \(n) readings, one thread")
    print("  readings: \(Int(readings)) in \(fmt(elapsed, 3)) s = \(fmt(rate, 0)) readings/s (\(fmt(elapsed / readings * 1e9, 0)) ns/reading); goal 1,000,000; issue 16 started at \(fmt(issueBaselineReadingsPerSecond, 0))")
    if hooked {
        print("  allocations: \(a1 - a0) = \(fmt(Double(a1 - a0) / readings, 4)) per reading, \(fmt(Double(bytes1 - bytes0) / readings, 1)) B/reading (malloc/calloc/realloc/memalign interposer)")
    }
    print("  RSS: \(afterWarmUp.rssKiB) → \(afterRun.rssKiB) KiB, heap \(kib(afterWarmUp.heap)) → \(kib(afterRun.heap))")
    print("  active alarms at the end: \(engine.activeAlarms.count)")
}

runEngine()
