// rentguard-powercut-bench: what a power cut costs at the building broker, and what the
// broker configuration that survives one costs in flash. Prints figures (never a timed test).
//
// It starts a building mosquitto from configs/mosquitto.conf (persistence on; the autosave
// settings can be overridden to compare with mosquitto's defaults), a separate registry
// mosquitto that is never killed, and the rentguardd binary next to this one, then:
//   1. flash, daemon keeping up: publishes --flash-messages QoS 1 telemetry messages at
//      --flash-rate a second and reads the broker's write(2) bytes (/proc/<pid>/io wchar)
//      and its store's size: bytes written per message;
//   2. flash, daemon away: the same with the daemon stopped, so the broker queues every
//      message (the store grows with the backlog, and each save rewrites all of it);
//   3. --rounds power cuts: a burst of alarm-raising messages (each a distinct smoke
//      detector's alarm) published as fast as the broker acknowledges them; --kill-after-ms
//      into the burst, broker and daemon are killed together with SIGKILL, then both are
//      started again. Counts the messages the broker acknowledged to their publisher and
//      how many of those reached the registry as an alarm.
// Usage: rentguard-powercut-bench [--rounds 5] [--burst 3000] [--kill-after-ms 700]
//        [--flash-messages 2000] [--flash-rate 200] [--autosave-interval N] [--autosave-on-changes 0|1]
// Without the two autosave options it runs configs/mosquitto.conf as it is; with
// `--autosave-interval 1800 --autosave-on-changes 0` it runs mosquitto's defaults.
import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting

if CommandLine.arguments.contains("--help") {
    print("""
        usage: rentguard-powercut-bench [--rounds 5] [--burst 3000] [--kill-after-ms 700] [--flash-messages 2000] [--flash-rate 200]
                                        [--autosave-interval N] [--autosave-on-changes 0|1]
        """)
    exit(0)
}
let rounds = BenchArguments.int("--rounds", 5)
let burst = BenchArguments.int("--burst", 3000)
let killAfterMs = BenchArguments.int("--kill-after-ms", 700)
let flashMessages = BenchArguments.int("--flash-messages", 2000)
let flashRate = max(1, BenchArguments.int("--flash-rate", 200))
let autosaveInterval = BenchArguments.int("--autosave-interval", -1)
let autosaveOnChanges = BenchArguments.int("--autosave-on-changes", -1)

func say(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
let logger: Logger = {
    var l = Logger(label: "bench")
    l.logLevel = .error
    return l
}()

/// A process's writes so far (/proc/<pid>/io): bytes it sent to the storage layer (what
/// reaches the flash; the store is fsynced at each save), and its write(2) bytes (sockets too).
func writes(_ pid: Int32) -> (storage: Int, syscall: Int) {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8)) ?? ""
    func value(_ key: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(key) { return Int(line.split(separator: " ").last ?? "") ?? 0 }
        return 0
    }
    return (value("write_bytes:") - value("cancelled_write_bytes:"), value("wchar:"))
}
func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

