/// The gateway's whole configuration: who it is, where it connects, the building's units
/// and devices, threshold overrides and forwarding targets.
///
/// These are plain values; `RentGuardConfig` loads them from YAML and validates them.
/// Every key is documented in docs/configuration.md.
public struct BuildingConfig: Sendable, Equatable, Decodable {
    public var gateway: GatewayIdentity
    public var broker: BrokerConfig
    public var registry: RegistryConfig
    public var storage: StorageConfig
    public var ingest: IngestConfig
    public var units: [UnitConfig]
    public var devices: [DeviceConfig]
    /// Per-building threshold overrides: rule id → parameter name → value.
    public var thresholds: [String: [String: Double]]
    public var landlords: [LandlordConfig]
    /// The local HTTP endpoint for metrics, health and the operator's API.
    public var http: HTTPEndpointConfig
    /// The ledger reports' periods (`ReportsConfig`).
    public var reports: ReportsConfig

    public init(
        gateway: GatewayIdentity, broker: BrokerConfig = .init(), registry: RegistryConfig = .init(),
        storage: StorageConfig = .init(), ingest: IngestConfig = .init(), units: [UnitConfig] = [],
        devices: [DeviceConfig] = [], thresholds: [String: [String: Double]] = [:], landlords: [LandlordConfig] = [],
        http: HTTPEndpointConfig = .init(), reports: ReportsConfig = .init()
    ) {
        self.http = http
        self.reports = reports
        self.gateway = gateway
        self.broker = broker
        self.registry = registry
        self.storage = storage
        self.ingest = ingest
        self.units = units
        self.devices = devices
        self.thresholds = thresholds
        self.landlords = landlords
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case gateway, broker, registry, storage, ingest, units, devices, thresholds, landlords, http, reports
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gateway = try c.decode(GatewayIdentity.self, forKey: .gateway)
        broker = try c.decodeIfPresent(BrokerConfig.self, forKey: .broker) ?? .init()
        registry = try c.decodeIfPresent(RegistryConfig.self, forKey: .registry) ?? .init()
        storage = try c.decodeIfPresent(StorageConfig.self, forKey: .storage) ?? .init()
        ingest = try c.decodeIfPresent(IngestConfig.self, forKey: .ingest) ?? .init()
        units = try c.decodeIfPresent([UnitConfig].self, forKey: .units) ?? []
        devices = try c.decodeIfPresent([DeviceConfig].self, forKey: .devices) ?? []
        thresholds = try c.decodeIfPresent([String: [String: Double]].self, forKey: .thresholds) ?? [:]
        landlords = try c.decodeIfPresent([LandlordConfig].self, forKey: .landlords) ?? []
        http = try c.decodeIfPresent(HTTPEndpointConfig.self, forKey: .http) ?? .init()
        reports = try c.decodeIfPresent(ReportsConfig.self, forKey: .reports) ?? .init()
    }

    public func device(_ id: String) -> DeviceConfig? { devices.first { $0.id == id } }
    public func unit(_ id: String) -> UnitConfig? { units.first { $0.id == id } }
}

public struct GatewayIdentity: Sendable, Equatable, Decodable {
    /// This gateway's id, carried as `gateway` in every registry message.
    public var id: String
    /// The building id: `<building>` in every topic.
    public var building: String
    /// Human-readable building name, used in landlord summaries (e.g. "3号楼").
    public var name: String?
    public var address: String?
    /// The gateway's time zone, an IANA name (`Asia/Shanghai` by default): the local time
    /// of quiet hours, local days and night windows.
    public var timezone: String
    /// `timezone` resolved to its offsets. `ConfigLoader` reads it from the system's zone
    /// files; a configuration built in code gets China Standard Time (UTC+8) unless it sets one.
    public var zone: LocalTimeZone

    /// The default of `timezone`.
    public static let defaultTimezone = "Asia/Shanghai"

