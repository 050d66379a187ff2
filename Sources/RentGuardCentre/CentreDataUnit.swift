/// The application data unit (应用数据单元, GB/T 26875.3-2011 §7): a type flag (类型标志),
/// the number of information objects (信息对象数目), then the objects.
public struct CentreDataUnit: Sendable, Equatable {
    public var type: UInt8
    public var count: UInt8
    /// The objects' bytes, back to back.
    public var objects: [UInt8]

    public init(type: UInt8, count: UInt8, objects: [UInt8]) {
        self.type = type
        self.count = count
        self.objects = objects
    }

    public var bytes: [UInt8] { [type, count] + objects }

    public init?(_ data: [UInt8]) {
        guard data.count >= 2 else { return nil }
        self.init(type: data[0], count: data[1], objects: Array(data[2...]))
    }

    /// Type flags used here (§8.1.1, table "类型标志").
    public enum TypeFlag {
        /// 上传建筑消防设施部件运行状态 (upstream).
        public static let componentStatus: UInt8 = 2
        /// 上传用户信息传输装置运行状态 (upstream).
        public static let deviceStatus: UInt8 = 21
        /// 上传用户信息传输装置软件版本 (upstream).
        public static let deviceSoftwareVersion: UInt8 = 25
        /// 上传用户信息传输装置系统时间 (upstream).
        public static let deviceTime: UInt8 = 28
        /// 读用户信息传输装置运行状态 (downstream request).
        public static let readDeviceStatus: UInt8 = 81
        /// 读用户信息传输装置软件版本 (downstream request).
        public static let readDeviceSoftwareVersion: UInt8 = 85
        /// 读用户信息传输装置系统时间 (downstream request).
        public static let readDeviceTime: UInt8 = 88
        /// 同步用户信息传输装置时钟 (downstream control).
        public static let syncDeviceClock: UInt8 = 90
        /// 查岗命令 (downstream control).
        public static let rollCall: UInt8 = 91
    }

    /// Type 2 with the given component status objects (at most 22: 2 + 22 × 46 ≤ 1024).
    public static func componentStatus(_ objects: [ComponentStatus]) -> CentreDataUnit {
        precondition(objects.count <= ComponentStatus.maxPerUnit)
        return CentreDataUnit(type: TypeFlag.componentStatus, count: UInt8(objects.count), objects: objects.flatMap(\.bytes))
    }

    /// Type 21: the device's running status byte and when it took that state.
    public static func deviceStatus(_ status: DeviceRunningStatus, at time: CentreTime) -> CentreDataUnit {
        CentreDataUnit(type: TypeFlag.deviceStatus, count: 1, objects: [status.rawValue] + time.bytes)
    }

    /// Type 25: main and minor software version.
    public static func deviceSoftwareVersion(major: UInt8, minor: UInt8) -> CentreDataUnit {
        CentreDataUnit(type: TypeFlag.deviceSoftwareVersion, count: 1, objects: [major, minor])
    }

    /// Type 28: the device's clock.
    public static func deviceTime(_ time: CentreTime) -> CentreDataUnit {
        CentreDataUnit(type: TypeFlag.deviceTime, count: 1, objects: time.bytes)
    }
}

/// The status bits of a building fire-facility component (部件状态, §8.2.1.2), 2 bytes,
/// low byte first.
public struct ComponentStatusBits: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// bit 0: 1 normal operation, 0 test.
    public static let normalOperation = ComponentStatusBits(rawValue: 1 << 0)
    /// bit 1: fire alarm (火警).
    public static let fireAlarm = ComponentStatusBits(rawValue: 1 << 1)
    /// bit 2: fault (故障).
    public static let fault = ComponentStatusBits(rawValue: 1 << 2)
    /// bit 3: disabled (屏蔽).
    public static let disabled = ComponentStatusBits(rawValue: 1 << 3)
    /// bit 4: supervisory (监管).
    public static let supervisory = ComponentStatusBits(rawValue: 1 << 4)
    /// bit 5: started (启动).
    public static let started = ComponentStatusBits(rawValue: 1 << 5)
    /// bit 6: feedback (反馈).
    public static let feedback = ComponentStatusBits(rawValue: 1 << 6)
    /// bit 7: delayed (延时).
    public static let delayed = ComponentStatusBits(rawValue: 1 << 7)
    /// bit 8: power supply fault (电源故障).
    public static let powerFault = ComponentStatusBits(rawValue: 1 << 8)
}

/// One type-2 information object (§8.3.1.2), 46 bytes: system type 1, system address 1,
/// component type 1, component address 4 (zone 2 LE, position 2 LE), status 2 LE,
/// description 31 (GB 18030, NUL padded), time of the state 6.
public struct ComponentStatus: Sendable, Equatable {
    public var systemType: UInt8
    public var systemAddress: UInt8
    public var componentType: UInt8
    public var zone: UInt16
    public var position: UInt16
    public var status: ComponentStatusBits
    /// Exactly 31 bytes.
    public var description: [UInt8]
    public var time: CentreTime

    public static let length = 46
    public static let descriptionLength = 31
    public static let maxPerUnit = 22

    public init(
        systemType: UInt8, systemAddress: UInt8, componentType: UInt8, zone: UInt16, position: UInt16, status: ComponentStatusBits,
        description: [UInt8], time: CentreTime
    ) {
        self.systemType = systemType
        self.systemAddress = systemAddress
        self.componentType = componentType
        self.zone = zone
        self.position = position
        self.status = status
        var d = Array(description.prefix(Self.descriptionLength))
        d += [UInt8](repeating: 0, count: Self.descriptionLength - d.count)
        self.description = d
        self.time = time
    }

    /// The 4-byte component address as one little-endian number: zone in the low half.
    public var address: UInt32 { UInt32(zone) | UInt32(position) << 16 }

    public var bytes: [UInt8] {
        [systemType, systemAddress, componentType, UInt8(zone & 0xFF), UInt8(zone >> 8), UInt8(position & 0xFF), UInt8(position >> 8),
         UInt8(status.rawValue & 0xFF), UInt8(status.rawValue >> 8)] + description + time.bytes
    }
}

/// The transmission device's own running status (用户信息传输装置运行状态, §8.2.1.8), 1 byte.
public struct DeviceRunningStatus: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// bit 0: 1 normal monitoring, 0 test.
    public static let monitoring = DeviceRunningStatus(rawValue: 1 << 0)
    /// bit 1: fire alarm.
    public static let fireAlarm = DeviceRunningStatus(rawValue: 1 << 1)
    /// bit 2: fault.
    public static let fault = DeviceRunningStatus(rawValue: 1 << 2)
    /// bit 3: main power fault.
    public static let mainPowerFault = DeviceRunningStatus(rawValue: 1 << 3)
    /// bit 4: backup power fault.
    public static let backupPowerFault = DeviceRunningStatus(rawValue: 1 << 4)
    /// bit 5: fault of the channel to the monitoring centre.
    public static let centreChannelFault = DeviceRunningStatus(rawValue: 1 << 5)
    /// bit 6: fault of the monitored connection line.
    public static let lineFault = DeviceRunningStatus(rawValue: 1 << 6)
}
