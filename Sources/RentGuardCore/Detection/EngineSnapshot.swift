/// What the detection core has learned, as a value: event time, each device's last message,
/// each rule's learned state per device (`PersistentRule`), the alarm lifecycle's pending
/// clears and chatter counts, commands awaiting confirmation, and the unregistered ids
/// already reported. The daemon stores it (versioned, in SQLite) and gives it back to
/// `DetectionEngine.init(config:restoring:snapshot:)` at start and on a reload, so that a
/// restart neither forgets baselines nor repeats or misses transitions.
///
/// The occupancy estimator's state (`occupancy`, its own versioned value keyed by unit and
/// device ids) is optional: a snapshot written before it existed restores everything else
/// with an empty estimator, and a damaged occupancy part is set aside with its reason
/// (`EngineSnapshot.Occupancy`) without costing the rules their state.
///
/// A device's state is restored only when its configuration (everything its rules read,
/// building-wide thresholds and the time zone included) is unchanged: `devices` holds each
/// device's fingerprint when the snapshot was taken.
public struct EngineSnapshot: Sendable, Codable {
    /// The layout of this value; a snapshot of another version is not restored.
    public static let currentVersion = 1

    public var version: Int
    public var building: String
    public var now: Int64
    /// Device id → fingerprint of its configuration (`DeviceConfig.stateFingerprint`).
    public var devices: [String: String]
    /// Device id → event time of its newest message.
    public var lastSeen: [String: Int64]
    public var unregisteredReported: [String]
    public var unregisteredOverflowReported: Bool
    public var pendingCommands: [PendingCommand]
    public var book: AlarmBook.Snapshot
    /// Rule id → device id → that rule's state of the device.
    public var rules: RuleStates
    /// The occupancy estimator's windows, meters and group-rental runs; nil in a snapshot
    /// written before they were kept.
    public var occupancy: Occupancy? = nil

    public struct PendingCommand: Sendable, Codable, Equatable {
        public var alarmID: String
        public var device: String
        public var port: Int?
        public var deadline: Int64
    }

    /// Each rule's per-device states, decoded by the rule's own `DeviceState` type (rules are
    /// found by id in `RuleCatalog.all`; unknown ids are skipped).
    public struct RuleStates: Sendable, Codable {
        public var states: [String: [String: any Codable & Sendable]]

        public init(_ states: [String: [String: any Codable & Sendable]] = [:]) { self.states = states }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (rule, devices) in states.sorted(by: { $0.key < $1.key }) {
                var d = c.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: rule))
                for (device, state) in devices.sorted(by: { $0.key < $1.key }) {
                    try d.encode(state, forKey: Key(stringValue: device))
                }
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var s: [String: [String: any Codable & Sendable]] = [:]
            for key in c.allKeys {
                guard let type = RuleCatalog.all.first(where: { $0.id == key.stringValue }) as? any PersistentRule.Type else { continue }
                s[key.stringValue] = try type.decodeStates(from: c, forKey: key)
            }
            states = s
        }
    }
}

extension DeviceConfig {
    /// Everything a device's rule state depends on, as a stable string: when it changes (on a
    /// reload, or between a snapshot and a restart), the device's learned state is dropped.
    /// Location text and floor are left out: renaming a place keeps what was learned.
    public func stateFingerprint(in config: BuildingConfig) -> String {
        func num(_ x: Double?) -> String { x.map { "\($0)" } ?? "-" }
        func table(_ t: [String: [String: Double]]) -> String {
            t.keys.sorted().map { r in r + "{" + (t[r] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}" }
                .joined(separator: ";")
        }
        let parts: [String] = [
            kind.rawValue, unit ?? "-", zone?.rawValue ?? "-", num(reportIntervalSeconds), ports.map { "\($0)" } ?? "-",
            num(ratedPortCurrentA), num(stationPowerCapW), num(ratedCurrentA), commands.joined(separator: ","),
            near.sorted().joined(separator: ","), table(thresholds), table(config.thresholds), config.gateway.zone.name,
        ]
        return parts.joined(separator: "|")
    }
}

extension AlarmKey: Codable {
    enum CodingKeys: String, CodingKey { case type, device, port, unit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            type: AlarmType(try c.decode(String.self, forKey: .type)), device: try c.decodeIfPresent(String.self, forKey: .device),
            port: try c.decodeIfPresent(Int.self, forKey: .port), unit: try c.decodeIfPresent(String.self, forKey: .unit))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type.rawValue, forKey: .type)
        try c.encodeIfPresent(device, forKey: .device)
        try c.encodeIfPresent(port, forKey: .port)
        try c.encodeIfPresent(unit, forKey: .unit)
    }
}

extension EngineSnapshot {
    /// Why this snapshot cannot be restored under `config` (nil: it can).
    public func incompatibility(with config: BuildingConfig) -> String? {
        if version != Self.currentVersion { return "snapshot version \(version), this gateway reads version \(Self.currentVersion)" }
        if building != config.gateway.building { return "snapshot of building '\(building)', configured building is '\(config.gateway.building)'" }
        return nil
    }

    /// How many configured devices get their learned state back, and how many start afresh
    /// (new, or configured differently since the snapshot).
    public func restorable(under config: BuildingConfig) -> (kept: Int, fresh: Int) {
        var kept = 0
        for d in config.devices where devices[d.id] == d.stateFingerprint(in: config) { kept += 1 }
        return (kept, config.devices.count - kept)
    }
}