    public init(
        id: String, building: String, name: String? = nil, address: String? = nil,
        zone: LocalTimeZone = .chinaStandardTime
    ) {
        self.id = id
        self.building = building
        self.name = name
        self.address = address
        self.timezone = zone.name
        self.zone = zone
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, building, name, address, timezone }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        building = try c.decode(String.self, forKey: .building)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        address = try c.decodeIfPresent(String.self, forKey: .address)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone) ?? Self.defaultTimezone
        // Resolved from the zone files by the loader; until then the default zone.
        zone = .chinaStandardTime
    }
}

/// How to reach an MQTT broker.
public struct BrokerConfig: Sendable, Equatable, Decodable {
    public enum ProtocolVersion: String, Sendable, Equatable, Decodable, CaseIterable {
        /// MQTT v5, falling back to 3.1.1 when the broker does not answer a v5 CONNECT.
        case auto
        case v5
        case v311
    }

    public struct TLS: Sendable, Equatable, Decodable {
        public var caFile: String
        public var certFile: String?
        public var keyFile: String?
        /// Skip the host-name check (only for brokers addressed by IP with a certificate that lacks it).
        public var insecureSkipHostnameCheck: Bool

        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecureSkipHostnameCheck: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecureSkipHostnameCheck = insecureSkipHostnameCheck
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file"
            case insecureSkipHostnameCheck = "insecure_skip_hostname_check"
        }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            caFile = try c.decode(String.self, forKey: .caFile)
            certFile = try c.decodeIfPresent(String.self, forKey: .certFile)
            keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
            insecureSkipHostnameCheck = try c.decodeIfPresent(Bool.self, forKey: .insecureSkipHostnameCheck) ?? false
        }
    }

    /// `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (default port 1883 / 8883).
    public var url: String
    /// MQTT client id; defaults to `rentguardd-<gateway id>` (plus a suffix per connection).
    public var clientID: String?
    public var username: String?
    /// A file holding the password (so that it never appears in the config or on a command line).
    public var passwordFile: String?
    public var keepaliveSeconds: Int
    public var connectTimeoutSeconds: Double
    public var protocolVersion: ProtocolVersion
    public var tls: TLS?
    /// Reconnect backoff: first delay and cap, in seconds (jittered).
    public var reconnectMinSeconds: Double
    public var reconnectMaxSeconds: Double

    public init(
        url: String = "mqtt://127.0.0.1:1883", clientID: String? = nil, username: String? = nil,
        passwordFile: String? = nil, keepaliveSeconds: Int = 30, connectTimeoutSeconds: Double = 5,
        protocolVersion: ProtocolVersion = .auto, tls: TLS? = nil,
        reconnectMinSeconds: Double = 0.5, reconnectMaxSeconds: Double = 30
    ) {
        self.url = url
        self.clientID = clientID
        self.username = username
        self.passwordFile = passwordFile
        self.keepaliveSeconds = keepaliveSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.protocolVersion = protocolVersion
        self.tls = tls
        self.reconnectMinSeconds = reconnectMinSeconds
        self.reconnectMaxSeconds = reconnectMaxSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, clientID = "client_id", username, passwordFile = "password_file"
        case keepaliveSeconds = "keepalive_s", connectTimeoutSeconds = "connect_timeout_s"
        case protocolVersion = "protocol", tls
        case reconnectMinSeconds = "reconnect_min_s", reconnectMaxSeconds = "reconnect_max_s"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BrokerConfig()
        url = try c.decodeIfPresent(String.self, forKey: .url) ?? d.url
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        username = try c.decodeIfPresent(String.self, forKey: .username)
        passwordFile = try c.decodeIfPresent(String.self, forKey: .passwordFile)
        keepaliveSeconds = try c.decodeIfPresent(Int.self, forKey: .keepaliveSeconds) ?? d.keepaliveSeconds
        connectTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .connectTimeoutSeconds) ?? d.connectTimeoutSeconds
        protocolVersion = try c.decodeIfPresent(ProtocolVersion.self, forKey: .protocolVersion) ?? d.protocolVersion
        tls = try c.decodeIfPresent(TLS.self, forKey: .tls)
        reconnectMinSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectMinSeconds) ?? d.reconnectMinSeconds
        reconnectMaxSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectMaxSeconds) ?? d.reconnectMaxSeconds
    }
}

