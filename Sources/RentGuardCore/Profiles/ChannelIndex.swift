/// A zero-based channel index that a device names in its topic or payload (Shelly's
/// `relay/<i>`, `switch:<id>`), checked before any arithmetic: the text comes from anything
/// that can publish on the building broker, so `relay/9223372036854775807` must be a counted
/// rejection, not an overflow trap that stops the gateway (issue 27, item 0).
///
/// Indices run from 0 to `FieldLimits.maxPorts - 1`; an index that stands for a port of a
/// charger with a configured `ports` count (`asPort`), below that count.
public enum ChannelIndex {
    /// The index, checked; the charger port it stands for is `port(of:)`.
    public static func checked(_ index: Int, device: DeviceConfig, asPort: Bool, source: String) throws(Rejection) -> Int {
        let limit = asPort ? min(device.ports ?? FieldLimits.maxPorts, FieldLimits.maxPorts) : FieldLimits.maxPorts
        guard index >= 0, index < limit else {
            let what = asPort ? "the charger's \(limit) ports (indices 0...\(limit - 1))" : "0...\(limit - 1)"
            throw Rejection(.outOfRange, "channel index \(index) in '\(Rejection.printable(source, limit: 80))' is outside \(what)", device: device.id)
        }
        return index
    }

    /// The one-based charger port of a checked index (`checked` keeps it below `Int.max`).
    public static func port(of checkedIndex: Int) -> Int { checkedIndex + 1 }
}
