import RentGuardCore
import Testing
@testable import RentGuardStore

@Suite("Active alarm queries")
struct ActiveAlarmQueryTests {
    /// Exact counts and severity-first order however many alarms there are (the gauge used
    /// to count the 10,000 most recently updated).
    @Test func activeCountsAreExactAndTheMostSevereComeFirst() throws {
        let f = try StoreFixture()
        try f.store.withConnection { db in
            try db.execute("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10500)
                INSERT INTO alarms SELECT 'w' || i, 'unregistered_device', 'G' || i, NULL, NULL, 'warning', 'raised', NULL,
                    2000 + i, 2000 + i, '{}', '[]', 0, 1, NULL FROM n;
                """)
        }
        try f.store.recordAlarmTransition(AlarmTransition(alarm: Fixtures.alarm(id: "fire-1", key: AlarmKey(type: .fire, unit: "101"), severity: .critical, updatedAt: 1)), outbox: [])
        try f.store.recordAlarmTransition(AlarmTransition(alarm: Fixtures.alarm(id: "co-1", key: AlarmKey(type: .co, device: "SD-1"), severity: .major, updatedAt: 2)), outbox: [])
        try f.store.recordAlarmTransition(AlarmTransition(alarm: Fixtures.alarm(id: "old", key: AlarmKey(type: .smoke, device: "SD-2"), state: .cleared, severity: .critical, updatedAt: 3)), outbox: [])
        #expect(try f.store.activeAlarmCounts() == [.critical: 1, .major: 1, .minor: 0, .warning: 10500])
        #expect(try f.store.alarms(activeOnly: true, limit: 3).map(\.id) == ["fire-1", "co-1", "w10500"])
        // All alarms: most recently updated first, as before.
        #expect(try f.store.alarms(activeOnly: false, limit: 1).map(\.id) == ["w10500"])
    }
}
