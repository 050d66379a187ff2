import RentGuardCore

/// Where a device sits in the standard's address space: system type and address, component
/// type and address (GB/T 26875.3-2011 §8.2.1.1-8.2.1.2), and the start of its description.
public struct CentreAddress: Sendable, Equatable, Hashable {
    public var systemType: UInt8
    public var systemAddress: UInt8
    public var componentType: UInt8
    public var zone: UInt16
    public var position: UInt16
    public var label: String

    public init(systemType: UInt8, systemAddress: UInt8, componentType: UInt8, zone: UInt16, position: UInt16, label: String) {
        self.systemType = systemType
        self.systemAddress = systemAddress
        self.componentType = componentType
        self.zone = zone
        self.position = position
        self.label = label
    }

    /// System type 1 火灾报警系统; 0 通用 (§8.2.1.1, table "系统类型").
    public enum SystemType {
        public static let general: UInt8 = 0
        public static let fireAlarm: UInt8 = 1
    }

    /// Component types used by default (§8.2.1.2, table "部件类型"). The table has no carbon
    /// monoxide detector: 74 气体探测器 (gas detector) is the nearest type (docs/centre-link.md).
    public enum ComponentType {
        public static let general: UInt8 = 0
        public static let fireDetector: UInt8 = 25
        public static let spotHeatDetector: UInt8 = 31
        public static let smokeDetector: UInt8 = 40
        public static let gasDetector: UInt8 = 74
    }

    /// The default system and component type of a device kind (docs/centre-link.md).
    public static func defaultTypes(_ kind: DeviceKind) -> (system: UInt8, component: UInt8) {
        switch kind {
        case .smokeDetector: return (SystemType.fireAlarm, ComponentType.smokeDetector)
        case .charger, .powerMeter, .waterMeter, .gasMeter: return (SystemType.general, ComponentType.general)
        }
    }

    /// A detector's component type for an alarm of `type`: 31 for heat, 74 for CO, else 40.
    public static func detectorComponentType(_ type: AlarmType) -> UInt8 {
        switch type {
        case .heat: return ComponentType.spotHeatDetector
        case .co: return ComponentType.gasDetector
        default: return ComponentType.smokeDetector
        }
    }

    /// The address of configured device `id`: its `registry.centre.devices` entry over the
    /// defaults (types from its kind, system address from `centre.system_address`, zone its
    /// floor or its unit's floor, position its 1-based place in `devices:`). Nil for an
    /// unknown device.
    ///
    /// With `alarm`, a detector without a configured `component_type` reports a heat alarm
    /// as 31 点型感温火灾探测器 and a CO alarm as 74 气体探测器: the element that alarmed.
    public static func of(device id: String, alarm: AlarmType? = nil, config: BuildingConfig, centre: CentreConfig) -> CentreAddress? {
        guard let index = config.devices.firstIndex(where: { $0.id == id }) else { return nil }
        let d = config.devices[index]
        let m = centre.devices[id] ?? CentreDeviceMapping()
        var types = defaultTypes(d.kind)
        if d.kind == .smokeDetector, let alarm { types.component = detectorComponentType(alarm) }
        let floor = d.floor ?? d.unit.flatMap { config.unit($0)?.floor } ?? 0
        return CentreAddress(
            systemType: UInt8(clamping: m.systemType ?? Int(types.system)),
            systemAddress: UInt8(clamping: m.systemAddress ?? centre.systemAddress),
            componentType: UInt8(clamping: m.componentType ?? Int(types.component)),
            zone: UInt16(clamping: m.zone ?? floor),
            position: UInt16(clamping: m.position ?? index + 1),
            label: m.label ?? d.unit.map { "\($0)室" } ?? d.id)
    }

    /// The address an alarm is reported under: its device's, or for an alarm about a whole
    /// unit, the unit's first smoke detector's (or a generic fire detector on the unit's
    /// floor at position 0 when it has none). Nil when the alarm has neither.
    public static func of(alarm key: AlarmKey, config: BuildingConfig, centre: CentreConfig) -> CentreAddress? {
        if let device = key.device { return of(device: device, alarm: key.type, config: config, centre: centre) }
        guard let unit = key.unit else { return nil }
        if let detector = config.devices.first(where: { $0.unit == unit && $0.kind == .smokeDetector }) {
            var a = of(device: detector.id, config: config, centre: centre)
            a?.label = "\(unit)室"
            return a
        }
        return CentreAddress(
            systemType: SystemType.fireAlarm, systemAddress: UInt8(clamping: centre.systemAddress), componentType: ComponentType.fireDetector,
            zone: UInt16(clamping: config.unit(unit)?.floor ?? 0), position: 0, label: "\(unit)室")
    }
}