/// Where alarms and estimates go (protocol v1 §3).
public struct RegistryConfig: Sendable, Equatable, Decodable {
    /// Topic prefix at the registry broker: messages go to `<prefix>/<building>/<kind>`.
    public var topicPrefix: String
    /// The registry's MQTT broker (the city's cluster); `nil` disables MQTT forwarding.
    public var mqtt: BrokerConfig?
    /// The registry's HTTPS endpoint; `nil` disables HTTPS forwarding.
    public var https: HTTPSTargetConfig?
    /// How often a heartbeat with the gateway's health goes to the registry (GB 50440 asks
    /// for a link check at least every 2 h, NFPA 72 every 60 min; 60 s by default).
    public var heartbeatIntervalSeconds: Double
    /// The city fire-monitoring centre (GB/T 26875.3-2011 over TCP); `nil` disables it.
    public var centre: CentreConfig?

    public init(
        topicPrefix: String = "registry", mqtt: BrokerConfig? = nil, https: HTTPSTargetConfig? = nil, heartbeatIntervalSeconds: Double = 60,
        centre: CentreConfig? = nil
    ) {
        self.topicPrefix = topicPrefix
        self.mqtt = mqtt
        self.https = https
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.centre = centre
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topicPrefix = "topic_prefix", mqtt, https, heartbeatIntervalSeconds = "heartbeat_interval_s", centre
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topicPrefix = try c.decodeIfPresent(String.self, forKey: .topicPrefix) ?? "registry"
        mqtt = try c.decodeIfPresent(BrokerConfig.self, forKey: .mqtt)
        https = try c.decodeIfPresent(HTTPSTargetConfig.self, forKey: .https)
        heartbeatIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .heartbeatIntervalSeconds) ?? 60
        centre = try c.decodeIfPresent(CentreConfig.self, forKey: .centre)
    }
}

/// An HTTPS endpoint: the registry's (`POST <url>/v1/buildings/<building>/<kind>`), or a
/// landlord's webhook. Bodies are signed: `X-RG-Signature: sha256=<hex HMAC of the body>`.
public struct HTTPSTargetConfig: Sendable, Equatable, Decodable {
    /// Base URL, `https://…` (or `http://` for a test receiver on loopback).
    public var url: String
    /// File holding the shared secret for the HMAC-SHA256 signature.
    public var secretFile: String?
    /// A CA certificate (PEM) to trust, for registries with a private CA.
    public var caFile: String?
    /// Per-request timeout.
    public var timeoutSeconds: Double

    public init(url: String, secretFile: String? = nil, caFile: String? = nil, timeoutSeconds: Double = 10) {
        self.url = url
        self.secretFile = secretFile
        self.caFile = caFile
        self.timeoutSeconds = timeoutSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, secretFile = "secret_file", caFile = "ca_file", timeoutSeconds = "timeout_s"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        secretFile = try c.decodeIfPresent(String.self, forKey: .secretFile)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 10
    }
}

public struct StorageConfig: Sendable, Equatable, Decodable {
    /// Folder of the SQLite database (`rentguard.db`).
    public var stateDir: String
    /// How long per-device reading aggregates are kept, in days.
    public var retentionDays: Int
    /// Width of one reading aggregate bucket, in minutes.
    public var aggregateMinutes: Int
    /// How often in-memory aggregates and device state are written to disk, in seconds.
    /// Alarms and outbox rows are written at once, in their own transaction.
    public var flushIntervalSeconds: Double
    /// Disk budget of the outbox, in MiB. Over it, the lowest-priority oldest messages
    /// (heartbeats, then occupancy) are evicted and counted; alarms never are.
    public var outboxMaxMB: Double

