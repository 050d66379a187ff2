import RentGuardCore
import Testing
@testable import RentGuardStore

/// Incidents in a real SQLite file: the member alarms keep their `incident_id`, the
/// incident's members come back together, and parked landlord clears are released with the
/// incident's end in the same transaction.
struct IncidentStoreTests {
    @Test func incidentMembersComeBackWithTheirIncidentAndTransitions() throws {
        let f = try StoreFixture()
        var first = Fixtures.alarm(id: "B1:smoke:SD-1:1", key: AlarmKey(type: .smoke, device: "SD-1", unit: "101"))
        first.incidentID = "inc:B1:smoke:SD-1:1"
        var second = Fixtures.alarm(id: "B1:heat:SD-1:2", key: AlarmKey(type: .heat, device: "SD-1", unit: "101"))
        second.incidentID = first.incidentID
        let other = Fixtures.alarm(id: "B1:battery_low:SD-9:3", key: AlarmKey(type: .batteryLow, device: "SD-9", unit: "102"))  // no incident: its own
        for a in [first, second, other] { try f.store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: []) }
        var cleared = second
        cleared.state = .cleared
        cleared.sequence = 1
        cleared.updatedAt += 5000
        try f.store.recordAlarmTransition(AlarmTransition(alarm: cleared), outbox: [])

        #expect(try f.store.activeAlarms().first { $0.id == first.id }?.incidentID == first.incidentID)
        let members = try f.store.incidentMembers(id: "inc:B1:smoke:SD-1:1")
        #expect(Set(members.map(\.alarm.id)) == [first.id, second.id])  // same start: by id
        #expect(members.first { $0.alarm.id == second.id }?.transitions.map(\.state) == [.raised, .cleared])
        #expect(try f.store.incidentMembers(id: "inc:B1:battery_low:SD-9:3").map(\.alarm.id) == [other.id])
        #expect(try f.store.incidentMembers(id: "inc:nothing").isEmpty)
        let active = try f.store.incidentMembers(activeOnly: true, limit: 10)
        #expect(Set(active.map(\.alarm.id)) == [first.id, second.id, other.id])
        #expect(try f.store.incidentMembers(activeOnly: false, limit: 1).count >= 1)
    }

    @Test func parkedRowsOfTheIncidentAreReleasedWithItsEnd() throws {
        let f = try StoreFixture()
        let parked = NewOutboxMessage(
            messageID: "m1", destination: "landlord:wang:0", kind: "alarms", priority: 80, orderKey: nil,
            payload: #"{"incident_id":"inc:A","incident_update":true}"#, createdAt: 1000, notBefore: OutboxRelease.parked)
        let otherIncident = NewOutboxMessage(
            messageID: "m2", destination: "landlord:wang:0", kind: "alarms", priority: 80, orderKey: nil,
            payload: #"{"incident_id":"inc:B","incident_update":true}"#, createdAt: 1000, notBefore: OutboxRelease.parked)
        var a = Fixtures.alarm(id: "B1:smoke:SD-1:1")
        a.incidentID = "inc:A"
        try f.store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: [parked, otherIncident])
        #expect(try f.store.dueOutbox(destination: "landlord:wang:0", now: 10_000_000, limit: 10).isEmpty)
        a.state = .cleared
        a.sequence = 1
        try f.store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: [], releasing: [OutboxRelease(destination: "landlord:wang:0", incidentID: "inc:A", at: 61_000)])
        #expect(try f.store.dueOutbox(destination: "landlord:wang:0", now: 60_999, limit: 10).isEmpty)
        #expect(try f.store.dueOutbox(destination: "landlord:wang:0", now: 61_000, limit: 10).map(\.messageID) == ["m1"])
    }
}