var overrides = ""
if autosaveInterval >= 0 { overrides += "autosave_interval \(autosaveInterval)\n" }
if autosaveOnChanges >= 0 { overrides += "autosave_on_changes \(autosaveOnChanges == 0 ? "false" : "true")\n" }
let building = try MosquittoBroker(persistence: true, extraConfig: overrides)
let registryBroker = try MosquittoBroker(persistence: false)
let dir = try TemporaryDirectory(prefix: "powercut-bench")
let store = building.directory.file("mosquitto.db")
let brokerPID = { () -> Int32 in
    // The broker is the one mosquitto whose command line names this config.
    let conf = building.directory.file("mosquitto.conf")
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
        if String(decoding: cmd, as: UTF8.self).contains(conf) { return pid }
    }
    return -1
}
// The settings in force (mosquitto takes the last of a repeated option).
let settingsLine: String = {
    var order: [String] = []
    var value: [String: String] = [:]
    let text = (try? String(contentsOfFile: building.directory.file("mosquitto.conf"), encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix("autosave") || line.hasPrefix("persistence ") || line.hasPrefix("max_queued_messages") {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { continue }
        if value[parts[0]] == nil { order.append(parts[0]) }
        value[parts[0]] = parts[1]
    }
    return order.map { "\($0) \(value[$0]!)" }.joined(separator: ", ")
}()

// A building of smoke detectors: one per alarm the power-cut rounds raise, plus the flash phases'.
let deviceCount = rounds * burst + 1
var units = ""
var devices = ""
for u in 0..<(deviceCount / 4 + 1) { units += "  - {id: \"U\(u)\", floor: \(u / 50 + 1), area_m2: 40, registered_occupants: 2}\n" }
// Reporting once a day: a detector silent after its one alarm is not offline within the run.
for i in 0..<deviceCount {
    devices += "  - {id: SD-\(i), kind: smoke_detector, unit: \"U\(i / 4)\", location: \"room\", zone: bedroom, report_interval_s: 86400}\n"
}
try """
gateway: {id: gw-cut, building: cut, name: "Power cut"}
broker: {url: "mqtt://127.0.0.1:\(building.port)", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}
registry:
  topic_prefix: registry
  mqtt: {url: "mqtt://127.0.0.1:\(registryBroker.port)", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}
storage: {state_dir: "\(dir.file("state"))"}
units:
\(units)devices:
\(devices)
""".write(toFile: dir.file("cut.yaml"), atomically: true, encoding: .utf8)

func startDaemon() async throws -> DaemonProcess {
    let d = try DaemonProcess(arguments: ["--config", dir.file("cut.yaml"), "--http-listen", "127.0.0.1:\(try freeLoopbackPort())"], logFile: dir.file("daemon.log"))
    guard await d.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(120)) else {
        say("the daemon did not start:\n\(d.logSinceStart)")
        exit(1)
    }
    return d
}

func connect(_ port: Int, _ id: String) async throws -> MQTTClient {
    let c = try MQTTClient(
        options: .init(host: "127.0.0.1", port: port, clientID: id, cleanStart: true, protocolVersion: .v5, connectTimeout: .seconds(2),
                       reconnectMin: .milliseconds(100), reconnectMax: .seconds(1)),
        logger: logger)
    c.start()
    try await c.waitUntilConnected(timeout: .seconds(10))
    return c
}

// The registry's view: which detectors' alarms arrived.
let registry = try MQTTClient(
    options: .init(host: "127.0.0.1", port: registryBroker.port, clientID: "cut-registry", cleanStart: true, protocolVersion: .v5),
    logger: logger)
registry.subscribe("registry/cut/alarms", qos: 1)
registry.start()
try await registry.waitUntilConnected(timeout: .seconds(10))
try await registry.waitUntilSubscribed(timeout: .seconds(10))
final class Arrived: @unchecked Sendable {
    private let lock = NSLock()
    private var devices: Set<String> = []
    func add(_ d: String) { lock.lock(); devices.insert(d); lock.unlock() }
    var all: Set<String> { lock.lock(); defer { lock.unlock() }; return devices }
}
let arrived = Arrived()
let reader = Task {
    for await m in registry.messages {
        guard let o = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any],
            let device = o["device"] as? String, (o["state"] as? String) == "raised", (o["type"] as? String) == "smoke"
        else { continue }
        arrived.add(device)
    }
}

var daemon = try await startDaemon()
say("building broker: \(settingsLine); \(deviceCount) detectors")

