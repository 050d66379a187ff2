import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting
import Testing

/// A real mosquitto, a building file, a device publisher and the real daemon on its event
/// clock: for tests that replay recorded traffic into the daemon, restart it mid-way and
/// compare with an uninterrupted run (restart equivalence, occupancy state).
struct EventClockReplay {
    typealias Message = (ts: Int64, topic: String, payload: [UInt8])

    let dir: TemporaryDirectory
    let broker: MosquittoBroker
    let config: String
    let publisher: MQTTClient
    let httpPort: Int

    /// Runs `body` with a fresh rig, and takes the rig down (publisher, broker, files) whether
    /// `body` returns or throws.
    static func run<T>(
        prefix: String, building: String, clientID: String, persistence: Bool = true, _ body: (EventClockReplay) async throws -> T
    ) async throws -> T {
        let rig = try await EventClockReplay(prefix: prefix, building: building, clientID: clientID, persistence: persistence)
        do {
            let result = try await body(rig)
            await rig.close()
            return result
        } catch {
            await rig.close()
            throw error
        }
    }

    private init(prefix: String, building: String, clientID: String, persistence: Bool) async throws {
        dir = try TemporaryDirectory(prefix: prefix)
        broker = try MosquittoBroker(persistence: persistence)
        config = dir.file("building.yaml")
        try building.write(toFile: config, atomically: true, encoding: .utf8)
        var logger = Logger(label: clientID)
        logger.logLevel = .warning
        publisher = try MQTTClient(
            options: MQTTClientOptions(host: "127.0.0.1", port: broker.port, clientID: clientID, cleanStart: true, protocolVersion: .v5),
            logger: logger)
        publisher.start()
        try await publisher.waitUntilConnected(timeout: .seconds(10))
        httpPort = try freeLoopbackPort()
    }

    var stateDir: String { dir.file("state") }

    /// Starts the daemon on the state directory and waits for its subscriptions.
    func startDaemon() async throws -> DaemonProcess {
        let d = try DaemonProcess(
            arguments: ["--config", config, "--broker", broker.url, "--registry-broker", broker.url, "--state-dir", stateDir,
                        "--event-clock", "--http-listen", "127.0.0.1:\(httpPort)"],
            logFile: dir.file("rentguardd.log"))
        guard await d.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            throw TestingError("daemon did not start:\n\(d.logSinceStart)")
        }
        return d
    }

    /// Publishes a part at QoS 1 and waits until the (freshly started) daemon has taken every
    /// message of it.
    func feed(_ part: ArraySlice<Message>) async throws {
        let results = await publisher.publishBatch(part.map { (topic: $0.topic, payload: $0.payload) }, qos: 1, timeout: .seconds(60))
        #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
        let done = await HardeningTests.waitUntil(timeout: .seconds(120)) { await self.received() >= part.count }
        let took = await received()
        try #require(done, "the daemon took \(took) of \(part.count)")
    }

    /// Plays `messages` into a started daemon; with `restartAt`, stops it (SIGTERM) before that
    /// message and starts another on the same state. Returns the running daemon and the
    /// stopped one's log.
    func play(_ messages: [Message], restartAt: Int?) async throws -> (daemon: DaemonProcess, earlierLog: String) {
        var d = try await startDaemon()
        let cut = restartAt ?? messages.count
        try await feed(messages[..<cut])
        guard cut < messages.count else { return (d, "") }
        await d.stop()
        let log = d.log
        d = try await startDaemon()
        try await feed(messages[cut...])
        return (d, log)
    }

    /// The daemon's `rentguard_messages_in_total`, summed over its labels.
    func received() async -> Int {
        Self.received((try? await HardeningTests.get("http://127.0.0.1:\(httpPort)/metrics").body) ?? "")
    }

    static func received(_ metrics: String) -> Int {
        var n = 0.0
        for line in metrics.split(separator: "\n") where line.hasPrefix("rentguard_messages_in_total{") {
            n += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return Int(n)
    }

    func close() async {
        await publisher.shutdown()
        broker.shutdown()
        dir.remove()
    }
}
