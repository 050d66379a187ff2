import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// A device added by a SIGHUP reload shows in every view of the running daemon: the
/// operator's `devices` and `status`, `/metrics`, the heartbeat to the registry, the ledger
/// report, the watchdog's status line to systemd; and its alarm is detected and forwarded.
/// (The views used to keep the startup configuration; only detection and forwarding got the
/// new one.)
@Suite(.serialized)
struct ReloadReachesEveryViewTests {
    static func json(_ url: String) async throws -> JSONValue {
        let r = try await HardeningTests.get(url)
        guard r.status == 200 else { throw TestingError("GET \(url): \(r.status) \(r.body)") }
        return try JSONParser.parse(Array(r.body.utf8))
    }

    static func registeredInMetrics(_ body: String) -> Int {
        ["online", "offline", "never_seen"].map { Int(HardeningTests.sample(body, #"rentguard_devices{state="\#($0)"}"#) ?? -1) }.reduce(0, +)
    }

    static func heartbeatRegistered(_ messages: [MQTTMessage]) -> [Int] {
        messages.filter { $0.topic == "registry/testb/heartbeat" }.compactMap { m in
            (try? JSONParser.parse(m.payload))?["devices"]?["registered"]?.doubleValue.map { Int($0) }
        }
    }

    @Test func aDeviceAddedByReloadShowsEverywhereAndItsAlarmForwards() async throws {
        try await DaemonFixture.with(try await DaemonFixture(clearHoldSeconds: 30, registryExtra: "  heartbeat_interval_s: 1\n")) { f in
            try await Self.addedByReload(f)
        }
    }

    static func addedByReload(_ f: DaemonFixture) async throws {
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/#")
        let systemd = try NotifySocket()
        try await f.startDaemon(environment: systemd.environment())
        let d = try #require(f.daemon)

        // Before: five devices, in every view.
        #expect(try await Self.json(f.httpURL + "/api/v1/status")["devices_registered"]?.doubleValue == 5)
        #expect(await registry.waitFor(timeout: .seconds(15)) { Self.heartbeatRegistered($0).contains(5) }.isEmpty == false)

        // The installer adds SD-9 and reloads.
        let yaml = try String(contentsOfFile: f.configPath, encoding: .utf8)
        try yaml.replacingOccurrences(of: "thresholds:", with: "  - {id: SD-9, kind: smoke_detector, unit: \"101\", location: \"101 hall\"}\nthresholds:")
            .write(toFile: f.configPath, atomically: true, encoding: .utf8)
        d.signal(SIGHUP)
        #expect(await d.waitForLog("configuration reloaded"))

        // rentguardctl devices / status.
        let devices = try await Self.json(f.httpURL + "/api/v1/devices")
        let ids = (devices["devices"]?.arrayValue ?? []).compactMap { $0["device"]?.stringValue }
        #expect(ids.contains("SD-9"), "devices lists the reloaded device: \(ids)")
        #expect(ids.count == 6)
        #expect(try await Self.json(f.httpURL + "/api/v1/status")["devices_registered"]?.doubleValue == 6)

        // /metrics: every registered device is online, offline or never seen.
        let metrics = try await HardeningTests.get(f.httpURL + "/metrics")
        #expect(Self.registeredInMetrics(metrics.body) == 6, "rentguard_devices after the reload:\n\(metrics.body.split(separator: "\n").filter { $0.hasPrefix("rentguard_devices") })")

        // The next heartbeats count six.
        let beats = await registry.waitFor(timeout: .seconds(15)) { Self.heartbeatRegistered($0).contains(6) }
        #expect(Self.heartbeatRegistered(beats).contains(6), "heartbeats: \(Self.heartbeatRegistered(beats))")

        // The ledger report of the current period lists it.
        let report = try await Self.json(f.httpURL + "/api/v1/report?period=current&format=json")
        let reportDevices = (report["devices"]?.arrayValue ?? []).compactMap { $0["device"]?.stringValue }
        #expect(reportDevices.contains("SD-9"), "report devices: \(reportDevices)")

        // The watchdog's status line to systemd.
        var statusLine: String?
        _ = await HardeningTests.waitUntil(timeout: .seconds(20)) {
            while let m = systemd.tryReceive() {
                for line in m.split(separator: "\n") where line.hasPrefix("STATUS=devices ") { statusLine = String(line) }
            }
            return statusLine?.contains("/6 online") == true
        }
        #expect(statusLine?.contains("/6 online") == true, "watchdog status: \(statusLine ?? "none")")

        // Its alarm is detected and forwarded.
        try await f.smoke("SD-9", alarm: true)
        let got = ForwardedAlarm.all(await registry.waitFor { ForwardedAlarm.all($0).contains { $0.device == "SD-9" } })
        #expect(got.contains { $0.type == "smoke" && $0.device == "SD-9" && $0.state == "raised" })
        #expect(d.isRunning)
        await registry.stop()
    }
}
