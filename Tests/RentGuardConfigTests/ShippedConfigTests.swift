import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

@Suite("Shipped configurations")
struct ShippedConfigTests {
    @Test("the base YAML of these tests is valid")
    func baseIsValid() throws {
        let config = try ConfigLoader.parse(yaml: validYAML, file: "base.yaml")
        #expect(config.units.count == 2)
        #expect(config.devices.count == 3)
    }

    @Test("configs/demo.yaml loads with the documented values")
    func demo() throws {
        let path = packageRoot.appendingPathComponent("configs/demo.yaml").path
        let c = try ConfigLoader.load(path: path)

        #expect(c.gateway.id == "gw-demo")
        #expect(c.gateway.building == "demo")
        #expect(c.broker.url == "mqtt://127.0.0.1:1883")
        #expect(try c.broker.parsedURL() == BrokerURL(host: "127.0.0.1", port: 1883, tls: false))
        #expect(c.registry.topicPrefix == "registry")
        #expect(c.registry.mqtt?.url == "mqtt://127.0.0.1:1883")
        #expect(c.storage.stateDir == "./demo-run/state")
        #expect(c.ingest.topicPrefix == "rg")

        let u101 = try #require(c.unit("101"))
        #expect(u101.areaM2 == 45)
        #expect(u101.completeFlat)
        #expect(u101.registeredOccupants == 2)
        #expect(u101.landlord == "wang")
        #expect(c.units.count >= 2)

        let sd1 = try #require(c.device("SD-101-1"))
        #expect(sd1.kind == .smokeDetector)
        #expect(sd1.unit == "101")
        #expect(sd1.zone == .bedroom)
        let sd2 = try #require(c.device("SD-101-2"))
        #expect(sd2.kind == .smokeDetector)
        #expect(sd2.unit == "101")
        #expect(sd2.zone == .kitchen)

        let ch = try #require(c.device("CH-1"))
        #expect(ch.kind == .charger)
        #expect(ch.ports == 10)
        #expect(ch.ratedPortCurrentA == 5)
        #expect(ch.stationPowerCapW == 8700)
        #expect(ch.commands == ["port_off"])
        #expect(ch.location == "ground floor charging station")

        let pm = try #require(c.device("PM-101"))
        #expect(pm.kind == .powerMeter)
        #expect(pm.unit == "101")
        #expect(pm.ratedCurrentA == 40)
        let wm = try #require(c.device("WM-101"))
        #expect(wm.kind == .waterMeter)
        #expect(wm.unit == "101")

        let wang = try #require(c.landlords.first { $0.id == "wang" })
        #expect(wang.channels.contains(LandlordConfig.Channel(type: "mqtt", topic: "landlords/wang/alarms")))
    }

    @Test("configs/example-block.yaml is a realistic group-rental block")
    func exampleBlock() throws {
        let c = try ConfigLoader.load(path: packageRoot.appendingPathComponent("configs/example-block.yaml").path)
        #expect(Set(c.units.compactMap(\.floor)) == Set(1...6))
        #expect((36...48).contains(c.units.count))
        #expect(c.units.contains { $0.completeFlat } && c.units.contains { !$0.completeFlat })
        // Some units are overcrowded: under 5 m² per registered person.
        #expect(c.units.contains { $0.registeredOccupants > 0 && $0.areaM2 / Double($0.registeredOccupants) < 5 })
        // A smoke detector in every unit, and on every floor's corridor and stairwell.
        for u in c.units {
            #expect(c.devices.contains { $0.kind == .smokeDetector && $0.unit == u.id }, "no detector in \(u.id)")
        }
        for floor in 1...6 {
            #expect(c.devices.contains { $0.zone == .corridor && $0.floor == floor })
            #expect(c.devices.contains { $0.zone == .stairwell && $0.floor == floor })
        }
        let chargers = c.devices.filter { $0.kind == .charger }
        #expect(chargers.compactMap(\.ports).sorted() == [12, 20])
        #expect(c.devices.contains { $0.kind == .gasMeter })
        #expect((2...3).contains(c.landlords.count))
    }

    @Test("every file in configs/ loads and validates")
    func allConfigs() throws {
        let dir = packageRoot.appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        #expect(files.contains("demo.yaml"))
        #expect(files.contains("example-block.yaml"))
        for f in files {
            do {
                // An empty catalogue of threshold rules: the shipped files must not
                // depend on rule ids (they have no overrides).
                _ = try ConfigLoader.load(path: dir.appendingPathComponent(f).path, knownThresholds: [:])
            } catch {
                Issue.record("configs/\(f) does not load:\n\(error)")
            }
        }
    }
}
