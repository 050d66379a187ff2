/// Follows the building broker's own counters, which mosquitto publishes under `$SYS`
/// every `sys_interval` seconds (10 by default; mosquitto(8), "BROKER STATUS"), and turns a
/// rise of its dropped-messages counter into `CoreInput.brokerDrops`.
///
/// A broker drops a QoS 1 message when a client's queue is full (`max_queued_messages`,
/// `max_queued_bytes`): with a small queue and a daemon paused for 3 s, 1,880 of 2,000
/// detector messages were dropped and nobody was told (issue 27). The broker counts them in
/// `$SYS/broker/publish/messages/dropped`, for all its clients together since it started.
///
/// The first value read is the baseline (drops before it are not attributed to anything
/// this watch saw happen). A value below the last one, or an uptime that went back, means
/// the broker restarted: its counter started again from 0, so the whole new value is new
/// drops. Values that are not non-negative integers (up to 2^53) are refused, with a reason.
///
/// Pure: the caller supplies the time of each message.
public struct BrokerDropWatch: Sendable, Equatable {
    /// Total publish messages dropped because of inflight or queueing limits.
    public static let droppedTopic = "$SYS/broker/publish/messages/dropped"
    /// Messages held in the broker's store: retained ones and those queued for durable clients.
    public static let storedTopic = "$SYS/broker/store/messages/count"
    /// `N seconds` since the broker started: tells a restart (counters back to 0).
    public static let uptimeTopic = "$SYS/broker/uptime"
    public static let topics = [droppedTopic, storedTopic, uptimeTopic]

    /// The fault clears after an hour without a new drop (issue 27 item 3). Long enough that
    /// a broker dropping messages every few minutes keeps one alarm open rather than raising
    /// a new one each time.
    public static let quietClearMs: Int64 = 3_600_000
    /// Larger counter values are refused: 2^53 is where a JSON number stops being exact.
    public static let maxCounter: Int64 = 1 << 53

    /// The broker's dropped-messages counter as last read.
    public private(set) var dropped: Int64?
    /// When `dropped` was read.
    public private(set) var droppedReadAt: Int64?
    /// Messages in the broker's store, as last read.
    public private(set) var stored: Int64?
    /// The broker's uptime in seconds, as last read.
    public private(set) var uptimeSeconds: Int64?
    /// Drops seen rise since this watch started (the metric).
    public private(set) var droppedSeen: Int64 = 0
    /// When the last `$SYS` message was read; nil while none has been.
    public private(set) var lastMessageAt: Int64?
    /// The uptime went back: compare the next dropped value with 0.
    var restarted = false

    public init() {}

    /// What one `$SYS` message meant.
    public enum Outcome: Sendable, Equatable {
        /// Read and remembered; nothing to raise.
        case noted
        /// The counter rose: hand this to the core.
        case fault(CoreInput)
        /// Not a value this watch can use (`reason` says why); nothing changed.
        case unreadable(reason: String)
    }

    /// Reads one message from `topic` (one of `topics`) received at `at` (Unix ms).
    public mutating func observe(topic: String, payload: [UInt8], at: Int64) -> Outcome {
        let value: Int64
        switch Self.readCounter(payload, unit: topic == Self.uptimeTopic ? "seconds" : nil) {
        case let .success(v): value = v
        case let .failure(reason): return .unreadable(reason: "\(topic): \(reason.text)")
        }
        lastMessageAt = at
        switch topic {
        case Self.storedTopic:
            stored = value
            return .noted
        case Self.uptimeTopic:
            if let previous = uptimeSeconds, value < previous { restarted = true }
            uptimeSeconds = value
            return .noted
        case Self.droppedTopic:
            defer {
                dropped = value
                droppedReadAt = at
                restarted = false
            }
            guard let previous = dropped, let since = droppedReadAt else { return .noted }
            let rise = (restarted || value < previous) ? value : value - previous
            guard rise > 0 else { return .noted }
            droppedSeen = min(Self.maxCounter, droppedSeen + rise)
            return .fault(.brokerDrops(dropped: rise, since: since, at: at))
        default:
            return .unreadable(reason: "\(topic): not a topic the watch follows")
        }
    }

    struct Reason: Error { var text: String }

    /// `1880`, or `1234 seconds` with `unit`; ASCII digits only, at most `maxCounter`.
    static func readCounter(_ payload: [UInt8], unit: String?) -> Result<Int64, Reason> {
        guard payload.count <= 32 else { return .failure(Reason(text: "\(payload.count) bytes, not a counter")) }
        var text = String(decoding: payload, as: UTF8.self)
        if let unit, text.hasSuffix(" " + unit) { text.removeLast(unit.count + 1) }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(Reason(text: "'\(text.prefix(32))' is not a non-negative integer"))
        }
        guard let v = Int64(text), v <= maxCounter else { return .failure(Reason(text: "\(text) is over 2^53")) }
        return .success(v)
    }

    /// `2026-12-07T23:59:53Z`: the UTC time of Unix ms `ms`, for the alarm's detail.
    public static func utcText(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