    public init(stateDir: String = "/var/lib/rentguard", retentionDays: Int = 30, aggregateMinutes: Int = 60, flushIntervalSeconds: Double = 60, outboxMaxMB: Double = 64) {
        self.stateDir = stateDir
        self.retentionDays = retentionDays
        self.aggregateMinutes = aggregateMinutes
        self.flushIntervalSeconds = flushIntervalSeconds
        self.outboxMaxMB = outboxMaxMB
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case stateDir = "state_dir", retentionDays = "retention_days", aggregateMinutes = "aggregate_minutes"
        case flushIntervalSeconds = "flush_interval_s", outboxMaxMB = "outbox_max_mb"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = StorageConfig()
        stateDir = try c.decodeIfPresent(String.self, forKey: .stateDir) ?? d.stateDir
        retentionDays = try c.decodeIfPresent(Int.self, forKey: .retentionDays) ?? d.retentionDays
        aggregateMinutes = try c.decodeIfPresent(Int.self, forKey: .aggregateMinutes) ?? d.aggregateMinutes
        flushIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .flushIntervalSeconds) ?? d.flushIntervalSeconds
        outboxMaxMB = try c.decodeIfPresent(Double.self, forKey: .outboxMaxMB) ?? d.outboxMaxMB
    }
}

public struct IngestConfig: Sendable, Equatable, Decodable {
    /// Device topic prefix (protocol v1 §1): `<prefix>/<building>/<device>/<kind>`.
    public var topicPrefix: String
    /// Payloads larger than this are rejected unread.
    public var maxPayloadBytes: Int
    /// A device timestamp further than this ahead of the gateway's clock is rejected.
    public var futureToleranceSeconds: Double
    /// Event-time lateness bound: readings older than the newest seen minus this are dropped as late.
    public var latenessSeconds: Double
    /// QoS 0 telemetry buffered in memory beyond this count is dropped (counted). QoS 1 is never dropped.
    public var qos0BufferLimit: Int

    public init(topicPrefix: String = "rg", maxPayloadBytes: Int = 16 * 1024, futureToleranceSeconds: Double = 300, latenessSeconds: Double = 30, qos0BufferLimit: Int = 10_000) {
        self.topicPrefix = topicPrefix
        self.maxPayloadBytes = maxPayloadBytes
        self.futureToleranceSeconds = futureToleranceSeconds
        self.latenessSeconds = latenessSeconds
        self.qos0BufferLimit = qos0BufferLimit
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topicPrefix = "topic_prefix", maxPayloadBytes = "max_payload_bytes"
        case futureToleranceSeconds = "future_tolerance_s", latenessSeconds = "lateness_s"
        case qos0BufferLimit = "qos0_buffer_limit"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = IngestConfig()
        topicPrefix = try c.decodeIfPresent(String.self, forKey: .topicPrefix) ?? d.topicPrefix
        maxPayloadBytes = try c.decodeIfPresent(Int.self, forKey: .maxPayloadBytes) ?? d.maxPayloadBytes
        futureToleranceSeconds = try c.decodeIfPresent(Double.self, forKey: .futureToleranceSeconds) ?? d.futureToleranceSeconds
        latenessSeconds = try c.decodeIfPresent(Double.self, forKey: .latenessSeconds) ?? d.latenessSeconds
        qos0BufferLimit = try c.decodeIfPresent(Int.self, forKey: .qos0BufferLimit) ?? d.qos0BufferLimit
    }
}

/// A dwelling unit (a flat, or a room rented on its own).
public struct UnitConfig: Sendable, Equatable, Decodable {
    public var id: String
    public var floor: Int?
    public var areaM2: Double
    /// A complete flat (成套住宅) or not; decides the ordinance's area-per-person threshold.
    public var completeFlat: Bool
    public var registeredOccupants: Int
    /// Rooms or beds rented out separately (10 or more: managed like a public venue).
    public var roomsRented: Int?
    /// The landlord's id in `landlords`.
    public var landlord: String?
    /// Units next to this one (for "two detectors in adjacent areas").
    public var adjacent: [String]

