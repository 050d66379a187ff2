/// A device topic of protocol v1 §1: `<prefix>/<building>/<device>/<channel>`.
public struct DeviceTopic: Sendable, Equatable {
    public enum Channel: String, Sendable, Equatable, CaseIterable {
        case telemetry, event, status, cmd
    }

    public var building: String
    public var device: String
    public var channel: Channel

    public init(building: String, device: String, channel: Channel) {
        self.building = building
        self.device = device
        self.channel = channel
    }

    /// Parses `topic` under `prefix` (which may itself have several levels, e.g. `site/rg`).
    public static func parse(_ topic: String, prefix: String) -> Result<DeviceTopic, Rejection> {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        let prefixLevels = prefix.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == prefixLevels.count + 3, Array(levels.prefix(prefixLevels.count)) == prefixLevels else {
            return .failure(Rejection(.badTopic, "topic '\(Rejection.printable(topic, limit: 200))' is not \(prefix)/<building>/<device>/<telemetry|event|status>"))
        }
        let building = String(levels[prefixLevels.count])
        let device = String(levels[prefixLevels.count + 1])
        guard isValidID(building) else {
            return .failure(Rejection(.badTopic, "building id '\(Rejection.printable(building, limit: 80))' is not [A-Za-z0-9_.-]{1,64}"))
        }
        guard isValidID(device) else {
            return .failure(Rejection(.badTopic, "device id '\(Rejection.printable(device, limit: 80))' is not [A-Za-z0-9_.-]{1,64}"))
        }
        guard let channel = Channel(rawValue: String(levels[prefixLevels.count + 2])), channel != .cmd else {
            return .failure(Rejection(.badTopic, "topic '\(Rejection.printable(topic, limit: 200))' does not end in telemetry, event or status", device: device))
        }
        return .success(DeviceTopic(building: building, device: device, channel: channel))
    }

    public func topic(prefix: String) -> String { "\(prefix)/\(building)/\(device)/\(channel.rawValue)" }

    /// `[A-Za-z0-9_.-]{1,64}` (protocol v1 §1).
    public static func isValidID(_ s: String) -> Bool {
        let u = s.utf8
        guard (1...64).contains(u.count) else { return false }
        for c in u {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                continue
            default: return false
            }
        }
        return true
    }
}
