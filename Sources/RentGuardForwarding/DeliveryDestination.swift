import RentGuardStore

/// What happened to one delivery attempt.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The destination confirmed it (PUBACK, 2xx, 409): mark delivered.
    case delivered
    /// A passing failure (disconnected, timeout, 5xx): try again later.
    case retry(String)
    /// Refused for good (4xx other than 409): keep it as dead letter and report it.
    case rejected(String)
}

/// A place messages are delivered to: the registry over MQTT or HTTPS, a landlord's channel.
public protocol DeliveryDestination: Sendable {
    /// Stable name, stored in the outbox's `destination` column (e.g. `registry-mqtt`).
    var name: String { get }
    /// Waits until the destination can take messages (e.g. its broker connection is up),
    /// or `timeout` passes; returns whether it is ready.
    func waitUntilReady(timeout: Duration) async -> Bool
    /// Delivers one message; `payload` is the final JSON text.
    func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome
    /// Delivers several messages, in order; one outcome per message.
    func deliver(batch: [(message: OutboxMessage, payload: String)]) async -> [DeliveryOutcome]
}

extension DeliveryDestination {
    /// One at a time, in order.
    public func deliver(batch: [(message: OutboxMessage, payload: String)]) async -> [DeliveryOutcome] {
        var out: [DeliveryOutcome] = []
        for item in batch { out.append(await deliver(item.message, payload: item.payload)) }
        return out
    }
}
