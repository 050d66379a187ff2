import Foundation
import RentGuardCore
@testable import RentGuardStore

/// A fresh directory under the system temporary directory, removed when released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("rentguard-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ components: String...) -> String {
        components.reduce(url) { $0.appendingPathComponent($1) }.path
    }

    var databasePath: String { path(Store.fileName) }
}

/// A store on a fresh file; the directory lives as long as the fixture.
final class StoreFixture {
    let directory: TemporaryDirectory
    let store: Store

    init() throws {
        directory = try TemporaryDirectory()
        store = try Store(path: directory.databasePath)
    }

    deinit { store.close() }

    func count(_ table: String, where condition: String = "1") throws -> Int {
        try store.withConnection { db in
            try db.queryFirst("SELECT count(*) FROM \(table) WHERE \(condition)") { $0.int(0) } ?? 0
        }
    }
}

enum Fixtures {
    static let evidence: JSONValue = [
        "smoke_obscuration_pct_per_m": 4.25,
        "threshold": 3,
        "window_ms": 20000,
        "detectors": ["SD-101-1", "SD-101-2"],
        "confirmed": true,
        "note": "quote \" backslash \\ newline \n unicode 火",
        "missing": nil,
        "nested": ["a": [1, -2.5, "x"]],
    ]

    static let actions: [AlarmAction] = [
        AlarmAction(command: "port_off", device: "CH-1", port: 3, at: 1_700_000_000_100, result: .acknowledged,
            resultAt: 1_700_000_000_900),
        AlarmAction(command: "sound", device: "SD-101-1", port: nil, at: 1_700_000_000_200, result: .timedOut),
    ]

    static func alarm(
        id: String = "B1:smoke:SD-101-1:1700000000000", key: AlarmKey = AlarmKey(type: .smoke, device: "SD-101-1", unit: "101"),
        state: AlarmState = .raised, severity: Severity = .major, sequence: Int = 0, updatedAt: Int64 = 1_700_000_000_000,
        actions: [AlarmAction] = actions
    ) -> Alarm {
        Alarm(
            id: id, key: key, state: state, severity: severity, location: "Flat 101, bedroom",
            startedAt: 1_700_000_000_000, updatedAt: updatedAt, evidence: evidence, actions: actions, sequence: sequence)
    }

    static func message(
        _ id: String, destination: String = "registry", kind: String = "occupancy", priority: Int = 0,
        orderKey: String? = nil, payload: String = "{}", createdAt: Int64 = 0, topic: String? = nil
    ) -> NewOutboxMessage {
        NewOutboxMessage(
            messageID: id, destination: destination, kind: kind, topic: topic, priority: priority, orderKey: orderKey,
            payload: payload, createdAt: createdAt)
    }

    /// The outbox rows a transition becomes, for the given destinations.
    static func outbox(for transition: AlarmTransition, destinations: [String], priority: Int = 100) -> [NewOutboxMessage] {
        destinations.map {
            NewOutboxMessage(
                messageID: transition.messageID, destination: $0, kind: "alarms", priority: priority,
                orderKey: transition.alarm.id, payload: "{\"alarm_id\":\"\(transition.alarm.id)\"}",
                createdAt: transition.alarm.updatedAt)
        }
    }
}
