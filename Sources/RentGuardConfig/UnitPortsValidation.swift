import RentGuardCore

/// Checks of a charger's `unit_ports` (ports reserved for one unit, whose charging energy is
/// occupancy evidence; docs/configuration.md): only on chargers, known units, port numbers
/// from 1 to the charger's `ports`, and no port linked twice.
enum UnitPortsValidation {
    static func problems(_ config: BuildingConfig) -> [ConfigError.Problem] {
        var out: [ConfigError.Problem] = []
        let unitIDs = config.units.map(\.id)
        for (i, d) in config.devices.enumerated() where !d.unitPorts.isEmpty {
            let p = ConfigPath.root.key("devices").index(i).key("unit_ports")
            guard d.kind == .charger else {
                out.append(.init(p, "only applies to chargers, and this device is a \(d.kind.rawValue.replacingOccurrences(of: "_", with: " ")); a meter belongs to a unit through 'unit'"))
                continue
            }
            var owner: [Int: String] = [:]
            for (j, entry) in d.unitPorts.enumerated() {
                let ep = p.index(j)
                let unit = entry.unit
                if !unitIDs.contains(unit) {
                    out.append(.init(ep.key("unit"), unitIDs.isEmpty
                        ? "unknown unit '\(unit)': no units are defined under 'units'"
                        : "unknown unit '\(unit)'\(Suggestion.didYouMean(unit, among: unitIDs)); it must be the id of one of the units"))
                }
                if entry.ports.isEmpty { out.append(.init(ep.key("ports"), "lists no ports: give the port numbers reserved for unit '\(unit)', e.g. [1, 2]")) }
                for (k, port) in entry.ports.enumerated() {
                    let pp = ep.key("ports").index(k)
                    if port < 1 {
                        out.append(.init(pp, "port numbers start at 1, found \(port)"))
                    } else if let n = d.ports, port > n {
                        out.append(.init(pp, "port \(port) does not exist: this charger has \(n) ports (numbered 1 to \(n))"))
                    } else if let other = owner[port] {
                        out.append(.init(pp, other == unit
                            ? "port \(port) is listed twice for unit '\(unit)'"
                            : "port \(port) is already linked to unit '\(other)'; a port belongs to one unit at most"))
                    } else {
                        owner[port] = unit
                    }
                }
            }
        }
        return out
    }
}
