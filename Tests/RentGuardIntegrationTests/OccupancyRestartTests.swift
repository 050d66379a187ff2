import Foundation
import Logging
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 13, end to end: the occupancy estimator's windows and group-rental runs survive a
/// daemon restart. The real daemon on its event clock, a real mosquitto and SQLite file: six
/// flats' water meters over 20 days (one flat holds 9 people, registered 2, in 40 m²) are
/// played once into a daemon that runs throughout, and once into a daemon stopped with
/// SIGTERM and started again in the middle of the crowded flat's run of days. The registry
/// must receive the same occupancy messages (estimates, rolling windows, evidence) and the
/// same `group_rental_suspected` alarm.
@Suite(.serialized) struct OccupancyRestartTests {
    typealias H = HardeningTests
    static let t0: Int64 = 1_767_196_800_000  // 2026-01-01 00:00 in Asia/Shanghai
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    static let days = 20
    static let people = [1, 2, 3, 4, 2, 9]
    static let registered = [1, 2, 3, 4, 2, 2]

    static let building: String = {
        var s = """
        gateway: {id: gw-o, building: occb, name: "Occupancy Bldg"}
        broker: {url: "mqtt://127.0.0.1:1", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}
        registry:
          topic_prefix: registry
        storage:
          flush_interval_s: 1
        units:

        """
        for i in people.indices {
            s += "  - {id: \"U\(i + 1)\", area_m2: \(i == 5 ? 40 : 90), registered_occupants: \(registered[i])}\n"
        }
        s += "devices:\n"
        for i in people.indices { s += "  - {id: WM-\(i + 1), kind: water_meter, unit: \"U\(i + 1)\"}\n" }
        return s
    }()

