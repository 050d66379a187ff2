import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The simulator, the daemon on its event clock and a real mosquitto, scored by
/// `rentguard-sim score` against each scenario's ground truth.
@Suite(.serialized)
struct ScenarioEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    struct Run {
        var messages: [MQTTMessage]
        var scoreStatus: Int32
        var scoreReport: String
        var daemonLog: String
    }

    /// Plays `scenario` (under simulator/scenarios) as fast as possible into a daemon on its
    /// event clock, captures what reaches the registry, and scores it with `scoreArguments`.
    static func play(_ scenario: String, thresholds: String = "", scoreArguments: [String]) async throws -> Run {
        let dir = try TemporaryDirectory(prefix: "scenario")
        defer { dir.remove() }
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let scenarioPath = "\(root)/simulator/scenarios/\(scenario).yaml"
        let scenarioText = try String(contentsOfFile: scenarioPath, encoding: .utf8)
        let buildingLine = try #require(scenarioText.split(separator: "\n").first { $0.hasPrefix("building:") })
        let buildingRel = buildingLine.dropFirst("building:".count).trimmingCharacters(in: .whitespaces)
        let buildingPath = URL(fileURLWithPath: scenarioPath).deletingLastPathComponent().appendingPathComponent(buildingRel).path
        var building = try String(contentsOfFile: buildingPath, encoding: .utf8)
        if !thresholds.isEmpty { building += "\nthresholds:\n" + thresholds + "\n" }
        let config = dir.file("building.yaml")
        try building.write(toFile: config, atomically: true, encoding: .utf8)

        let registry = try await TestSubscriber(port: broker.port, filter: "registry/#")
        let httpPort = try freeLoopbackPort()
        let daemon = try DaemonProcess(
            arguments: [
                "--config", config, "--broker", broker.url, "--registry-broker", broker.url, "--state-dir", dir.file("state"), "--event-clock",
                "--http-listen", "127.0.0.1:\(httpPort)",
            ],
            logFile: dir.file("rentguardd.log"))
        // Subscribed (SUBACK logged), not just connected, before the simulator publishes.
        guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            throw TestingError("daemon did not start:\n\(daemon.log)")
        }

        let truth = dir.file("truth.json")
        let sim = try ChildProcess(
            executable: DaemonProcess.executable("rentguard-sim"),
            arguments: ["run", scenarioPath, "--broker", broker.url, "--fast", "--truth", truth, "--progress-every", "0"],
            outputFile: dir.file("sim.log"))
        guard let simStatus = await sim.wait(timeout: .seconds(300)), simStatus == 0 else {
            throw TestingError("simulator failed:\n" + ((try? String(contentsOfFile: dir.file("sim.log"), encoding: .utf8)) ?? ""))
        }
        // The daemon has caught up once it has finished with every message the simulator sent
        // and the registry has received every alarm and occupancy message the daemon recorded.
        let sent = try Self.sentCount(simLog: dir.file("sim.log"))
        let records = DaemonRecords(port: httpPort, stateDir: dir.file("state"))
        guard try await records.waitUntilDelivered(
            handled: sent, destination: "registry-mqtt", kinds: ["alarms", "occupancy"], receivedIDs: { DaemonRecords.messageIDs(await registry.messages.map(\.payload)) },
            timeout: .seconds(300)) != nil
        else {
            throw TestingError("the registry did not receive what the daemon recorded for \(sent) simulated messages: \(await records.describe(destination: "registry-mqtt"))")
        }
        let messages = await registry.messages
        await registry.stop()
        await daemon.stop()

        var lines = ""
        for m in messages {
            lines += #"{"t_ms":\#(Int64(Date().timeIntervalSince1970 * 1000)),"topic":"\#(m.topic)","payload":"# + String(decoding: m.payload, as: UTF8.self) + "}\n"
        }
        let captured = dir.file("captured.jsonl")
        try lines.write(toFile: captured, atomically: true, encoding: .utf8)
        let reportFile = dir.file("score.txt")
        let score = try ChildProcess(
            executable: DaemonProcess.executable("rentguard-sim"),
            arguments: ["score", "--truth", truth, "--captured", captured, "--progress-every", "0", "--log-level", "warning"] + scoreArguments,
            outputFile: reportFile)
        let status = await score.wait(timeout: .seconds(60)) ?? -1
        let report = (try? String(contentsOfFile: reportFile, encoding: .utf8)) ?? ""
        print("── \(scenario): \(messages.count) registry messages; score exit \(status)\n\(report)")
        return Run(messages: messages, scoreStatus: status, scoreReport: report, daemonLog: daemon.log)
    }

    /// How many messages `rentguard-sim run` published, from its closing log line
    /// ("sent N messages covering …").
    static func sentCount(simLog: String) throws -> Int {
        let log = try String(contentsOfFile: simLog, encoding: .utf8)
        guard let r = log.range(of: #"sent (\d+) messages covering"#, options: .regularExpression),
            let n = Int(log[r].split(separator: " ")[1])
        else { throw TestingError("no 'sent N messages' line in the simulator's log:\n\(log)") }
        return n
    }

    @Test func flamingFireIsDetectedAsFire() async throws {
        let r = try await Self.play("flaming_fire", scoreArguments: ["--type-min-recall", "fire=1", "--max-violations", "0"])
        #expect(r.scoreStatus == 0, "score thresholds missed:\n\(r.scoreReport)")
    }

    @Test func cookingNuisanceRaisesNoFire() async throws {
        let r = try await Self.play("cooking_nuisance", scoreArguments: ["--max-violations", "0"])
        #expect(r.scoreStatus == 0, "score thresholds missed:\n\(r.scoreReport)")
        let fires = r.messages.filter { $0.topic.hasSuffix("/alarms") && String(decoding: $0.payload, as: UTF8.self).contains(#""type":"fire""#) }
        #expect(fires.isEmpty, "cooking must not raise a fire alarm")
    }

    @Test func chargerThermalRunawayIsDetected() async throws {
        let r = try await Self.play("charger_thermal_runaway", scoreArguments: ["--type-min-recall", "charger_thermal_runaway=1", "--max-violations", "0"])
        #expect(r.scoreStatus == 0, "score thresholds missed:\n\(r.scoreReport)")
    }

    @Test func overcrowdedUnitGivesOccupancyMessagesAndAGroupRentalAlarm() async throws {
        // Three simulated days: shorten the K-days-running rule so that it can decide.
        let r = try await Self.play(
            "overcrowded_block", thresholds: "  group_rental: {days_running: 1}\n  occupancy: {min_rolling_days: 1}",
            scoreArguments: [])
        let occupancy = r.messages.filter { $0.topic == "registry/block-b/occupancy" }.compactMap { try? JSONParser.parse($0.payload) }
        #expect(!occupancy.isEmpty, "occupancy messages reach the registry")
        for o in occupancy {
            for field in ["message_id", "building", "gateway", "sent_at", "unit", "period_start", "period_end", "estimated_occupants", "low", "high", "registered_occupants", "area_m2", "group_rental_suspected", "reasons",
                          "estimate_basis", "day_estimated_occupants", "day_low", "day_high"] {
                #expect(o[field] != nil, "occupancy message lacks \(field)")
            }
            // v1.1: estimated_occupants is the best estimate, inside its own bounds.
            if let e = o["estimated_occupants"]?.doubleValue, let lo = o["low"]?.doubleValue, let hi = o["high"]?.doubleValue {
                #expect(lo <= e && e <= hi, "\(o.serialized())")
            }
        }
        let alarms = r.messages.filter { $0.topic == "registry/block-b/alarms" }.compactMap { try? JSONParser.parse($0.payload) }
        let flagged = Set(alarms.filter { $0["type"]?.stringValue == "group_rental_suspected" && $0["state"]?.stringValue == "raised" }.compactMap { $0["unit"]?.stringValue })
        print("group_rental_suspected raised for units: \(flagged.sorted())")
        #expect(!flagged.isEmpty, "a simulated overcrowded unit raises group_rental_suspected at the registry")
        #expect(flagged.isSubset(of: ["B102", "B103", "B104", "B201", "B202"]), "only units with more occupants than registered are flagged")
    }
}
