/// The kinds of device the gateway knows (protocol v1 §1.1).
///
/// A device's kind always comes from the gateway's device registry (configuration),
/// never from a payload.
public enum DeviceKind: String, Sendable, Codable, CaseIterable, Hashable {
    case smokeDetector = "smoke_detector"
    case charger
    case powerMeter = "power_meter"
    case waterMeter = "water_meter"
    case gasMeter = "gas_meter"
}
