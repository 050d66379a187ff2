import Metrics
import RentGuardCore
import RentGuardStore
import Synchronization

/// A landlord's SMS channel: texts cost money and make phones ring, so one text goes per
/// incident start, for life-safety alarms only. `DeliveryPlan` gives this channel only the
/// `raised` transitions of life-safety alarms (never escalations, acknowledgements or
/// clears, never other alarms); here a raised alarm in a unit that was texted about less
/// than `window` before (by the alarms' start times) is not texted again: it counts as
/// handled (`rentguard_sms_suppressed_total`) — the other channels still carry it.
///
/// The last text per unit is kept in memory (at most `maxUnits` units), so after a restart
/// the next incident start is texted even inside the window.
public final class SMSDestination: DeliveryDestination, Sendable {
    /// Alarms of one unit starting within this long of the last texted one are the same incident.
    public static let defaultWindow: Int64 = 30 * 60_000
    static let maxUnits = 4096

    public var name: String { inner.name }
    let inner: any DeliveryDestination
    let window: Int64
    let lastTexted = Mutex<[String: Int64]>([:])
    let suppressed: Counter

    public init(_ inner: any DeliveryDestination, window: Int64 = SMSDestination.defaultWindow) {
        self.inner = inner
        self.window = window
        suppressed = Counter(label: "rentguard_sms_suppressed_total", dimensions: [("destination", inner.name)])
    }

    public func waitUntilReady(timeout: Duration) async -> Bool { await inner.waitUntilReady(timeout: timeout) }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        guard let body = try? JSONParser.parse(payload), body["state"]?.stringValue == AlarmState.raised.rawValue,
            let type = body["type"]?.stringValue, let severity = body["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
            AlarmType(type).isLifeSafety(severity: severity)
        else {
            suppressed.increment()
            return .delivered  // not texted: only life-safety incident starts are
        }
        let unit = body["unit"]?.stringValue ?? body["location"]?.stringValue ?? "building"
        let started = body["started_at"]?.doubleValue.flatMap { $0.isFinite && abs($0) < 1e15 ? Int64($0) : nil } ?? 0
        let inIncident = lastTexted.withLock { last -> Bool in
            if let t = last[unit], started >= t, started - t < window { return true }
            return false
        }
        if inIncident {
            suppressed.increment()
            return .delivered
        }
        let outcome = await inner.deliver(message, payload: payload)
        if outcome == .delivered {
            lastTexted.withLock { last in
                last[unit] = max(last[unit] ?? .min, started)
                if last.count > Self.maxUnits, let oldest = last.min(by: { $0.value < $1.value })?.key { last[oldest] = nil }
            }
        }
        return outcome
    }
}
