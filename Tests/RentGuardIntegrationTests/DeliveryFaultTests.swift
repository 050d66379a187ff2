import Foundation
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Store-and-forward under faults, with real parts: a second mosquitto as the registry
/// broker, a real HTTP receiver, the real daemon binary, its real SQLite file. Every test
/// prints and asserts how many alarm messages were lost (must be 0) and reports duplicates.
@Suite(.serialized)
struct DeliveryFaultTests {
    /// Compares what the daemon recorded as owed with what arrived; prints the figures.
    static func account(_ name: String, owed: Set<String>, received: [String]) -> (lost: Int, duplicates: Int) {
        let got = Set(received)
        let lost = owed.subtracting(got).count
        let duplicates = received.count - got.count
        print("[\(name)] alarm messages owed: \(owed.count), received: \(received.count), lost: \(lost), duplicates: \(duplicates)")
        return (lost, duplicates)
    }

    static func inOrder(_ alarms: [ForwardedAlarm]) -> Bool {
        var last: [String: Int] = [:]
        for a in alarms {
            let seq = Int(a.messageID.split(separator: "#").last ?? "") ?? -1
            if let prev = last[a.alarmID], seq <= prev, seq != prev { return false }
            last[a.alarmID] = max(seq, last[a.alarmID] ?? -1)
        }
        return true
    }