// 1 and 2: flash per message, daemon keeping up, then away.
let telemetry = Array(#"{"smoke_obscuration_pct_per_m": 0.1, "temperature_c": 22}"#.utf8)
func flashPhase(_ label: String) async throws -> String {
    let pub = try await connect(building.port, "cut-flash")
    let pid = brokerPID()
    let before = writes(pid)
    let start = ContinuousClock.now
    var maxStore = fileSize(store)
    for i in 0..<flashMessages {
        try? await pub.publish(topic: "rg/cut/SD-\(deviceCount - 1)/telemetry", payload: telemetry, qos: 1)
        let due = start + .milliseconds(Int64((i + 1) * 1000 / flashRate))
        if due > .now { try? await Task.sleep(until: due) }
        if i % 100 == 0 { maxStore = max(maxStore, fileSize(store)) }
    }
    let elapsed = ContinuousClock.now - start
    let after = writes(pid)
    maxStore = max(maxStore, fileSize(store))
    await pub.shutdown()
    let storage = after.storage - before.storage
    let perMessage = Double(storage) / Double(max(1, flashMessages))
    return "\(label): \(flashMessages) messages at \(flashRate)/s in \(String(format: "%.1f", seconds(elapsed))) s: the broker wrote \(storage) bytes to storage (\(String(format: "%.0f", perMessage)) a message; write(2) \(after.syscall - before.syscall) bytes with its sockets); store up to \(maxStore) bytes"
}
let flashKeepingUp = try await flashPhase("flash, daemon keeping up")
say(flashKeepingUp)
await daemon.stop()
let flashAway = try await flashPhase("flash, daemon away (backlog)")
say(flashAway)
daemon = try await startDaemon()
// The backlog has drained once an alarm published behind it reaches the registry (one
// session's messages arrive in order).
do {
    let pub = try await connect(building.port, "cut-sentinel")
    try await pub.publish(
        topic: "rg/cut/SD-\(deviceCount - 1)/telemetry",
        payload: Array(#"{"smoke_obscuration_pct_per_m": 0.2, "temperature_c": 22, "alarm": true}"#.utf8), qos: 1)
    await pub.shutdown()
    let deadline = ContinuousClock.now + .seconds(300)
    while !arrived.all.contains("SD-\(deviceCount - 1)"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
}

// 3. Power cuts.
var totalAcked = 0
var totalReached = 0
var roundLines: [String] = []
for round in 0..<rounds {
    let first = round * burst
    let pub = try await connect(building.port, "cut-pub-\(round)")
    var acked: [String] = []
    await withTaskGroup(of: Void.self) { group in
        group.addTask { [daemon] in
            try? await Task.sleep(for: .milliseconds(Int64(killAfterMs)))
            // Together: the broker and the daemon lose power at the same instant.
            daemon.signal(SIGKILL)
            building.kill()
            // Once both are dead, nothing more can be acknowledged: stop waiting (libmosquitto
            // would keep the messages in flight for a reconnect).
            await pub.shutdown()
        }
        var k = 0
        while k < burst {
            let n = min(100, burst - k)
            let batch = (0..<n).map { j in
                (topic: "rg/cut/SD-\(first + k + j)/telemetry",
                 payload: Array(#"{"smoke_obscuration_pct_per_m": 0.2, "temperature_c": 22, "alarm": true}"#.utf8))
            }
            let results = await pub.publishBatch(batch, qos: 1, timeout: .seconds(3))
            var failed = false
            for (j, r) in results.enumerated() {
                if case .success = r { acked.append("SD-\(first + k + j)") } else { failed = true }
            }
            k += n
            if failed { break }
        }
        await group.waitForAll()
    }
    await daemon.waitForExit()
    try building.start()
    daemon = try await startDaemon()
    // Settled: no new alarm at the registry for 10 s (at most 180 s).
    let deadline = ContinuousClock.now + .seconds(180)
    var last = arrived.all.count
    var lastChange = ContinuousClock.now
    while ContinuousClock.now < deadline, ContinuousClock.now - lastChange < .seconds(10) {
        try await Task.sleep(for: .milliseconds(500))
        let c = arrived.all.count
        if c != last { last = c; lastChange = .now }
    }
    let got = arrived.all
    let reached = acked.filter { got.contains($0) }.count
    totalAcked += acked.count
    totalReached += reached
    let line = "round \(round + 1): \(acked.count) acknowledged by the broker, \(reached) reached the registry, \(acked.count - reached) lost"
    roundLines.append(line)
    say(line)
}

print("""
rentguard-powercut-bench: building broker \(settingsLine)
  \(flashKeepingUp)
  \(flashAway)
  power cuts (kill -9 of broker and daemon \(killAfterMs) ms into a burst of up to \(burst) alarm-raising messages):
    \(roundLines.joined(separator: "\n    "))
  total: \(totalAcked) acknowledged by the broker, \(totalReached) reached the registry, \(totalAcked - totalReached) lost
""")
reader.cancel()
await registry.shutdown()
await daemon.stop()
building.shutdown()
registryBroker.shutdown()
dir.remove()
