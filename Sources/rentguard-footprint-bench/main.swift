// rentguard-footprint-bench: the daemon's footprint on a gateway, measured on the real
// binary against a private mosquitto and printed as figures (never a timed test):
//   1. idle memory on the demo building (configs/demo.yaml, two flats) and on a building of
//      10,000 registered smoke detectors: VmRSS split into anonymous memory (heap, stacks)
//      and file-backed pages (the binary's code and read-only data), threads;
//   2. flash wear: the bytes the daemon writes to its state directory while devices
//      publish telemetry at a steady rate (default 1,000 msg/s for 180 s, three flushes of
//      device state and aggregates), from /proc/<pid>/io, extrapolated to an hour.
// It runs the rentguardd next to this binary: build both with -c release (and
// --static-swift-stdlib for the packaged figures).
//   3. with --engine-snapshot, only the bytes the detection state's 5-minutely snapshot writes,
//      in-process on a real SQLite file (`EngineSnapshotWear`), at 2,000 devices by default.
// Usage: rentguard-footprint-bench [--devices 10000] [--rate 1000] [--seconds 180] [--settle 5]
//            [--idle-seconds 30] [--flush-interval 60] [--env NAME=VALUE]...
// (--flush-interval sets storage.flush_interval_s of the 10,000-device building.)
//        rentguard-footprint-bench --engine-snapshot [--devices 2000] [--warmup-hours 6] [--hours 2]
// (--env sets a variable in the daemon's environment, e.g. GLIBC_TUNABLES=glibc.malloc.arena_max=2.)
import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting

func arg(_ name: String, _ d: Int) -> Int { BenchArguments.int(name, d) }
if CommandLine.arguments.contains("--help") {
    print("usage: rentguard-footprint-bench [--devices 10000] [--rate 1000] [--seconds 180] [--settle 5] [--idle-seconds 30] [--flush-interval 60] [--env NAME=VALUE]...")
    print("       rentguard-footprint-bench --engine-snapshot [--devices 2000] [--warmup-hours 6] [--hours 2]")
    print("         (the bytes the detection state's snapshot writes every 5 minutes, in-process on a real SQLite file)")
    exit(0)
}
if CommandLine.arguments.contains("--engine-snapshot") {
    try EngineSnapshotWear.run()
    exit(0)
}
let deviceCount = arg("--devices", 10_000)
let rate = arg("--rate", 1_000)
let seconds = arg("--seconds", 180)
let settle = arg("--settle", 5)
let idleSeconds = arg("--idle-seconds", 30)
let flushInterval = arg("--flush-interval", 60)
let daemonEnvironment = BenchArguments.environment()

func say(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Fields of /proc/<pid>/status, in kB (or a count for Threads).
func status(_ pid: Int32) -> [String: Int] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    var fields: [String: Int] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        let value = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        if let value { fields[String(parts[0])] = value }
    }
    return fields
}

/// /proc/<pid>/io: write_bytes (sent to the block layer) and wchar (passed to write calls).
func io(_ pid: Int32) -> (writeBytes: Int, wchar: Int, syscw: Int) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8)) ?? ""
    var f: [String: Int] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":")
        if parts.count == 2, let v = Int(parts[1].trimmingCharacters(in: .whitespaces)) { f[String(parts[0])] = v }
    }
    return (f["write_bytes"] ?? -1, f["wchar"] ?? -1, f["syscw"] ?? -1)
}

func directoryBytes(_ path: String) -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
    return names.reduce(0) { sum, name in
        sum + ((try? FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int) ?? 0)
    }
}

func memoryLine(_ label: String, _ pid: Int32) -> String {
    let s = status(pid)
    let mb = { (k: String) in String(format: "%.1f", Double(s[k] ?? 0) / 1024) }
    return "  \(label): VmRSS \(mb("VmRSS")) MB = anonymous \(mb("RssAnon")) MB (heap, stacks) + file \(mb("RssFile")) MB (binary code and data, shared libraries) + shmem \(mb("RssShmem")) MB; \(s["Threads"] ?? 0) threads"
}

func mb(_ x: Double) -> String { String(format: "%.1f", x / 1_048_576) }

let logger: Logger = {
    var l = Logger(label: "footprint")
    l.logLevel = .warning
    return l
}()
let here = FileManager.default.currentDirectoryPath
let broker = try MosquittoBroker(persistence: false)
let dir = try TemporaryDirectory(prefix: "footprint-bench")

/// Starts the daemon on `configFile`, waits for its subscriptions and `settle` seconds, measures.
func startDaemon(_ configFile: String, name: String) async throws -> DaemonProcess {
    let httpPort = try freeLoopbackPort()
    let daemon = try DaemonProcess(
        arguments: ["--config", configFile, "--broker", broker.url, "--registry-broker", broker.url,
                    "--state-dir", dir.file("state-\(name)"), "--http-listen", "127.0.0.1:\(httpPort)"],
        logFile: dir.file("daemon-\(name).log"), environment: daemonEnvironment)
    guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(60)) else {
        say("the daemon did not start:\n\(daemon.logSinceStart)")
        exit(1)
    }
    // Idle means after start-up has finished its work: a fixed settle time, not a condition,
    // because "nothing more happens" cannot be observed directly.
    try await Task.sleep(for: .seconds(settle))
    return daemon
}

