import CMosquitto

public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libmosquitto returned an error code.
    case library(code: Int32, message: String)
    /// The broker refused or failed a publish (MQTT v5 reason code ≥ 0x80).
    case publishRefused(reasonCode: Int32, message: String)
    case notConnected
    case timedOut
    case shutdown
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .library(code, message): return "libmosquitto error \(code): \(message)"
        case let .publishRefused(code, message): return "broker refused publish: \(message) (reason \(code))"
        case .notConnected: return "not connected to the broker"
        case .timedOut: return "timed out"
        case .shutdown: return "client shut down"
        case let .invalidArgument(s): return s
        }
    }

    static func library(_ rc: Int32) -> MQTTError {
        .library(code: rc, message: String(cString: mosquitto_strerror(rc)))
    }
}
