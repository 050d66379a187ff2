import Testing
@testable import RentGuardStore

@Suite("Outbox")
struct OutboxTests {
    typealias M = Fixtures

    @Test func enqueueIgnoresDuplicatesOfMessageAndDestination() throws {
        let f = try StoreFixture()
        try f.store.enqueue([
            M.message("m1", payload: "{\"v\":1}"),
            M.message("m1", payload: "{\"v\":2}"),  // duplicate within the batch
            M.message("m1", destination: "landlord:L1"),  // same message, other destination
        ])
        try f.store.enqueue([M.message("m1", payload: "{\"v\":3}")])  // replayed later
        let rows = try f.store.outbox(destination: nil, states: [], limit: 10)
        #expect(rows.count == 2)
        let registry = try f.store.dueOutbox(destination: "registry", now: 0, limit: 10)
        #expect(registry.map(\.payload) == ["{\"v\":1}"])
        #expect(registry.first?.attempts == 0)
        #expect(registry.first?.state == .pending)
        #expect(registry.first?.nextAttemptAt == 0)
    }

    @Test func enqueueRejectsInvalidRowsAtomically() throws {
        let f = try StoreFixture()
        #expect(throws: SQLiteError.self) {
            try f.store.enqueue([M.message("ok"), M.message("bad", kind: "")])
        }
        #expect(try f.count("outbox") == 0)
    }

    @Test func storedFieldsRoundTrip() throws {
        let f = try StoreFixture()
        let m = NewOutboxMessage(
            messageID: "id-1", destination: "landlord:L1", kind: "landlord_alarm", topic: "landlords/L1/alarms",
            priority: 7, orderKey: "alarm-1", payload: "{\"火\":true}", createdAt: 1234)
        try f.store.enqueue([m])
        let row = try #require(try f.store.dueOutbox(destination: "landlord:L1", now: 1234, limit: 1).first)
        #expect(row.messageID == m.messageID)
        #expect(row.destination == m.destination)
        #expect(row.kind == m.kind)
        #expect(row.topic == m.topic)
        #expect(row.priority == 7)
        #expect(row.orderKey == "alarm-1")
        #expect(row.payload == m.payload)
        #expect(row.createdAt == 1234)
        #expect(row.deliveredAt == nil)
        #expect(row.lastError == nil)
    }

    @Test func dueOrderIsPriorityThenInsertion() throws {
        let f = try StoreFixture()
        try f.store.enqueue([
            M.message("low", priority: 1),
            M.message("high", priority: 10),
            M.message("mid-a", priority: 5),
            M.message("mid-b", priority: 5),
            M.message("other-destination", destination: "elsewhere", priority: 100),
        ])
        let due = try f.store.dueOutbox(destination: "registry", now: 0, limit: 10)
        #expect(due.map(\.messageID) == ["high", "mid-a", "mid-b", "low"])
        #expect(try f.store.dueOutbox(destination: "registry", now: 0, limit: 2).map(\.messageID) == ["high", "mid-a"])
        #expect(try f.store.dueOutbox(destination: "registry", now: 0, limit: 0).isEmpty)
    }

    @Test func rowsOfOneOrderKeyGoOutInInsertionOrder() throws {
        let f = try StoreFixture()
        try f.store.enqueue([
            M.message("X#0", kind: "alarms", priority: 5, orderKey: "X"),
            M.message("other", priority: 1),
            M.message("X#1", kind: "alarms", priority: 10, orderKey: "X"),  // later, but higher priority
            M.message("Y#0", kind: "alarms", priority: 3, orderKey: "Y"),
            M.message("X#0", destination: "landlord:L1", kind: "alarms", priority: 5, orderKey: "X"),
        ])
        #expect(try f.store.dueOutbox(destination: "registry", now: 0, limit: 10).map(\.messageID) == ["X#0", "Y#0", "other"])

        let x0 = try #require(try f.store.dueOutbox(destination: "registry", now: 0, limit: 1).first)
        try f.store.markDelivered(rowIDs: [x0.rowID], at: 10)
        #expect(try f.store.dueOutbox(destination: "registry", now: 0, limit: 10).map(\.messageID) == ["X#1", "Y#0", "other"])
        // Another destination's rows of the same key are independent.
        #expect(try f.store.dueOutbox(destination: "landlord:L1", now: 0, limit: 10).map(\.messageID) == ["X#0"])
    }

    @Test func anEarlierRowInBackoffHoldsBackItsSuccessors() throws {
        let f = try StoreFixture()
        try f.store.enqueue([
            M.message("X#0", priority: 5, orderKey: "X", createdAt: 0),
            M.message("X#1", priority: 10, orderKey: "X", createdAt: 50),
        ])
        let x0 = try #require(try f.store.dueOutbox(destination: "registry", now: 100, limit: 10).first)
        #expect(x0.messageID == "X#0")
        try f.store.markRetry(rowID: x0.rowID, error: "timeout", nextAttemptAt: 500)
        #expect(try f.store.dueOutbox(destination: "registry", now: 100, limit: 10).isEmpty)
        // X#1 is held back, so the next due time is X#0's, not X#1's (which is already past).
        #expect(try f.store.nextDueTime(destination: "registry") == 500)
        #expect(try f.store.dueOutbox(destination: "registry", now: 500, limit: 10).map(\.messageID) == ["X#0"])

        // A dead row no longer holds back the rows after it.
        try f.store.markDead(rowID: x0.rowID, error: "HTTP 400", at: 600)
        #expect(try f.store.dueOutbox(destination: "registry", now: 600, limit: 10).map(\.messageID) == ["X#1"])
    }

    @Test func nextAttemptTimeIsRespected() throws {
        let f = try StoreFixture()
        #expect(try f.store.nextDueTime(destination: "registry") == nil)
        try f.store.enqueue([M.message("a", createdAt: 1000), M.message("b", createdAt: 1500)])
        #expect(try f.store.nextDueTime(destination: "registry") == 1000)
        #expect(try f.store.dueOutbox(destination: "registry", now: 999, limit: 10).isEmpty)
        #expect(try f.store.dueOutbox(destination: "registry", now: 1000, limit: 10).map(\.messageID) == ["a"])

        let a = try #require(try f.store.dueOutbox(destination: "registry", now: 1000, limit: 1).first)
        try f.store.markRetry(rowID: a.rowID, error: "connection refused", nextAttemptAt: 2000)
        try f.store.markRetry(rowID: a.rowID, error: "HTTP 503", nextAttemptAt: 4000)
        #expect(try f.store.nextDueTime(destination: "registry") == 1500)
        #expect(try f.store.dueOutbox(destination: "registry", now: 3999, limit: 10).map(\.messageID) == ["b"])
        let retried = try #require(try f.store.dueOutbox(destination: "registry", now: 4000, limit: 10).first { $0.messageID == "a" })
        #expect(retried.attempts == 2)
        #expect(retried.lastError == "HTTP 503")
        #expect(retried.nextAttemptAt == 4000)
    }

    @Test func deliveredDeadAndStats() throws {
        let f = try StoreFixture()
        let empty = try f.store.outboxStats(destination: "registry")
        #expect(empty == OutboxStats(pending: 0, dead: 0, delivered: 0, oldestPendingCreatedAt: nil, lastDeliveredAt: nil))

        try f.store.enqueue((0..<5).map { M.message("m\($0)", createdAt: Int64(100 + $0)) })
        try f.store.enqueue([M.message("elsewhere", destination: "other", createdAt: 1)])
        let rows = try f.store.dueOutbox(destination: "registry", now: 1000, limit: 10)
        #expect(rows.count == 5)

        try f.store.markDelivered(rowIDs: [rows[0].rowID, rows[1].rowID], at: 2000)
        try f.store.markDelivered(rowIDs: [rows[0].rowID], at: 9999)  // already delivered: keeps its time
        try f.store.markDead(rowID: rows[2].rowID, error: "HTTP 422 schema", at: 2100)
        try f.store.markRetry(rowID: rows[2].rowID, error: "late", nextAttemptAt: 0)  // not pending: ignored

        let stats = try f.store.outboxStats(destination: "registry")
        #expect(stats == OutboxStats(pending: 2, dead: 1, delivered: 2, oldestPendingCreatedAt: 103, lastDeliveredAt: 2000))

        let dead = try f.store.outbox(destination: "registry", states: [.dead], limit: 10)
        #expect(dead.count == 1)
        #expect(dead[0].messageID == "m2")
        #expect(dead[0].state == .dead)
        #expect(dead[0].lastError == "HTTP 422 schema")
        #expect(dead[0].attempts == 1)
        #expect(dead[0].deadAt == 2100)

        let delivered = try f.store.outbox(destination: "registry", states: [.delivered], limit: 10)
        #expect(delivered.map(\.messageID) == ["m1", "m0"])  // newest first
        #expect(delivered.allSatisfy { $0.deliveredAt == 2000 && $0.state == .delivered })

        #expect(try f.store.outbox(destination: "registry", states: [], limit: 10).count == 5)
        #expect(try f.store.outbox(destination: nil, states: [.pending], limit: 10).count == 3)
        #expect(try f.store.outbox(destination: nil, states: [.pending, .dead], limit: 2).map(\.messageID) == ["elsewhere", "m4"])
        #expect(try f.store.dueOutbox(destination: "registry", now: 1000, limit: 10).map(\.messageID) == ["m3", "m4"])
    }

    @Test func evictionDropsLowestPriorityOldestFirstAndNeverAlarms() throws {
        let f = try StoreFixture()
        let kb = String(repeating: "x", count: 1000)
        try f.store.enqueue([
            M.message("alarm-old", kind: "alarms", priority: 0, payload: kb),
            M.message("occ-low-1", kind: "occupancy", priority: 1, payload: kb),
            M.message("hb-mid", kind: "heartbeat", priority: 5, payload: kb),
            M.message("occ-low-2", kind: "occupancy", priority: 1, payload: kb),
            M.message("dev-high", kind: "devices", priority: 9, payload: kb),
            M.message("alarm-new", kind: "alarms", priority: 0, payload: kb),
        ])
        #expect(try f.store.evictOutbox(maxBytes: 6000) == 0)
        #expect(try f.store.evictOutbox(maxBytes: 4500) == 2)
        var left = Set(try f.store.outbox(destination: nil, states: [], limit: 100).map(\.messageID))
        #expect(left == ["alarm-old", "hb-mid", "dev-high", "alarm-new"])

        #expect(try f.store.evictOutbox(maxBytes: 3000) == 1)
        left = Set(try f.store.outbox(destination: nil, states: [], limit: 100).map(\.messageID))
        #expect(left == ["alarm-old", "dev-high", "alarm-new"])

        // Even a budget the alarms alone exceed leaves every alarm in place.
        #expect(try f.store.evictOutbox(maxBytes: 0) == 1)
        left = Set(try f.store.outbox(destination: nil, states: [], limit: 100).map(\.messageID))
        #expect(left == ["alarm-old", "alarm-new"])
        #expect(try f.store.evictOutbox(maxBytes: 0) == 0)
    }

    @Test func evictionCountsBytesNotCharactersAndSkipsNonPending() throws {
        let f = try StoreFixture()
        let wide = String(repeating: "火", count: 100)  // 300 bytes of UTF-8
        try f.store.enqueue([
            M.message("done", priority: 0, payload: wide),
            M.message("keep", priority: 5, payload: wide),
            M.message("drop", priority: 1, payload: wide),
        ])
        let done = try #require(try f.store.dueOutbox(destination: "registry", now: 0, limit: 10).first { $0.messageID == "done" })
        try f.store.markDelivered(rowIDs: [done.rowID], at: 1)
        #expect(try f.store.evictOutbox(maxBytes: 700, protectedKinds: []) == 1)
        #expect(Set(try f.store.outbox(destination: nil, states: [], limit: 10).map(\.messageID)) == ["done", "keep"])
    }

    @Test func pruneDeliveredRemovesOnlyOldDeliveredRows() throws {
        let f = try StoreFixture()
        try f.store.enqueue((0..<4).map { M.message("m\($0)") })
        let rows = try f.store.dueOutbox(destination: "registry", now: 0, limit: 10)
        try f.store.markDelivered(rowIDs: [rows[0].rowID], at: 100)
        try f.store.markDelivered(rowIDs: [rows[1].rowID], at: 300)
        try f.store.markDead(rowID: rows[2].rowID, error: "rejected", at: 50)
        #expect(try f.store.pruneDelivered(olderThan: 200) == 1)
        #expect(try f.store.outbox(destination: nil, states: [], limit: 10).map(\.messageID) == ["m3", "m2", "m1"])
    }
}
