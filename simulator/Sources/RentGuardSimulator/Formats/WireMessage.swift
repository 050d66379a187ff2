import RentGuardCore

/// One message as it goes on the wire: topic, payload bytes, QoS and retain. Protocol v1
/// messages and the device formats' messages alike.
public struct WireMessage: Sendable, Equatable {
    public var tMs: Int64
    public var topic: String
    public var payload: [UInt8]
    /// nil: telemetry, published at the run's telemetry QoS.
    public var qos: Int?
    public var retain: Bool

    public init(tMs: Int64, topic: String, payload: [UInt8], qos: Int?, retain: Bool) {
        self.tMs = tMs
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    public init(_ m: SimMessage) {
        self.init(tMs: m.tMs, topic: m.topic, payload: m.payloadBytes, qos: m.channel == "telemetry" ? nil : 1, retain: m.retain)
    }

    public var text: String { String(decoding: payload, as: UTF8.self) }
}
