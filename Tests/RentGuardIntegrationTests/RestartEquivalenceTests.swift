import Foundation
import Logging
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// Issue 11 item 11, end to end: the real daemon on its event clock, a real mosquitto and
/// SQLite file. Nine days of a power meter (abnormal use on day 9) and an hourly water meter
/// without `report_interval_s` (a 6 h outage on day 7) are played once into a daemon that
/// runs throughout, and once into a daemon stopped (SIGTERM) and started again on day 8.
/// The registry must receive the same alarm transitions: the learned baseline and cadence
/// survive the restart in the database.
@Suite(.serialized) struct RestartEquivalenceTests {
    typealias H = HardeningTests
    static let t0: Int64 = 1_767_225_600_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static let building = """
    gateway: {id: gw-r, building: restartb, name: "Restart Bldg"}
    broker: {url: "mqtt://127.0.0.1:1", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}
    registry:
      topic_prefix: registry
    storage:
      flush_interval_s: 1
    devices:
      - {id: PM-1, kind: power_meter, rated_current_a: 40, location: "flat 1"}
      - {id: WM-1, kind: water_meter, location: "flat 1"}
    """

    /// (ts, topic, payload), in time order.
    static let messages: [(ts: Int64, topic: String, payload: [UInt8])] = {
        var m: [(Int64, String, [UInt8])] = []
        for q in 0..<(9 * 96) {
            let ts = t0 + Int64(q) * 15 * minute
            let w = q / 96 == 8 ? 3200.0 : 250 + Double((q * 37) % 100)
            m.append((ts, "rg/restartb/PM-1/telemetry", Array(#"{"ts": \#(ts), "power_w": \#(w), "voltage_v": 230, "current_a": \#((w / 230 * 100).rounded() / 100)}"#.utf8)))
        }
        for h in 0..<(9 * 24) where !(h >= 6 * 24 + 2 && h < 6 * 24 + 8) {
            let ts = t0 + Int64(h) * hour + 7_000
            m.append((ts, "rg/restartb/WM-1/telemetry", Array(#"{"ts": \#(ts), "volume_l": \#(h * 12)}"#.utf8)))
        }
        return m.sorted { $0.0 < $1.0 }.map { (ts: $0.0, topic: $0.1, payload: $0.2) }
    }()

    /// One alarm transition as the registry saw it.
    struct Seen: Hashable, CustomStringConvertible {
        var alarmID: String, state: String, type: String
        var description: String { "\(alarmID) \(state)" }
    }

    /// Plays the messages into the daemon, restarting it before the message at `restartAt`.
    static func play(restartAt: Int?) async throws -> (seen: [Seen], log: String) {
        try await EventClockReplay.run(prefix: "restart", building: building, clientID: "restart-devices") { rig in
            let registry = try await TestSubscriber(port: rig.broker.port, filter: "registry/restartb/alarms")
            let (d, _) = try await rig.play(messages, restartAt: restartAt)
            let cut = restartAt ?? messages.count
            // The registry has what the daemon recorded once every alarm row is delivered and received
            // (rows the first daemon left pending are delivered by the second).
            let records = DaemonRecords(port: rig.httpPort, stateDir: rig.stateDir)
            let last = cut < messages.count ? messages.count - cut : messages.count
            guard try await records.waitUntilDelivered(
                handled: last, acceptedOnly: true, destination: "registry-mqtt", kinds: ["alarms"],
                receivedIDs: { DaemonRecords.messageIDs(await registry.messages.map(\.payload)) }, timeout: .seconds(60)) != nil
            else {
                throw TestingError("the registry did not receive every alarm the daemon recorded: \(await records.describe(destination: "registry-mqtt"))")
            }
            let seen = ForwardedAlarm.all(await registry.messages).map { Seen(alarmID: $0.alarmID, state: $0.state, type: $0.type) }
            await d.stop()
            let log = d.log
            await registry.stop()
            return (seen, log)
        }
    }

    @Test func aDaemonRestartedMidScenarioRaisesWhatAnUninterruptedOneRaises() async throws {
        let reference = try await Self.play(restartAt: nil)
        let cut = Self.messages.firstIndex { $0.ts >= Self.t0 + 7 * Self.day + 12 * Self.hour }!
        let restarted = try await Self.play(restartAt: cut)
        let a = Set(reference.seen), b = Set(restarted.seen)
        print("[restart e2e] uninterrupted: \(reference.seen.count) alarm messages \(reference.seen.map(\.description).sorted()); restarted: \(restarted.seen.count)")
        #expect(reference.seen.contains { $0.type == "abnormal_consumption" && $0.state == "raised" }, "the scenario raises abnormal consumption")
        #expect(reference.seen.contains { $0.type == "device_offline" && $0.state == "raised" }, "the scenario raises device_offline")
        #expect(restarted.log.contains("restored detection state"), "the second start restored the snapshot")
        #expect(a == b, "only uninterrupted: \(a.subtracting(b).map(\.description).sorted()); only restarted: \(b.subtracting(a).map(\.description).sorted())")
    }
}
