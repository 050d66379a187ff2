import Foundation
import RentGuardCore
import RentGuardStore
import RentGuardTesting
import Testing

/// The issue's acceptance run: a fire played by the simulator (`demo_smoke_alarm`: a flaming
/// fire in flat 101's bedroom) into the real daemon on its event clock, the test centre
/// going down while the fire develops and coming back; every centre message confirmed, a
/// type-2 fire object for SD-101-1 among them, nothing lost.
@Suite(.serialized)
struct CentreSimulatorTests {
    @Test func simulatedFireReachesTheCentreAcrossARestartWithNothingLost() async throws {
        let dir = try TemporaryDirectory(prefix: "centre-sim")
        defer { dir.remove() }
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let centre = try TestCentre()
        defer { centre.stop() }
        let root = ScenarioEndToEndTests.root
        let scenario = "\(root)/simulator/scenarios/demo_smoke_alarm.yaml"
        var building = try String(contentsOfFile: "\(root)/configs/demo.yaml", encoding: .utf8)
        let centreLine = "  centre: {host: \"127.0.0.1\", port: \(centre.port), destination_address: \(centre.address), answer_timeout_s: 1, connect_timeout_s: 1, reconnect_min_s: 0.1, reconnect_max_s: 1, heartbeat_interval_s: 2}\n"
        building = building.replacingOccurrences(of: "\nregistry:\n", with: "\nregistry:\n" + centreLine)
        #expect(building.contains("centre:"))
        let config = dir.file("building.yaml")
        try building.write(toFile: config, atomically: true, encoding: .utf8)
        let httpPort = try freeLoopbackPort()
        let daemon = try DaemonProcess(
            arguments: [
                "--config", config, "--broker", broker.url, "--registry-broker", broker.url, "--state-dir", dir.file("state"), "--event-clock",
                "--http-listen", "127.0.0.1:\(httpPort)",
            ],
            logFile: dir.file("rentguardd.log"))
        defer { Task { await daemon.stop() } }
        guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            throw TestingError("daemon did not start:\n\(daemon.log)")
        }
        _ = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 21 } }
        // The centre goes down while the fire develops.
        centre.stop()
        let sim = try ChildProcess(
            executable: DaemonProcess.executable("rentguard-sim"),
            arguments: ["run", scenario, "--broker", broker.url, "--fast", "--progress-every", "0"],
            outputFile: dir.file("sim.log"))
        let simStatus = await sim.wait(timeout: .seconds(300))
        #expect(simStatus == 0)
        // Let the daemon take in what the simulator sent (every batch's outbox rows are written
        // before its counts are published), then bring the centre back.
        let sent = try ScenarioEndToEndTests.sentCount(simLog: dir.file("sim.log"))
        let records = DaemonRecords(port: httpPort, stateDir: dir.file("state"))
        guard await records.waitUntilHandled(sent, timeout: .seconds(120)) else {
            throw TestingError("the daemon did not finish with the \(sent) simulated messages: \(await records.describe(destination: "centre"))")
        }
        let owed = try records.outbox(destination: "centre")
        try centre.start()
        let back = ContinuousClock.now
        let expected = try owed.map { row -> CentreLinkTests.Owed in
            let v = try JSONParser.parse(row.payload)
            return CentreLinkTests.Owed(
                position: UInt16(v["position"]?.doubleValue ?? -1), status: UInt16(v["status"]?.doubleValue ?? -1),
                description: v["description"]?.stringValue ?? "", time: (v["time"]?.arrayValue ?? []).map { UInt8($0.doubleValue ?? 0) })
        }
        let got = await centre.waitFor(timeout: .seconds(30)) { ps in Set(CentreLinkTests.confirmed(ps)).isSuperset(of: expected) }
        let took = ContinuousClock.now - back
        let lost = CentreLinkTests.account("simulated fire", owed: Dictionary(uniqueKeysWithValues: zip(owed.map(\.messageID), expected)), packets: got)
        let fires = CentreLinkTests.confirmed(got).filter { $0.status & 0x02 != 0 }
        print("[centre simulated fire] all \(expected.count) owed objects confirmed \(took) after the centre came back; fire objects: \(fires.map(\.description))")
        #expect(lost == 0)
        #expect(!fires.isEmpty, "a confirmed type-2 object with the fire bit")
        #expect(fires.contains { $0.description.hasPrefix("101室") })
        #expect(took < .seconds(10), "the owed fire reached the centre within 10 s of the link coming back")
    }
}