    /// Hourly register readings; use between 06 and 23 h with a day-to-day wobble.
    static let messages: [(ts: Int64, topic: String, payload: [UInt8])] = {
        var m: [(ts: Int64, topic: String, payload: [UInt8])] = []
        var register = Array(repeating: 0.0, count: people.count)
        for h in 0..<(days * 24) {
            let d = h / 24, hh = h % 24
            for u in people.indices {
                let daily = (60 + 110 * Double(people[u])) * (1 + 0.2 * sin(Double(d) * 1.7 + Double(u) * 2.3))
                if hh >= 6 && hh < 23 { register[u] += daily / 17 }
                let ts = t0 + Int64(h) * hour + 7 * 60_000 + Int64(u) * 1000
                let v = (register[u] * 1000).rounded() / 1000
                m.append((ts, "rg/occb/WM-\(u + 1)/telemetry", Array(#"{"ts": \#(ts), "volume_l": \#(v)}"#.utf8)))
            }
        }
        return m
    }()

    struct Played {
        /// message id → body (without `sent_at`), occupancy messages.
        var occupancy: [String: JSONValue]
        var alarms: [ForwardedAlarm]
        var log: String
    }

    /// Every day but the last closes, for every unit.
    static let expectedEstimates = people.count * (days - 1)

    /// Plays the messages into the daemon, restarting it (SIGTERM) before the message at `restartAt`.
    static func play(restartAt: Int?) async throws -> Played {
        try await EventClockReplay.run(prefix: "occrestart", building: building, clientID: "occ-devices") { rig in
            let occupancy = try await TestSubscriber(port: rig.broker.port, filter: "registry/occb/occupancy")
            let alarms = try await TestSubscriber(port: rig.broker.port, filter: "registry/occb/alarms")
            let (d, _) = try await rig.play(messages, restartAt: restartAt)
            func bodies() async -> [String: JSONValue] {
                var m: [String: JSONValue] = [:]
                for msg in await occupancy.messages {
                    guard case let .object(fields)? = try? JSONParser.parse(msg.payload), let id = fields.first(where: { $0.0 == "message_id" })?.1.stringValue
                    else { continue }
                    m[id] = .object(fields.filter { $0.0 != "sent_at" })
                }
                return m
            }
            let all = await H.waitUntil(timeout: .seconds(60)) { await bodies().count >= expectedEstimates }
            let got = await bodies()
            #expect(all, "the registry has \(got.count) of \(expectedEstimates) occupancy messages")
            let flagged = await H.waitUntil(timeout: .seconds(10)) {
                ForwardedAlarm.all(await alarms.messages).contains { $0.type == "group_rental_suspected" }
            }
            #expect(flagged, "the crowded flat is flagged")
            let seenAlarms = ForwardedAlarm.all(await alarms.messages)
            await d.stop()
            let log = d.log
            await occupancy.stop()
            await alarms.stop()
            return Played(occupancy: got, alarms: seenAlarms, log: log)
        }
    }

    @Test func aRestartedDaemonKeepsTheOccupancyWindowsAndTheGroupRentalRun() async throws {
        let reference = try await Self.play(restartAt: nil)
        let flag = try #require(reference.alarms.first { $0.type == "group_rental_suspected" && $0.state == "raised" })
        let raisedAt = Int64(flag.json["started_at"]?.doubleValue ?? 0)
        // Restart three days before the flag, mid-afternoon: inside its 7-day run of days.
        let restartTs = raisedAt - 3 * Self.day + 15 * Self.hour
        let cut = try #require(Self.messages.firstIndex { $0.ts >= restartTs })
        let restarted = try await Self.play(restartAt: cut)
        print("[occupancy restart e2e] \(reference.occupancy.count) occupancy messages; flag raised at day \((raisedAt - Self.t0) / Self.day); restart on day \((restartTs - Self.t0) / Self.day)")
        #expect(restarted.log.contains("restored occupancy state"), "the second start restored the occupancy state")
        #expect(restarted.log.contains("series_kept=6"), "every unit's daily use came back")
        let a = Set(reference.occupancy.keys), b = Set(restarted.occupancy.keys)
        #expect(a == b, "only uninterrupted: \(a.subtracting(b).sorted().prefix(5)); only restarted: \(b.subtracting(a).sorted().prefix(5))")
        let differing = reference.occupancy.keys.filter { reference.occupancy[$0] != restarted.occupancy[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.count) occupancy messages differ, the first \(differing.prefix(3))")
        let refFlag = reference.alarms.filter { $0.type == "group_rental_suspected" }.map { "\($0.alarmID) \($0.state) \($0.json["started_at"] ?? .null)" }
        let gotFlag = restarted.alarms.filter { $0.type == "group_rental_suspected" }.map { "\($0.alarmID) \($0.state) \($0.json["started_at"] ?? .null)" }
        #expect(Set(refFlag) == Set(gotFlag), "uninterrupted \(refFlag), restarted \(gotFlag)")
    }
    /// A damaged occupancy part in the stored snapshot: the daemon says why it sets it aside,
    /// restores the rest of the snapshot, and goes on estimating from new readings.
    @Test func aDamagedOccupancyPartIsLoggedAndTheRestRestores() async throws {
        try await EventClockReplay.run(prefix: "occdamaged", building: Self.building, clientID: "occ-devices-2", persistence: false) { rig in
            let occupancy = try await TestSubscriber(port: rig.broker.port, filter: "registry/occb/occupancy")
            let dir = rig.dir
            func start() async throws -> DaemonProcess { try await rig.startDaemon() }
            func feed(_ part: ArraySlice<EventClockReplay.Message>) async throws { try await rig.feed(part) }
            let cut = try #require(Self.messages.firstIndex { $0.ts >= Self.t0 + 8 * Self.day + 15 * Self.hour })
            var d = try await start()
            try await feed(Self.messages[..<cut])
            await d.stop()

            // Another version of the occupancy part, written into its stored row (the rules'
            // snapshot row does not carry it: it is written only when a day closes).
            let store = try Store(path: dir.file("state") + "/" + Store.fileName)
            let rules = try store.engineStateRows()
            #expect(rules.contains { $0.part == "engine" }, "the snapshot's rows are stored")
            #expect(!rules.contains { $0.part == "occupancy" }, "the five-minutely rows leave the occupancy part out")
            let text = try #require(try store.value(forKey: "engine.occupancy"))
            let nl = try #require(text.firstIndex(of: "\n"))
            var occ = try #require(try JSONSerialization.jsonObject(with: Data(text[text.index(after: nl)...].utf8)) as? [String: Any])
            #expect((occ["units"] as? [String: Any])?.count == Self.people.count)
            occ["version"] = 99
            try store.setValue(String(text[...nl]) + String(decoding: try JSONSerialization.data(withJSONObject: occ), as: UTF8.self), forKey: "engine.occupancy", at: 1)
            store.close()

            d = try await start()
            let log = d.logSinceStart
            #expect(log.contains("restored detection state"), "the rest of the snapshot is restored")
            #expect(log.contains("discarding the stored occupancy state; occupancy relearns"), "the damaged part is set aside, logged")
            #expect(log.contains("occupancy snapshot version 99"), "with its reason")
            // It goes on: the next days (9, 10 and 11; day 8 is covered too little after the
            // restart) are estimated again from new readings.
            let before = await occupancy.messages.count
            let end = try #require(Self.messages.firstIndex { $0.ts >= Self.t0 + 12 * Self.day + 3 * Self.hour })
            try await feed(Self.messages[cut..<end])
            let more = await H.waitUntil(timeout: .seconds(30)) { await occupancy.messages.count >= before + 3 * Self.people.count }
            #expect(more, "estimates after the restart")
            await d.stop()
            await occupancy.stop()
        }
    }
}
