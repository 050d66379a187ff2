/// Where a client's received messages go, and how the broker is told they were handled.
///
/// The client's network thread reads the socket in batches. Before a read it asks
/// `shouldReceive()`; after the read it hands everything it read (possibly nothing) to
/// `receive(_:)`, which may block until the consumer has handled the batch. libmosquitto
/// queues a QoS 1 acknowledgement (PUBACK) as it parses each message, but the client writes
/// queued packets to the socket only after `receive(_:)` has returned. So:
/// - a QoS 1 message is acknowledged to the broker only after the consumer has handled it
///   (the broker redelivers one that was not, to a persistent session);
/// - while the consumer is behind, the client reads nothing more: TCP fills up and the
///   broker queues the backlog in the session, which is what the session is for.
///
/// Implementations must be callable from a thread that is not part of Swift concurrency.
public protocol MQTTInbound: Sendable {
    /// Whether the client may read from the socket now. Once this returns false the consumer
    /// is stopping: the client stops reading for good, and still writes the acknowledgements
    /// of what was handled before.
    func shouldReceive() -> Bool

    /// The messages read since `shouldReceive()` returned true, in arrival order. Blocks the
    /// network thread until the consumer has handled (and committed) them, and returns true;
    /// false means the consumer went away without handling them: the client then drops the
    /// connection without writing their acknowledgements, so the broker keeps them.
    func receive(_ batch: [MQTTMessage]) -> Bool
}
