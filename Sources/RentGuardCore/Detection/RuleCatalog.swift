/// Every rule the gateway ships. Threshold overrides in the configuration are validated
/// against this list.
public enum RuleCatalog {
    public static let all: [any DetectionRule.Type] = [
        SmokeRule.self,
    ]

    /// Rule id → parameter names, for configuration validation.
    public static var knownThresholds: [String: Set<String>] {
        var m: [String: Set<String>] = [:]
        for r in all { m[r.id] = Set(r.parameters.map(\.name)) }
        return m
    }
}
