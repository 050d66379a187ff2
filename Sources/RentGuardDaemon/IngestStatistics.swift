import Metrics
import RentGuardCore
import Synchronization

/// Counters of the ingest path: messages in by kind and channel, rejects by reason, alarms
/// by type and state. Exported through swift-metrics and summarised in the log.
///
/// Each swift-metrics `Counter` is made once per label set and kept (not one per message on
/// the hot path), and the totals of messages taken in and refused are kept as they are
/// counted: `totals` is the one place every view (status, heartbeat, watchdog, the log's
/// summary) reads them from.
public final class IngestStatistics: Sendable {
    public struct Totals: Sendable, Equatable {
        /// Device messages taken in (`in.<kind>.<channel>`).
        public var received = 0
        /// Device messages refused (`reject.<reason>`).
        public var rejected = 0
    }

    private struct State {
        var counts: [String: Int] = [:]
        var totals = Totals()
        var counters: [String: Counter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts `key` (no metric).
    public func increment(_ key: String, by n: Int = 1) {
        state.withLock { $0.counts[key, default: 0] += n }
    }

    /// Every count by key.
    public var snapshot: [String: Int] { state.withLock { $0.counts } }

    /// Messages taken in and refused so far.
    public var totals: Totals { state.withLock { $0.totals } }

    func received(kind: DeviceKind?, channel: String) {
        let kind = kind?.rawValue ?? "unknown"
        count("in.\(kind).\(channel)", total: \.received) {
            Counter(label: "rentguard_messages_in_total", dimensions: [("kind", kind), ("channel", channel)])
        }
    }

    func rejected(_ reason: RejectReason) {
        count("reject.\(reason.rawValue)", total: \.rejected) {
            Counter(label: "rentguard_messages_rejected_total", dimensions: [("reason", reason.rawValue)])
        }
    }

    func alarm(_ t: AlarmTransition) {
        let type = t.alarm.key.type.rawValue, state = t.alarm.state.rawValue
        count("alarm.\(type).\(state)", total: nil) {
            Counter(label: "rentguard_alarm_transitions_total", dimensions: [("type", type), ("state", state)])
        }
    }

    /// Counts `key` (and its total), and increments its metric, made the first time only.
    private func count(_ key: String, total: WritableKeyPath<Totals, Int>?, metric: () -> Counter) {
        var counter = state.withLock { s -> Counter? in
            s.counts[key, default: 0] += 1
            if let total { s.totals[keyPath: total] += 1 }
            return s.counters[key]
        }
        if counter == nil {
            let made = metric()
            counter = state.withLock { s in
                if let existing = s.counters[key] { return existing }
                s.counters[key] = made
                return made
            }
        }
        counter?.increment()
    }
}
