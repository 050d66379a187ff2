import RentGuardCore
import Testing

@testable import RentGuardStore

/// A row due now is never held back by an earlier row of its alarm that waits for a
/// landlord's quiet hours.
struct OutboxReleaseTests {
    typealias M = Fixtures

    @Test func anUrgentRowReleasesTheHeldRowsOfItsOrderKey() throws {
        let f = try StoreFixture()
        var held = M.message("pre-alarm", destination: "landlord:wang:0", kind: "alarms", priority: 50, orderKey: "A", createdAt: 1000)
        held.notBefore = 50_000
        let other = {
            var m = M.message("other-held", destination: "landlord:wang:0", kind: "alarms", priority: 60, orderKey: "B", createdAt: 1000)
            m.notBefore = 50_000
            return m
        }()
        try f.store.enqueue([held, other])
        #expect(try f.store.dueOutbox(destination: "landlord:wang:0", now: 2000, limit: 10).isEmpty)
        // The same alarm escalates to major smoke: due now, so the held pre-alarm goes with it, first.
        try f.store.enqueue([M.message("escalated", destination: "landlord:wang:0", kind: "alarms", priority: 80, orderKey: "A", createdAt: 2000)])
        #expect(try f.store.dueOutbox(destination: "landlord:wang:0", now: 2000, limit: 10).map(\.messageID) == ["pre-alarm"])
        #expect(try f.store.nextDueTime(destination: "landlord:wang:0") == 2000)
        // Another alarm's held row keeps waiting.
        let rows = try f.store.outbox(destination: "landlord:wang:0", states: [.pending], limit: 10)
        #expect(rows.first { $0.messageID == "other-held" }?.nextAttemptAt == 50_000)
    }

    @Test func rowsInRetryBackoffAreNotPulledForward() throws {
        let f = try StoreFixture()
        try f.store.enqueue([M.message("X#0", orderKey: "X", createdAt: 0)])
        let x0 = try #require(try f.store.dueOutbox(destination: "registry", now: 0, limit: 1).first)
        try f.store.markRetry(rowID: x0.rowID, error: "timeout", nextAttemptAt: 5000)
        try f.store.enqueue([M.message("X#1", orderKey: "X", createdAt: 100)])
        #expect(try f.store.nextDueTime(destination: "registry") == 5000)
    }
}
