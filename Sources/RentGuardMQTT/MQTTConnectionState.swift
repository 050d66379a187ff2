public enum MQTTConnectionState: Sendable, Equatable, CustomStringConvertible {
    case disconnected
    case connecting
    /// Connected and CONNACK accepted, speaking this protocol version.
    case connected(MQTTProtocolVersion)
    /// `shutdown()` was called; the client will not reconnect.
    case stopped

    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .disconnected: return "disconnected"
        case .connecting: return "connecting"
        case let .connected(v): return "connected (\(v == .v5 ? "MQTT v5" : "MQTT 3.1.1"))"
        case .stopped: return "stopped"
        }
    }
}
