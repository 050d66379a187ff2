import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// SIGTERM and SIGINT shut the daemon down gracefully; SIGHUP reloads its configuration.
/// Real signals to the real daemon process.
@Suite(.serialized)
struct SignalTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func gracefulShutdownOnSignal(_ sig: Int32) async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        let d = try #require(f.daemon)
        d.signal(sig)
        let status = await d.waitForExit(timeout: .seconds(15))
        #expect(status == 0, "exit status after signal \(sig): \(String(describing: status))")
        #expect(d.log.contains("pipeline stopped"))
        #expect(d.log.contains("outbox delivery stopped"))
        #expect(d.log.contains("rentguardd stopped"))
        // A clean goodbye: the gateway marked itself offline (retained) on the registry.
        let status2 = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/status")
        let got = await status2.waitFor(timeout: .seconds(5)) { !$0.isEmpty }
        #expect(got.last.map { String(decoding: $0.payload, as: UTF8.self) } == #"{"online":false}"#)
        await status2.stop()
    }

    @Test func sighupReloadsDevicesAndKeepsActiveAlarms() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        try await f.smoke("SD-9", alarm: true)  // not registered yet
        _ = await registry.waitFor { ForwardedAlarm.all($0).count >= 2 }

        // The installer adds SD-9 and reloads.
        let yaml = try String(contentsOfFile: f.configPath, encoding: .utf8)
        try yaml.replacingOccurrences(of: "thresholds:", with: "  - {id: SD-9, kind: smoke_detector, unit: \"101\", location: \"101 hall\"}\nthresholds:")
            .write(toFile: f.configPath, atomically: true, encoding: .utf8)
        let d = try #require(f.daemon)
        d.signal(SIGHUP)
        // Logged once the new configuration is handed to the pipeline, whose inbox takes a
        // reconfiguration before any later batch: the messages below meet the new one.
        #expect(await d.waitForLog("configuration reloaded"))

        try await f.smoke("SD-1", alarm: true)  // still the same alarm: no new message
        try await f.smoke("SD-9", alarm: true)  // now a registered detector
        let got = ForwardedAlarm.all(await registry.waitFor { ForwardedAlarm.all($0).contains { $0.type == "smoke" && $0.device == "SD-9" } })
        #expect(got.filter { $0.type == "smoke" && $0.device == "SD-1" }.count == 1, "the active alarm survived the reload")
        #expect(got.contains { $0.type == "smoke" && $0.device == "SD-9" })
        #expect(d.isRunning)
        await registry.stop()
    }

    @Test func sighupWithABadFileKeepsTheRunningConfiguration() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let yaml = try String(contentsOfFile: f.configPath, encoding: .utf8)
        try (yaml + "\nbogus_key: 1\n").write(toFile: f.configPath, atomically: true, encoding: .utf8)
        let d = try #require(f.daemon)
        d.signal(SIGHUP)
        #expect(await d.waitForLog("keeping the running one"))
        #expect(d.log.contains("bogus_key"), "the reason is logged")
        try await f.smoke("SD-1", alarm: true)
        let got = ForwardedAlarm.all(await registry.waitFor { !ForwardedAlarm.all($0).isEmpty })
        #expect(got.first?.device == "SD-1", "still detecting with the running configuration")
        #expect(d.isRunning)
        await registry.stop()
    }
}
