import Foundation
import Logging
import RentGuardCore
import Testing
@testable import RentGuardStore

/// Opening a damaged database file (real SQLite files, damaged on disk).
@Suite("Recovery")
struct RecoveryTests {
    /// A database with some content, closed (checkpointed into the main file).
    static func populatedDatabase(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.databasePath
        let store = try Store(path: path)
        for i in 0..<200 {
            let a = Fixtures.alarm(id: "B1:smoke:SD-\(i):1", key: AlarmKey(type: .smoke, device: "SD-\(i)"), updatedAt: 1_700_000_000_000 + Int64(i))
            try store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: Fixtures.outbox(for: AlarmTransition(alarm: a), destinations: ["registry"]))
        }
        store.close()
        return path
    }

    static func overwrite(_ path: String, at offset: UInt64, bytes: Int) throws {
        let h = try #require(FileHandle(forWritingAtPath: path))
        var rng = SystemRandomNumberGenerator()
        try h.seek(toOffset: offset)
        try h.write(contentsOf: Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        try h.close()
    }

    @Test func garbageInTheMiddleIsFoundAtOpenAndTheFileIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.populatedDatabase(dir)
        let size = Store.fileSize(path)
        try #require(size > 4096 + 65536)
        try Self.overwrite(path, at: 4096, bytes: 65536)
        #expect(throws: StoreError.self) { try Store(path: path) }

        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let store = try Store.openRecovering(path: path, logger: Logger(label: "test"), now: now)
        defer { store.close() }
        let q = try #require(store.quarantined)
        #expect(q.movedTo == path + ".corrupt-20270115T080000Z")
        #expect(q.sizeBytes == size)
        #expect(q.reason.hasPrefix("quick_check:"), "\(q.reason)")
        #expect(Store.fileSize(q.movedTo) == size)
        // A fresh, working database in its place.
        #expect(try store.activeAlarms().isEmpty)
        try store.recordAlarmTransition(AlarmTransition(alarm: Fixtures.alarm()), outbox: [])
        #expect(try store.activeAlarms().count == 1)
        // A second damaged file the same second does not overwrite the first.
        store.close()
        try Self.overwrite(path, at: 0, bytes: 100)
        let again = try Store.openRecovering(path: path, logger: Logger(label: "test"), now: now)
        defer { again.close() }
        #expect(again.quarantined?.movedTo == path + ".corrupt-20270115T080000Z-2")
    }

    @Test func aFileThatIsNotADatabaseIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dir.databasePath))
        let store = try Store.openRecovering(path: dir.databasePath, logger: Logger(label: "test"))
        defer { store.close() }
        #expect(store.quarantined != nil)
        #expect(try store.activeAlarms().isEmpty)
    }

    @Test func aHealthyDatabaseIsOpenedAsItIs() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.populatedDatabase(dir)
        let store = try Store.openRecovering(path: path, logger: Logger(label: "test"))
        defer { store.close() }
        #expect(store.quarantined == nil)
        #expect(try store.activeAlarms().count == 200)
    }
}
