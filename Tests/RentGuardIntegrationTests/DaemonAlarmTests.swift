import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The daemon end to end: device → building broker → rentguardd → SQLite → registry broker.
/// Real mosquitto brokers on free loopback ports, the real daemon binary.
@Suite(.serialized)
struct DaemonAlarmTests {
    @Test func smokeAlarmIsRaisedForwardedAndCleared() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 1)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()

        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, ts: published)
        let raised = await registry.waitFor { ForwardedAlarm.all($0).contains { $0.state == "raised" } }
        let alarms = ForwardedAlarm.all(raised)
        let first = try #require(alarms.first)
        #expect(first.type == "smoke")
        #expect(first.device == "SD-1")
        #expect(first.json["building"]?.stringValue == "testb")
        #expect(first.json["gateway"]?.stringValue == "gw-test")
        #expect(first.json["unit"]?.stringValue == "101")
        #expect(first.json["severity"]?.stringValue == "major")
        let arrived = DaemonFixture.nowMs
        print("publish → forwarded alarm at the registry: \(arrived - published) ms (sent_at - device ts: \(first.sentAt - published) ms)")
        // The figure is printed above (20 ms here); the assertion is the regulatory bound, so
        // that a loaded CI machine cannot make it flake: GB 26875.1 allows 10 s.
        #expect(arrived - published < 10_000, "GB 26875.1: an alarm reaches the monitoring centre within 10 s")

        // Back to normal: cleared after the hold time.
        try await f.smoke("SD-1", alarm: false)
        let cleared = await registry.waitFor { ForwardedAlarm.all($0).contains { $0.state == "cleared" } }
        let states = ForwardedAlarm.all(cleared).filter { $0.alarmID == first.alarmID }.map(\.state)
        #expect(states == ["raised", "cleared"])
        await registry.stop()
    }

    @Test func noDuplicateWhileTheAlarmPersists() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        for i in 0..<20 {
            try await f.smoke("SD-1", alarm: true, obscuration: 6 + Double(i) * 0.1)
        }
        _ = await registry.waitFor { !ForwardedAlarm.all($0).isEmpty }
        // A duplicate would be recorded while the 20 readings are handled and sent with the
        // rest: wait until all 20 are handled, every alarm message recorded is delivered, and
        // each delivered one has reached the subscriber.
        let delivered = try #require(try await f.waitUntilDelivered(messages: 20), "the daemon handled the 20 readings and delivered what it recorded")
        let alarms = ForwardedAlarm.all(await registry.waitFor { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: delivered) })
        #expect(alarms.count == 1, "20 alarm readings of one detector must give one raised message, got \(alarms.map(\.state))")
        #expect(alarms.first?.state == "raised")
        await registry.stop()
    }

    @Test func garbageOfEveryKindThenAValidAlarmStillGetsThrough() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let now = DaemonFixture.nowMs
        let garbage: [(String, [UInt8])] = [
            ("rg/testb/SD-1/telemetry", Array("{not json".utf8)),  // malformed JSON
            ("rg/testb/SD-1/telemetry", Array("[1,2,3]".utf8)),  // not an object
            ("rg/testb/SD-1/telemetry", Array(#"{"smoke_obscuration_pct_per_m": "lots"}"#.utf8)),  // wrong type
            ("rg/testb/SD-1/telemetry", Array(#"{"alarm": 1}"#.utf8)),  // wrong type (number for bool)
            ("rg/testb/SD-1/telemetry", Array(#"{"smoke_obscuration_pct_per_m": -4}"#.utf8)),  // out of range
            ("rg/testb/SD-1/telemetry", Array(#"{"battery_pct": 250}"#.utf8)),  // out of range
            ("rg/testb/SD-1/telemetry", Array(#"{"ts": "yesterday", "alarm": true}"#.utf8)),  // wrong ts type
            ("rg/testb/SD-1/telemetry", Array(#"{"ts": \#(now + 3_600_000), "alarm": true}"#.utf8)),  // far future
            ("rg/testb/SD-1/telemetry", Array(#"{"ts": 1700000, "alarm": true}"#.utf8)),  // clock not set
            ("rg/testb/SD-1/telemetry", Array(repeating: UInt8(ascii: "a"), count: 20_000)),  // too large
            ("rg/testb/SD-1/telemetry", [0xFF, 0xFE, 0x00, 0x7B]),  // binary
            ("rg/testb/SD-1/telemetry", []),  // empty
            ("rg/testb/SD-1/event", Array(#"{"event": "explode"}"#.utf8)),  // unknown event
            ("rg/testb/SD-1/whatever", Array(#"{"alarm": true}"#.utf8)),  // bad topic (not subscribed, never seen)
            ("rg/testb/CH-1/telemetry", Array(#"{"ports": "all"}"#.utf8)),  // wrong type
            ("rg/testb/CH-1/telemetry", Array(#"{"ports": [{"port": 0, "state": "idle"}]}"#.utf8)),  // port 0
            ("rg/testb/PM-101/telemetry", Array(#"{"voltage_v": 230}"#.utf8)),  // missing fields
            ("rg/testb/GHOST-9/telemetry", Array(#"{"alarm": true}"#.utf8)),  // unregistered device
            ("rg/testb/SD-1/telemetry", Array(String(repeating: "[", count: 5000).utf8)),  // deep nesting
        ]
        for (topic, payload) in garbage { try await f.publishRaw(topic: topic, payload) }
        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, ts: published)
        let got = await registry.waitFor { ForwardedAlarm.all($0).contains { $0.type == "smoke" } }
        let alarms = ForwardedAlarm.all(got)
        #expect(alarms.filter { $0.type == "smoke" }.count == 1)
        #expect(alarms.contains { $0.type == "unregistered_device" && $0.device == "GHOST-9" })
        #expect(!alarms.contains { $0.type == "smoke" && $0.state != "raised" })
        // Every rejection was counted and logged with its reason.
        let log = try #require(f.daemon).log
        for reason in ["malformed_json", "not_an_object", "wrong_type", "out_of_range", "future_timestamp", "implausible_timestamp", "payload_too_large", "unknown_event", "missing_field", "unknown_device"] {
            #expect(log.contains("reason=\(reason)"), "no log line for \(reason)")
        }
        #expect(f.daemon?.isRunning == true)
        await registry.stop()
    }

    @Test func registryDownThenUpLosesNothing() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 1)
        defer { Task { await f.shutdown() } }
        // The registry side's subscriber keeps a persistent session, so that nothing the
        // daemon delivers right after the broker restarts escapes the test.
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms", clientID: "registry-watcher", cleanStart: false)
        try await f.startDaemon()
        f.registry.stop()
        // The daemon has seen the registry go (logged on a lost connection and on a refused connect).
        let daemon = try #require(f.daemon)
        let noticed = await HardeningTests.waitUntil(timeout: .seconds(10)) {
            daemon.logSinceStart.split(separator: "\n").contains { $0.contains("MQTT connection lost or refused; retrying") && $0.contains("component=mqtt.registry") }
        }
        #expect(noticed, "the daemon saw the registry broker go")
        // While the registry is away: raise and clear on two detectors.
        try await f.smoke("SD-1", alarm: true)
        try await f.smoke("SD-2", alarm: true, obscuration: 9)
        #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: true), "both raises recorded")
        try await f.smoke("SD-1", alarm: false)
        // SD-1 clears while the registry is down: wait until the daemon has recorded it.
        _ = try await HardeningTests.waitUntil(timeout: .seconds(10)) {
            try f.owedAlarmMessageIDs().contains(where: { $0.contains("smoke:SD-1") && $0.hasSuffix("#1") })
        }
        let owed = try f.owedAlarmMessageIDs()
        #expect(owed.contains(where: { $0.contains("smoke:SD-1") && $0.hasSuffix("#1") }), "SD-1 cleared during the outage")

        try f.registry.start()
        let outageEnded = DaemonFixture.nowMs
        let owedNow = owed
        let got = await registry.waitFor(timeout: .seconds(20)) { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: owedNow) }
        let alarms = ForwardedAlarm.all(got)
        let sd1 = alarms.filter { $0.device == "SD-1" && $0.type == "smoke" }.map(\.state)
        let sd2 = alarms.filter { $0.device == "SD-2" && $0.type == "smoke" }.map(\.state)
        #expect(Set(alarms.map(\.messageID)).isSuperset(of: owed), "every message owed during the outage arrived")
        print("after the registry came back: \(alarms.count) messages in \(DaemonFixture.nowMs - outageEnded) ms")
        #expect(sd1 == ["raised", "cleared"], "SD-1 transitions in order, none lost: \(sd1)")
        #expect(sd2 == ["raised"])
        await registry.stop()
    }

    @Test func daemonKilledWhileAnAlarmIsOwedDeliversItAfterRestart() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        f.registry.stop()
        try await f.smoke("SD-1", alarm: true)
        let d = try #require(f.daemon)
        #expect(await d.waitForLog("alarm raised"))
        d.signal(SIGKILL)
        #expect(await d.waitForExit() != nil)

        try f.registry.start()
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let got = await registry.waitFor(timeout: .seconds(20)) { !ForwardedAlarm.all($0).isEmpty }
        let alarms = ForwardedAlarm.all(got)
        #expect(alarms.map(\.state) == ["raised"])
        #expect(alarms.first?.device == "SD-1")
        // The restarted daemon restored the alarm: the detector still in alarm is no new alarm.
        try await f.smoke("SD-1", alarm: true)
        // That reading handled, and everything recorded delivered and received: no new message.
        let delivered = try #require(try await f.waitUntilDelivered(messages: 1), "the restarted daemon handled the reading")
        #expect(ForwardedAlarm.all(await registry.waitFor { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: delivered) }).count == 1)
        #expect(f.daemon?.log.contains("restored active alarms") == true)
        await registry.stop()
    }
}
