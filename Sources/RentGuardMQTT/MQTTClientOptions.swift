/// Which MQTT protocol version to speak.
public enum MQTTProtocolVersion: String, Sendable, Equatable, CaseIterable {
    /// Try MQTT v5; if the broker does not answer the CONNECT in time, or refuses the
    /// version, fall back to 3.1.1 (RabbitMQ's MQTT plugin and amqtt never answer v5).
    case auto
    case v5
    case v311
}

/// TLS settings: a CA to trust and, optionally, a client certificate and key.
public struct MQTTTLSOptions: Sendable, Equatable {
    public var caFile: String
    public var certFile: String?
    public var keyFile: String?
    public var insecureSkipHostnameCheck: Bool

    public init(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecureSkipHostnameCheck: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.insecureSkipHostnameCheck = insecureSkipHostnameCheck
    }
}

/// The client's Last Will: published by the broker when the client vanishes.
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = true) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

public struct MQTTClientOptions: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var clientID: String
    public var username: String?
    public var password: String?
    public var keepaliveSeconds: Int
    /// false: a persistent session, so that QoS 1 messages queued by the broker while the
    /// client was away are delivered after it comes back.
    public var cleanStart: Bool
    /// MQTT v5 session expiry for persistent sessions.
    public var sessionExpirySeconds: UInt32
    public var protocolVersion: MQTTProtocolVersion
    /// How long to wait for CONNACK after a connect attempt.
    public var connectTimeout: Duration
    public var tls: MQTTTLSOptions?
    public var will: MQTTWill?
    public var reconnectMin: Duration
    public var reconnectMax: Duration
    /// The most messages read from the socket in one batch before they are handed to the
    /// inbound (and, for the default buffer, the most it holds). Nothing is dropped: when the
    /// consumer is behind, the client stops reading and the broker queues the rest.
    public var inboundBatchLimit: Int
    /// The most payload and topic bytes in one batch.
    public var inboundBatchBytes: Int

    public init(
        host: String, port: Int, clientID: String, username: String? = nil, password: String? = nil,
        keepaliveSeconds: Int = 30, cleanStart: Bool = false, sessionExpirySeconds: UInt32 = 7 * 24 * 3600,
        protocolVersion: MQTTProtocolVersion = .auto, connectTimeout: Duration = .seconds(5),
        tls: MQTTTLSOptions? = nil, will: MQTTWill? = nil,
        reconnectMin: Duration = .milliseconds(500), reconnectMax: Duration = .seconds(30),
        inboundBatchLimit: Int = 1_000, inboundBatchBytes: Int = 1 << 20
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepaliveSeconds = keepaliveSeconds
        self.cleanStart = cleanStart
        self.sessionExpirySeconds = sessionExpirySeconds
        self.protocolVersion = protocolVersion
        self.connectTimeout = connectTimeout
        self.tls = tls
        self.will = will
        self.reconnectMin = reconnectMin
        self.reconnectMax = reconnectMax
        self.inboundBatchLimit = max(1, inboundBatchLimit)
        self.inboundBatchBytes = max(1, inboundBatchBytes)
    }
}
