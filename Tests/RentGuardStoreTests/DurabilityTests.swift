import Foundation
import RentGuardCore
import Testing
@testable import RentGuardStore

@Suite("Durability and concurrency")
struct DurabilityTests {
    /// What a process killed right after a commit leaves on disk is the database file and its
    /// write-ahead log, without a checkpoint or a clean close. Copying both while the store is
    /// still open and opening the copy is that situation, deterministically.
    @Test func committedDataSurvivesAProcessDyingWithoutCheckpoint() throws {
        let f = try StoreFixture()
        let t = AlarmTransition(alarm: Fixtures.alarm())
        try f.store.recordAlarmTransition(t, outbox: Fixtures.outbox(for: t, destinations: ["registry"]))
        try f.store.setValue("after", forKey: "k", at: 1)

        let source = f.directory.databasePath
        let walSize = Store.fileSize(source + "-wal")
        #expect(walSize > 0, "the commit should still be in the WAL")

        let crashDir = try TemporaryDirectory()
        let copy = crashDir.databasePath
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        try FileManager.default.copyItem(atPath: source + "-wal", toPath: copy + "-wal")

        let recovered = try Store(path: copy)
        defer { recovered.close() }
        #expect(try recovered.alarm(id: t.alarm.id) == t.alarm)
        #expect(try recovered.activeAlarms() == [t.alarm])
        #expect(try recovered.dueOutbox(destination: "registry", now: .max, limit: 10).map(\.messageID) == [t.messageID])
        #expect(try recovered.value(forKey: "k") == "after")
    }

    @Test func checkpointTruncatesTheWALAndSizeIsReported() throws {
        let f = try StoreFixture()
        try f.store.enqueue((0..<50).map { Fixtures.message("m\($0)", payload: String(repeating: "p", count: 500)) })
        let before = f.store.databaseSizeBytes()
        #expect(before > 25_000)
        #expect(Store.fileSize(f.directory.databasePath + "-wal") > 0)
        try f.store.checkpoint()
        #expect(Store.fileSize(f.directory.databasePath + "-wal") == 0)
        #expect(f.store.databaseSizeBytes() == Store.fileSize(f.directory.databasePath))
        #expect(try f.store.outbox(destination: nil, states: [], limit: 100).count == 50)
    }

    @Test func concurrentCallersAreSerialised() async throws {
        let f = try StoreFixture()
        let store = f.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<25 {
                        try store.enqueue([Fixtures.message("w\(worker)-\(i)", priority: i % 3)])
                        _ = try store.outboxStats(destination: "registry")
                        _ = try store.dueOutbox(destination: "registry", now: 0, limit: 5)
                    }
                    var agg = ReadingAggregator(bucketMs: 1000)
                    agg.add(device: "PM-1", field: "power_w", value: Double(worker), ts: 0)
                    try store.writeAggregates(agg.drain())
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.outboxStats(destination: "registry").pending == 200)
        let bucket = try #require(try store.aggregates(device: "PM-1", field: "power_w", from: 0, to: 1).first)
        #expect(bucket.count == 8)
        #expect(bucket.sum == 28)
    }
}
