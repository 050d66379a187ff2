import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// A simulated month through the real daemon on its event clock: March 2026 of the ledger
/// building (simulator/scenarios/ledger/ledger_month.yaml) must produce the three ledger reports
/// of the month (1st-9th, 10th-19th, 20th-31st) as files, in the API, and as `report`
/// messages on the registry broker.
@Suite(.serialized)
struct LedgerMonthTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let periods = ["2026-03-01_2026-03-09", "2026-03-10_2026-03-19", "2026-03-20_2026-03-31"]

    @Test func aSimulatedMonthWritesItsThreeReports() async throws {
        let dir = try TemporaryDirectory(prefix: "ledger-month")
        defer { dir.remove() }
        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let httpPort = try freeLoopbackPort()
        let registry = try await TestSubscriber(port: broker.port, filter: "registry/ledger/report")
        let state = dir.file("state")
        let daemon = try DaemonProcess(
            arguments: [
                "--config", "\(Self.root)/simulator/scenarios/buildings/ledger-month.yaml", "--broker", broker.url,
                "--registry-broker", broker.url, "--state-dir", state, "--event-clock", "--http-listen", "127.0.0.1:\(httpPort)",
            ],
            logFile: dir.file("rentguardd.log"))
        defer { Task { await daemon.stop() } }
        guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            throw TestingError("daemon did not start:\n\(daemon.log)")
        }
        let started = ContinuousClock.now
        let sim = try ChildProcess(
            executable: DaemonProcess.executable("rentguard-sim"),
            arguments: ["run", "\(Self.root)/simulator/scenarios/ledger/ledger_month.yaml", "--broker", broker.url, "--fast", "--progress-every", "0"],
            outputFile: dir.file("sim.log"))
        guard let simStatus = await sim.wait(timeout: .seconds(300)), simStatus == 0 else {
            throw TestingError("simulator failed:\n" + ((try? String(contentsOfFile: dir.file("sim.log"), encoding: .utf8)) ?? ""))
        }
        let messages = await registry.waitFor(timeout: .seconds(60)) { $0.count >= 3 }
        print("ledger month: simulator and daemon took \(ContinuousClock.now - started) for 32 days; \(messages.count) report messages")

        // Three `report` messages, one per period, in order.
        let bodies = messages.compactMap { try? JSONParser.parse($0.payload) }
        let ids = bodies.compactMap { $0["period"]?["id"]?.stringValue }
        #expect(ids == Self.periods, "daemon log:\n\(daemon.logSinceStart.suffix(3000))")
        for b in bodies {
            #expect(b["message_id"]?.stringValue == "ledger:report:\(b["period"]?["id"]?.stringValue ?? "")")
            #expect(b["building"]?.stringValue == "ledger")
            #expect(b["gateway"]?.stringValue == "gw-ledger")
            #expect(b["sent_at"]?.doubleValue != nil)
            #expect(b["devices"]?.arrayValue?.count == 6)
            #expect(b["occupancy"]?.arrayValue?.count == 2)
        }
        // What happened in each period is in its report.
        func alarmTypes(_ i: Int) -> Set<String> {
            Set((bodies.indices.contains(i) ? bodies[i]["alarms"]?.arrayValue ?? [] : []).compactMap { $0["type"]?.stringValue })
        }
        #expect(alarmTypes(0).contains("fire"), "first period: \(alarmTypes(0))")
        #expect(alarmTypes(1).contains("tamper"), "second period: \(alarmTypes(1))")
        #expect(alarmTypes(2).contains("battery_low"), "third period: \(alarmTypes(2))")
        #expect(!alarmTypes(0).contains("tamper"))
        // Occupancy: a month of daily estimates, 201 (4 people in 30 m²) flagged.
        let occupancy = bodies.first?["occupancy"]?.arrayValue ?? []
        let estimates = occupancy.compactMap { $0["estimates"]?.doubleValue }
        print("ledger month: first period estimates per unit \(estimates); units flagged per period",
              bodies.map { $0["totals"]?["units_group_rental_suspected"]?.doubleValue ?? -1 })
        #expect(estimates == [9, 9])  // one per local day of 1st-9th, per unit
        let last201 = bodies.last?["occupancy"]?.arrayValue?.first { $0["unit"]?.stringValue == "201" }
        #expect(last201?["group_rental_suspected"]?.boolValue == true, "201 at the end of March: \(String(describing: last201))")
        let last101 = bodies.last?["occupancy"]?.arrayValue?.first { $0["unit"]?.stringValue == "101" }
        #expect(last101?["group_rental_suspected"]?.boolValue == false)

        // The files, and the API's list of them.
        let files = try FileManager.default.contentsOfDirectory(atPath: state + "/reports").filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == Self.periods.flatMap { ["\($0).csv", "\($0).html", "\($0).json"] }.sorted())
        let csv = try String(contentsOfFile: state + "/reports/\(Self.periods[0]).csv", encoding: .utf8)
        #expect(csv.contains("[alarms]") && csv.contains(",fire,"))
        let html = try String(contentsOfFile: state + "/reports/\(Self.periods[0]).html", encoding: .utf8)
        #expect(html.contains("<h1>消防安全台账") && html.contains("2026-03-01 – 2026-03-09"))
        let list = try await HardeningTests.get("http://127.0.0.1:\(httpPort)/api/v1/reports")
        let listed = (try JSONParser.parse(list.body)["reports"]?.arrayValue ?? []).compactMap { $0["period"]?.stringValue }
        #expect(listed == Self.periods.reversed())

        // rentguardctl builds the same period's report on request.
        let out = dir.file("ctl.csv")
        let ctl = try ChildProcess(
            executable: DaemonProcess.executable("rentguardctl"),
            arguments: ["--url", "http://127.0.0.1:\(httpPort)", "report", "--period", "2026-03-05", "--format", "csv"], outputFile: out)
        #expect(await ctl.wait(timeout: .seconds(30)) == 0)
        let ctlText = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(ctlText.contains("2026-03-01 – 2026-03-09") && ctlText.contains(",fire,"), "\(ctlText.prefix(500))")
        await registry.stop()
        await daemon.stop()
    }
}

