import Foundation
import RentGuardCore
import Testing
@testable import RentGuardStore

/// Issue 27 item 6: the snapshot is stored as rows (`engine_state`) and a save rewrites only
/// the rows that changed; what loads back is exactly the snapshot that was saved, whatever
/// the history of saves before it.
@Suite struct EngineSnapshotRowsTests {
    typealias T = EngineSnapshotTests

    static func canonical(_ s: EngineSnapshot) throws -> String { try Store.encodeEngineSnapshot(s) }

    static func loaded(_ store: Store) throws -> EngineSnapshot {
        guard case let .loaded(s) = store.loadEngineSnapshot() else { throw Failure("the stored snapshot does not load: \(store.loadEngineSnapshot())") }
        return s
    }

    struct Failure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    /// Saved into one file every 300 inputs of the ten-day scenario: after every save the
    /// file gives back exactly the engine's snapshot, and a restart from it gives the
    /// uninterrupted run's transitions.
    @Test func everyIncrementalSaveLoadsBackExactly() throws {
        let f = try StoreFixture()
        var engine = DetectionEngine(config: T.config)
        var reference = DetectionEngine(config: T.config)
        let all = T.transitions(T.run(T.inputs[...], &reference))
        var out: [CoreOutput] = []
        var written = 0, total = 0
        var cut = 0
        while cut < T.inputs.count {
            let end = min(cut + 300, T.inputs.count)
            out += T.run(T.inputs[cut..<end], &engine)
            cut = end
            let snap = engine.snapshot()
            let w = try f.store.saveEngineSnapshot(snap, at: Int64(cut))
            written += w.rowsWritten
            total += w.rows
            let back = try Self.loaded(f.store)
            #expect(try Self.canonical(back) == (try Self.canonical(snap)), "after input \(cut)")
            if cut % 3000 == 0 || cut == T.inputs.count {
                var second = DetectionEngine(config: T.config, restoring: engine.activeAlarms, snapshot: back)
                let got = T.transitions(out + T.run(T.inputs[cut...], &second))
                #expect(got == all, "restart from the incremental rows after input \(cut)")
            }
        }
        #expect(written < total, "some rows were left as they were: \(written) of \(total) written")
    }

