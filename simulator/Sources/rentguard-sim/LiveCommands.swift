import ArgumentParser
import Foundation
import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardMQTT
import RentGuardSimulator
import Synchronization

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive N devices at R messages a second for a duration (benchmarks).",
        discussion: """
        Telemetry goes out round robin over the devices, evenly spaced, with `ts` and \
        `sim_sent_at_ms` set to the wall clock at publish and a global `sim_seq`, so that \
        publish-to-forward latency can be measured downstream (the daemon ignores unknown fields).

        The devices are either the first N of a building configuration (--config), or synthetic \
        ones (load-00001 …, of every kind) in building --building; --emit-config writes a daemon \
        configuration that registers the synthetic devices.

        Examples:
          rentguard-sim load --devices 500 --rate 2000 --duration 60 --emit-config load.yaml   # config only
          rentguard-sim load --devices 500 --rate 2000 --duration 60 --broker mqtt://127.0.0.1:1883
          rentguard-sim load --config simulator/scenarios/buildings/block-a.yaml --rate 200 --duration 30 --broker mqtt://127.0.0.1:1883
        """)

    @Option(name: .long, help: "Number of devices (default: all of --config, or 100).")
    var devices: Int?

    @Option(name: .long, help: "Messages per second, in total.")
    var rate: Double = 100

    @Option(name: .long, help: "Seconds to run.")
    var duration: Double = 60

    @Option(name: .long, help: ArgumentHelp("Use the devices of this building configuration.", valueName: "path"))
    var config: String?

    @Option(name: .long, help: "Building id for synthetic devices.")
    var building: String = "load"

    @Option(name: .long, help: ArgumentHelp("Write a daemon configuration registering the synthetic devices.", valueName: "path"))
    var emitConfig: String?

    @Option(name: .long, help: "Parallel broker connections (devices are split between them).")
    var connections: Int = 1

    @Option(name: .long, help: "QoS of the telemetry.")
    var qos: Int = 0

    @Option(name: .long, help: "Seed of the payload values.")
    var seed: UInt64 = 1

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var log: LogOptions

    func validate() throws {
        if let d = devices, d < 1 { throw ValidationError("--devices must be at least 1") }
        guard rate > 0, rate.isFinite, rate <= 1_000_000 else { throw ValidationError("--rate must be in (0, 1000000] messages a second") }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be a positive number of seconds") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be 1…64") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
        guard DeviceTopic.isValidID(building) else { throw ValidationError("--building must be [A-Za-z0-9_.-]{1,64}") }
        if config != nil, emitConfig != nil { throw ValidationError("--emit-config writes a configuration for synthetic devices; it cannot be combined with --config") }
        if emitConfig == nil { try broker.require() }
    }

    func run() async throws {
        let logger = Log.make("rentguard-sim.load", level: log.logLevel)
        var gen: LoadGenerator
        if let config {
            let b: BuildingConfig
            do { b = try ConfigLoader.load(path: config) } catch { throw InputError("\(error)") }
            let all = b.devices.map { LoadGenerator.Device(id: $0.id, kind: $0.kind) }
            let n = devices ?? all.count
            guard n <= all.count else { throw ValidationError("--devices \(n): the configuration has \(all.count) devices") }
            gen = LoadGenerator(building: b.gateway.building, topicPrefix: b.ingest.topicPrefix, devices: Array(all.prefix(n)), ratePerSecond: rate, durationS: duration, seed: seed)
        } else {
            gen = LoadGenerator(building: building, devices: LoadGenerator.syntheticDevices(devices ?? 100), ratePerSecond: rate, durationS: duration, seed: seed)
        }
        if let emitConfig {
            try writeFile(emitConfig, gen.buildingYAML(gatewayID: "gw-\(building)"))
            logger.info("configuration for \(gen.devices.count) devices of building \(building) written to \(emitConfig)")
            if broker.broker == nil { return }
        }
        let total = gen.messageCount
        logger.info("load: \(gen.devices.count) devices, \(rate) msg/s for \(duration) s = \(total) messages, \(connections) connection(s), QoS \(qos)")
        var clients: [MQTTClient] = []
        for c in 0..<connections {
            var b = broker
            if let id = broker.clientId { b.clientId = connections > 1 ? "\(id)-\(c)" : id } else { b.clientId = "rentguard-sim-load-\(ProcessInfo.processInfo.processIdentifier)-\(c)" }
            clients.append(try await b.connect(mode: "load", logger: logger))
        }
        let stats = LoadStats()
        let clock = ContinuousClock()
        let start = clock.now
        let connectionCount = connections
        let devicesCount = gen.devices.count
        let qos = self.qos
        let progressEvery = log.progressEvery
        let wallStartMs = nowMs()
        let gen2 = gen
        let outcome: Error? = await withTaskGroup(of: Error?.self) { group in
            for c in 0..<connectionCount {
                let client = clients[c]
                group.addTask {
                    var seq = 0
                    while seq < total {
                        if (seq % devicesCount) % connectionCount != c { seq += 1; continue }
                        let target = start + .nanoseconds(gen2.offsetNs(seq))
                        let now = clock.now
                        if target > now {
                            try? await Task.sleep(until: target, clock: clock)
                        } else {
                            let lag = Int((now - target).components.seconds * 1000 + (now - target).components.attoseconds / 1_000_000_000_000_000)
                            stats.noteLag(lag)
                        }
                        if Task.isCancelled { return nil }
                        let t = wallStartMs + Int64((clock.now - start).components.seconds * 1000 + (clock.now - start).components.attoseconds / 1_000_000_000_000_000)
                        let m = gen2.message(seq, sentAtMs: t)
                        do {
                            try await client.publish(topic: m.topic, payload: m.payloadBytes, qos: qos)
                        } catch {
                            return error
                        }
                        stats.sent.add(1, ordering: .relaxed)
                        seq += 1
                    }
                    return nil
                }
            }
            if progressEvery > 0 {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(Int64(progressEvery * 1000)))
                        if Task.isCancelled { break }
                        let s = stats.sent.load(ordering: .relaxed)
                        let el = Double((clock.now - start).components.seconds)
                        logger.info("sent \(s)/\(total) messages in \(Int(el)) s (\(el > 0 ? Int(Double(s) / el) : 0) msg/s); max lag \(stats.maxLagMs.load(ordering: .relaxed)) ms")
                        if s >= total { break }
                    }
                    return nil
                }
            }
            var firstError: Error? = nil
            var finished = 0
            for await r in group {
                finished += 1
                if let r, firstError == nil { firstError = r; group.cancelAll() }
                if finished == connectionCount { group.cancelAll() }
            }
            return firstError
        }
        for c in clients { await c.shutdown() }
        let d = clock.now - start
        let secs = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        let s = stats.sent.load(ordering: .relaxed)
        logger.info("load done: \(s) messages in \(String(format: "%.2f", secs)) s = \(Int(Double(s) / max(secs, 0.001))) msg/s; max lag behind schedule \(stats.maxLagMs.load(ordering: .relaxed)) ms")
        if let outcome { throw RuntimeError("publishing failed after \(s) messages: \(outcome)") }
    }
}

