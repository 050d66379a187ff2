/// One detection rule: a small named type with its parameters, their defaults and the
/// source of each default (like a Telegraf plugin).
///
/// A rule sees readings from the devices it cares about and the passing of time, and
/// reports `Condition`s. It does no I/O and reads no clock: time is the readings' event time.
///
/// Rules report edges: a condition when a hazard starts, escalates or returns to normal,
/// not one per reading. The engine routes a reading only to the rules whose
/// `deviceKinds` include the device's kind, and ticks only rules with `usesTicks`.
public protocol DetectionRule: Sendable {
    /// The rule's id: the key of its threshold overrides in the configuration.
    static var id: String { get }
    /// Its parameters with defaults and sources, for docs and configuration validation.
    static var parameters: [RuleParameter] { get }
    /// The device kinds whose readings this rule sees (default: all kinds).
    static var deviceKinds: [DeviceKind] { get }
    /// Whether the rule needs `tick` (time-driven decisions: verification windows, offline
    /// supervision). Default false.
    static var usesTicks: Bool { get }

    /// Builds the rule for a building; `thresholds` resolves per-building and per-device overrides.
    /// A device's `slot` below is its index in `config.devices`.
    init(config: BuildingConfig, thresholds: Thresholds)

    /// A reading from a registered device. `isLatest` is false for a reading older than one
    /// already seen from the same device (out of order, but within the lateness bound).
    mutating func observe(_ reading: Reading, device: DeviceConfig, isLatest: Bool, into out: inout [Condition])

    /// The engine's entry point: as above, with the device's slot (its index in
    /// `config.devices`) so that rules can keep per-device state in arrays. The default
    /// forwards to `observe(_:device:isLatest:into:)`.
    mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition])

    /// Time has advanced to `now` (event time). Called only when `usesTicks` is true.
    mutating func tick(now: Int64, into out: inout [Condition])

    /// The earliest event time at which `tick` would report something (`Int64.max` when
    /// nothing is pending). The engine ticks rules at each deadline in order, so that
    /// time-driven transitions come out the same at any tick rate. Default `.max`.
    var nextDeadline: Int64 { get }

    /// An alarm restored from the store at start-up; a rule that owns its key marks it as
    /// asserted so that the next normal reading clears it. Default: nothing.
    mutating func restore(_ alarm: Alarm, slot: Int?)
}

extension DetectionRule {
    public static var deviceKinds: [DeviceKind] { DeviceKind.allCases }
    public static var usesTicks: Bool { false }
    public mutating func observe(_ reading: Reading, device: DeviceConfig, isLatest: Bool, into out: inout [Condition]) {}
    public mutating func observe(_ reading: Reading, device: DeviceConfig, slot: Int, isLatest: Bool, into out: inout [Condition]) {
        observe(reading, device: device, isLatest: isLatest, into: &out)
    }
    public mutating func tick(now: Int64, into out: inout [Condition]) {}
    public var nextDeadline: Int64 { .max }

    /// `nextDeadline`, read in place: called on an element of the engine's array of rules,
    /// a mutating method borrows the rule where a getter would copy it out first.
    @inline(__always)
    public mutating func deadlineInPlace() -> Int64 { nextDeadline }
    public mutating func restore(_ alarm: Alarm, slot: Int?) {}
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

    /// Seconds → milliseconds, for time parameters.
    func ms(_ rule: String, _ parameter: RuleParameter, device: String? = nil) -> Int64 {
        let v = value(rule, parameter, device: device)
        guard v.isFinite else { return v > 0 ? .max / 4 : 0 }
        return Int64((v * 1000).rounded())
    }
}