    /// The same snapshot saved twice writes nothing the second time; one device's new reading
    /// rewrites the engine row and that device's rows only.
    @Test func onlyChangedRowsAreWritten() throws {
        let f = try StoreFixture()
        var engine = DetectionEngine(config: T.config)
        _ = T.run(T.inputs[..<4000], &engine)
        let first = try f.store.saveEngineSnapshot(engine.snapshot(), at: 1)
        #expect(first.rowsWritten == first.rows && first.rows > 8)
        let again = try f.store.saveEngineSnapshot(engine.snapshot(), at: 2)
        #expect(again.rowsWritten == 0 && again.rowsDeleted == 0 && again.rows == first.rows)

        let rowsBefore = try f.store.engineStateRows()
        guard case let .reading(r) = T.inputs[4000...].first(where: { if case let .reading(r) = $0 { r.device == "WM-101" } else { false } })! else { return }
        _ = engine.handle(.reading(r))
        let one = try f.store.saveEngineSnapshot(engine.snapshot(), at: 3)
        let rowsAfter = try f.store.engineStateRows()
        let changed = rowsAfter.filter { !rowsBefore.contains($0) }
        #expect(one.rowsWritten == changed.count)
        #expect(changed.contains { $0.part == "engine" }, "event time moved")
        for row in changed where row.part != "engine" { #expect(row.key == "WM-101", "\(row.part) \(row.key) rewritten") }
        #expect(try Self.canonical(try Self.loaded(f.store)) == (try Self.canonical(engine.snapshot())))
    }

    /// Rows of a device removed by a reload are deleted with the save that no longer has it.
    @Test func rowsOfARemovedDeviceAreDeleted() throws {
        let f = try StoreFixture()
        var engine = DetectionEngine(config: T.config)
        _ = T.run(T.inputs[..<4000], &engine)
        try f.store.saveEngineSnapshot(engine.snapshot(), at: 1)
        #expect(try f.store.engineStateRows().contains { $0.key == "CH-1" })
        var smaller = T.config
        smaller.devices.removeAll { $0.id == "CH-1" }
        let reloaded = engine.reconfigured(smaller)
        let w = try f.store.saveEngineSnapshot(reloaded.snapshot(), at: 2)
        #expect(w.rowsDeleted > 0)
        #expect(try !f.store.engineStateRows().contains { $0.key == "CH-1" })
        #expect(try Self.canonical(try Self.loaded(f.store)) == (try Self.canonical(reloaded.snapshot())))
    }

    /// A damaged or foreign row is reported, never a crash, and never half a snapshot.
    @Test func badRowsAreReportedNotFatal() throws {
        var engine = DetectionEngine(config: T.config)
        _ = T.run(T.inputs[..<4000], &engine)
        let edits: [(String, String, String)] = [
            ("engine", "", #"{"version":999}"#),
            ("engine", "", "{not json"),
            ("engine", "", "garbage"),
            ("rule:device_offline", "WM-101", "{\"lastSeen\":"),
            ("seen", "SD-1", "\"yesterday\""),
            ("elsewhere", "x", "1"),
        ]
        for (part, key, value) in edits {
            let f = try StoreFixture()
            try f.store.saveEngineSnapshot(engine.snapshot(), at: 1)
            try f.store.withConnection { db in
                _ = try db.run("INSERT INTO engine_state (part, key, value) VALUES (?, ?, ?) ON CONFLICT (part, key) DO UPDATE SET value = excluded.value", [part, key, value])
            }
            guard case let .unreadable(reason) = f.store.loadEngineSnapshot() else { Issue.record("\(part) '\(value)' was accepted"); continue }
            #expect(!reason.isEmpty)
        }
    }

    /// A database of schema v2 holds its snapshot in one `kv` row: migrated to v4 it loads
    /// the same snapshot from there, and the first save moves it into rows and deletes the
    /// old row; a damaged old row is reported, as before.
    @Test func aSchemaV2SnapshotRowIsMigrated() throws {
        var engine = DetectionEngine(config: T.config)
        _ = T.run(T.inputs[..<6000], &engine)
        let snap = engine.snapshot()
        let legacy = try Store.encodeEngineSnapshot(snap)
        for text in [legacy, "rentguard-engine-snapshot 1\n{not json"] {
            let dir = try TemporaryDirectory()
            do {
                // The schema as a v2 build left it, with the snapshot in its kv row.
                let db = try SQLiteConnection(path: dir.databasePath)
                for m in Migrations.all where m.version <= 2 { try db.execute(m.sql) }
                try db.execute("PRAGMA user_version = 2")
                _ = try db.run("INSERT INTO kv (key, value, updated_at) VALUES ('engine.snapshot', ?, 1)", [text])
                db.close()
            }
            let store = try Store(path: dir.databasePath)
            defer { store.close() }
            #expect(try store.withConnection { try Migrations.userVersion($0) } == Store.schemaVersion)
            #expect(try store.engineStateRows().isEmpty)
            if text != legacy {
                guard case .unreadable = store.loadEngineSnapshot() else { Issue.record("a damaged v2 row was accepted"); continue }
                continue
            }
            #expect(try Self.canonical(try Self.loaded(store)) == legacy)
            try store.saveEngineSnapshot(try Self.loaded(store), at: 2)
            #expect(try store.value(forKey: "engine.snapshot") == nil, "the v2 row is gone")
            #expect(try !store.engineStateRows().isEmpty)
            #expect(try Self.canonical(try Self.loaded(store)) == legacy)
        }
    }
}
