import Foundation
import Logging
import RentGuardCore
import RentGuardDaemon
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// The occupancy estimator's state is most of the snapshot's bytes and changes once a day:
/// the pipeline writes it in its own row only when a day closed since it was last written
/// (and at shutdown), while the rules' row goes every five minutes (docs/footprint.md §4).
struct OccupancySnapshotRowTests {
    static let config: BuildingConfig = {
        BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b1", name: "B1"),
            units: [UnitConfig(id: "101", floor: 1, areaM2: 40, registeredOccupants: 2)],
            devices: [DeviceConfig(id: "WM-1", kind: .waterMeter, unit: "101")])
    }()

    @Test func theOccupancyRowIsWrittenWhenADayClosesNotEveryFiveMinutes() throws {
        let dir = try TemporaryDirectory(prefix: "occrow")
        let store = try Store(path: dir.file("rentguard.db"))
        defer { store.close() }
        let clock = ManualClock(1_790_000_000_000)
        let plan = DeliveryPlan(config: Self.config, registryDestinations: ["registry-mqtt"])
        let routing = Routing(.init(plan: plan, doorbells: Doorbells(), registryDestinations: ["registry-mqtt"], allDestinations: ["registry-mqtt"]))
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let deps = PipelineDependencies(
            store: store, routing: routing, health: GatewayHealth(startedAt: clock.nowMs()), devices: DeviceLedger(),
            statistics: IngestStatistics(), clock: clock, commands: { _ in }, eventClock: false, logger: logger)
        var pipeline = try Pipeline(config: Self.config, dependencies: deps)
        var litres = 1000.0
        func quarterHour() {
            clock.advance(byMs: 900_000)
            litres += 5
            let json = #"{"ts": \#(clock.nowMs()), "volume_l": \#(litres)}"#
            pipeline.handle(.messages([MQTTMessage(topic: "rg/b1/WM-1/telemetry", payload: Array(json.utf8), qos: 1, retain: false)], receivedAt: clock.nowMs()))
            pipeline.handle(.tick(clock.nowMs()))
        }
        quarterHour()
        quarterHour()
        let first = try #require(try store.value(forKey: "engine.occupancy"), "written with the first snapshot")
        #expect(first.hasPrefix("rentguard-occupancy-snapshot 1\n"))
        #expect(try store.engineStateRows().contains { $0.part == "engine" })
        #expect(try !store.engineStateRows().contains { $0.part == "occupancy" })
        // A marker shows whether the row is rewritten.
        try store.setValue("marker", forKey: "engine.occupancy", at: clock.nowMs())
        var rulesRows: Set<String> = []
        var rewrittenAfter: Int? = nil
        for q in 1...(4 * 48) {
            quarterHour()
            if let r = try store.engineStateRows().first(where: { $0.part == "engine" }) { rulesRows.insert(r.value) }
            if try store.value(forKey: "engine.occupancy") != "marker" {
                rewrittenAfter = q
                break
            }
        }
        // Between the marker and the first closed day, the rules' row was rewritten many
        // times (every five minutes of the clock) and the occupancy row never.
        let q = try #require(rewrittenAfter, "a closed day writes the occupancy row")
        #expect(q > 8, "not rewritten within two hours of the same day")
        #expect(rulesRows.count > 8, "the rules' row goes on every five minutes")
        let text = try #require(try store.value(forKey: "engine.occupancy"))
        #expect(Store.decodeOccupancySnapshot(text).state != nil, "the rewritten row decodes")
        #expect(text.contains("\"101\""), "with the unit's days")
        // At shutdown it is written whatever the day.
        try store.setValue("marker", forKey: "engine.occupancy", at: clock.nowMs())
        quarterHour()
        pipeline.flush(now: clock.nowMs(), all: true)
        #expect(try store.value(forKey: "engine.occupancy") != "marker")
    }
}
