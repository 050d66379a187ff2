import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The running daemon as an operator and systemd see it: /metrics, health, rentguardctl
/// (acknowledging an alarm reaches the registry), and sd_notify on a real datagram socket.
@Suite(.serialized)
struct OperationsEndToEndTests {
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: body))
    }

    static func ctl(_ f: DaemonFixture, _ args: [String]) async throws -> (status: Int32, output: String) {
        let out = f.directory.file("ctl-\(UUID().uuidString.prefix(6)).txt")
        let p = try ChildProcess(executable: DaemonProcess.executable("rentguardctl"), arguments: ["--url", f.httpURL] + args, outputFile: out)
        let status = await p.wait(timeout: .seconds(15)) ?? -1
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func metricsAreScrapedAsPrometheusTextAndHealthAnswers() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        try await f.publishRaw(topic: "rg/testb/SD-1/telemetry", Array("{bad".utf8))
        // Both messages handled (the good one counted in, the bad one rejected).
        _ = await HardeningTests.waitUntil(timeout: .seconds(10)) {
            guard let r = try? await Self.get(f.httpURL + "/metrics") else { return false }
            return r.body.contains(#"rentguard_messages_rejected_total{reason="malformed_json"}"#) && r.body.contains(#"rentguard_alarm_transitions_total{"#)
        }
        let (status, body) = try await Self.get(f.httpURL + "/metrics")
        #expect(status == 200)
        #expect(body.contains(#"rentguard_messages_in_total{"#))
        #expect(body.contains(#"rentguard_messages_rejected_total{reason="malformed_json"}"#))
        #expect(body.contains(#"rentguard_alarm_transitions_total{"#) && body.contains(#"type="smoke""#))
        #expect(body.contains("rentguard_outbox_pending"))
        // Every sample line is `name{labels} value` or `name value`; comments are # HELP / # TYPE.
        for line in body.split(separator: "\n") where !line.isEmpty {
            if line.hasPrefix("#") {
                #expect(line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE "), "bad comment line: \(line)")
            } else {
                let value = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(Double(value) != nil || ["+Inf", "-Inf", "NaN"].contains(value), "bad sample line: \(line)")
            }
        }
        #expect(try await Self.get(f.httpURL + "/healthz").status == 200)
        let ready = try await Self.get(f.httpURL + "/readyz")
        #expect(ready.status == 200, "readyz: \(ready.body)")
    }

    @Test func rentguardctlAcknowledgesAnAlarmAndTheRegistryHearsIt() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        let raised = ForwardedAlarm.all(await registry.waitFor { !ForwardedAlarm.all($0).isEmpty })
        let id = try #require(raised.first?.alarmID)

        let list = try await Self.ctl(f, ["alarms", "--active"])
        #expect(list.status == 0)
        #expect(list.output.contains("SD-1"), "rentguardctl alarms --active:\n\(list.output)")
        let status = try await Self.ctl(f, ["status"])
        #expect(status.status == 0, "\(status.output)")

        let ack = try await Self.ctl(f, ["ack", id, "--note", "checked on site", "--by", "duty-officer"])
        #expect(ack.status == 0, "\(ack.output)")
        let got = ForwardedAlarm.all(await registry.waitFor { ForwardedAlarm.all($0).contains { $0.state == "acknowledged" } })
        let acked = try #require(got.first { $0.state == "acknowledged" })
        #expect(acked.alarmID == id)
        #expect(acked.json["evidence"]?["acknowledgement"]?["by"]?.stringValue == "duty-officer")
        #expect(acked.json["evidence"]?["acknowledgement"]?["note"]?.stringValue == "checked on site")
        // Acknowledging twice is a conflict, not a second message.
        let again = try await Self.ctl(f, ["ack", id])
        #expect(again.status != 0)
        await registry.stop()
    }

    @Test func rentguardctlSaysClearlyWhenTheDaemonIsNotRunning() async throws {
        let dir = try TemporaryDirectory(prefix: "ctl")
        defer { dir.remove() }
        let port = try freeLoopbackPort()
        let p = try ChildProcess(executable: DaemonProcess.executable("rentguardctl"), arguments: ["--url", "http://127.0.0.1:\(port)", "status"], outputFile: dir.file("o"))
        let status = await p.wait(timeout: .seconds(10))
        let text = (try? String(contentsOfFile: dir.file("o"), encoding: .utf8)) ?? ""
        #expect(status == 2)
        #expect(text.contains("not running"), "\(text)")
    }

    @Test func systemdNotifyReadyWatchdogAndStopping() async throws {
        let systemd = try NotifySocket()
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        try await f.startDaemon(environment: systemd.environment(watchdogUsec: 4_000_000))
        let ready = await systemd.waitFor(timeout: .seconds(15)) { $0.contains("READY=1") }
        #expect(ready.match != nil, "READY=1 once the store is open and the pipeline runs; seen: \(ready.seen)")
        // Two pings within 5 s (the interval is 4 s, a ping is due every 2 s): wait for the
        // second, not for the whole window.
        let window = ContinuousClock.now + .seconds(5)
        var pings = 0
        while pings < 2, ContinuousClock.now < window {
            if await systemd.waitFor(timeout: window - ContinuousClock.now, { $0.contains("WATCHDOG=1") }).match != nil { pings += 1 }
        }
        #expect(pings >= 2, "WATCHDOG=1 every half interval while the pipeline makes progress")
        let d = try #require(f.daemon)
        d.signal(SIGTERM)
        let stopping = await systemd.waitFor(timeout: .seconds(10)) { $0.contains("STOPPING=1") }
        #expect(stopping.match != nil)
        #expect(await d.waitForExit() == 0)
    }
}