say("rentguardd: \(DaemonProcess.executable("rentguardd"))")
var report: [String] = []

// 1a. The demo building.
let demoConfig = here + "/configs/demo.yaml"
if FileManager.default.fileExists(atPath: demoConfig) {
    let demo = try await startDaemon(demoConfig, name: "demo")
    report.append(memoryLine("idle, demo building (2 flats)", demo.pid) + " (goal VmRSS ≤ 20 MB)")
    await demo.stop()
} else {
    report.append("  idle, demo building: configs/demo.yaml not found (run from the repository root)")
}

// 1b. A building of `deviceCount` smoke detectors.
var units = ""
var devices = ""
for u in 0..<(deviceCount / 4) { units += "  - {id: \"U\(u)\", floor: \(u / 50 + 1), area_m2: 40, registered_occupants: 2}\n" }
for i in 0..<deviceCount { devices += "  - {id: SD-\(i), kind: smoke_detector, unit: \"U\(i / 4)\", location: \"room\", zone: bedroom}\n" }
let bigConfig = """
gateway: {id: gw-bench, building: bench, name: "Bench"}
broker: {url: "mqtt://127.0.0.1:\(broker.port)"}
registry:
  topic_prefix: registry
  mqtt: {url: "mqtt://127.0.0.1:\(broker.port)"}
storage: {state_dir: "\(dir.file("state"))", flush_interval_s: \(flushInterval)}
units:
\(units)devices:
\(devices)
"""
try bigConfig.write(toFile: dir.file("big.yaml"), atomically: true, encoding: .utf8)
let big = try await startDaemon(dir.file("big.yaml"), name: "big")
report.append(memoryLine("idle, \(deviceCount) registered devices", big.pid) + " (goal VmRSS ≤ 40 MB)")

// 2. Flash wear at a steady rate.
let publisher = try MQTTClient(options: .init(host: "127.0.0.1", port: broker.port, clientID: "footprint-pub", cleanStart: true, protocolVersion: .v5), logger: logger)
publisher.start()
try await publisher.waitUntilConnected(timeout: .seconds(10))
let payload = Array(#"{"smoke_obscuration_pct_per_m": 0.1, "temperature_c": 22}"#.utf8)
let stateDir = dir.file("state-big")
let idleBefore = io(big.pid)
try await Task.sleep(for: .seconds(idleSeconds))
let idleAfter = io(big.pid)
let ioBefore = io(big.pid)
let sizeBefore = directoryBytes(stateDir)
let start = ContinuousClock.now
var sent = 0
let slice = max(1, rate / 10)  // 100 ms slices
while ContinuousClock.now - start < .seconds(seconds) {
    _ = await publisher.publishBatch((0..<slice).map { k in (topic: "rg/bench/SD-\((sent + k) % deviceCount)/telemetry", payload: payload) }, qos: 1)
    sent += slice
    let due = start + .milliseconds(Int64(sent) * 1000 / Int64(rate))
    if due > .now { try await Task.sleep(until: due) }
    if sent % (rate * 30) == 0 { say("published \(sent) in \(ContinuousClock.now - start)") }
}
let elapsed = ContinuousClock.now - start
let ioAfter = io(big.pid)
let sizeAfter = directoryBytes(stateDir)
let elapsedS = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let perHour = 3600 / elapsedS
let written = Double(ioAfter.writeBytes - ioBefore.writeBytes)
let wchar = Double(ioAfter.wchar - ioBefore.wchar)
report.append(memoryLine("after \(seconds) s at \(rate) msg/s", big.pid))
report.append("  flash wear idle over \(idleSeconds) s: write_bytes \(idleAfter.writeBytes - idleBefore.writeBytes) B = \(mb(Double(idleAfter.writeBytes - idleBefore.writeBytes) * 3600 / Double(max(1, idleSeconds)))) MB/hour")
report.append("  flash wear at \(rate) msg/s over \(String(format: "%.0f", elapsedS)) s (\(sent) messages, \(deviceCount) devices, flush_interval_s \(flushInterval)):")
report.append("    block-layer writes (write_bytes): \(mb(written)) MB = \(mb(written * perHour)) MB/hour, \(String(format: "%.1f", written / Double(max(1, sent)))) B/message")
report.append("    write() calls: \(ioAfter.syscw - ioBefore.syscw) carrying \(mb(wchar)) MB = \(mb(wchar * perHour)) MB/hour, \(String(format: "%.1f", wchar / Double(max(1, sent)))) B/message (includes logs and sockets)")
report.append("    state directory: \(mb(Double(sizeBefore))) → \(mb(Double(sizeAfter))) MB")
await publisher.shutdown()
await big.stop()
broker.shutdown()
dir.remove()

print("rentguard-footprint-bench: \(DaemonProcess.executable("rentguardd"))\(daemonEnvironment.isEmpty ? "" : " with " + daemonEnvironment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
print(report.joined(separator: "\n"))
