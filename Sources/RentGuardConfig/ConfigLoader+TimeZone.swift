import RentGuardCore

extension ConfigLoader {
    /// Resolves `gateway.timezone` (an IANA name) from the system's zone files into
    /// `gateway.zone`. Returns the problem when the name is unknown (with a "did you mean")
    /// or no zone data is installed; the default zone (Asia/Shanghai) then falls back to
    /// China Standard Time, UTC+8, which is what Asia/Shanghai has been since 1991.
    static func resolveTimeZone(_ config: inout BuildingConfig, directory: String = ZoneInfo.defaultDirectory) -> ConfigError.Problem? {
        let name = config.gateway.timezone
        let path = ConfigPath.root.key("gateway").key("timezone")
        do {
            config.gateway.zone = try ZoneInfo.load(name, directory: directory)
            return nil
        } catch {
            switch error {
            case .noZoneData where name == GatewayIdentity.defaultTimezone:
                config.gateway.zone = .chinaStandardTime
                return nil
            case .unknownZone, .invalidName:
                let names = ZoneInfo.names(directory: directory)
                let exact = names.first { $0.lowercased() == name.lowercased() }
                let hint = exact.map { " (did you mean '\($0)'?)" } ?? fixedOffsetHint(name) ?? Suggestion.didYouMean(name, among: names)
                return ConfigError.Problem(
                    path, "unknown time zone '\(name)'\(hint); expected an IANA name from \(directory), e.g. Asia/Shanghai (China), Etc/GMT-8 (UTC+8)")
            case .noZoneData, .malformed:
                return ConfigError.Problem(path, error.description)
            }
        }
    }

    /// "UTC+8", "GMT+08:00": the Etc zone with that offset, whose sign is the other way
    /// round (Etc/GMT-8 is UTC+8), so that a near miss never suggests the opposite offset.
    static func fixedOffsetHint(_ name: String) -> String? {
        let u = name.uppercased()
        guard u.hasPrefix("UTC") || u.hasPrefix("GMT") else { return nil }
        let rest = u.dropFirst(3)
        guard let sign = rest.first, sign == "+" || sign == "-" else { return nil }
        let hours = rest.dropFirst().split(separator: ":").first.flatMap { Int($0) }
        guard let h = hours, (0...14).contains(h) else { return nil }
        let etc = h == 0 ? "Etc/UTC" : "Etc/GMT\(sign == "+" ? "-" : "+")\(h)"
        return " (for a fixed UTC\(sign)\(h) write '\(etc)': the Etc zones' signs are inverted; better, name the place, e.g. Asia/Shanghai)"
    }
}
