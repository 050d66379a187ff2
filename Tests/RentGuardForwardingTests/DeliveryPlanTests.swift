import Foundation
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Routing of alarm messages to the registry and to landlords.
struct DeliveryPlanTests {
    static func config(minSeverity: Severity = .minor, quietHours: String? = nil) -> BuildingConfig {
        BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b3", name: "3号楼"),
            units: [
                UnitConfig(id: "201", floor: 2, areaM2: 30, registeredOccupants: 2, landlord: "wang"),
                UnitConfig(id: "202", floor: 2, areaM2: 30, registeredOccupants: 2),
            ],
            devices: [DeviceConfig(id: "SD-201", kind: .smokeDetector, unit: "201", location: "201 bedroom")],
            landlords: [LandlordConfig(id: "wang", minSeverity: minSeverity, channels: [.init(type: "mqtt", topic: "l/wang"), .init(type: "webhook", url: "https://x")], quietHours: quietHours)])
    }

    static func transition(_ type: AlarmType, severity: Severity, unit: String?, state: AlarmState = .raised) -> AlarmTransition {
        let key = AlarmKey(type: type, device: "SD-201", unit: unit)
        return AlarmTransition(alarm: Alarm(
            id: Alarm.makeID(building: "b3", key: key, startedAt: 1_700_000_000_000), key: key, state: state, severity: severity,
            location: "201 bedroom", startedAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, evidence: [:]))
    }

    @Test func everyRegistryDestinationGetsTheAlarm() {
        let plan = DeliveryPlan(config: Self.config(), registryDestinations: ["registry-mqtt", "registry-https"])
        let rows = plan.rows(for: Self.transition(.smoke, severity: .major, unit: "202"), createdAt: 1)
        #expect(rows.map(\.destination) == ["registry-mqtt", "registry-https"])
        #expect(Set(rows.map(\.messageID)).count == 1, "one message id, stable across destinations")
        #expect(rows.allSatisfy { $0.kind == "alarms" && $0.orderKey != nil })
    }

    @Test func landlordGetsOwnUnitsAlarmsWithABilingualSummary() throws {
        let plan = DeliveryPlan(config: Self.config(), registryDestinations: ["registry-mqtt"])
        let rows = plan.rows(for: Self.transition(.smoke, severity: .major, unit: "201"), createdAt: 1)
        #expect(rows.map(\.destination) == ["registry-mqtt", "landlord:wang:0", "landlord:wang:1"])
        let body = try JSONParser.parse(rows[1].payload)
        #expect(body["summary"]?.stringValue == "3号楼 2层 201室 烟雾报警 / Smoke alarm, unit 201, floor 2")
        #expect(body["landlord"]?.stringValue == "wang")
        // The registry's copy carries no landlord fields.
        #expect(try JSONParser.parse(rows[0].payload)["summary"] == nil)
    }

    @Test func severityFloorButFireAlwaysGoes() {
        let plan = DeliveryPlan(config: Self.config(minSeverity: .major), registryDestinations: ["r"])
        #expect(plan.rows(for: Self.transition(.batteryLow, severity: .warning, unit: "201"), createdAt: 1).map(\.destination) == ["r"])
        #expect(plan.rows(for: Self.transition(.fire, severity: .critical, unit: "201"), createdAt: 1).count == 3)
    }

    @Test func quietHoursDelayMinorAlarmsNeverFire() throws {
        let utc = LocalTimeZone.utc
        let plan = DeliveryPlan(config: Self.config(minSeverity: .warning, quietHours: "22:00-07:00"), registryDestinations: ["r"], timeZone: utc)
        // 2023-11-14 23:30 UTC.
        let night: Int64 = 1_700_004_600_000
        let minor = plan.rows(for: Self.transition(.batteryLow, severity: .warning, unit: "201"), createdAt: night)
        let end = try #require(minor.last?.notBefore)
        #expect(end == 1_700_031_600_000, "07:00 next morning")
        #expect(minor.first?.notBefore == nil, "the registry is never delayed")
        let fire = plan.rows(for: Self.transition(.fire, severity: .critical, unit: "201"), createdAt: night)
        #expect(fire.allSatisfy { $0.notBefore == nil })
        // Outside quiet hours nothing waits.
        #expect(plan.quietHoursEnd("22:00-07:00", at: 1_699_966_800_000) == nil)  // 13:00
    }
}
