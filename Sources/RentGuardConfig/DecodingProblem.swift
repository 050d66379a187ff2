import RentGuardCore
import Yams

/// Turns the errors of decoding (`DecodingError`, `UnknownConfigKeyError`) into
/// problems that name the key and say what was expected in configuration words,
/// never Swift type names.
enum DecodingProblem {
    static func problem(for error: any Error, in tree: YAMLTree) -> ConfigError.Problem {
        switch error {
        case let e as UnknownConfigKeyError:
            let path = tree.path(fromStrings: e.path)
            return ConfigError.Problem(path, e.description, line: tree.line(ofKey: e.key, in: path))
        case let e as DecodingError:
            return problem(for: e, in: tree)
        default:
            return ConfigError.Problem(.root, "cannot read the configuration: \(error)")
        }
    }

    static func problem(for error: DecodingError, in tree: YAMLTree) -> ConfigError.Problem {
        switch error {
        case .keyNotFound(let key, let context):
            let path = tree.path(fromCodingPath: context.codingPath)
            let line = path.components.isEmpty ? nil : tree.line(for: path)
            return ConfigError.Problem(path, "missing required key '\(key.stringValue)'", line: line)

        case .typeMismatch(let type, let context):
            let path = tree.path(fromCodingPath: context.codingPath)
            let node = tree.node(at: path)
            let found = YAMLTree.describe(node)
            var expected = expectedDescription(type)
            if type == Node.Scalar.self {
                expected = scalarDescription(for: path)
            }
            let message: String
            if isInteger(type), let node, node.tagName == .int {
                message = "the integer \(node.string ?? "") is out of range"
            } else {
                message = "expected \(expected), found \(found)"
            }
            return ConfigError.Problem(path, message, line: tree.line(for: path))

        case .valueNotFound(let type, let context):
            let path = tree.path(fromCodingPath: context.codingPath)
            return ConfigError.Problem(path, "expected \(expectedDescription(type)), found nothing", line: tree.line(for: path))

        case .dataCorrupted(let context):
            let path = tree.path(fromCodingPath: context.codingPath)
            let node = tree.node(at: path)
            let line = tree.line(for: path)
            if let underlying = context.underlyingError {
                return problem(for: underlying, in: tree)
            }
            if case .key(let key)? = path.components.last, let choices = enumChoices[key] {
                let value = node?.string ?? ""
                return ConfigError.Problem(
                    path,
                    "unknown \(key.replacingOccurrences(of: "_", with: " ")) '\(value)'\(Suggestion.didYouMean(value, among: choices)); expected one of: \(choices.joined(separator: ", "))",
                    line: line)
            }
            return ConfigError.Problem(path, "invalid value: \(YAMLTree.describe(node))", line: line)

        @unknown default:
            return ConfigError.Problem(.root, "cannot read the configuration: \(error)")
        }
    }

    /// The closed sets of values some keys take.
    static let enumChoices: [String: [String]] = [
        "kind": DeviceKind.allCases.map(\.rawValue),
        "zone": DeviceConfig.Zone.allCases.map(\.rawValue),
        "protocol": BrokerConfig.ProtocolVersion.allCases.map(\.rawValue),
        "min_severity": Severity.allCases.map(\.rawValue),
    ]

    static let integerKeys: Set<String> = [
        "keepalive_s", "retention_days", "aggregate_minutes", "max_payload_bytes", "qos0_buffer_limit",
        "floor", "registered_occupants", "rooms_rented", "ports",
    ]
    static let numberKeys: Set<String> = [
        "connect_timeout_s", "reconnect_min_s", "reconnect_max_s", "flush_interval_s", "future_tolerance_s",
        "lateness_s", "area_m2", "report_interval_s", "rated_port_current_a", "station_power_cap_w", "rated_current_a",
    ]
    static let boolKeys: Set<String> = ["complete_flat", "insecure_skip_hostname_check"]

    /// What a single-value key takes, when the decoder only knows it wanted "a scalar".
    static func scalarDescription(for path: ConfigPath) -> String {
        let keys = path.components.compactMap { c -> String? in
            if case .key(let k) = c { return k }
            return nil
        }
        guard let last = keys.last else { return "a single value" }
        if case .index = path.components.last { return "a string" }  // items of adjacent, near, commands
        if keys.dropLast().contains("thresholds") { return "a number" }
        if integerKeys.contains(last) { return "an integer" }
        if numberKeys.contains(last) { return "a number" }
        if boolKeys.contains(last) { return "true or false" }
        if let choices = enumChoices[last] { return "one of " + choices.joined(separator: ", ") }
        return "a string"
    }

    static func isInteger(_ type: Any.Type) -> Bool {
        type == Int.self || type == Int64.self || type == Int32.self || type == Int16.self || type == Int8.self
            || type == UInt.self || type == UInt64.self || type == UInt32.self || type == UInt16.self || type == UInt8.self
    }

    static func expectedDescription(_ type: Any.Type) -> String {
        if isInteger(type) { return "an integer" }
        if type == Double.self || type == Float.self { return "a number" }
        if type == String.self { return "a string" }
        if type == Bool.self { return "true or false" }
        if type == Node.Mapping.self { return "a mapping" }
        if type == Node.Sequence.self { return "a list" }
        if type == Node.Scalar.self { return "a single value" }
        let name = String(describing: type)
        if name.hasPrefix("Array<") { return "a list" }
        if name.hasPrefix("Dictionary<") { return "a mapping" }
        return "a different kind of value"
    }
}
