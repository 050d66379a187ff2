import Foundation
import Synchronization

/// A bounded buffer of received messages, read as an `AsyncSequence`: the client's inbound
/// when nobody installed another (test subscribers, the simulator's capture). When it holds
/// `capacity` messages the network thread waits for the reader, so nothing is dropped and
/// memory stays bounded; the broker queues the rest. Single reader.
public final class MQTTMessageBuffer: MQTTInbound, AsyncSequence, Sendable {
    public typealias Element = MQTTMessage

    struct State {
        var items: [MQTTMessage] = []
        var head = 0
        var reader: CheckedContinuation<MQTTMessage?, Never>?
        var finished = false
        /// The reader's task was cancelled before it parked: its `next()` returns nil.
        var cancelPending = false
        var count: Int { items.count - head }
    }

    public let capacity: Int
    private let state = Mutex(State())
    /// Signalled by the reader when it takes messages, for a network thread waiting for room.
    private let room = DispatchSemaphore(value: 0)
    private let writerWaiting = Atomic<Bool>(false)

    public init(capacity: Int = 10_000) {
        self.capacity = Swift.max(1, capacity)
    }

    /// Messages waiting for the reader.
    public var depth: Int { state.withLock { $0.count } }

    public func shouldReceive() -> Bool { !state.withLock { $0.finished } }

    public func receive(_ batch: [MQTTMessage]) -> Bool {
        var rest = batch[...]
        var dropped = false
        while !rest.isEmpty {
            let (reader, first, full) = state.withLock { s -> (CheckedContinuation<MQTTMessage?, Never>?, MQTTMessage?, Bool) in
                if s.finished {
                    rest = []
                    dropped = true
                    return (nil, nil, false)
                }
                var handed: MQTTMessage?
                let r = s.reader
                if r != nil {
                    s.reader = nil
                    handed = rest.removeFirst()
                }
                let room = Swift.max(0, capacity - s.count)
                let take = Swift.min(room, rest.count)
                s.items.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
                if !rest.isEmpty { writerWaiting.store(true, ordering: .sequentiallyConsistent) }
                return (r, handed, !rest.isEmpty)
            }
            if let reader { reader.resume(returning: first) }
            if full { room.wait() }
        }
        return !dropped
    }

    /// Ends the sequence: the reader gets nil once it has drained what is buffered, and the
    /// client stops reading.
    public func finish() {
        let reader = state.withLock { s -> CheckedContinuation<MQTTMessage?, Never>? in
            s.finished = true
            let r = s.count == 0 ? s.reader : nil
            if r != nil { s.reader = nil }
            return r
        }
        reader?.resume(returning: nil)
        if writerWaiting.exchange(false, ordering: .sequentiallyConsistent) { room.signal() }
    }

    /// The next message, or nil once the buffer is finished and drained, or when the reading
    /// task is cancelled (so a reader in a task group ends with its group).
    func next() async -> MQTTMessage? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<MQTTMessage?, Never>) in
                let (value, resumeNow) = state.withLock { s -> (MQTTMessage?, Bool) in
                    if s.count > 0 {
                        let m = s.items[s.head]
                        s.head += 1
                        if s.head > 1024, s.head * 2 > s.items.count {
                            s.items.removeFirst(s.head)
                            s.head = 0
                        }
                        return (m, true)
                    }
                    if s.finished { return (nil, true) }
                    if s.cancelPending {
                        s.cancelPending = false
                        if Task.isCancelled { return (nil, true) }
                    }
                    s.reader = c
                    return (nil, false)
                }
                if resumeNow { c.resume(returning: value) }
                if writerWaiting.exchange(false, ordering: .sequentiallyConsistent) { room.signal() }
            }
        } onCancel: {
            let reader = state.withLock { s -> CheckedContinuation<MQTTMessage?, Never>? in
                guard let r = s.reader else {
                    s.cancelPending = true
                    return nil
                }
                s.reader = nil
                return r
            }
            reader?.resume(returning: nil)
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: MQTTMessageBuffer
        public mutating func next() async -> MQTTMessage? { await buffer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: self) }
}
