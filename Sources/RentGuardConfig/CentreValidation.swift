import RentGuardCentre
import RentGuardCore

/// Checks of `registry.centre` (docs/centre-link.md): host and port, 6-byte addresses,
/// timeouts, the device mapping's ranges and devices, and that no two devices share a
/// component address (the centre keys its records on it).
enum CentreValidation {
    static func problems(_ config: BuildingConfig) -> [ConfigError.Problem] {
        guard let c = config.registry.centre else { return [] }
        var out: [ConfigError.Problem] = []
        let p = ConfigPath.root.key("registry").key("centre")
        if c.host.isEmpty || c.host.contains(where: { $0 == " " || $0 == "/" }) { out.append(.init(p.key("host"), "must be a host name or address, found '\(c.host)'")) }
        if !(1...65535).contains(c.port) { out.append(.init(p.key("port"), "must be 1 ... 65535, found \(c.port)")) }
        for (key, a) in [("source_address", c.sourceAddress), ("destination_address", c.destinationAddress)] where a > CentreFrame.addressMax {
            out.append(.init(p.key(key), "is 6 bytes: 0 ... \(CentreFrame.addressMax), found \(a)"))
        }
        if !(0...255).contains(c.userVersion) { out.append(.init(p.key("user_version"), "must be 0 ... 255, found \(c.userVersion)")) }
        if !(0...255).contains(c.systemAddress) { out.append(.init(p.key("system_address"), "must be 0 ... 255, found \(c.systemAddress)")) }
        if !(c.answerTimeoutSeconds > 0 && c.answerTimeoutSeconds <= 10) {
            out.append(.init(p.key("answer_timeout_s"), "must be above 0 and at most 10 s (GB/T 26875.3-2011 §6.5), found \(c.answerTimeoutSeconds)"))
        }
        for (key, v) in [("connect_timeout_s", c.connectTimeoutSeconds), ("reconnect_min_s", c.reconnectMinSeconds), ("heartbeat_interval_s", c.heartbeatIntervalSeconds)]
        where !(v > 0) {
            out.append(.init(p.key(key), "must be positive seconds, found \(v)"))
        }
        if c.reconnectMaxSeconds < c.reconnectMinSeconds {
            out.append(.init(p.key("reconnect_max_s"), "must be at least reconnect_min_s (\(c.reconnectMinSeconds)), found \(c.reconnectMaxSeconds)"))
        }
        let ids = config.devices.map(\.id)
        for (id, m) in c.devices.sorted(by: { $0.key < $1.key }) {
            let dp = p.key("devices").key(id)
            if !ids.contains(id) { out.append(.init(dp, "no device '\(id)' in devices\(Suggestion.didYouMean(id, among: ids))")) }
            for (key, v, max) in [("system_type", m.systemType, 255), ("system_address", m.systemAddress, 255), ("component_type", m.componentType, 255),
                                  ("zone", m.zone, 65535), ("position", m.position, 65535)] {
                if let v, !(0...max).contains(v) { out.append(.init(dp.key(key), "must be 0 ... \(max), found \(v)")) }
            }
        }
        // Two devices under one component address would be one component to the centre.
        var owner: [String: String] = [:]
        for d in config.devices {
            guard let a = CentreAddress.of(device: d.id, config: config, centre: c) else { continue }
            let k = "system \(a.systemType)/\(a.systemAddress) component \(a.zone)-\(a.position)"
            if let other = owner[k] {
                out.append(.init(p.key("devices").key(d.id), "has the same centre address as '\(other)' (\(k)); give one of them its own zone/position"))
            } else {
                owner[k] = d.id
            }
        }
        return out
    }
}
