import Foundation
import RentGuardCore
@testable import RentGuardSimulator

enum Fixtures {
    /// simulator/scenarios, found from this file's location.
    static let scenariosDir: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios").path
    }()

    static func scenarioPaths() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scenariosDir)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }
            .sorted()
            .map { scenariosDir + "/" + $0 }
    }

    static func scenario(_ name: String, seed: UInt64? = nil) throws -> Scenario {
        var s = try Scenario.load(path: scenariosDir + "/\(name).yaml")
        if let seed { s.seed = seed }
        return s
    }

    static func generate(_ name: String, seed: UInt64? = nil) throws -> GeneratedTraffic {
        TrafficGenerator(scenario: try scenario(name, seed: seed)).generate()
    }

    /// A small building for tests that do not need a file.
    static let building = BuildingConfig(
        gateway: GatewayIdentity(id: "gw-t", building: "t"),
        units: [UnitConfig(id: "u1", areaM2: 50, registeredOccupants: 2), UnitConfig(id: "u2", areaM2: 12, completeFlat: false, registeredOccupants: 1)],
        devices: [
            DeviceConfig(id: "SD-1", kind: .smokeDetector, unit: "u1", zone: .living),
            DeviceConfig(id: "SD-K", kind: .smokeDetector, unit: "u1", zone: .kitchen),
            DeviceConfig(id: "PM-1", kind: .powerMeter, unit: "u1", ratedCurrentA: 40),
            DeviceConfig(id: "WM-1", kind: .waterMeter, unit: "u1"),
            DeviceConfig(id: "CH", kind: .charger, ports: 4, ratedPortCurrentA: 5.5, stationPowerCapW: 2000, near: ["SD-1"]),
        ])

    /// Telemetry payloads of one device, in order.
    static func telemetry(_ g: GeneratedTraffic, device: String) -> [SimMessage] {
        g.messages.filter { $0.topic.hasSuffix("/\(device)/telemetry") }
    }
}
