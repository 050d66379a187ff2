/// Why an incoming message was not accepted. Each reason has its own counter and log line.
public enum RejectReason: String, Sendable, Hashable, CaseIterable {
    case payloadTooLarge = "payload_too_large"
    case malformedJSON = "malformed_json"
    /// Well-formed JSON whose object names one member twice (`"alarm":false,"alarm":true`):
    /// refused rather than guessing which value the device meant.
    case duplicateKey = "duplicate_key"
    case notAnObject = "not_an_object"
    case wrongType = "wrong_type"
    case missingField = "missing_field"
    case outOfRange = "out_of_range"
    case badTopic = "bad_topic"
    case unknownDevice = "unknown_device"
    case futureTimestamp = "future_timestamp"
    case implausibleTimestamp = "implausible_timestamp"
    case unknownEvent = "unknown_event"
    case lateReading = "late_reading"
    /// A message that stopped the daemon twice while it was handled, set aside by the
    /// daemon's poison-message guard (acknowledged unhandled, stored, a `gateway_fault`).
    case poisonMessage = "poison_message"
}

/// A rejected message: the reason, a one-line human explanation, and the device when known.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: RejectReason
    public var detail: String
    public var device: String?

    public init(_ reason: RejectReason, _ detail: String, device: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.device = device
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

extension Rejection {
    /// Text from the wire (a topic, an id, an event name) made safe for a one-line detail:
    /// at most `limit` characters, control characters and line separators shown as `\u{…}`.
    public static func printable(_ s: some StringProtocol, limit: Int) -> String {
        var out = ""
        for (n, c) in s.enumerated() {
            if n == limit { out += "…"; break }
            for u in c.unicodeScalars {
                if u.properties.generalCategory == .control || u == "\u{2028}" || u == "\u{2029}" {
                    out += "\\u{" + String(u.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// A number as JSON writes it: `150`, not `150.0`.
    static func number(_ n: Double) -> String { JSONValue.number(n).serialized() }
}