    public init(
        id: String, floor: Int? = nil, areaM2: Double, completeFlat: Bool = true, registeredOccupants: Int,
        roomsRented: Int? = nil, landlord: String? = nil, adjacent: [String] = []
    ) {
        self.id = id
        self.floor = floor
        self.areaM2 = areaM2
        self.completeFlat = completeFlat
        self.registeredOccupants = registeredOccupants
        self.roomsRented = roomsRented
        self.landlord = landlord
        self.adjacent = adjacent
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, floor, areaM2 = "area_m2", completeFlat = "complete_flat"
        case registeredOccupants = "registered_occupants", roomsRented = "rooms_rented", landlord, adjacent
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        floor = try c.decodeIfPresent(Int.self, forKey: .floor)
        areaM2 = try c.decode(Double.self, forKey: .areaM2)
        completeFlat = try c.decodeIfPresent(Bool.self, forKey: .completeFlat) ?? true
        registeredOccupants = try c.decode(Int.self, forKey: .registeredOccupants)
        roomsRented = try c.decodeIfPresent(Int.self, forKey: .roomsRented)
        landlord = try c.decodeIfPresent(String.self, forKey: .landlord)
        adjacent = try c.decodeIfPresent([String].self, forKey: .adjacent) ?? []
    }
}

/// One registered device. Kind-specific ratings are optional here and checked by validation.
public struct DeviceConfig: Sendable, Equatable, Decodable {
    /// Where a detector sits; kitchens and bathrooms are nuisance-prone.
    public enum Zone: String, Sendable, Equatable, Decodable, CaseIterable {
        case room, bedroom, living, kitchen, bathroom, corridor, stairwell, lobby, station, plant, other
        public var isNuisanceProne: Bool { self == .kitchen || self == .bathroom }
    }

    public var id: String
    public var kind: DeviceKind
    /// The unit it belongs to; `nil` for shared places (corridors, stairwells, stations).
    public var unit: String?
    /// Free text shown to people ("2F corridor east").
    public var location: String?
    public var zone: Zone?
    public var floor: Int?
    /// Expected reporting interval, for offline supervision.
    public var reportIntervalSeconds: Double?
    /// Charger: number of ports.
    public var ports: Int?
    /// Charger: rated current of one port, in A.
    public var ratedPortCurrentA: Double?
    /// Charger: the station's total power cap, in W.
    public var stationPowerCapW: Double?
    /// Charger: ports reserved for units' residents (`unit_ports: [{unit: "3A", ports: [1, 2]}]`).
    /// Their charging energy is occupancy evidence for that unit (docs/occupancy.md); ports
    /// not listed are shared and ignored by occupancy.
    public var unitPorts: [UnitPorts]
    /// Power meter: the flat's rated (breaker) current, in A.
    public var ratedCurrentA: Double?
    /// Commands the gateway may send to this device (protocol v1 §2), e.g. `[port_off]`.
    public var commands: [String]
    /// Detectors near this one (e.g. the detector above a charging station).
    public var near: [String]
    /// Per-device threshold overrides: rule id → parameter → value.
    public var thresholds: [String: [String: Double]]
    /// Protocol v1 (default) or a device profile on the device's own topic (docs/devices.md).
    public var source: DeviceSource

