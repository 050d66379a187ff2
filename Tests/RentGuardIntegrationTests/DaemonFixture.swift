import Foundation
import Logging
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting

/// A building broker, a separate registry broker, and the real daemon between them, with
/// a small test building (smoke detectors SD-1 and SD-2 in unit 101, a charger, meters).
final class DaemonFixture: @unchecked Sendable {
    let building: MosquittoBroker
    let registry: MosquittoBroker
    let directory: TemporaryDirectory
    let configPath: String
    var daemon: DaemonProcess?
    let publisher: MQTTClient
    /// The daemon's local HTTP endpoint (metrics, health, API), on a free port.
    let httpPort: Int
    var httpURL: String { "http://127.0.0.1:\(httpPort)" }

    /// - Parameters:
    ///   - registryExtra: YAML lines added under `registry:` (e.g. an `https:` target), indented by 2.
    ///   - extra: YAML added at the top level (e.g. `landlords:`); `unitLandlord` names unit 101's landlord.
    init(
        clearHoldSeconds: Double = 1, sameBroker: Bool = false, registryMQTT: Bool = true, registryExtra: String = "",
        storageExtra: String = "", extra: String = "", unitLandlord: String? = nil, devicesExtra: String = "", unitsExtra: String = "",
        timezone: String? = nil, buildingBrokerConfig: String = ""
    ) async throws {
        building = try MosquittoBroker(extraConfig: buildingBrokerConfig)
        registry = sameBroker ? building : try MosquittoBroker()
        httpPort = try freeLoopbackPort()
        directory = try TemporaryDirectory(prefix: "rentguardd")
        configPath = directory.file("building.yaml")
        try Self.config(
            buildingPort: building.port, registryPort: registry.port, stateDir: directory.file("state"), clearHold: clearHoldSeconds,
            registryMQTT: registryMQTT, registryExtra: registryExtra, storageExtra: storageExtra, extra: extra, unitLandlord: unitLandlord,
            devicesExtra: devicesExtra, unitsExtra: unitsExtra, timezone: timezone
        ).write(toFile: configPath, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test-publisher")
        logger.logLevel = .warning
        publisher = try MQTTClient(
            options: MQTTClientOptions(host: "127.0.0.1", port: building.port, clientID: "test-device-gw", cleanStart: true, protocolVersion: .v5),
            logger: logger)
        publisher.start()
        try await publisher.waitUntilConnected(timeout: .seconds(10))
    }

    static func config(
        buildingPort: Int, registryPort: Int, stateDir: String, clearHold: Double, registryMQTT: Bool = true,
        registryExtra: String = "", storageExtra: String = "", extra: String = "", unitLandlord: String? = nil,
        devicesExtra: String = "", unitsExtra: String = "", timezone: String? = nil
    ) -> String {
        let mqtt = registryMQTT
            ? "  mqtt: {url: \"mqtt://127.0.0.1:\(registryPort)\", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}\n" : ""
        let landlord = unitLandlord.map { ", landlord: \($0)" } ?? ""
        let zone = timezone.map { ", timezone: \"\($0)\"" } ?? ""
        return """
        gateway: {id: gw-test, building: testb, name: "Test Bldg"\(zone)}
        broker: {url: "mqtt://127.0.0.1:\(buildingPort)", connect_timeout_s: 2, reconnect_min_s: 0.1, reconnect_max_s: 1}
        registry:
          topic_prefix: registry
        \(mqtt)\(registryExtra)
        storage:
          state_dir: "\(stateDir)"
          flush_interval_s: 1
        \(storageExtra)
        units:
          - {id: "101", floor: 1, area_m2: 40, registered_occupants: 2\(landlord)}
        \(unitsExtra)
        devices:
          - {id: SD-1, kind: smoke_detector, unit: "101", location: "101 bedroom", zone: bedroom}
          - {id: SD-2, kind: smoke_detector, unit: "101", location: "101 kitchen", zone: kitchen}
          - {id: CH-1, kind: charger, ports: 4, rated_port_current_a: 5, location: "bike shed"}
          - {id: PM-101, kind: power_meter, unit: "101", rated_current_a: 40}
          - {id: WM-101, kind: water_meter, unit: "101"}
        \(devicesExtra)
        thresholds:
          smoke: {clear_hold_s: \(clearHold)}
        \(extra)
        """
    }

    /// Starts (or restarts) the daemon and waits until its pipeline runs.
    func startDaemon(environment: [String: String] = [:], extraArguments: [String] = [], waitForSubscription: Bool = true) async throws {
        let d = try DaemonProcess(
            arguments: ["--config", configPath, "--log-level", "debug", "--http-listen", "127.0.0.1:\(httpPort)"] + extraArguments,
            logFile: directory.file("rentguardd.log"), environment: environment)
        daemon = d
        guard await d.waitForLog("pipeline running", timeout: .seconds(20)) else {
            throw TestingError("daemon did not start; log:\n\(d.log)")
        }
        // The operations endpoint binds on its own task; tests call it right after the start.
        guard await d.waitForLog("operations endpoint listening", timeout: .seconds(20)) else {
            throw TestingError("the operations endpoint did not listen; log:\n\(d.logSinceStart)")
        }
        // The building broker must have acknowledged the subscriptions before a test publishes.
        guard waitForSubscription else { return }
        guard await d.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            throw TestingError("daemon did not subscribe; log:\n\(d.logSinceStart)")
        }
    }

