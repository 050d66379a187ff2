import Foundation
import RentGuardCore
import Yams

extension DeviceFormat {
    /// Adjusts a scenario to the format: zigbee2mqtt detectors publish their own alarm
    /// decision and no analog chamber value, so the simulated detectors decide
    /// (`detector_alarm: true`), and the ground truth follows.
    public func prepare(_ scenario: inout Scenario) {
        if self == .zigbee2mqtt { scenario.smoke.reportsAlarm = true }
    }

    /// The building file at `path` with each translated device's `profile` and `topic`
    /// added: the daemon's configuration for traffic in this format. Comments are lost;
    /// everything else is kept.
    public func buildingYAML(path: String, building: BuildingConfig) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard var root = try Yams.compose(yaml: text), case var .mapping(top) = root else {
            throw FormatBuildingError("\(path): not a YAML mapping")
        }
        guard case var .sequence(devices)? = top["devices"] else {
            throw FormatBuildingError("\(path): no 'devices' list")
        }
        let b = building.gateway.building
        for i in devices.indices {
            guard case var .mapping(d) = devices[i], let id = d["id"]?.string,
                let config = building.device(id), translates(config)
            else { continue }
            d["profile"] = Node(profile.rawValue)
            d["topic"] = Node(topic(building: b, device: id))
            devices[i] = .mapping(d)
        }
        top["devices"] = .sequence(devices)
        root = .mapping(top)
        return try Yams.serialize(node: root)
    }
}

public struct FormatBuildingError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
