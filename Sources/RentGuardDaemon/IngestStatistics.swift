import Metrics
import RentGuardCore
import Synchronization

/// Counters of the ingest path: messages in by kind and channel, rejects by reason, alarms
/// by type and state. Exported through swift-metrics and summarised in the log.
public final class IngestStatistics: Sendable {
    public init() {}
    private let counts = Mutex<[String: Int]>([:])

    public func increment(_ key: String, by n: Int = 1) {
        counts.withLock { $0[key, default: 0] += n }
    }

    public var snapshot: [String: Int] { counts.withLock { $0 } }

    func received(kind: DeviceKind?, channel: String) {
        increment("in.\(kind?.rawValue ?? "unknown").\(channel)")
        Counter(label: "rentguard_messages_in_total", dimensions: [("kind", kind?.rawValue ?? "unknown"), ("channel", channel)]).increment()
    }

    func rejected(_ reason: RejectReason) {
        increment("reject.\(reason.rawValue)")
        Counter(label: "rentguard_messages_rejected_total", dimensions: [("reason", reason.rawValue)]).increment()
    }

    func alarm(_ t: AlarmTransition) {
        increment("alarm.\(t.alarm.key.type.rawValue).\(t.alarm.state.rawValue)")
        Counter(label: "rentguard_alarm_transitions_total", dimensions: [("type", t.alarm.key.type.rawValue), ("state", t.alarm.state.rawValue)]).increment()
    }
}
