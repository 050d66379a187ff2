import RentGuardCore

/// Checks of the device-profile keys of each device (`profile`, `topic`, `model`,
/// `channel`, `utc_offset`, `overrides`, `mapping`; docs/devices.md): unknown profile
/// names with a suggestion, a profile that does not decode the device's kind, missing or
/// shared topics, bad JSON pointers and targets, commands the profile cannot carry out.
enum ProfileValidation {
    static func problems(_ config: BuildingConfig) -> [ConfigError.Problem] {
        var out: [ConfigError.Problem] = []
        var owner: [String: String] = [:]  // topic filter → device id
        let names = ProfileName.allCases.map(\.rawValue)
        let env = ProfileEnvironment()
        for (i, d) in config.devices.enumerated() {
            let p = ConfigPath.root.key("devices").index(i)
            let s = d.source
            guard let name = s.profile else {
                for (key, present) in [("topic", s.topic != nil), ("model", s.model != nil), ("channel", s.channel != nil),
                                       ("utc_offset", s.utcOffset != nil), ("overrides", !s.overrides.isEmpty), ("mapping", s.mapping != nil)] where present {
                    out.append(.init(p.key(key), "only applies to a device with a 'profile' (\(names.joined(separator: ", ")))"))
                }
                continue
            }
            guard let profile = ProfileName(rawValue: name) else {
                out.append(.init(p.key("profile"), "unknown profile '\(name)'\(Suggestion.didYouMean(name, among: names)); profiles: \(names.joined(separator: ", "))"))
                continue
            }
            if profile == .protocolV1 { continue }
            guard profile.kinds.contains(d.kind) else {
                out.append(.init(p.key("profile"), "profile '\(name)' does not decode a \(d.kind.rawValue) (it decodes \(profile.kinds.map(\.rawValue).sorted().joined(separator: ", ")))"))
                continue
            }
            guard let topic = s.topic else {
                out.append(.init(p.key("topic"), "missing: profile '\(name)' needs the device's own topic (docs/devices.md)"))
                continue
            }
            guard TopicFilter.isValidTopic(topic) else {
                out.append(.init(p.key("topic"), "'\(topic)' is not a topic: not empty, at most 256 bytes, no '+' or '#'"))
                continue
            }
            if profile != .zigbee2mqtt, !s.overrides.isEmpty {
                out.append(.init(p.key("overrides"), "only applies to profile 'zigbee2mqtt'; profile '\(name)' has fixed fields (or use generic_json)"))
            }
            if profile != .genericJSON, s.mapping != nil {
                out.append(.init(p.key("mapping"), "only applies to profile 'generic_json'"))
            }
            if let o = s.utcOffset, DeviceTime.parseOffset(o) == nil {
                out.append(.init(p.key("utc_offset"), "'\(o)' is not an offset ±HH:MM (e.g. +08:00)"))
            }
            if profile == .zigbee2mqtt {
                let targets = ObservationTarget.names(for: d.kind)
                for (k, m) in s.overrides.sorted(by: { $0.key < $1.key }) where ObservationTarget(m.to)?.applies(to: d.kind) != true {
                    out.append(.init(p.key("overrides").key(k), "unknown target '\(m.to)' for a \(d.kind.rawValue)\(Suggestion.didYouMean(m.to, among: targets)); targets: \(targets.joined(separator: ", "))"))
                }
            }
            if profile == .genericJSON {
                if let m = s.mapping {
                    let targets = ObservationTarget.names(for: d.kind)
                    for (j, f) in m.fields.enumerated() {
                        let fp = p.key("mapping").key("fields").index(j)
                        if JSONPointer(f.pointer) == nil {
                            out.append(.init(fp.key("pointer"), "'\(f.pointer)' is not a JSON pointer (RFC 6901): '' or '/a/b/0', with '~0' for '~' and '~1' for '/'"))
                        }
                        if ObservationTarget(f.mapping.to)?.applies(to: d.kind) != true {
                            out.append(.init(fp.key("to"), "unknown target '\(f.mapping.to)' for a \(d.kind.rawValue)\(Suggestion.didYouMean(f.mapping.to, among: targets)); targets: \(targets.joined(separator: ", "))"))
                        }
                    }
                    if m.fields.isEmpty { out.append(.init(p.key("mapping").key("fields"), "empty: map at least one JSON pointer")) }
                    if let t = m.timestamp, JSONPointer(t) == nil {
                        out.append(.init(p.key("mapping").key("timestamp"), "'\(t)' is not a JSON pointer (RFC 6901)"))
                    }
                    if let a = m.availabilityTopic, !TopicFilter.isValidTopic(a) {
                        out.append(.init(p.key("mapping").key("availability_topic"), "'\(a)' is not a topic (no '+' or '#')"))
                    }
                } else {
                    out.append(.init(p.key("mapping"), "missing: profile 'generic_json' needs a 'mapping' (fields: JSON pointer → observation)"))
                }
            }
            let supported = profile.commands(for: d.kind)
            for (j, c) in d.commands.enumerated() where ConfigValidator.deviceCommands.contains(c) && !supported.contains(c) {
                out.append(.init(p.key("commands").index(j), "profile '\(name)' cannot carry out '\(c)'" + (supported.isEmpty ? " (it takes no commands)" : "; it can: \(supported.sorted().joined(separator: ", "))")))
            }
            // Everything the profile itself checks (channels, …), then topic ownership.
            do {
                if let made = try ProfileName.make(d, environment: env) {
                    for f in made.subscriptions {
                        if let other = owner[f], other != d.id {
                            out.append(.init(p.key("topic"), "topic '\(f)' is also device '\(other)''s: each device needs its own topic"))
                        } else {
                            owner[f] = d.id
                        }
                    }
                }
            } catch {
                if !out.contains(where: { $0.keyPath.hasPrefix(p.description) }) {
                    out.append(.init(p.key("profile"), error.description))
                }
            }
        }
        return out
    }
}
