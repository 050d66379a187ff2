extension DeviceConfig {
    /// One entry of a charger's `unit_ports`: ports reserved for one unit's residents.
    ///
    /// A list of `{unit, ports}` rather than a mapping keyed by unit id: unit ids are often
    /// numbers ("101"), and a quoted number as a YAML mapping key does not decode reliably.
    public struct UnitPorts: Sendable, Equatable, Decodable {
        public var unit: String
        public var ports: [Int]

        public init(unit: String, ports: [Int]) {
            self.unit = unit
            self.ports = ports
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case unit, ports }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            unit = try c.decode(String.self, forKey: .unit)
            ports = try c.decode([Int].self, forKey: .ports)
        }
    }

    /// A charger port reserved for one unit.
    public struct PortLink: Sendable, Equatable {
        public var port: Int
        public var unit: String

        public init(port: Int, unit: String) {
            self.port = port
            self.unit = unit
        }
    }

    /// The charger's `unit_ports` as (port, unit) pairs, ordered by port. A port listed
    /// twice (a configuration error that validation reports) keeps its first unit only;
    /// ports below 1 are left out.
    public var portLinks: [PortLink] {
        var seen = Set<Int>()
        var out: [PortLink] = []
        for entry in unitPorts {
            for port in entry.ports where port >= 1 && !seen.contains(port) {
                seen.insert(port)
                out.append(PortLink(port: port, unit: entry.unit))
            }
        }
        return out.sorted { $0.port < $1.port }
    }
}
