import Synchronization

/// The messages a client receives, in arrival order. Single consumer.
public struct MQTTMessageStream: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage

    let stream: AsyncStream<MQTTMessage>
    let qos0Queued: QueueCounter

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<MQTTMessage>.AsyncIterator
        let qos0Queued: QueueCounter

        public mutating func next() async -> MQTTMessage? {
            guard let m = await base.next() else { return nil }
            if m.qos == 0 { qos0Queued.decrement() }
            return m
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), qos0Queued: qos0Queued)
    }
}

/// A counter shared between libmosquitto's thread and the consumer.
final class QueueCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Increments unless the counter is at `limit`; returns whether it did.
    func tryIncrement(limit: Int) -> Bool {
        var current = value.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = value.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func decrement() { value.subtract(1, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}
