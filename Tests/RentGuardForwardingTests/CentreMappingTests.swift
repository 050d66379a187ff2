import RentGuardCentre
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Which alarm transitions reach the fire-monitoring centre, under which address, status
/// and description (docs/centre-link.md, "Mapping").
struct CentreMappingTests {
    static func config(devices centre: [String: CentreDeviceMapping] = [:]) -> BuildingConfig {
        BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b3", name: "3号楼"),
            registry: RegistryConfig(centre: CentreConfig(host: "127.0.0.1", port: 9000, devices: centre)),
            units: [
                UnitConfig(id: "201", floor: 2, areaM2: 30, registeredOccupants: 2),
                UnitConfig(id: "301", floor: 3, areaM2: 30, registeredOccupants: 2),
            ],
            devices: [
                DeviceConfig(id: "SD-201", kind: .smokeDetector, unit: "201", location: "201 bedroom"),
                DeviceConfig(id: "CH-1", kind: .charger, location: "bike shed"),
                DeviceConfig(id: "SD-201b", kind: .smokeDetector, unit: "201", location: "201 kitchen"),
            ])
    }

    static func transition(_ type: AlarmType, device: String?, unit: String?, state: AlarmState = .raised, at: Int64 = 1_741_957_509_000) -> AlarmTransition {
        let key = AlarmKey(type: type, device: device, unit: unit)
        return AlarmTransition(alarm: Alarm(
            id: Alarm.makeID(building: "b3", key: key, startedAt: at), key: key, state: state, severity: .major, location: nil,
            startedAt: at, updatedAt: at, evidence: [:]))
    }

    @Test func defaultsComeFromKindFloorAndPlaceInTheConfig() throws {
        let c = Self.config()
        let centre = try #require(c.registry.centre)
        #expect(CentreAddress.of(device: "SD-201", config: c, centre: centre)
            == CentreAddress(systemType: 1, systemAddress: 1, componentType: 40, zone: 2, position: 1, label: "201室"))
        #expect(CentreAddress.of(device: "CH-1", config: c, centre: centre)
            == CentreAddress(systemType: 0, systemAddress: 1, componentType: 0, zone: 0, position: 2, label: "CH-1"))
        #expect(CentreAddress.of(device: "SD-201b", config: c, centre: centre)?.position == 3)
        #expect(CentreAddress.of(device: "nope", config: c, centre: centre) == nil)
    }

    @Test func configuredMappingOverridesEachField() throws {
        let c = Self.config(devices: ["SD-201": CentreDeviceMapping(systemType: 1, systemAddress: 7, componentType: 42, zone: 20, position: 101, label: "二楼卧室")])
        let a = try #require(CentreAddress.of(device: "SD-201", config: c, centre: c.registry.centre!))
        #expect(a == CentreAddress(systemType: 1, systemAddress: 7, componentType: 42, zone: 20, position: 101, label: "二楼卧室"))
    }

    @Test func smokeRaisedAndClearedBecomeFireAndNormalStatus() throws {
        let c = Self.config()
        let raised = try #require(CentreReport.of(Self.transition(.smoke, device: "SD-201", unit: "201"), config: c, centre: c.registry.centre!))
        #expect(raised.status == [.normalOperation, .fireAlarm])
        #expect(raised.status.rawValue == 0x0003)
        #expect(raised.description == "201室烟雾报警")
        #expect(raised.time == CentreTime(second: 9, minute: 5, hour: 21, day: 14, month: 3, year: 25))
        let cleared = try #require(CentreReport.of(Self.transition(.smoke, device: "SD-201", unit: "201", state: .cleared), config: c, centre: c.registry.centre!))
        #expect(cleared.status.rawValue == 0x0001)
        #expect(cleared.description == "201室烟雾报警恢复")
        // The payload reads back to the same report.
        #expect(CentreReport(json: try JSONParser.parse(raised.json.serialized())) == raised)
    }

    /// Issue 27: a CO or heat detector's alarm reaches the centre as what it is. The standard's
    /// component types give 31 点型感温火灾探测器 for a heat detector and have no CO detector
    /// (74 气体探测器 is the nearest); its status word has no CO bit, so CO sets 火警 (bit 1)
    /// and says 一氧化碳 in the description. A configured component_type still wins.
    @Test func coAndHeatAlarmsKeepTheirComponentTypeAndWords() throws {
        let c = Self.config()
        let centre = c.registry.centre!
        let co = try #require(CentreReport.of(Self.transition(.co, device: "SD-201", unit: "201"), config: c, centre: centre))
        #expect(co.address.componentType == 74)
        #expect(co.address.zone == 2 && co.address.position == 1)
        #expect(co.status.rawValue == 0x0003)
        #expect(co.description == "201室一氧化碳报警")
        let coCleared = try #require(CentreReport.of(Self.transition(.co, device: "SD-201", unit: "201", state: .cleared), config: c, centre: centre))
        #expect(coCleared.status.rawValue == 0x0001 && coCleared.description == "201室一氧化碳报警恢复")
        let heat = try #require(CentreReport.of(Self.transition(.heat, device: "SD-201", unit: "201"), config: c, centre: centre))
        #expect(heat.address.componentType == 31)
        #expect(heat.status.rawValue == 0x0003)
        #expect(heat.description == "201室高温报警")
        #expect(try #require(CentreReport.of(Self.transition(.smoke, device: "SD-201", unit: "201"), config: c, centre: centre)).address.componentType == 40)
        let configured = Self.config(devices: ["SD-201": CentreDeviceMapping(componentType: 42)])
        #expect(try #require(CentreReport.of(Self.transition(.co, device: "SD-201", unit: "201"), config: configured, centre: configured.registry.centre!)).address.componentType == 42)
    }

    @Test func faultsSetTheFaultBitsAndOtherTypesAreNotSent() throws {
        let c = Self.config()
        let centre = c.registry.centre!
        #expect(CentreReport.of(Self.transition(.deviceOffline, device: "CH-1", unit: nil), config: c, centre: centre)?.status.rawValue == 0x0005)
        #expect(CentreReport.of(Self.transition(.batteryLow, device: "SD-201", unit: "201"), config: c, centre: centre)?.status.rawValue == 0x0105)
        #expect(CentreReport.of(Self.transition(.chargerOverheat, device: "CH-1", unit: nil), config: c, centre: centre) == nil)
        #expect(CentreReport.of(Self.transition(.groupRentalSuspected, device: nil, unit: "201"), config: c, centre: centre) == nil)
        #expect(CentreReport.of(Self.transition(.smoke, device: "SD-201", unit: "201", state: .acknowledged), config: c, centre: centre) == nil)
    }

    @Test func aUnitsFireUsesItsFirstSmokeDetectorOrAGenericDetector() throws {
        let c = Self.config()
        let centre = c.registry.centre!
        let r = try #require(CentreReport.of(Self.transition(.fire, device: nil, unit: "201"), config: c, centre: centre))
        #expect(r.address.position == 1 && r.address.componentType == 40 && r.description == "201室火警")
        let none = try #require(CentreReport.of(Self.transition(.fire, device: nil, unit: "301"), config: c, centre: centre))
        #expect(none.address == CentreAddress(systemType: 1, systemAddress: 1, componentType: 25, zone: 3, position: 0, label: "301室"))
    }

    @Test func thePlanAddsACentreRowOnlyForWhatTheCentreGets() {
        let plan = DeliveryPlan(config: Self.config(), registryDestinations: ["registry-mqtt"], centreDestination: "centre")
        let smoke = plan.rows(for: Self.transition(.smoke, device: "SD-201", unit: "201"), createdAt: 1)
        #expect(smoke.map(\.destination) == ["registry-mqtt", "centre"])
        #expect(smoke[1].orderKey == smoke[0].orderKey && smoke[1].messageID == smoke[0].messageID && smoke[1].kind == "alarms")
        #expect(plan.rows(for: Self.transition(.chargerOverheat, device: "CH-1", unit: nil), createdAt: 1).map(\.destination) == ["registry-mqtt"])
        let without = DeliveryPlan(config: Self.config(), registryDestinations: ["registry-mqtt"])
        #expect(without.rows(for: Self.transition(.smoke, device: "SD-201", unit: "201"), createdAt: 1).map(\.destination) == ["registry-mqtt"])
    }
}
