/// One decoded, validated message from a registered device: the unit of input to the core.
public struct Reading: Sendable, Equatable {
    public enum Observation: Sendable, Equatable {
        case telemetry(Telemetry)
        case event(DeviceEvent)
        case status(online: Bool)
    }

    /// The device id, as registered.
    public var device: String
    /// Event time: the device's clock in Unix milliseconds, or the gateway's receive time
    /// when the payload had no `ts` (then `timestampFromDevice` is false).
    public var ts: Int64
    public var timestampFromDevice: Bool
    public var observation: Observation

    public init(device: String, ts: Int64, timestampFromDevice: Bool = true, observation: Observation) {
        self.device = device
        self.ts = ts
        self.timestampFromDevice = timestampFromDevice
        self.observation = observation
    }
}
