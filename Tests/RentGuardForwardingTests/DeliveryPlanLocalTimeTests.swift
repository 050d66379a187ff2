import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Landlords' quiet hours are in the gateway's local time, and never hold a life-safety alarm.
struct DeliveryPlanLocalTimeTests {
    static let hour: Int64 = 3_600_000
    /// 2026-06-01 09:23 in China, 01:23 UTC: the example.
    static let morning: Int64 = 1_780_276_980_000
    /// 2026-06-01 23:00 in China.
    static let night: Int64 = 1_780_326_000_000
    /// 2026-06-02 07:00 in China: the end of "22:30-07:00" that night.
    static let nightEnd: Int64 = 1_780_354_800_000

    static func plan(minSeverity: Severity = .minor, quietHours: String? = "22:30-07:00", zone: LocalTimeZone = .chinaStandardTime) -> DeliveryPlan {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "demo", name: "Demo", zone: zone),
            units: [UnitConfig(id: "102", floor: 1, areaM2: 14, completeFlat: false, registeredOccupants: 1, landlord: "wang")],
            devices: [DeviceConfig(id: "SD-102-1", kind: .smokeDetector, unit: "102", location: "102")],
            landlords: [LandlordConfig(id: "wang", minSeverity: minSeverity, channels: [.init(type: "mqtt", topic: "landlords/wang/alarms")], quietHours: quietHours)])
        return DeliveryPlan(config: config, registryDestinations: ["registry-mqtt"])
    }

    static func landlordRow(_ plan: DeliveryPlan, _ type: AlarmType, _ severity: Severity, at: Int64, state: AlarmState = .raised) -> NewOutboxMessage? {
        let key = AlarmKey(type: type, device: "SD-102-1", unit: "102")
        let t = AlarmTransition(alarm: Alarm(
            id: Alarm.makeID(building: "demo", key: key, startedAt: at), key: key, state: state, severity: severity,
            location: "102", startedAt: at, updatedAt: at, evidence: [:]))
        let rows = plan.rows(for: t, createdAt: at)
        #expect(rows.first?.destination == "registry-mqtt")
        #expect(rows.first?.notBefore == nil, "the registry is never delayed")
        return rows.first { $0.destination == "landlord:wang:0" }
    }

    @Test func quietHoursAreInLocalTimeNotUTC() throws {
        let plan = Self.plan()
        // 09:23 local (01:23 UTC, which is inside 22:30-07:00 in UTC): nothing waits.
        #expect(plan.quietHoursEnd("22:30-07:00", at: Self.morning) == nil)
        let battery = try #require(Self.landlordRow(plan, .batteryLow, .minor, at: Self.morning))
        #expect(battery.notBefore == nil)
        // 23:00 local: held until 07:00 local the next morning.
        #expect(plan.quietHoursEnd("22:30-07:00", at: Self.night) == Self.nightEnd)
        // 01:00 local, after midnight: the same morning's 07:00.
        #expect(plan.quietHoursEnd("22:30-07:00", at: Self.night + 2 * Self.hour) == Self.nightEnd)
        // A window that does not wrap midnight.
        let midnight = Self.morning - (9 * 60 + 23) * 60_000
        #expect(plan.quietHoursEnd("12:00-14:00", at: midnight + 12 * Self.hour + 23 * 60_000) == midnight + 14 * Self.hour)
        #expect(plan.quietHoursEnd("12:00-14:00", at: Self.morning) == nil)
    }

    @Test(arguments: [
        (AlarmType.smoke, Severity.major), (.heat, .major), (.co, .major), (.co, .critical), (.fire, .critical),
        (.smoke, .critical), (.chargerThermalRunaway, .critical), (.overload, .critical), (.stationOverload, .critical),
    ])
    func lifeSafetyAlarmsSkipQuietHours(_ type: AlarmType, _ severity: Severity) throws {
        let plan = Self.plan()
        for state in AlarmState.allCases {
            let row = try #require(Self.landlordRow(plan, type, severity, at: Self.night, state: state))
            #expect(row.notBefore == nil, "\(type) \(severity) \(state) must go at once")
        }
        // Even to a landlord who asked only for critical alarms.
        #expect(Self.landlordRow(Self.plan(minSeverity: .critical), type, severity, at: Self.night)?.notBefore == nil)
    }

    @Test(arguments: [
        (AlarmType.batteryLow, Severity.minor), (.deviceOffline, .minor), (.deviceFault, .minor), (.deviceFault, .major),
        (.groupRentalSuspected, .minor), (.overload, .minor), (.overload, .major), (.tamper, .major),
        (.indoorEbikeCharging, .minor), (.smoke, .warning), (.heat, .warning), (.co, .warning),
    ])
    func otherAlarmsAreHeldUntilTheEndOfQuietHours(_ type: AlarmType, _ severity: Severity) throws {
        let plan = Self.plan(minSeverity: .warning)
        let row = try #require(Self.landlordRow(plan, type, severity, at: Self.night))
        #expect(row.notBefore == Self.nightEnd, "\(type) \(severity) waits for 07:00 local")
        let day = try #require(Self.landlordRow(plan, type, severity, at: Self.morning))
        #expect(day.notBefore == nil)
    }

    @Test func theClassificationIsTheCoreOne() {
        #expect(AlarmType.smoke.isLifeSafety(severity: .major))
        #expect(!AlarmType.smoke.isLifeSafety(severity: .warning))
        #expect(AlarmType.fire.isLifeSafety(severity: .warning))
        #expect(AlarmType.batteryLow.isLifeSafety(severity: .critical))
        #expect(!AlarmType.batteryLow.isLifeSafety(severity: .major))
        #expect(!AlarmType.deviceOffline.isLifeSafety(severity: .major))
    }

    @Test func quietHoursFollowDaylightSaving() throws {
        let paris = LocalTimeZone(
            name: "Europe/Paris (2026)", transitions: [1_774_746_000_000, 1_792_890_000_000],
            offsetsMs: [1 * Self.hour, 2 * Self.hour, 1 * Self.hour])
        let plan = Self.plan(quietHours: "22:00-07:00", zone: paris)
        // Saturday 2026-03-28 23:00 CET; the clocks go forward that night: 07:00 CEST is 05:00 UTC.
        let at: Int64 = 1_774_735_200_000
        #expect(plan.quietHoursEnd("22:00-07:00", at: at) == 1_774_760_400_000)
        #expect(try #require(Self.landlordRow(plan, .batteryLow, .minor, at: at)).notBefore == 1_774_760_400_000)
    }
}