/// Counters shared by the publishing tasks of `load`.
final class LoadStats: Sendable {
    let sent = Atomic<Int>(0)
    let maxLagMs = Atomic<Int>(0)
    func noteLag(_ lag: Int) {
        var cur = maxLagMs.load(ordering: .relaxed)
        while lag > cur {
            let (done, now) = maxLagMs.compareExchange(expected: cur, desired: lag, ordering: .relaxed)
            if done { break }
            cur = now
        }
    }
}

struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Subscribe to a building's registry topics and write what arrives as JSON Lines.",
        discussion: """
        Subscribes to <registry-prefix>/<building>/alarms and …/occupancy (--all: every registry \
        topic of the building) and writes {"t_ms": receive time, "topic": …, "payload": {…}} per \
        message, flushed as it goes. Stops after --duration seconds, after --until-count messages, \
        or on Ctrl-C / SIGTERM.

        Examples:
          rentguard-sim capture --broker mqtt://127.0.0.1:1883 --building block-a --out captured.jsonl --duration 120
          rentguard-sim capture --broker mqtt://127.0.0.1:1883 --building block-a --out - --until-count 1
        """)

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: "The building id (<building> in the topics).")
    var building: String

    @Option(name: .long, help: ArgumentHelp("Where to write ('-': standard output).", valueName: "path"))
    var out: String

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    @Option(name: .long, help: "Stop after this many messages.")
    var untilCount: Int?

    @Option(name: .long, help: "Registry topic prefix.")
    var registryPrefix: String = "registry"

    @Flag(name: .long, help: "Capture every registry topic of the building (heartbeat, devices too).")
    var all = false

    @OptionGroup var log: LogOptions

    func validate() throws {
        try broker.require()
        guard DeviceTopic.isValidID(building) else { throw ValidationError("--building must be [A-Za-z0-9_.-]{1,64}") }
        if let d = duration, !(d > 0 && d.isFinite) { throw ValidationError("--duration must be a positive number of seconds") }
        if let n = untilCount, n < 1 { throw ValidationError("--until-count must be at least 1") }
        guard !registryPrefix.isEmpty, !registryPrefix.contains("#"), !registryPrefix.contains("+") else { throw ValidationError("--registry-prefix must be a topic prefix without wildcards") }
    }

    func run() async throws {
        let logger = Log.make("rentguard-sim.capture", level: log.logLevel)
        let stop = StopSignals()
        let writer = try TraceWriter(path: out)
        let box = WriterBox(writer)
        let client = try await broker.connect(mode: "capture", logger: logger)
        let base = "\(registryPrefix)/\(building)"
        if all {
            client.subscribe(base + "/#", qos: 1)
        } else {
            client.subscribe(base + "/alarms", qos: 1)
            client.subscribe(base + "/occupancy", qos: 1)
        }
        // Acknowledged before "capturing" is logged: a message published after that line is captured.
        do {
            try await client.waitUntilSubscribed(timeout: .milliseconds(Int64(broker.connectTimeout * 1000)))
        } catch {
            await client.shutdown()
            _ = box.close()
            throw RuntimeError("the broker did not acknowledge the subscriptions within \(broker.connectTimeout) s (\(error))")
        }
        logger.info("capturing \(all ? base + "/#" : base + "/{alarms,occupancy}") to \(out)")
        let limit = untilCount
        let progressEvery = log.progressEvery
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var n = 0
                var lastLog = ContinuousClock.now
                for await m in client.messages {
                    box.write(Trace.capturedLine(tMs: nowMs(), topic: m.topic, payload: m.payload))
                    n += 1
                    if progressEvery > 0, ContinuousClock.now - lastLog >= .milliseconds(Int64(progressEvery * 1000)) {
                        lastLog = ContinuousClock.now
                        logger.info("captured \(n) messages")
                    }
                    if let limit, n >= limit { break }
                }
            }
            if let duration {
                group.addTask { try? await Task.sleep(for: .milliseconds(Int64(duration * 1000))) }
            }
            group.addTask {
                if let sig = await stop.wait() { logger.info("signal \(sig): stopping") }
            }
            await group.next()
            group.cancelAll()
        }
        await client.shutdown()
        let n = box.close()
        logger.info("captured \(n) messages to \(out)")
    }
}

