import RentGuardCore

/// One message of simulated device traffic: when (scenario clock, Unix ms, which is also
/// the payload's `ts`), where, and what.
public struct SimMessage: Sendable, Equatable {
    public var tMs: Int64
    public var topic: String
    public var payload: JSONValue

    public init(tMs: Int64, topic: String, payload: JSONValue) {
        self.tMs = tMs
        self.topic = topic
        self.payload = payload
    }

    /// The channel, from the topic's last level (`telemetry`, `event`, `status`).
    public var channel: String {
        if let i = topic.lastIndex(of: "/") { return String(topic[topic.index(after: i)...]) }
        return topic
    }

    /// Protocol v1 §1: events and status are QoS 1; status is retained. Telemetry uses
    /// `telemetryQoS` (0 or 1).
    public func qos(telemetryQoS: Int = 0) -> Int { channel == "telemetry" ? telemetryQoS : 1 }
    public var retain: Bool { channel == "status" }

    /// The payload as compact, deterministic JSON bytes.
    public var payloadBytes: [UInt8] { Array(payload.serialized().utf8) }

    /// This message moved in time by `deltaMs` (the `ts` member moves with it).
    public func shifted(by deltaMs: Int64) -> SimMessage {
        guard deltaMs != 0 else { return self }
        var p = payload
        if case let .object(members) = payload {
            p = .object(members.map { $0.0 == "ts" ? ($0.0, JSONValue($0.1.doubleValue.map { Int64($0) + deltaMs } ?? tMs + deltaMs)) : $0 })
        }
        return SimMessage(tMs: tMs + deltaMs, topic: topic, payload: p)
    }
}

/// Where generated traffic goes: a broker, a file, a test's array.
public protocol TrafficSink {
    mutating func send(_ message: SimMessage) async throws
}

/// Collects messages in memory (tests, `record`).
public struct ArraySink: TrafficSink {
    public var messages: [SimMessage] = []
    public init() {}
    public mutating func send(_ message: SimMessage) async throws { messages.append(message) }
}

/// Rounds for compact payloads: `decimals` places, as a JSON number.
@inline(__always)
func num(_ x: Double, _ decimals: Int = 2) -> JSONValue {
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (x * p).rounded() / p
    return .number(r == 0 ? 0 : r)  // no "-0"
}
