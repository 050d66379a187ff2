/// Every rule the gateway ships. Threshold overrides in the configuration are validated
/// against this list (plus the alarm lifecycle's own parameters, under `lifecycle`).
public enum RuleCatalog {
    public static let all: [any DetectionRule.Type] = [
        // Smoke detectors (detector_* rules)
        SmokeRule.self,
        HeatRule.self,
        CORule.self,
        FireRule.self,
        // Device supervision (all kinds)
        DeviceOfflineRule.self,
        TamperRule.self,
        DeviceFaultRule.self,
        BatteryLowRule.self,
        // Charging stations
        ChargerOvercurrentRule.self,
        ChargerOverheatRule.self,
        ChargerThermalRunawayRule.self,
        ChargerOvertimeRule.self,
        ChargerNoCutoffRule.self,
        ChargerAmbientRule.self,
        StationOverloadRule.self,
        ChargerFireRule.self,
        // Power meters
        OverloadRule.self,
        LeakageRule.self,
        IndoorEbikeChargingRule.self,
        AbnormalConsumptionRule.self,
    ]

    /// Rule id → parameter names, for configuration validation.
    public static var knownThresholds: [String: Set<String>] {
        var m: [String: Set<String>] = [:]
        for r in all { m[r.id] = Set(r.parameters.map(\.name)) }
        m[LifecyclePolicy.id] = Set(LifecyclePolicy.parameters.map(\.name))
        m[IncidentGrouping.id] = Set(IncidentGrouping.parameters.map(\.name))
        for (rule, parameters) in OccupancyEstimator.parameters { m[rule] = Set(parameters.map(\.name)) }
        return m
    }

    /// Every rule's parameters, plus the lifecycle's: for docs.
    public static var allParameters: [(rule: String, parameters: [RuleParameter])] {
        all.map { ($0.id, $0.parameters) } + [(LifecyclePolicy.id, LifecyclePolicy.parameters), (IncidentGrouping.id, IncidentGrouping.parameters)]
            + OccupancyEstimator.parameters
    }
}