    @Test func registryDownForAWhileThenUpDeliversEverythingInOrder() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 0.5)
        defer { Task { await f.shutdown() } }
        // A persistent session on the registry side: nothing delivered right after the
        // broker restarts escapes the test.
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms", clientID: "registry-watcher", cleanStart: false)
        try await f.startDaemon()
        f.registry.stop()
        // During the outage: two detectors go into alarm and back, three times each.
        for round in 0..<3 {
            try await f.smoke("SD-1", alarm: true, obscuration: 7 + Double(round))
            try await f.smoke("SD-2", alarm: true, obscuration: 8 + Double(round))
            #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: true), "round \(round): raises recorded")
            try await f.smoke("SD-1", alarm: false)
            try await f.smoke("SD-2", alarm: false)
            // Cleared after the 0.5 s hold: recorded before the next round raises anew.
            #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: false), "round \(round): clears recorded")
        }
        let owed = try await Self.waitForOwed(f, count: 12)
        // 3 rounds × 2 detectors × (raised + cleared); the kitchen detector may add a pre-alarm escalation.
        #expect(owed.count >= 12)

        try f.registry.start()
        let up = DaemonFixture.nowMs
        let got = ForwardedAlarm.all(await registry.waitFor(timeout: .seconds(30)) { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: owed) })
        let worst = (got.map(\.sentAt).max() ?? up) - up
        let (lost, dups) = Self.account("registry outage", owed: owed, received: got.map(\.messageID))
        print("[registry outage] worst delivery delay after the outage ended: \(worst) ms")
        #expect(lost == 0)
        #expect(Self.inOrder(got), "one alarm's transitions must arrive in order")
        _ = dups
        await registry.stop()
    }

    @Test func sigkillMidDeliveryUnderLoadLosesNothing() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 0.3)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        // Load: both detectors go into alarm and clear, again and again, while the daemon is
        // killed three times, right after an alarm was published (mid-delivery).
        for kill in 0..<3 {
            for _ in 0..<6 {
                try await f.smoke("SD-1", alarm: true, obscuration: 9)
                try await f.smoke("SD-2", alarm: true, obscuration: 9)
                #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: true))
                try await f.smoke("SD-1", alarm: false)
                try await f.smoke("SD-2", alarm: false)
                // Each cycle's clear is recorded before the next raise (once a detector chatters,
                // its alarm is latched and no clear is due: waitForSmoke counts it as settled).
                #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: false))
            }
            try await f.smoke("SD-1", alarm: true, obscuration: 9)
            // Part of the scenario, not a wait for something: the kill lands at a random
            // moment 0-20 ms after the publish, while that alarm is being recorded or delivered.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...20)))
            let d = try #require(f.daemon)
            d.signal(SIGKILL)
            _ = await d.waitForExit()
            print("[sigkill] kill \(kill + 1) done")
            try await f.startDaemon()
        }
        try await f.smoke("SD-1", alarm: false)
        try await f.smoke("SD-2", alarm: false)
        // Everything owed is recorded: the last clears (or the alarms are latched as chattering).
        #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: false))
        let owed = try f.owedAlarmMessageIDs()
        let got = ForwardedAlarm.all(await registry.waitFor(timeout: .seconds(30)) { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: owed) })
        let (lost, _) = Self.account("sigkill ×3 under load", owed: owed, received: got.map(\.messageID))
        #expect(owed.count > 0)
        #expect(lost == 0)
        #expect(Self.inOrder(got))
        await registry.stop()
    }

    @Test func httpsReceiverFailingSlowAndTimingOutIsRetriedUntilDelivered() async throws {
        let receiver = try await TestHTTPReceiver()
        // 500, 503, a stall past the client timeout, a slow answer, then OK.
        receiver.queue([.status(500), .status(503), .slow(.seconds(3)), .slow(.milliseconds(700))], pathSuffix: "/alarms")
        let dir = try TemporaryDirectory(prefix: "secret")
        let secretFile = dir.file("hmac.key")
        try "s3cret-key\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let f = try await DaemonFixture(
            clearHoldSeconds: 30, registryMQTT: false,
            registryExtra: "  https: {url: \"\(receiver.baseURL)\", secret_file: \"\(secretFile)\", timeout_s: 1}\n")
        defer { Task { await f.shutdown(); await receiver.stop(); dir.remove() } }
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        let owed = try await Self.waitForOwed(f, count: 1)
        // Accepted: answered 200 within the client's 1 s timeout (the 3 s stall is not).
        let accepted: @Sendable (TestHTTPReceiver.Request) -> Bool = { $0.answered == 200 && ($0.delayed ?? .zero) < .seconds(1) }
        let requests = await receiver.waitFor(timeout: .seconds(60)) { r in r.contains { accepted($0) && $0.path.hasSuffix("/alarms") } }
        let alarmRequests = requests.filter { $0.path == "/v1/buildings/testb/alarms" }
        let acceptedRequests = alarmRequests.filter(accepted)
        let ids = acceptedRequests.compactMap { (try? JSONParser.parse($0.body))?["message_id"]?.stringValue }
        let (lost, _) = Self.account("https 500/503/timeout/slow", owed: owed, received: ids)
        #expect(lost == 0)
        #expect(alarmRequests.count >= 4, "500, 503, the stalled one and the slow one were retried: \(alarmRequests.map(\.answered))")
        for r in alarmRequests {
            let mid = (try? JSONParser.parse(r.body))?["message_id"]?.stringValue
            #expect(r.headers["idempotency-key"] == mid, "Idempotency-Key is the message id")
            #expect(r.headers["x-rg-signature"] == Signature.header(secret: Array("s3cret-key".utf8), body: r.body))
            #expect(r.headers["content-type"] == "application/json")
        }
    }

    @Test func permanent4xxGoesToDeadLetterAndOthersStillFlow() async throws {
        let receiver = try await TestHTTPReceiver()
        receiver.queue([.status(422)], pathSuffix: "/alarms")
        let dir = try TemporaryDirectory(prefix: "secret")
        try "k".write(toFile: dir.file("k"), atomically: true, encoding: .utf8)
        let f = try await DaemonFixture(
            clearHoldSeconds: 30, registryMQTT: false,
            registryExtra: "  https: {url: \"\(receiver.baseURL)\", secret_file: \"\(dir.file("k"))\", timeout_s: 2}\n")
        defer { Task { await f.shutdown(); await receiver.stop(); dir.remove() } }
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        _ = await receiver.waitFor { $0.contains { $0.answered == 422 } }
        try await f.smoke("SD-2", alarm: true)
        _ = await receiver.waitFor { $0.contains { $0.answered == 200 && $0.path.hasSuffix("/alarms") } }
        // The 422 answer is marked dead in the store and reported.
        _ = try await HardeningTests.waitUntil(timeout: .seconds(10)) {
            let store = try f.openStore()
            defer { store.close() }
            return try store.outboxStats(destination: "registry-https").dead >= 1 && f.daemon?.log.contains("dead letter") == true
        }
        let store = try f.openStore()
        defer { store.close() }
        let dead = try store.outbox(destination: "registry-https", states: [.dead], limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.lastError?.contains("422") == true)
        #expect(try store.outboxStats(destination: "registry-https").dead == 1)
        #expect(f.daemon?.log.contains("dead letter") == true, "the dead letter is reported in the log")
        // The other alarm was not held up by the dead one.
        #expect(receiver.requests.contains { $0.answered == 200 && String(decoding: $0.body, as: UTF8.self).contains("SD-2") })
    }

    @Test func slowLandlordWebhookDoesNotDelayTheRegistry() async throws {
        let landlord = try await TestHTTPReceiver(.slow(.seconds(4)))
        let f = try await DaemonFixture(
            clearHoldSeconds: 30,
            extra: """
                landlords:
                  - id: wang
                    min_severity: warning
                    channels:
                      - {type: webhook, url: "\(landlord.baseURL)/hook"}
                """,
            unitLandlord: "wang")
        defer { Task { await f.shutdown(); await landlord.stop() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, ts: published)
        try await f.smoke("SD-2", alarm: true, ts: published)
        let got = await registry.waitFor(timeout: .seconds(10)) { ForwardedAlarm.all($0).filter { $0.type == "smoke" }.count >= 2 }
        let registryDelay = DaemonFixture.nowMs - published
        print("[slow landlord] both alarms at the registry after \(registryDelay) ms; the landlord answers in 4 s per request")
        // Two detectors of one flat in alarm: two smoke alarms, and a fire alarm (multi-criteria).
        let smoke = Set(ForwardedAlarm.all(got).filter { $0.type == "smoke" }.compactMap(\.device))
        #expect(smoke == ["SD-1", "SD-2"])
        #expect(registryDelay < 3000, "the registry must not wait for the landlord's slow webhook")
        // And the landlord does get its messages, with a bilingual summary: the incident's
        // first at once (the flat's first smoke alarm), the rest as one update at the end of
        // the incident's first minute (issue 25), owed in the outbox meanwhile.
        let hooks = await landlord.waitFor(timeout: .seconds(20)) { $0.count >= 1 }
        #expect(hooks.count >= 1)
        let summaries = hooks.compactMap { (try? JSONParser.parse($0.body))?["summary"]?.stringValue }
        #expect(summaries.contains { $0.contains("烟雾报警") && $0.contains("Smoke alarm") && $0.contains("101") }, "summaries: \(summaries)")
        let owed = try f.records.outbox(destination: "landlord:wang:0", kinds: ["alarms"])
        let first = try #require(owed.min { $0.rowID < $1.rowID })
        #expect(owed.count >= 3, "smoke SD-1, smoke SD-2 and the flat's fire: \(owed.map(\.messageID))")
        for row in owed where row.rowID != first.rowID {
            #expect(row.payload.contains(#""incident_update":true"#), "\(row.messageID)")
            #expect(row.nextAttemptAt <= first.createdAt + 61_000, "an update waits at most the incident's first minute: \(row.messageID)")
        }
        await registry.stop()
    }

    @Test func fireAlarmJumpsABacklogOfTenThousandMessages() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        // A backlog: 10,000 low-priority messages owed to the registry (as after a long outage).
        do {
            let store = try f.openStore()
            let now = DaemonFixture.nowMs
            try store.enqueue((0..<10_000).map {
                NewOutboxMessage(
                    messageID: "backlog-\($0)", destination: "registry-mqtt", kind: "occupancy",
                    priority: RegistryMessage.Priority.occupancy, payload: #"{"message_id":"backlog-\#($0)","building":"testb","gateway":"gw-test","unit":"101"}"#,
                    createdAt: now)
            })
            store.close()
        }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/#")
        try await f.startDaemon()
        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, ts: published)
        let got = await registry.waitFor(timeout: .seconds(30)) { !ForwardedAlarm.all($0).isEmpty }
        let arrived = DaemonFixture.nowMs
        let position = got.firstIndex { $0.topic.hasSuffix("/alarms") } ?? -1
        print("[backlog] alarm delivered \(arrived - published) ms after publish, as message \(position + 1) of \(got.count) received so far, with 10,000 occupancy messages queued")
        #expect(position >= 0)
        #expect(position < 10_000, "the alarm must not wait behind the whole backlog")
        #expect(arrived - published < 10_000, "GB 26875.1: fire alarm information within 10 s")
        await registry.stop()
    }

    @Test func diskBudgetEvictsLowPriorityMessagesButNeverAlarms() async throws {
        let f = try await DaemonFixture(
            clearHoldSeconds: 0.3, registryExtra: "  heartbeat_interval_s: 0.5\n", storageExtra: "  outbox_max_mb: 0.5\n")
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms", clientID: "registry-watcher", cleanStart: false)
        f.registry.stop()
        // 2,000 occupancy messages of ~1 KB owed (2 MB, four times the budget) ...
        do {
            let store = try f.openStore()
            let filler = String(repeating: "x", count: 1000)
            try store.enqueue((0..<2000).map {
                NewOutboxMessage(
                    messageID: "occ-\($0)", destination: "registry-mqtt", kind: "occupancy", priority: RegistryMessage.Priority.occupancy,
                    payload: #"{"message_id":"occ-\#($0)","pad":"\#(filler)"}"#, createdAt: DaemonFixture.nowMs)
            })
            store.close()
        }
        try await f.startDaemon()
        // ... and alarms raised and cleared during the outage.
        for _ in 0..<5 {
            try await f.smoke("SD-1", alarm: true, obscuration: 9)
            #expect(try await f.waitForSmoke(["SD-1"], active: true))
            try await f.smoke("SD-1", alarm: false)
            // Cleared after the 0.3 s hold, before the next raise: 5 raises and 5 clears owed.
            #expect(try await f.waitForSmoke(["SD-1"], active: false))
        }
        let d = try #require(f.daemon)
        #expect(await d.waitForLog("evicted low-priority messages"))
        let owed = try await Self.waitForOwed(f, count: 10)
        let store = try f.openStore()
        let remainingOccupancy = try store.outbox(destination: "registry-mqtt", states: [.pending], limit: 100_000).filter { $0.kind == "occupancy" }.count
        store.close()
        let evicted = 2000 - remainingOccupancy
        try f.registry.start()
        let got = ForwardedAlarm.all(await registry.waitFor(timeout: .seconds(30)) { Set(ForwardedAlarm.all($0).map(\.messageID)).isSuperset(of: owed) })
        let (lost, _) = Self.account("disk budget 0.5 MiB", owed: owed, received: got.map(\.messageID))
        print("[disk budget 0.5 MiB] occupancy messages evicted: \(evicted) of 2000")
        #expect(owed.count == 10)
        #expect(lost == 0, "no alarm is ever evicted")
        #expect(evicted > 0)
        await registry.stop()
    }

    @Test func heartbeatCarriesGatewayHealth() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30, registryExtra: "  heartbeat_interval_s: 0.5\n")
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/heartbeat")
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: false)
        let got = await registry.waitFor(timeout: .seconds(15)) { $0.count >= 3 }
        #expect(got.count >= 3)
        let last = try #require(got.last.flatMap { try? JSONParser.parse($0.payload) })
        #expect(last["building"]?.stringValue == "testb")
        #expect(last["gateway"]?.stringValue == "gw-test")
        #expect(last["message_id"]?.stringValue?.isEmpty == false)
        #expect(last["sent_at"]?.doubleValue != nil)
        #expect(last["devices"]?["registered"]?.doubleValue == 5)
        #expect(last["devices"]?["online"]?.doubleValue == 1, "SD-1 reported")
        #expect(last["outbox"]?["registry-mqtt"]?["pending"] != nil)
        #expect(last["outbox"]?["registry-mqtt"]?["last_delivered_at"] != nil)
        await registry.stop()
    }

    static func waitForOwed(_ f: DaemonFixture, count: Int) async throws -> Set<String> {
        _ = try await HardeningTests.waitUntil(timeout: .seconds(5)) { try f.owedAlarmMessageIDs().count >= count }
        return try f.owedAlarmMessageIDs()
    }
}
