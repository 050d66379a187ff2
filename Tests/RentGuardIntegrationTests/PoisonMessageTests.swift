import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 27, item 0: one message must never stop the gateway for good. The real daemon (a
/// test build, which stops on purpose on a payload carrying `RENTGUARD_TEST_CRASH_MARKER`),
/// a persistent building broker that redelivers what was not acknowledged, and restarts as
/// systemd would make them.
@Suite(.serialized)
struct PoisonMessageTests {
    typealias H = HardeningTests
    static let marker = "POISON-7f3a9c"
    /// The test hook, and no backtracer (a crash then ends the process at once).
    static let crashEnvironment = ["RENTGUARD_TEST_CRASH_MARKER": marker, "SWIFT_BACKTRACE": "enable=no"]

    /// Starts the daemon without waiting for it to be ready (it may stop at once on a
    /// redelivered message).
    static func launch(_ f: DaemonFixture, run: Int) throws -> DaemonProcess {
        let d = try DaemonProcess(
            arguments: ["--config", f.configPath, "--log-level", "debug", "--http-listen", "127.0.0.1:\(f.httpPort)"],
            logFile: f.directory.file("rentguardd-\(run).log"), environment: crashEnvironment)
        f.daemon = d
        return d
    }

    @Test func aMessageThatStopsTheDaemonTwiceIsSetAsideAndTheGatewayGoesOn() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon(environment: Self.crashEnvironment)
        let first = try #require(f.daemon)

        // The poison, with an ordinary alarm on each side of it in the same burst.
        let poisonPayload = #"{"ts": \#(DaemonFixture.nowMs), "smoke_obscuration_pct_per_m": 0.1, "note": "\#(Self.marker)"}"#
        try await f.smoke("SD-1", alarm: true)
        try await f.publish("SD-2", "telemetry", poisonPayload)
        try await f.publish("WM-101", "telemetry", #"{"ts": \#(DaemonFixture.nowMs), "volume_l": 1000}"#)

        // Run 1 stops inside the batch that holds the poison.
        let exit1 = await first.waitForExit(timeout: .seconds(20))
        try #require(exit1 != nil && exit1 != 0, "the test build did not stop on the marker; log:\n\(first.logSinceStart)")

        // Run 2: the broker redelivers; the quarantine pass handles the suspects one by one
        // and stops again on the poison, handled alone.
        let second = try Self.launch(f, run: 2)
        let exit2 = await second.waitForExit(timeout: .seconds(30))
        try #require(exit2 != nil && exit2 != 0, "run 2 did not stop again; log:\n\(second.log)")
        #expect(second.log.contains("the previous run stopped while handling a batch"), "run 2 log:\n\(second.log)")
        #expect(second.log.contains("quarantine pass: handling a message of the batch the previous run stopped in, alone"))

        // Run 3: the poison is set aside, stored, counted, logged, raised; the gateway runs on.
        let third = try Self.launch(f, run: 3)
        #expect(await third.waitForLog("message set aside: it stopped the daemon twice", timeout: .seconds(30)), "run 3 log:\n\(third.log)")
        #expect(third.log.contains("the previous run stopped while handling one message alone"))
        #expect(third.isRunning, "run 3 log:\n\(third.log)")

        let faults = ForwardedAlarm.all(await registry.waitFor(timeout: .seconds(30)) {
            ForwardedAlarm.all($0).contains { $0.type == "gateway_fault" }
        }).filter { $0.type == "gateway_fault" }
        let fault = try #require(faults.first, "no gateway_fault at the registry; run 3 log:\n\(third.log)")
        #expect(fault.json["severity"]?.stringValue == "major")
        #expect(fault.json["evidence"]?["fault"]?.stringValue == "poison_message")
        #expect(fault.json["evidence"]?["topic"]?.stringValue == "rg/testb/SD-2/telemetry")
        #expect(fault.json["evidence"]?["payload_excerpt"]?.stringValue?.contains(Self.marker) == true)

        // Stored whole, in SQLite, with the same id the guard journalled.
        let store = try f.openStore()
        let kept = try store.quarantinedMessages()
        store.close()
        #expect(kept.count == 1)
        #expect(kept.first?.topic == "rg/testb/SD-2/telemetry")
        #expect(kept.first.map { String(decoding: $0.payload, as: UTF8.self) } == poisonPayload)
        #expect(kept.first?.messageID.count == 16)
        #expect(kept.first?.messageID == fault.json["evidence"]?["message_id"]?.stringValue)

        // Counted where an operator looks.
        #expect(try await H.waitUntil(timeout: .seconds(20)) {
            guard let m = try? await H.get(f.httpURL + "/metrics"), m.status == 200 else { return false }
            return H.sample(m.body, #"rentguard_messages_rejected_total{reason="poison_message"}"#) == 1
        }, "run 3 log:\n\(third.log)")

        // The innocent messages of the poisoned batch were handled, and new ones are.
        #expect(!(await registry.waitFor(timeout: .seconds(20)) {
            ForwardedAlarm.all($0).contains { $0.type == "smoke" && $0.device == "SD-1" && $0.state == "raised" }
        }).isEmpty, "SD-1's alarm from the poisoned batch never reached the registry")
        try await f.smoke("SD-2", alarm: true)
        #expect(!(await registry.waitFor(timeout: .seconds(20)) {
            ForwardedAlarm.all($0).contains { $0.type == "smoke" && $0.device == "SD-2" && $0.state == "raised" }
        }).isEmpty, "run 3 log:\n\(third.log)")

        // A clean restart finds nothing in hand: no quarantine pass, nothing set aside again.
        third.signal(SIGTERM)
        #expect(await third.waitForExit(timeout: .seconds(20)) == 0)
        let fourth = try Self.launch(f, run: 4)
        #expect(await fourth.waitForLog("pipeline running", timeout: .seconds(20)), "run 4 log:\n\(fourth.log)")
        #expect(!fourth.log.contains("the previous run stopped"))
        await fourth.stop()
        let again = try f.openStore()
        #expect(try again.quarantinedMessages().count == 1)
        again.close()
        await registry.stop()
    }

    /// The issue's crash: a Shelly Gen1 charger's relay index at the top of `Int`'s range
    /// trapped on overflow, and the broker's redelivery made it a crash loop. Now a counted
    /// `out_of_range` rejection; the daemon does not stop and alarms go on.
    @Test func aShellyRelayIndexAtIntMaxIsRejectedNotACrash() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30, devicesExtra: """
              - {id: CH-S1, kind: charger, ports: 2, rated_port_current_a: 5, location: "bike shed", profile: shelly_gen1, topic: shellies/shelly25-ch}
              - {id: CH-S2, kind: charger, ports: 4, rated_port_current_a: 5, location: "bike shed", profile: shelly_gen2, topic: shellypro4pm-ch}
            """)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let d = try #require(f.daemon)
        try await f.publishRaw(topic: "shellies/shelly25-ch/relay/9223372036854775807", Array("on".utf8))
        try await f.publishRaw(topic: "shellies/shelly25-ch/relay/9223372036854775807/power", Array("120".utf8))
        try await f.publishRaw(topic: "shellypro4pm-ch/status/switch:9223372036854775807", Array(#"{"id":0,"apower":120.0,"output":true}"#.utf8))
        try await f.publishRaw(topic: "shellypro4pm-ch/events/rpc", Array(
            #"{"src":"shellypro4pm-ch","method":"NotifyStatus","params":{"ts":1700000000.1,"switch:9223372036854775807":{"output":true}}}"#.utf8))
        #expect(try await H.waitUntil(timeout: .seconds(20)) {
            guard let m = try? await H.get(f.httpURL + "/metrics"), m.status == 200 else { return false }
            return H.sample(m.body, #"rentguard_messages_rejected_total{reason="out_of_range"}"#) == 4
        }, "log:\n\(d.logSinceStart)")
        #expect(d.isRunning)
        #expect(d.log.contains("channel index 9223372036854775807"))
        try await f.smoke("SD-1", alarm: true)
        #expect(!(await registry.waitFor(timeout: .seconds(20)) {
            ForwardedAlarm.all($0).contains { $0.type == "smoke" && $0.device == "SD-1" }
        }).isEmpty, "log:\n\(d.logSinceStart)")
        await registry.stop()
    }
}