    public init(
        id: String, kind: DeviceKind, unit: String? = nil, location: String? = nil, zone: Zone? = nil,
        floor: Int? = nil, reportIntervalSeconds: Double? = nil, ports: Int? = nil, ratedPortCurrentA: Double? = nil,
        stationPowerCapW: Double? = nil, ratedCurrentA: Double? = nil, commands: [String] = [], near: [String] = [],
        thresholds: [String: [String: Double]] = [:], source: DeviceSource = .init(), unitPorts: [UnitPorts] = []
    ) {
        self.source = source
        self.unitPorts = unitPorts
        self.id = id
        self.kind = kind
        self.unit = unit
        self.location = location
        self.zone = zone
        self.floor = floor
        self.reportIntervalSeconds = reportIntervalSeconds
        self.ports = ports
        self.ratedPortCurrentA = ratedPortCurrentA
        self.stationPowerCapW = stationPowerCapW
        self.ratedCurrentA = ratedCurrentA
        self.commands = commands
        self.near = near
        self.thresholds = thresholds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, unit, location, zone, floor, reportIntervalSeconds = "report_interval_s", ports
        case ratedPortCurrentA = "rated_port_current_a", stationPowerCapW = "station_power_cap_w"
        case ratedCurrentA = "rated_current_a", commands, near, thresholds
        case unitPorts = "unit_ports"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue) + DeviceSource.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(DeviceKind.self, forKey: .kind)
        source = try DeviceSource(fromDevice: decoder)
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
        location = try c.decodeIfPresent(String.self, forKey: .location)
        zone = try c.decodeIfPresent(Zone.self, forKey: .zone)
        floor = try c.decodeIfPresent(Int.self, forKey: .floor)
        reportIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .reportIntervalSeconds)
        ports = try c.decodeIfPresent(Int.self, forKey: .ports)
        ratedPortCurrentA = try c.decodeIfPresent(Double.self, forKey: .ratedPortCurrentA)
        stationPowerCapW = try c.decodeIfPresent(Double.self, forKey: .stationPowerCapW)
        ratedCurrentA = try c.decodeIfPresent(Double.self, forKey: .ratedCurrentA)
        commands = try c.decodeIfPresent([String].self, forKey: .commands) ?? []
        near = try c.decodeIfPresent([String].self, forKey: .near) ?? []
        thresholds = try c.decodeIfPresent([String: [String: Double]].self, forKey: .thresholds) ?? [:]
        unitPorts = try c.decodeIfPresent([UnitPorts].self, forKey: .unitPorts) ?? []
    }
}

/// A landlord and how to reach them (protocol v1 §4). Delivery to landlords is built in the
/// forwarding issue; the configuration is read and validated now.
public struct LandlordConfig: Sendable, Equatable, Decodable {
    public struct Channel: Sendable, Equatable, Decodable {
        /// `webhook` (HTTPS POST, signed), `mqtt` (a topic on the registry broker),
        /// `wecom_robot`, `dingtalk_robot`, `feishu_robot` (group robots) or `sms`
        /// (docs/landlord-channels.md).
        public var type: String
        public var url: String?
        public var topic: String?
        /// Webhook: file holding the HMAC secret (defaults to the registry's secret).
        /// DingTalk and Feishu robots: the signing secret (`SEC…`), when signing is on.
        /// SMS: the API secret (Tencent SecretKey, Alibaba AccessKey secret).
        public var secretFile: String?
        /// Robots: the file holding the robot's key (WeCom `key=`, DingTalk
        /// `access_token=`, Feishu the last part of `…/hook/`).
        public var keyFile: String?
        /// SMS: the file holding the API key id (Tencent SecretId, Alibaba AccessKey id).
        public var keyIDFile: String?
        /// DingTalk: a keyword the robot's security settings require in every message.
        public var keyword: String?
        /// The service's base URL; the vendor's own by default (set for tests or a proxy).
        public var endpoint: String?
        /// Robots and SMS: `zh` (default) or `en`.
        public var language: String?
        /// SMS: `tencent` or `aliyun`.
        public var provider: String?
        /// SMS (Tencent): the SMS application's SdkAppId.
        public var sdkAppID: String?
        /// SMS: the approved signature name (签名).
        public var signName: String?
        /// SMS: the approved template's id (Tencent TemplateId, Alibaba TemplateCode).
        public var templateID: String?
        /// SMS: what fills the template's parameters, in order (Tencent) or by name
        /// (Alibaba `${name}`): `building`, `unit`, `alarm`, `time`, `action`, `link`.
        public var templateParams: [String]
        /// SMS: the phone numbers, E.164 (`+8613800000000`).
        public var phones: [String]
        /// SMS (Tencent): the API region, `ap-guangzhou` by default.
        public var region: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case type, url, topic, secretFile = "secret_file", keyFile = "key_file", keyIDFile = "key_id_file", keyword, endpoint,
                language, provider, sdkAppID = "sdk_app_id", signName = "sign_name", templateID = "template_id",
                templateParams = "template_params", phones, region
        }

