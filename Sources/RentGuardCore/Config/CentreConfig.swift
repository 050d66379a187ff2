/// The link to the city's remote fire-monitoring centre (城市消防远程监控中心): rentguardd acts
/// as a user information transmission device (用户信息传输装置) speaking GB/T 26875.3-2011
/// over TCP (docs/centre-link.md). `registry.centre` in the configuration.
public struct CentreConfig: Sendable, Equatable, Decodable {
    /// The centre's host and TCP port.
    public var host: String
    public var port: Int
    /// This device's address (源地址, 6 bytes, 0 ... 2^48-1), assigned by the centre.
    public var sourceAddress: UInt64
    /// The centre's address (目的地址, 6 bytes).
    public var destinationAddress: UInt64
    /// The user version byte of the protocol version (the main version is fixed at 1).
    public var userVersion: Int
    /// How long to wait for the centre's confirm (or deny) of a frame. GB/T 26875.3 §6.5:
    /// "not above 10 s".
    public var answerTimeoutSeconds: Double
    /// How long a TCP connect may take.
    public var connectTimeoutSeconds: Double
    /// Reconnect backoff after the link fails: doubles from min to max.
    public var reconnectMinSeconds: Double
    public var reconnectMaxSeconds: Double
    /// How often the device's own running status (type 21) goes to the centre while the link
    /// is up; an unanswered one drops the link (and it reconnects).
    public var heartbeatIntervalSeconds: Double
    /// The system address (系统地址) of devices without their own.
    public var systemAddress: Int
    /// Per-device overrides of the standard's system and component addresses and types.
    public var devices: [String: CentreDeviceMapping]

    public init(
        host: String, port: Int, sourceAddress: UInt64 = 1, destinationAddress: UInt64 = 0, userVersion: Int = 0,
        answerTimeoutSeconds: Double = 10, connectTimeoutSeconds: Double = 5, reconnectMinSeconds: Double = 0.5,
        reconnectMaxSeconds: Double = 30, heartbeatIntervalSeconds: Double = 30, systemAddress: Int = 1,
        devices: [String: CentreDeviceMapping] = [:]
    ) {
        self.host = host
        self.port = port
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.userVersion = userVersion
        self.answerTimeoutSeconds = answerTimeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.reconnectMinSeconds = reconnectMinSeconds
        self.reconnectMaxSeconds = reconnectMaxSeconds
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.systemAddress = systemAddress
        self.devices = devices
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, sourceAddress = "source_address", destinationAddress = "destination_address", userVersion = "user_version"
        case answerTimeoutSeconds = "answer_timeout_s", connectTimeoutSeconds = "connect_timeout_s"
        case reconnectMinSeconds = "reconnect_min_s", reconnectMaxSeconds = "reconnect_max_s"
        case heartbeatIntervalSeconds = "heartbeat_interval_s", systemAddress = "system_address", devices
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CentreConfig(host: "", port: 0)
        host = try c.decode(String.self, forKey: .host)
        port = try c.decode(Int.self, forKey: .port)
        sourceAddress = try c.decodeIfPresent(UInt64.self, forKey: .sourceAddress) ?? d.sourceAddress
        destinationAddress = try c.decodeIfPresent(UInt64.self, forKey: .destinationAddress) ?? d.destinationAddress
        userVersion = try c.decodeIfPresent(Int.self, forKey: .userVersion) ?? d.userVersion
        answerTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .answerTimeoutSeconds) ?? d.answerTimeoutSeconds
        connectTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .connectTimeoutSeconds) ?? d.connectTimeoutSeconds
        reconnectMinSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectMinSeconds) ?? d.reconnectMinSeconds
        reconnectMaxSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectMaxSeconds) ?? d.reconnectMaxSeconds
        heartbeatIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .heartbeatIntervalSeconds) ?? d.heartbeatIntervalSeconds
        systemAddress = try c.decodeIfPresent(Int.self, forKey: .systemAddress) ?? d.systemAddress
        devices = try c.decodeIfPresent([String: CentreDeviceMapping].self, forKey: .devices) ?? [:]
    }
}

/// One device's place in the standard's address space (GB/T 26875.3 §8.2.1.1-8.2.1.2).
/// Every field is optional: what is not given is derived from the device's kind and its
/// position in the configuration (docs/centre-link.md, "Mapping").
public struct CentreDeviceMapping: Sendable, Equatable, Decodable {
    /// 系统类型标志 (0 ... 255).
    public var systemType: Int?
    /// 系统地址 (0 ... 255).
    public var systemAddress: Int?
    /// 部件类型 (0 ... 255).
    public var componentType: Int?
    /// 部件地址: zone (区号) and position (位号), 0 ... 65535 each.
    public var zone: Int?
    public var position: Int?
    /// The start of the component description (部件说明), e.g. "三楼走廊"; the alarm's own
    /// words follow it.
    public var label: String?

    public init(systemType: Int? = nil, systemAddress: Int? = nil, componentType: Int? = nil, zone: Int? = nil, position: Int? = nil, label: String? = nil) {
        self.systemType = systemType
        self.systemAddress = systemAddress
        self.componentType = componentType
        self.zone = zone
        self.position = position
        self.label = label
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case systemType = "system_type", systemAddress = "system_address", componentType = "component_type", zone, position, label
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        systemType = try c.decodeIfPresent(Int.self, forKey: .systemType)
        systemAddress = try c.decodeIfPresent(Int.self, forKey: .systemAddress)
        componentType = try c.decodeIfPresent(Int.self, forKey: .componentType)
        zone = try c.decodeIfPresent(Int.self, forKey: .zone)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        label = try c.decodeIfPresent(String.self, forKey: .label)
    }
}
