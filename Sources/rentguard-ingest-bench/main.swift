// rentguard-ingest-bench: the daemon's ingest measured against real parts, printed as
// figures (never a timed test). It starts a private mosquitto, the rentguardd binary next
// to this one (build both with -c release for release figures) on a building of 10,000
// registered devices, and measures:
//   1. ingest throughput of a 200,000-message QoS 1 burst, beside a bare `mosquitto_sub`
//      subscribed to the same stream in the same run;
//   2. the daemon's RSS after the burst (VmRSS and the peak, VmHWM);
//   3. alarm latency (a detector's publish → the registry's subscriber) p50/p99, idle and
//      under a 10,000 msg/s background of telemetry.
// Usage: rentguard-ingest-bench [--messages N] [--devices N] [--alarms N] [--rate N] [--env NAME=VALUE]...
// (--env sets a variable in the daemon's environment only, e.g.
// GLIBC_TUNABLES=glibc.malloc.arena_max=1; the bench, mosquitto and mosquitto_sub keep theirs.)
import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting

func arg(_ name: String, _ d: Int) -> Int { BenchArguments.int(name, d) }
if CommandLine.arguments.contains("--help") {
    print("usage: rentguard-ingest-bench [--messages 200000] [--devices 10000] [--alarms 100] [--rate 10000] [--env NAME=VALUE]...")
    exit(0)
}
let burstSize = arg("--messages", 200_000)
let deviceCount = arg("--devices", 10_000)
let alarmSamples = arg("--alarms", 100)
let backgroundRate = arg("--rate", 10_000)
let daemonEnvironment = BenchArguments.environment()

func say(_ s: String) { FileHandle.standardError.write(Array((s + "\n").utf8).withUnsafeBufferPointer { Data(buffer: $0) }) }
func nowMs() -> Double { Date().timeIntervalSince1970 * 1000 }
func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[min(s.count - 1, Int((p / 100) * Double(s.count - 1)))]
}
func rss(_ pid: Int32) -> (rss: Int, peak: Int) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kb(_ key: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "") ?? 0
        }
        return 0
    }
    return (kb("VmRSS:"), kb("VmHWM:"))
}
/// The CPU time (user + system, seconds) a process has used so far, from /proc/<pid>/stat.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return .nan }
    // Fields after the command name: state is field 3, utime 14 and stime 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
/// Sums a metric's samples from the daemon's /metrics, read with curl (no URLSession).
func scrape(_ port: Int, _ metric: String) -> Double {
    let out = NSTemporaryDirectory() + "bench-metrics-\(getpid()).txt"
    guard let curl = try? ChildProcess(executable: "/usr/bin/curl", arguments: ["-s", "-m", "5", "http://127.0.0.1:\(port)/metrics", "-o", out], outputFile: "/dev/null"),
        curl.waitBlocking(timeout: 6) == 0, let text = try? String(contentsOfFile: out, encoding: .utf8)
    else { return -1 }
    var total = 0.0
    for line in text.split(separator: "\n") where line.hasPrefix(metric) {
        if let v = Double(line.split(separator: " ").last ?? "") { total += v }
    }
    return total
}

let logger: Logger = {
    var l = Logger(label: "bench")
    l.logLevel = .warning
    return l
}()
let broker = try MosquittoBroker(persistence: false)
let dir = try TemporaryDirectory(prefix: "ingest-bench")
let httpPort = try freeLoopbackPort()
var devices = ""
var units = ""
for u in 0..<(deviceCount / 4) { units += "  - {id: \"U\(u)\", floor: \(u / 50 + 1), area_m2: 40, registered_occupants: 2}\n" }
for i in 0..<deviceCount { devices += "  - {id: SD-\(i), kind: smoke_detector, unit: \"U\(i / 4)\", location: \"room\", zone: bedroom}\n" }
let config = """
gateway: {id: gw-bench, building: bench, name: "Bench"}
broker: {url: "mqtt://127.0.0.1:\(broker.port)"}
registry:
  topic_prefix: registry
  mqtt: {url: "mqtt://127.0.0.1:\(broker.port)"}
storage: {state_dir: "\(dir.file("state"))"}
units:
\(units)devices:
\(devices)
"""
try config.write(toFile: dir.file("bench.yaml"), atomically: true, encoding: .utf8)
let daemon = try DaemonProcess(
    arguments: ["--config", dir.file("bench.yaml"), "--log-level", "info", "--http-listen", "127.0.0.1:\(httpPort)"],
    logFile: dir.file("daemon.log"), environment: daemonEnvironment)
guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(60)) else {
    say("the daemon did not start:\n\(daemon.logSinceStart)")
    exit(1)
}
let idleRSS = rss(daemon.pid)
say("rentguardd \(DaemonProcess.executable("rentguardd")), \(deviceCount) devices, idle RSS \(idleRSS.rss / 1024) MB, daemon environment \(daemonEnvironment.isEmpty ? "unchanged" : daemonEnvironment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")

let publisher = try MQTTClient(options: .init(host: "127.0.0.1", port: broker.port, clientID: "bench-pub", cleanStart: true, protocolVersion: .v5), logger: logger)
publisher.start()
try await publisher.waitUntilConnected(timeout: .seconds(10))

// 1. Throughput, beside mosquitto_sub on the same stream.
let subOut = dir.file("sub.out")
let sub = try ChildProcess(
    executable: "/usr/bin/mosquitto_sub",
    arguments: ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", "rg/bench/+/telemetry", "-q", "1", "-C", "\(burstSize)", "-i", "bench-sub"],
    outputFile: subOut)
usleep(500_000)
let inBefore = scrape(httpPort, "rentguard_messages_in_total")
let cpuBefore = cpuSeconds(daemon.pid)
let payload = Array(#"{"smoke_obscuration_pct_per_m": 0.1, "temperature_c": 22}"#.utf8)
let start = ContinuousClock.now
var sent = 0
while sent < burstSize {
    let n = min(1000, burstSize - sent)
    let batch = (0..<n).map { k in (topic: "rg/bench/SD-\((sent + k) % deviceCount)/telemetry", payload: payload) }
    _ = await publisher.publishBatch(batch, qos: 1, timeout: .seconds(60))
    sent += n
    if sent % 20_000 == 0 { say("published \(sent)/\(burstSize)") }
}
say("burst published in \(ContinuousClock.now - start); waiting for mosquitto_sub and rentguardd")
let published = ContinuousClock.now - start
var subDone: Duration?
var daemonDone: Duration?
/// The daemon's CPU time over the burst: its cost per message, which the throughput (bounded
/// by the publisher when the daemon keeps up) does not show.
var burstCPU = Double.nan
let deadline = ContinuousClock.now + .seconds(300)
while (subDone == nil || daemonDone == nil) && ContinuousClock.now < deadline {
    if subDone == nil, !sub.isRunning { subDone = ContinuousClock.now - start }
    if daemonDone == nil, scrape(httpPort, "rentguard_messages_in_total") - inBefore >= Double(burstSize) {
        daemonDone = ContinuousClock.now - start
        burstCPU = cpuSeconds(daemon.pid) - cpuBefore
    }
    try await Task.sleep(for: .milliseconds(20))
}
say("mosquitto_sub done after \(subDone.map { "\($0)" } ?? "-"), rentguardd after \(daemonDone.map { "\($0)" } ?? "-") (counted \(Int(scrape(httpPort, "rentguard_messages_in_total") - inBefore)))")
func rate(_ d: Duration?) -> Double { d.map { Double(burstSize) / (Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) } ?? .nan }
let afterBurst = rss(daemon.pid)

// 3. Alarm latency: idle, then under a paced background of telemetry.
// The registry's subscriber: each message is timed as it is read, no polling.
let registry = try MQTTClient(options: .init(host: "127.0.0.1", port: broker.port, clientID: "bench-registry", cleanStart: true, protocolVersion: .v5), logger: logger)
registry.subscribe("registry/bench/alarms", qos: 1)
registry.start()
try await registry.waitUntilConnected(timeout: .seconds(10))
try await registry.waitUntilSubscribed(timeout: .seconds(10))
let registryMessages = registry.messages
func measureAlarms(from first: Int) async -> [Double] {
    var latencies: [Double] = []
    var iterator = registryMessages.makeAsyncIterator()
    for i in 0..<alarmSamples {
        let device = "SD-\((first + i) % deviceCount)"
        let t0 = nowMs()
        try? await publisher.publish(topic: "rg/bench/\(device)/telemetry", payload: Array(#"{"smoke_obscuration_pct_per_m": 0.2, "temperature_c": 22, "alarm": true}"#.utf8), qos: 1)
        while let m = await iterator.next() {
            if String(decoding: m.payload, as: UTF8.self).contains("\"device\":\"\(device)\"") {
                latencies.append(nowMs() - t0)
                break
            }
        }
    }
    return latencies
}
let idle = await measureAlarms(from: 0)
func runBackground() async throws {
    let background = try MQTTClient(options: .init(host: "127.0.0.1", port: broker.port, clientID: "bench-bg", cleanStart: true, protocolVersion: .v5), logger: logger)
    background.start()
    try await background.waitUntilConnected(timeout: .seconds(10))
    var k = 0
    let tickStart = ContinuousClock.now
    while !Task.isCancelled {
        // 10 ms slices of rate/100 messages each.
        let slice = max(1, backgroundRate / 100)
        _ = await background.publishBatch((0..<slice).map { j in (topic: "rg/bench/SD-\((k + j) % deviceCount)/telemetry", payload: payload) }, qos: 0)
        k += slice
        let due = tickStart + .milliseconds(Int64(k * 1000 / max(1, backgroundRate)))
        if due > .now { try? await Task.sleep(until: due) }
    }
    await background.shutdown()
}
let loaded = await withTaskGroup(of: [Double]?.self) { group in
    group.addTask { try? await runBackground(); return nil }
    group.addTask {
        try? await Task.sleep(for: .seconds(1))
        return await measureAlarms(from: alarmSamples)
    }
    var result: [Double] = []
    for await r in group {
        if let r {
            result = r
            group.cancelAll()
        }
    }
    return result
}
let finalRSS = rss(daemon.pid)

print("""
rentguard-ingest-bench: \(deviceCount) registered devices, \(burstSize)-message QoS 1 burst, real mosquitto on loopback
  daemon environment:        \(daemonEnvironment.isEmpty ? "unchanged" : daemonEnvironment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))
  publish of the burst:      \(published)
  mosquitto_sub throughput:  \(Int(rate(subDone))) msg/s
  rentguardd throughput:     \(Int(rate(daemonDone))) msg/s  (\(String(format: "%.2f", rate(daemonDone) / rate(subDone)))× mosquitto_sub; goal ≥ 0.8×)
  rentguardd CPU, burst:     \(String(format: "%.2f", burstCPU)) s user+system (\(String(format: "%.1f", burstCPU / Double(burstSize) * 1e6)) µs/message)
  RSS idle:                  \(idleRSS.rss / 1024) MB
  RSS after the burst:       \(afterBurst.rss / 1024) MB (peak \(afterBurst.peak / 1024) MB; goal ≤ 40 MB)
  alarm latency idle:        p50 \(String(format: "%.1f", percentile(idle, 50))) ms, p99 \(String(format: "%.1f", percentile(idle, 99))) ms over \(idle.count) alarms (goal p99 ≤ 10 ms)
  alarm latency under load:  p50 \(String(format: "%.1f", percentile(loaded, 50))) ms, p99 \(String(format: "%.1f", percentile(loaded, 99))) ms over \(loaded.count) alarms, \(backgroundRate) msg/s background (goal p99 ≤ 50 ms)
  RSS at the end:            \(finalRSS.rss / 1024) MB (peak \(finalRSS.peak / 1024) MB)
""")
await registry.shutdown()
await publisher.shutdown()
await daemon.stop()
sub.signal(SIGTERM)
broker.shutdown()
dir.remove()
