import Foundation
import RentGuardCore
import RentGuardTesting
import Testing

/// Issue 27 item 3: a building broker with a small `max_queued_messages` dropped 1,880 of
/// 2,000 detector messages while the daemon was paused for 3 s, and nobody was told. The
/// daemon now follows the broker's `$SYS/broker/publish/messages/dropped` and raises a major
/// `gateway_fault` when it rises.
@Suite(.serialized)
struct BrokerDropTests {
    typealias H = HardeningTests

    /// The building broker's `dropped_messages` in `/api/v1/status`, once the daemon has read it.
    static func brokerDropped(_ f: DaemonFixture) async -> Double? {
        guard let s = try? await H.get(f.httpURL + "/api/v1/status"), s.status == 200,
            let v = try? JSONParser.parse(s.body), let brokers = v["brokers"]?.arrayValue
        else { return nil }
        return brokers.first { $0["name"]?.stringValue == "building" }?["dropped_messages"]?.doubleValue
    }

    @Test func messagesTheBrokerDropsWhileTheDaemonIsPausedRaiseAGatewayFault() async throws {
        let f = try await DaemonFixture(buildingBrokerConfig: "max_queued_messages 100\nsys_interval 1\n")
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let d = try #require(f.daemon)
        // The baseline: the daemon has read the counter once.
        let baseline = await H.waitUntil(timeout: .seconds(20)) { await Self.brokerDropped(f) != nil }
        try #require(baseline, "the daemon never read $SYS; log:\n\(d.logSinceStart)")
        #expect(d.log.contains("following the building broker's $SYS counters"))

        d.signal(SIGSTOP)
        let messages = (0..<1000).map { i in
            (topic: "rg/testb/WM-101/telemetry", payload: Array(#"{"ts": \#(DaemonFixture.nowMs + Int64(i)), "volume_l": \#(i)}"#.utf8))
        }
        let results = await f.publisher.publishBatch(messages, qos: 1)
        d.signal(SIGCONT)
        #expect(results.allSatisfy { if case .success = $0 { true } else { false } }, "the broker acknowledged every publish")

        let got = await registry.waitFor(timeout: .seconds(30)) { ForwardedAlarm.all($0).contains { $0.type == "gateway_fault" } }
        let faults = ForwardedAlarm.all(got).filter { $0.type == "gateway_fault" }
        #expect(faults.count == 1, "no gateway_fault at the registry; daemon log:\n\(d.logSinceStart)")
        if let fault = faults.first {
            let evidence = fault.json["evidence"]
            let dropped = evidence?["dropped"]?.doubleValue ?? 0
            print("[broker drops] 1,000 messages published while the daemon was stopped; the broker dropped \(Int(dropped)); gateway_fault: \(evidence?["detail"]?.stringValue ?? "-")")
            #expect(fault.state == "raised")
            #expect(fault.json["severity"]?.stringValue == "major")
            #expect(fault.device == nil)
            #expect(evidence?["fault"]?.stringValue == "broker_dropped_messages")
            #expect(dropped >= 800, "1,000 messages against a queue of 100 (and 20 in flight)")
            #expect(evidence?["detail"]?.stringValue?.hasPrefix("the building broker dropped \(Int(dropped)) messages since ") == true)
        }
        #expect(d.log.contains("the building broker dropped messages"))
        let metrics = try await H.get(f.httpURL + "/metrics")
        #expect((H.sample(metrics.body, "rentguard_broker_dropped_messages_total") ?? 0) >= 800)
        #expect(H.sample(metrics.body, "rentguard_broker_sys_available") == 1)
    }

    /// A broker that publishes no `$SYS` (`sys_interval 0`): said once, in the log and the status.
    @Test func aBrokerWithoutSysIsNamedOnce() async throws {
        let f = try await DaemonFixture(buildingBrokerConfig: "sys_interval 0\n")
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        let d = try #require(f.daemon)
        // The daemon waits 30 s after connecting before it says so.
        let said = await d.waitForLog("the building broker publishes no $SYS counters", timeout: .seconds(60))
        #expect(said, "log:\n\(d.logSinceStart)")
        let s = try await H.get(f.httpURL + "/api/v1/status")
        let v = try JSONParser.parse(s.body)
        #expect(v["brokers"]?.arrayValue?.first?["sys"]?.stringValue == "unavailable")
        #expect(d.log.components(separatedBy: "publishes no $SYS").count == 2, "said once")
    }
}