    func publish(_ device: String, _ channel: String = "telemetry", _ json: String, qos: Int = 1) async throws {
        try await publisher.publish(topic: "rg/testb/\(device)/\(channel)", payload: Array(json.utf8), qos: qos)
    }

    func publishRaw(topic: String, _ payload: [UInt8], qos: Int = 1) async throws {
        try await publisher.publish(topic: topic, payload: payload, qos: qos)
    }

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func smoke(_ device: String, alarm: Bool, obscuration: Double = 0.2, ts: Int64 = DaemonFixture.nowMs) async throws {
        try await publish(device, "telemetry", #"{"ts": \#(ts), "smoke_obscuration_pct_per_m": \#(obscuration), "temperature_c": 22.5, "alarm": \#(alarm)}"#)
    }

    /// The daemon's database, opened alongside it (WAL allows a reader while it runs).
    func openStore() throws -> Store {
        try Store(path: directory.file("state") + "/" + Store.fileName)
    }

    /// The message ids of every alarm transition the daemon recorded: what the registry is owed.
    func owedAlarmMessageIDs() throws -> Set<String> {
        let store = try openStore()
        defer { store.close() }
        return Set(try store.outbox(destination: nil, states: [], limit: 1_000_000).filter { $0.kind == "alarms" }.map(\.messageID))
    }

    /// The smoke alarms the daemon has recorded as active, by device (its SQLite rows).
    func activeSmokeAlarms() throws -> [String: Alarm] {
        let store = try openStore()
        defer { store.close() }
        var out: [String: Alarm] = [:]
        for a in try store.activeAlarms() where a.key.type == .smoke {
            if let d = a.key.device { out[d] = a }
        }
        return out
    }

    /// Waits until the daemon has recorded the smoke alarm of each of `devices` as raised
    /// (`active`) or as cleared. A clear is not due while an alarm is latched as chattering
    /// (more than `chatter_cycles` raises within the window; it clears only after
    /// `chatter_release_s`, an hour): such an alarm counts as settled.
    @discardableResult
    func waitForSmoke(_ devices: [String], active: Bool, timeout: Duration = .seconds(15)) async throws -> Bool {
        try await HardeningTests.waitUntil(timeout: timeout) {
            let alarms = try activeSmokeAlarms()
            return devices.allSatisfy { d in
                guard let a = alarms[d] else { return !active }
                return active || a.evidence["chattering"]?.boolValue == true
            }
        }
    }

    /// The running daemon's counts and outbox, read as an operator reads them.
    var records: DaemonRecords { DaemonRecords(httpURL: httpURL, stateDir: directory.file("state")) }

    /// The daemon's `/api/v1/status` `messages_received` (published once a batch is fully
    /// handled; counted since this daemon process started), or nil if it does not answer.
    func messagesReceived() async -> Int? { await records.messagesReceived() }

    /// Waits until the running daemon has handled `messages` device messages and delivered
    /// every alarm message it recorded for `destination` (none pending); returns the
    /// delivered alarm message ids, or nil on timeout. What a test asserting that nothing
    /// more arrives waits on, instead of a pause.
    func waitUntilDelivered(messages: Int, destination: String = "registry-mqtt", timeout: Duration = .seconds(20)) async throws -> Set<String>? {
        try await records.waitUntilDelivered(handled: messages, acceptedOnly: true, destination: destination, kinds: ["alarms"], timeout: timeout)
            .map { Set($0.map(\.messageID)) }
    }

    /// Runs `body` with `fixture` and awaits its shutdown (daemon, brokers, folder) before
    /// returning or rethrowing: nothing it started outlives the test (a `defer { Task { … } }`
    /// may never run when the test process ends first).
    static func with<T>(_ fixture: DaemonFixture, _ body: (DaemonFixture) async throws -> T) async throws -> T {
        do {
            let result = try await body(fixture)
            await fixture.shutdown()
            return result
        } catch {
            await fixture.shutdown()
            throw error
        }
    }

    func shutdown() async {
        await daemon?.stop()
        await publisher.shutdown()
        building.shutdown()
        if registry !== building { registry.shutdown() }
        directory.remove()
    }
}

/// A registry alarm message as the tests see it.
struct ForwardedAlarm: Equatable {
    var messageID: String
    var alarmID: String
    var state: String
    var type: String
    var device: String?
    var sentAt: Int64
    var json: JSONValue

    init?(_ m: MQTTMessage) {
        guard m.topic.hasSuffix("/alarms"), let v = try? JSONParser.parse(m.payload),
            let mid = v["message_id"]?.stringValue, let aid = v["alarm_id"]?.stringValue,
            let state = v["state"]?.stringValue, let type = v["type"]?.stringValue
        else { return nil }
        messageID = mid
        alarmID = aid
        self.state = state
        self.type = type
        device = v["device"]?.stringValue
        sentAt = Int64(v["sent_at"]?.doubleValue ?? 0)
        json = v
    }

    static func all(_ ms: [MQTTMessage]) -> [ForwardedAlarm] { ms.compactMap(ForwardedAlarm.init) }
}
