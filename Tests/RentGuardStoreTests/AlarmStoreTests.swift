import RentGuardCore
import Testing
@testable import RentGuardStore

@Suite("Alarms")
struct AlarmStoreTests {
    @Test func transitionRoundTripsTheFullAlarm() throws {
        let f = try StoreFixture()
        let t = AlarmTransition(alarm: Fixtures.alarm())
        try f.store.recordAlarmTransition(t, outbox: Fixtures.outbox(for: t, destinations: ["registry", "landlord:L1"]))

        let restored = try #require(try f.store.alarm(id: t.alarm.id))
        #expect(restored == t.alarm)
        #expect(restored.evidence == Fixtures.evidence)
        #expect(restored.actions == Fixtures.actions)
        #expect(try f.store.activeAlarms() == [t.alarm])
        #expect(try f.count("alarm_transitions") == 1)
        #expect(try f.count("outbox", where: "kind = 'alarms' AND order_key = '\(t.alarm.id)'") == 2)
        #expect(try f.store.alarm(id: "nope") == nil)
    }

    @Test func unitKeyedAlarmWithoutOptionalFields() throws {
        let f = try StoreFixture()
        var alarm = Fixtures.alarm(
            id: "B1:group_rental_suspected:u:101:5", key: AlarmKey(type: .groupRentalSuspected, unit: "101"),
            severity: .warning, actions: [])
        alarm.location = nil
        alarm.evidence = .object([])
        try f.store.recordAlarmTransition(AlarmTransition(alarm: alarm), outbox: [])
        #expect(try f.store.alarm(id: alarm.id) == alarm)

        // An alarm type this build does not name is kept as it is.
        let other = Fixtures.alarm(id: "x", key: AlarmKey(type: AlarmType("future_type"), device: "D", port: 2))
        try f.store.recordAlarmTransition(AlarmTransition(alarm: other), outbox: [])
        #expect(try f.store.alarm(id: "x")?.key == AlarmKey(type: AlarmType("future_type"), device: "D", port: 2))
    }

    @Test func clearedAlarmIsNoLongerActive() throws {
        let f = try StoreFixture()
        let raised = Fixtures.alarm(sequence: 0, updatedAt: 1000)
        var cleared = raised
        cleared.state = .cleared
        cleared.sequence = 1
        cleared.updatedAt = 2000
        try f.store.recordAlarmTransition(AlarmTransition(alarm: raised), outbox: [])
        #expect(try f.store.activeAlarms().count == 1)
        try f.store.recordAlarmTransition(AlarmTransition(alarm: cleared), outbox: [])
        #expect(try f.store.activeAlarms().isEmpty)
        #expect(try f.store.alarms(activeOnly: false, limit: 10) == [cleared])
        #expect(try f.store.alarms(activeOnly: true, limit: 10).isEmpty)
        #expect(try f.count("alarm_transitions", where: "alarm_id = '\(raised.id)'") == 2)
        #expect(try f.count("alarms", where: "active = 0") == 1)
    }

    @Test func replayingATransitionIsIdempotent() throws {
        let f = try StoreFixture()
        let first = AlarmTransition(alarm: Fixtures.alarm(sequence: 0, updatedAt: 1000))
        var escalatedAlarm = Fixtures.alarm(state: .escalated, severity: .critical, sequence: 1, updatedAt: 2000)
        escalatedAlarm.key = first.alarm.key
        let second = AlarmTransition(alarm: escalatedAlarm)
        let firstOutbox = Fixtures.outbox(for: first, destinations: ["registry"])
        let secondOutbox = Fixtures.outbox(for: second, destinations: ["registry"])

        try f.store.recordAlarmTransition(first, outbox: firstOutbox)
        try f.store.recordAlarmTransition(first, outbox: firstOutbox)
        #expect(try f.count("alarm_transitions") == 1)
        #expect(try f.count("outbox") == 1)

        try f.store.recordAlarmTransition(second, outbox: secondOutbox)
        try f.store.recordAlarmTransition(second, outbox: secondOutbox)
        // Replaying the older transition after the newer one does not roll the alarm back.
        try f.store.recordAlarmTransition(first, outbox: firstOutbox)
        #expect(try f.count("alarm_transitions") == 2)
        #expect(try f.count("outbox") == 2)
        #expect(try f.store.alarm(id: first.alarm.id) == second.alarm)
    }

    @Test func failingOutboxInsertRollsBackTheAlarm() throws {
        let f = try StoreFixture()
        let t = AlarmTransition(alarm: Fixtures.alarm())
        var outbox = Fixtures.outbox(for: t, destinations: ["registry", "landlord:L1"])
        outbox[1].messageID = ""  // violates the outbox's CHECK constraint, after the alarm row was written

        let error = try #require(throws: SQLiteError.self) { try f.store.recordAlarmTransition(t, outbox: outbox) }
        #expect(error.isConstraintViolation)
        #expect(error.message.contains("CHECK constraint failed"))
        #expect(error.sql?.contains("INSERT INTO outbox") == true)

        #expect(try f.store.alarm(id: t.alarm.id) == nil)
        #expect(try f.count("alarms") == 0)
        #expect(try f.count("alarm_transitions") == 0)
        #expect(try f.count("outbox") == 0)

        // The store is usable afterwards (no transaction left open).
        try f.store.recordAlarmTransition(t, outbox: Fixtures.outbox(for: t, destinations: ["registry"]))
        #expect(try f.store.alarm(id: t.alarm.id) == t.alarm)
    }

    @Test func failureKeepsThePreviousAlarmState() throws {
        let f = try StoreFixture()
        let raised = Fixtures.alarm(sequence: 0, updatedAt: 1000)
        try f.store.recordAlarmTransition(AlarmTransition(alarm: raised), outbox: [])
        var cleared = raised
        cleared.state = .cleared
        cleared.sequence = 1
        let bad = Fixtures.message("m", destination: "")
        #expect(throws: SQLiteError.self) {
            try f.store.recordAlarmTransition(AlarmTransition(alarm: cleared), outbox: [bad])
        }
        #expect(try f.store.activeAlarms() == [raised])
        #expect(try f.count("alarm_transitions") == 1)
    }

    @Test func alarmsListNewestUpdatedFirstWithLimit() throws {
        let f = try StoreFixture()
        for (i, updatedAt) in [3000, 1000, 2000].enumerated() {
            var a = Fixtures.alarm(id: "a\(i)", updatedAt: Int64(updatedAt))
            if i == 2 { a.state = .cleared }
            try f.store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: [])
        }
        #expect(try f.store.alarms(activeOnly: false, limit: 10).map(\.id) == ["a0", "a2", "a1"])
        #expect(try f.store.alarms(activeOnly: false, limit: 2).map(\.id) == ["a0", "a2"])
        #expect(try f.store.alarms(activeOnly: true, limit: 10).map(\.id) == ["a0", "a1"])
        #expect(try f.store.alarms(activeOnly: false, limit: 0).isEmpty)
    }

    @Test func actionsDecodeFromTheirJSON() throws {
        let json = JSONValue.array(Fixtures.actions.map(\.json))
        #expect(try Store.decodeActions(json) == Fixtures.actions)
        #expect(throws: (any Error).self) { try Store.decodeActions(["not an object"]) }
        #expect(throws: (any Error).self) {
            try Store.decodeActions([["cmd": "x", "device": "d", "at": 1, "result": "exploded"]])
        }
    }
}
