import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// Issue 10: the daemon is killed (SIGKILL) or stopped (SIGTERM) in the middle of a burst of
/// alarm-raising messages, 20 times each, against a real mosquitto with persistence and a
/// persistent session. Every alarm that the burst's messages raise must reach the registry
/// after the restart: the daemon acknowledges a message to the broker only after what it
/// caused is committed, so the broker redelivers whatever the daemon had not finished.
/// Duplicates (the same message id twice) are allowed by at-least-once delivery and printed.
@Suite(.serialized) struct IngestFaultTests {
    static let rounds = 20
    static let perRound = 60

    static func deviceID(index: Int) -> String { "SD-B\(index)" }

    static var devicesYAML: String {
        (0..<perRound).map { i in
            "  - {id: \(deviceID(index: i)), kind: smoke_detector, unit: \"U\(i)\", location: \"room \(i)\", zone: bedroom}"
        }.joined(separator: "\n")
    }

    /// One unit per detector, so that a burst raises one smoke alarm per message.
    static var unitsYAML: String {
        (0..<perRound).map { i in "  - {id: \"U\(i)\", floor: \(i / 10 + 1), area_m2: 20, registered_occupants: 1}" }.joined(separator: "\n")
    }

    @Test func sigkillDuringBurstsLosesNothing() async throws {
        try await run(signal: SIGKILL, label: "SIGKILL")
    }

    @Test func sigtermDuringBurstsLosesNothing() async throws {
        try await run(signal: SIGTERM, label: "SIGTERM")
    }

    func run(signal: Int32, label: String) async throws {
        let f = try await DaemonFixture(devicesExtra: Self.devicesYAML, unitsExtra: Self.unitsYAML)
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        var totalDuplicates = 0
        var totalRedelivered = 0
        var interrupted = 0
        let rounds = Int(ProcessInfo.processInfo.environment["RENTGUARD_FAULT_ROUNDS"] ?? "") ?? Self.rounds
        for round in 0..<rounds {
            let t0 = ContinuousClock.now
            // Each round starts on a fresh database, so the same detectors raise again; the
            // broker's persistent session for the daemon carries over.
            try? FileManager.default.removeItem(atPath: f.directory.file("state"))
            let seenBefore = await registry.messages.count
            try await f.startDaemon()
            let tStarted = ContinuousClock.now
            // A burst: every detector of this round reports its own alarm, pipelined at QoS 1.
            let now = DaemonFixture.nowMs
            let burst = (0..<Self.perRound).map { i in
                (topic: "rg/testb/\(Self.deviceID(index: i))/telemetry",
                 payload: Array(#"{"ts": \#(now), "smoke_obscuration_pct_per_m": 0.3, "temperature_c": 22, "alarm": true}"#.utf8))
            }
            let results = await f.publisher.publishBatch(burst, qos: 1, timeout: .seconds(10))
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } }, "the broker took the burst")
            // Interrupt the daemon part-way through the burst, at a random point (part of the
            // scenario, not a wait for something).
            let d = try #require(f.daemon)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150)))
            d.signal(signal)
            let raisedBefore = Self.raisedCount(d.logSinceStart)
            if raisedBefore < Self.perRound { interrupted += 1 }
            let tSignal = ContinuousClock.now
            let status = await d.waitForExit(timeout: .seconds(15))
            let tExit = ContinuousClock.now
            #expect(status != nil, "\(label): the daemon exited")
            // Restart: the broker redelivers what the daemon had not acknowledged.
            try await f.startDaemon()
            let expected = Set((0..<Self.perRound).map { Self.deviceID(index: $0) })
            let messages = Array(await registry.waitFor(timeout: .seconds(30)) { ms in
                Set(ForwardedAlarm.all(Array(ms.dropFirst(seenBefore))).filter { $0.state == "raised" }.compactMap(\.device)).isSuperset(of: expected)
            }.dropFirst(seenBefore))
            let tDelivered = ContinuousClock.now
            let raised = ForwardedAlarm.all(messages).filter { $0.state == "raised" && expected.contains($0.device ?? "") }
            let lost = expected.subtracting(raised.compactMap(\.device))
            let ids = raised.map(\.messageID)
            let duplicates = ids.count - Set(ids).count
            // A second raise of the same device under another alarm id would be a double alarm.
            let alarmIDs = Dictionary(grouping: raised, by: { $0.device ?? "" }).mapValues { Set($0.map(\.alarmID)).count }
            let doubleAlarms = alarmIDs.values.filter { $0 > 1 }.count
            let redelivered = Self.raisedCount(f.daemon?.logSinceStart ?? "")
            totalDuplicates += duplicates
            totalRedelivered += redelivered
            print("[\(label)] round \(round + 1): raised before the signal \(raisedBefore)/\(Self.perRound), raised after the restart \(redelivered), registry got \(Set(raised.compactMap(\.device)).count), lost \(lost.count), duplicate messages \(duplicates), double alarms \(doubleAlarms); start \(tStarted - t0), signal to exit \(tExit - tSignal), restart and delivery \(tDelivered - tExit)")
            #expect(lost.isEmpty, "\(label) round \(round + 1): alarms lost: \(lost.sorted().prefix(10))")
            #expect(doubleAlarms == 0, "\(label) round \(round + 1): a device raised twice")
            let tStop = ContinuousClock.now
            await f.daemon?.stop()
            print("[\(label)] round \(round + 1): graceful stop took \(ContinuousClock.now - tStop)")
        }
        print("[\(label)] \(rounds) rounds of \(Self.perRound) alarm-raising messages: interrupted mid-burst \(interrupted), 0 lost asserted, duplicate messages \(totalDuplicates), alarms raised after restarts \(totalRedelivered)")
        await registry.stop()
        await f.shutdown()
    }

    static func raisedCount(_ log: String) -> Int {
        var n = 0
        let marker = "device=SD-B"
        for line in log.split(separator: "\n") where line.contains("alarm raised") && line.contains(marker) { n += 1 }
        return n
    }
}
