import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 11 items 6 and 7: duplicate JSON keys; a port beyond the charger's ports.
@Suite(.serialized)
struct PayloadRejectionTests {
    typealias H = HardeningTests

    // MARK: 6 and 7. Duplicate keys; a port beyond the charger's ports

    @Test func duplicateKeysAndPortsBeyondTheChargerAreRejectedAndCounted() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let now = DaemonFixture.nowMs
        try await f.publish("SD-1", "telemetry", #"{"ts": \#(now), "alarm": false, "alarm": true}"#)
        // CH-1 has `ports: 4`.
        try await f.publish("CH-1", "telemetry", #"{"ts": \#(now), "ports": [{"port": 9, "state": "charging", "current_a": 2}]}"#)
        try await f.publish("CH-1", "event", #"{"ts": \#(now), "event": "session_start", "port": 5}"#)
        // A valid alarm after them: once it is forwarded, the daemon has handled all three.
        try await f.smoke("SD-2", alarm: true)
        let got = ForwardedAlarm.all(await registry.waitFor { ForwardedAlarm.all($0).contains { $0.device == "SD-2" } })
        #expect(!got.contains { $0.device == "SD-1" }, "the duplicate-key payload must not raise an alarm")
        let metrics = try await H.get(f.httpURL + "/metrics").body
        #expect(H.sample(metrics, #"rentguard_messages_rejected_total{reason="duplicate_key"}"#) == 1)
        #expect(H.sample(metrics, #"rentguard_messages_rejected_total{reason="out_of_range"}"#) == 2)
        let log = try #require(f.daemon).log
        #expect(log.contains("reason=duplicate_key") && log.contains("duplicate member name 'alarm'"))
        #expect(log.contains("beyond the charger's configured ports (1...4)"))
        await registry.stop()
    }
}
