import Foundation
import RentGuardCore
import Testing
@testable import RentGuardStore

@Suite("Schema and connection")
struct MigrationTests {
    @Test func freshDatabaseGetsSchemaAndVersion() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("nested", "data", Store.fileName)  // parent directories do not exist yet
        let store = try Store(path: path)
        defer { store.close() }
        #expect(FileManager.default.fileExists(atPath: path))

        let tables = try store.withConnection { db in
            try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") { $0.string(0) }
        }
        for table in ["alarm_transitions", "alarms", "devices", "kv", "occupancy_history", "engine_state", "outbox", "quarantined_messages", "reading_aggregates", "reports"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        let indexes = try store.withConnection { db in
            try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'") { $0.string(0) }
        }
        #expect(Set(indexes).isSuperset(of: ["alarms_active", "outbox_due", "outbox_order", "outbox_evict"]))
        let version = try store.withConnection { try Migrations.userVersion($0) }
        #expect(version == Store.schemaVersion)
        #expect(Store.schemaVersion == 4)
    }

    @Test func connectionPragmas() throws {
        let f = try StoreFixture()
        let (journal, synchronous, foreignKeys, busy) = try f.store.withConnection { db in
            (
                try db.queryFirst("PRAGMA journal_mode") { $0.string(0) },
                try db.queryFirst("PRAGMA synchronous") { $0.int(0) },
                try db.queryFirst("PRAGMA foreign_keys") { $0.int(0) },
                try db.queryFirst("PRAGMA busy_timeout") { $0.int(0) }
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(foreignKeys == 1)
        #expect(busy == 5000)

        // WAL is persistent: another connection sees it too, and the -wal file exists.
        let other = try SQLiteConnection(path: f.directory.databasePath)
        defer { other.close() }
        #expect(try other.queryFirst("PRAGMA journal_mode") { $0.string(0) } == "wal")
        try f.store.setValue("x", forKey: "k", at: 1)
        #expect(FileManager.default.fileExists(atPath: f.directory.databasePath + "-wal"))
    }

    @Test func newerSchemaVersionRefusesToOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.databasePath
        let store = try Store(path: path)
        try store.setValue("v", forKey: "k", at: 1)
        store.close()

        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA user_version = \(Store.schemaVersion + 1)")
        db.close()

        let expected = StoreError.schemaTooNew(path: path, found: Store.schemaVersion + 1, supported: Store.schemaVersion)
        #expect(throws: expected) { try Store(path: path) }
        #expect(expected.description.contains("newer than the highest this build supports"))

        // The refused file is left as it was.
        let check = try SQLiteConnection(path: path)
        defer { check.close() }
        #expect(try Migrations.userVersion(check) == Store.schemaVersion + 1)
        #expect(try check.queryFirst("SELECT value FROM kv WHERE key = 'k'") { $0.string(0) } == "v")
    }

    @Test func reopenPreservesDataAndDoesNotRemigrate() throws {
        let dir = try TemporaryDirectory()
        let transition = AlarmTransitionFixture.raised
        do {
            let store = try Store(path: dir.databasePath)
            try store.recordAlarmTransition(transition, outbox: Fixtures.outbox(for: transition, destinations: ["registry"]))
            try store.upsertDevices([Store.DeviceRow(deviceID: "SD-1", kind: "smoke_detector", lastSeen: 5, online: true, lastValues: "{}")])
            try store.writeAggregates([AggregateBucket(device: "PM-1", field: "power_w", bucketStart: 0, count: 2, sum: 3, min: 1, max: 2, last: 2, lastTs: 9)])
            try store.setValue("snapshot", forKey: "engine", at: 7)
            store.close()
        }
        let store = try Store(path: dir.databasePath)
        defer { store.close() }
        #expect(try store.alarm(id: transition.alarm.id) == transition.alarm)
        #expect(try store.dueOutbox(destination: "registry", now: .max, limit: 10).map(\.messageID) == [transition.messageID])
        #expect(try store.devices().map(\.deviceID) == ["SD-1"])
        #expect(try store.aggregates(device: "PM-1", field: "power_w", from: 0, to: 1).count == 1)
        #expect(try store.value(forKey: "engine") == "snapshot")
        #expect(try store.withConnection { try Migrations.userVersion($0) } == Store.schemaVersion)
    }

    @Test func sqliteErrorsCarryMessageAndSQL() throws {
        let f = try StoreFixture()
        let error = try #require(throws: SQLiteError.self) {
            try f.store.withConnection { db in try db.run("SELECT * FROM no_such_table") }
        }
        #expect(error.message.contains("no such table"))
        #expect(error.sql == "SELECT * FROM no_such_table")
        #expect(error.description.contains("no_such_table"))
    }

    @Test func closedStoreThrows() throws {
        let f = try StoreFixture()
        f.store.close()
        f.store.close()  // idempotent
        #expect(throws: StoreError.closed) { try f.store.value(forKey: "k") }
    }
}

enum AlarmTransitionFixture {
    static let raised = AlarmTransition(alarm: Fixtures.alarm())
}