        public init(
            type: String, url: String? = nil, topic: String? = nil, secretFile: String? = nil, keyFile: String? = nil, keyIDFile: String? = nil,
            keyword: String? = nil, endpoint: String? = nil, language: String? = nil, provider: String? = nil, sdkAppID: String? = nil,
            signName: String? = nil, templateID: String? = nil, templateParams: [String] = [], phones: [String] = [], region: String? = nil
        ) {
            self.type = type
            self.url = url
            self.topic = topic
            self.secretFile = secretFile
            self.keyFile = keyFile
            self.keyIDFile = keyIDFile
            self.keyword = keyword
            self.endpoint = endpoint
            self.language = language
            self.provider = provider
            self.sdkAppID = sdkAppID
            self.signName = signName
            self.templateID = templateID
            self.templateParams = templateParams
            self.phones = phones
            self.region = region
        }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            topic = try c.decodeIfPresent(String.self, forKey: .topic)
            secretFile = try c.decodeIfPresent(String.self, forKey: .secretFile)
            keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
            keyIDFile = try c.decodeIfPresent(String.self, forKey: .keyIDFile)
            keyword = try c.decodeIfPresent(String.self, forKey: .keyword)
            endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
            language = try c.decodeIfPresent(String.self, forKey: .language)
            provider = try c.decodeIfPresent(String.self, forKey: .provider)
            sdkAppID = try c.decodeIfPresent(String.self, forKey: .sdkAppID)
            signName = try c.decodeIfPresent(String.self, forKey: .signName)
            templateID = try c.decodeIfPresent(String.self, forKey: .templateID)
            templateParams = try c.decodeIfPresent([String].self, forKey: .templateParams) ?? []
            phones = try c.decodeIfPresent([String].self, forKey: .phones) ?? []
            region = try c.decodeIfPresent(String.self, forKey: .region)
        }
    }

    public var id: String
    public var name: String?
    public var minSeverity: Severity
    public var channels: [Channel]
    /// Quiet hours as "HH:MM-HH:MM" in the gateway's local time (`gateway.timezone`); never
    /// applied to life-safety alarms (`AlarmType.isLifeSafety(severity:)`).
    public var quietHours: String?

    public init(id: String, name: String? = nil, minSeverity: Severity = .minor, channels: [Channel] = [], quietHours: String? = nil) {
        self.id = id
        self.name = name
        self.minSeverity = minSeverity
        self.channels = channels
        self.quietHours = quietHours
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, minSeverity = "min_severity", channels, quietHours = "quiet_hours"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        minSeverity = try c.decodeIfPresent(Severity.self, forKey: .minSeverity) ?? .minor
        channels = try c.decodeIfPresent([Channel].self, forKey: .channels) ?? []
        quietHours = try c.decodeIfPresent(String.self, forKey: .quietHours)
    }
}

/// The local HTTP endpoint: `/metrics`, `/healthz`, `/readyz` and `/api/v1/` for rentguardctl.
public struct HTTPEndpointConfig: Sendable, Equatable, Decodable {
    /// `HOST:PORT`; loopback by default. Any other address needs `token_file`.
    public var listen: String
    /// A file holding the bearer token the API requires (`Authorization: Bearer <token>`).
    public var tokenFile: String?
    /// Set false to run without the endpoint.
    public var enabled: Bool
    /// The address people reach the status page at from outside (`https://…`), linked from
    /// landlord messages; none when unset.
    public var publicURL: String?

    public init(listen: String = "127.0.0.1:9464", tokenFile: String? = nil, enabled: Bool = true, publicURL: String? = nil) {
        self.listen = listen
        self.tokenFile = tokenFile
        self.enabled = enabled
        self.publicURL = publicURL
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case listen, tokenFile = "token_file", enabled, publicURL = "public_url" }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? "127.0.0.1:9464"
        tokenFile = try c.decodeIfPresent(String.self, forKey: .tokenFile)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        publicURL = try c.decodeIfPresent(String.self, forKey: .publicURL)
    }
}
