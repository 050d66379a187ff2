/// A discrete device event (protocol v1 §1.2).
public struct DeviceEvent: Sendable, Equatable {
    public enum Name: String, Sendable, Equatable, CaseIterable {
        case test, tamper, fault
        case batteryLow = "battery_low"
        case hush
        case sessionStart = "session_start"
        case sessionEnd = "session_end"
        case relayOff = "relay_off"
        case relayOn = "relay_on"
    }

    public var name: Name
    public var port: Int?
    public var detail: String?

    public init(name: Name, port: Int? = nil, detail: String? = nil) {
        self.name = name
        self.port = port
        self.detail = detail
    }
}
