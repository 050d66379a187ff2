import Foundation
import RentGuardCore
import RentGuardStore
import Testing

/// The occupancy row (`engine.occupancy`) in a real SQLite file: absent, written and read
/// back, or unusable with a reason (never a crash; the daemon logs the reason and relearns).
struct OccupancySnapshotRowStoreTests {
    @Test func anAbsentRowIsNil() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.url.appendingPathComponent("rentguard.db").path)
        defer { store.close() }
        #expect(store.loadOccupancySnapshot() == nil)
    }

    @Test func anUnreadableRowSaysWhy() throws {
        let dir = try TemporaryDirectory()
        let store = try Store(path: dir.url.appendingPathComponent("rentguard.db").path)
        defer { store.close() }
        let cases: [(String, String)] = [
            ("not a snapshot", "unknown header"),
            ("rentguard-occupancy-snapshot 7\n{}", "unknown header"),
            ("rentguard-occupancy-snapshot 1\n{\"version\": ", "cannot decode"),
            ("rentguard-occupancy-snapshot 1\n{\"version\": 99}", "version 99"),
        ]
        for (text, reason) in cases {
            try store.setValue(text, forKey: "engine.occupancy", at: 1)
            let o = try #require(store.loadOccupancySnapshot())
            #expect(o.state == nil, "\(text.prefix(40))")
            #expect(o.unreadable?.contains(reason) == true, "\(text.prefix(40)): \(o.unreadable ?? "nil")")
        }
    }
}
