import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting
import Testing

/// `rentguard-sim capture` against a real mosquitto: it ends on SIGTERM, SIGINT and at the
/// end of `--duration`, exit status 0, with every message it received in its file (the suite
/// runner waits for it; it used to sit in its message loop forever).
@Suite(.serialized)
struct CaptureExitTests {
    /// Starts capture of building `capb`'s registry topics into `out`, and waits until its
    /// subscriptions are in place (a message published then is one it must keep).
    static func startCapture(_ broker: MosquittoBroker, out: String, log: String, extra: [String] = []) async throws -> ChildProcess {
        let p = try ChildProcess(
            executable: DaemonProcess.executable("rentguard-sim"),
            arguments: ["capture", "--broker", broker.url, "--building", "capb", "--out", out, "--log-level", "debug"] + extra,
            outputFile: log)
        // Capture logs "capturing" once the broker has acknowledged its subscriptions.
        guard await HardeningTests.waitUntil(timeout: .seconds(20), {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("capturing")
        }) else {
            p.signal(SIGKILL)
            throw TestingError("capture did not subscribe:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        return p
    }

    static func publisher(_ broker: MosquittoBroker) async throws -> MQTTClient {
        var logger = Logger(label: "test-publisher")
        logger.logLevel = .warning
        let c = try MQTTClient(
            options: MQTTClientOptions(host: "127.0.0.1", port: broker.port, clientID: "capture-test-pub", cleanStart: true),
            logger: logger)
        c.start()
        try await c.waitUntilConnected(timeout: .seconds(10))
        return c
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func exitsOnSignalWithWhatItCaptured(signal: Int32) async throws {
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory(prefix: "capture")
        defer { dir.remove() }
        let out = dir.file("captured.jsonl")
        let capture = try await Self.startCapture(broker, out: out, log: dir.file("capture.log"))
        defer { if capture.isRunning { capture.signal(SIGKILL) } }
        let pub = try await Self.publisher(broker)
        try await pub.publish(topic: "registry/capb/alarms", payload: Array(#"{"alarm_id":"a1","state":"raised"}"#.utf8), qos: 1)
        try await pub.publish(topic: "registry/capb/occupancy", payload: Array(#"{"unit":"101"}"#.utf8), qos: 1)
        try await pub.publish(topic: "registry/other/alarms", payload: Array(#"{"alarm_id":"x"}"#.utf8), qos: 1)
        await pub.shutdown()
        // Written as they arrive (flushed per message), before any signal.
        #expect(await HardeningTests.waitUntil(timeout: .seconds(10)) { Self.lines(out).count == 2 })

        capture.signal(signal)
        let status = await capture.wait(timeout: .seconds(15))
        #expect(status == 0, "capture did not exit 0 after signal \(signal): \(String(describing: status))\n\((try? String(contentsOfFile: dir.file("capture.log"), encoding: .utf8)) ?? "")")
        let lines = Self.lines(out)
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""topic":"registry/capb/alarms""#) == true)
        #expect(lines.first?.contains(#""alarm_id":"a1""#) == true)
        #expect(lines.last?.contains(#""topic":"registry/capb/occupancy""#) == true)
        #expect(((try? String(contentsOfFile: dir.file("capture.log"), encoding: .utf8)) ?? "").contains("captured 2 messages to \(out)"))
    }

    @Test func exitsAtTheEndOfItsDuration() async throws {
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory(prefix: "capture")
        defer { dir.remove() }
        let out = dir.file("captured.jsonl")
        let started = ContinuousClock.now
        let capture = try await Self.startCapture(broker, out: out, log: dir.file("capture.log"), extra: ["--duration", "3"])
        defer { if capture.isRunning { capture.signal(SIGKILL) } }
        let pub = try await Self.publisher(broker)
        try await pub.publish(topic: "registry/capb/alarms", payload: Array(#"{"alarm_id":"d1"}"#.utf8), qos: 1)
        await pub.shutdown()
        // No signal: it ends by itself once its 3 s are over.
        let status = await capture.wait(timeout: .seconds(30))
        #expect(status == 0, "capture did not end after --duration 3: \(String(describing: status))")
        #expect(ContinuousClock.now - started >= .seconds(3))
        #expect(Self.lines(out).count == 1)
        #expect(Self.lines(out).first?.contains(#""alarm_id":"d1""#) == true)
    }
}