/// A `TraceWriter` shared between the capture task and the command, flushed per message.
final class WriterBox: Sendable {
    private let writer: Mutex<TraceWriterRef>
    struct TraceWriterRef: @unchecked Sendable { let w: TraceWriter }
    init(_ w: TraceWriter) { writer = Mutex(TraceWriterRef(w: w)) }
    func write(_ line: String) {
        writer.withLock {
            $0.w.write(line: line)
            $0.w.flush()
        }
    }
    func close() -> Int {
        writer.withLock {
            $0.w.close()
            return $0.w.count
        }
    }
}

/// SIGINT and SIGTERM as an event: made at the start of a command, so that a signal that
/// comes while it connects ends it cleanly too (instead of killing it with its file half written).
final class StopSignals: Sendable {
    private let stream: AsyncStream<Int32>
    private let sources: [SourceRef]
    struct SourceRef: @unchecked Sendable { let s: DispatchSourceSignal }

    init() {
        let (stream, cont) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        self.stream = stream
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { cont.yield(sig) }
            s.resume()
            return SourceRef(s: s)
        }
    }

    /// Returns the first signal, or nil when the waiting task is cancelled.
    func wait() async -> Int32? {
        for await sig in stream { return sig }
        return nil
    }

    deinit { for r in sources { r.s.cancel() } }
}

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Compare captured registry messages with a scenario's ground truth.",
        discussion: """
        Reports per alarm type the recall (must-detect expectations found) and precision, the \
        detection delay distribution (from each expectation's from_ms to the alarm's updated_at), \
        false alarms per device-day, must-not violations, and the occupancy estimates' mean absolute \
        error. An alarm is a (alarm_id, type) with a 'raised' or 'escalated' message; duplicates \
        (same message_id) are ignored. Exit status 1 when a given threshold is missed.

        Examples:
          rentguard-sim score --truth truth.json --captured captured.jsonl
          rentguard-sim score --truth truth.json --captured captured.jsonl --min-recall 1 --max-false-per-device-day 0.01 --max-violations 0
          rentguard-sim score --truth truth.json --captured captured.jsonl --type-min-recall fire=1 --max-median-delay 10 --json
        """)

    @Option(name: .long, help: ArgumentHelp("Ground truth written by record/run.", valueName: "path"))
    var truth: String

    @Option(name: .long, help: ArgumentHelp("Captured registry messages (JSON Lines).", valueName: "path"))
    var captured: String

    @Option(name: .long, help: "Fail below this overall recall (0–1).")
    var minRecall: Double?

    @Option(name: .long, help: "Fail below this overall precision (0–1).")
    var minPrecision: Double?

    @Option(name: .long, help: "Fail above this many false alarms per device-day.")
    var maxFalsePerDeviceDay: Double?

    @Option(name: .long, help: "Fail above this median detection delay, seconds.")
    var maxMedianDelay: Double?

    @Option(name: .long, help: "Fail above this 95th-percentile detection delay, seconds.")
    var maxP95Delay: Double?

    @Option(name: .long, help: "Fail above this maximum detection delay, seconds.")
    var maxDelay: Double?

    @Option(name: .long, help: "Fail above this occupancy mean absolute error, persons.")
    var maxOccupancyMae: Double?

    @Option(name: .long, help: "Fail above this many must-not violations.")
    var maxViolations: Int?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Per-type minimum recall, TYPE=X (repeatable), e.g. fire=1.", valueName: "type=x"))
    var typeMinRecall: [String] = []

    @Option(name: .long, help: "Seconds after an expectation's end (or the scenario's) during which an alarm still matches.")
    var grace: Double = 600

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @OptionGroup var log: LogOptions

    func parsedTypeRecall() throws -> [String: Double] {
        var out: [String: Double] = [:]
        for item in typeMinRecall {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let x = Double(parts[1]), (0...1).contains(x), !parts[0].isEmpty else {
                throw ValidationError("--type-min-recall '\(item)': expected TYPE=X with X in 0…1, e.g. fire=1")
            }
            out[String(parts[0])] = x
        }
        return out
    }

    func validate() throws {
        for (name, v) in [("--min-recall", minRecall), ("--min-precision", minPrecision)] {
            if let v, !(0...1).contains(v) { throw ValidationError("\(name) must be in 0…1") }
        }
        for (name, v) in [("--max-false-per-device-day", maxFalsePerDeviceDay), ("--max-median-delay", maxMedianDelay), ("--max-p95-delay", maxP95Delay), ("--max-delay", maxDelay), ("--max-occupancy-mae", maxOccupancyMae)] {
            if let v, !(v >= 0 && v.isFinite) { throw ValidationError("\(name) must be 0 or more") }
        }
        if let v = maxViolations, v < 0 { throw ValidationError("--max-violations must be 0 or more") }
        guard grace >= 0 else { throw ValidationError("--grace must be 0 or more seconds") }
        _ = try parsedTypeRecall()
        for f in [truth, captured] where !FileManager.default.isReadableFile(atPath: f) {
            throw ValidationError("cannot read '\(f)'")
        }
    }

    func run() throws {
        let logger = Log.make("rentguard-sim.score", level: log.logLevel)
        let t: GroundTruth
        let c: [SimMessage]
        do {
            t = try GroundTruth.load(path: truth)
            c = try Trace.read(path: captured)
        } catch { throw InputError("\(error)") }
        logger.debug("truth: \(t.expectations.count) expectations; captured: \(c.count) messages")
        let th = ScoreThresholds(
            minRecall: minRecall, minPrecision: minPrecision, maxFalsePerDeviceDay: maxFalsePerDeviceDay, maxMedianDelayS: maxMedianDelay,
            maxP95DelayS: maxP95Delay, maxDelayS: maxDelay, maxOccupancyMAE: maxOccupancyMae, maxViolations: maxViolations,
            minTypeRecall: try parsedTypeRecall())
        let report = Scorer(truth: t, thresholds: th, graceMs: Int64(grace * 1000)).score(captured: c)
        print(json ? report.json.serialized() : report.text, terminator: json ? "\n" : "")
        if !report.passed { throw ExitCode.failure }
    }
}
