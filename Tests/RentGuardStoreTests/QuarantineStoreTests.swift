import Testing
@testable import RentGuardStore

/// Messages set aside by the poison-message guard, in a real SQLite file.
struct QuarantineStoreTests {
    @Test func aSetAsideMessageIsKeptWholeAndSurvivesAReopen() throws {
        let dir = try TemporaryDirectory()
        let payload: [UInt8] = Array(#"{"note":"x"}"#.utf8) + [0, 0xFF, 0xC3]  // not text: kept as bytes
        do {
            let store = try Store(path: dir.databasePath)
            try store.quarantine(.init(messageID: "0123456789abcdef", topic: "shellies/x/relay/1", payload: payload, setAsideAt: 1_790_000_000_000, reason: "stopped twice"))
            try store.quarantine(.init(messageID: "fedcba9876543210", topic: "rg/b/SD-1/telemetry", payload: [], setAsideAt: 1_790_000_000_001, reason: "stopped twice"))
            store.close()
        }
        let store = try Store(path: dir.databasePath)
        defer { store.close() }
        let kept = try store.quarantinedMessages()
        #expect(kept.map(\.messageID) == ["0123456789abcdef", "fedcba9876543210"])
        #expect(kept[0].payload == payload)
        #expect(kept[0].topic == "shellies/x/relay/1")
        #expect(kept[0].setAsideAt == 1_790_000_000_000)
        #expect(kept[1].payload.isEmpty)
        #expect(try store.quarantinedMessages(limit: 1).count == 1)
    }
}
