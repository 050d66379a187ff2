/// One detection rule: a small named type with its parameters, their defaults and the
/// source of each default (like a Telegraf plugin).
///
/// A rule sees readings from the devices it cares about and the passing of time, and
/// reports `Condition`s. It does no I/O and reads no clock: time is the readings' event time.
public protocol DetectionRule: Sendable {
    /// The rule's id: the key of its threshold overrides in the configuration.
    static var id: String { get }
    /// Its parameters with defaults and sources, for docs and configuration validation.
    static var parameters: [RuleParameter] { get }

    /// Builds the rule for a building; `thresholds` resolves per-building and per-device overrides.
    init(config: BuildingConfig, thresholds: Thresholds)

    /// A reading from a registered device. `isLatest` is false for a reading older than one
    /// already seen from the same device (out of order, but within the lateness bound).
    mutating func observe(_ reading: Reading, device: DeviceConfig, isLatest: Bool, into out: inout [Condition])

    /// Time has advanced to `now` (event time).
    mutating func tick(now: Int64, into out: inout [Condition])
}

extension DetectionRule {
    public mutating func tick(now: Int64, into out: inout [Condition]) {}
}

/// A rule parameter: its name, default, unit and where the default comes from.
public struct RuleParameter: Sendable, Equatable {
    public var name: String
    public var defaultValue: Double
    public var unit: String
    public var source: String
    public var summary: String

    public init(_ name: String, _ defaultValue: Double, unit: String, source: String, _ summary: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.unit = unit
        self.source = source
        self.summary = summary
    }
}

/// Threshold overrides from the configuration: per device first, then per building, then the rule's default.
public struct Thresholds: Sendable, Equatable {
    public var building: [String: [String: Double]]
    public var perDevice: [String: [String: [String: Double]]]

    public init(building: [String: [String: Double]] = [:], perDevice: [String: [String: [String: Double]]] = [:]) {
        self.building = building
        self.perDevice = perDevice
    }

    public init(config: BuildingConfig) {
        building = config.thresholds
        var d: [String: [String: [String: Double]]] = [:]
        for dev in config.devices where !dev.thresholds.isEmpty { d[dev.id] = dev.thresholds }
        perDevice = d
    }

    /// The value of `parameter` of `rule` for `device` (or for the building when `device` is nil).
    public func value(_ rule: String, _ parameter: RuleParameter, device: String? = nil) -> Double {
        if let device, let v = perDevice[device]?[rule]?[parameter.name] { return v }
        if let v = building[rule]?[parameter.name] { return v }
        return parameter.defaultValue
    }
}
