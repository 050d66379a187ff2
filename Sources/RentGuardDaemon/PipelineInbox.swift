import Foundation
import RentGuardCore
import RentGuardMQTT
import Synchronization

/// The detection pipeline's one input queue, bounded everywhere:
/// - device messages arrive from the building broker's network thread as one batch at a
///   time; the thread waits (`MQTTInbound.receive`) until the pipeline has handled the batch
///   and committed what it caused, and only then acknowledges it to the broker;
/// - operator inputs (acknowledgements) wait in a queue of at most `controlCapacity`;
/// - clock ticks and reloads are coalesced: only the latest is kept.
///
/// Stopping (`stop()`) makes the network thread stop reading; the pipeline still receives
/// the batch already read, then `next()` returns nil.
public final class PipelineInbox: MQTTInbound {
    public enum Event: Sendable {
        case messages([MQTTMessage], receivedAt: Int64)
        case tick(Int64)
        case input(CoreInput)
        case reconfigure(BuildingConfig)
    }

    struct State {
        var batch: (messages: [MQTTMessage], receivedAt: Int64)?
        /// The network thread is between `shouldReceive` and the end of its batch.
        var reading = false
        var inputs: [CoreInput] = []
        var reconfigure: BuildingConfig?
        var tick: Int64?
        var consumer: CheckedContinuation<Event?, Never>?
        var stopping = false
        var closed = false
        var batchSize = 0
        /// Whether the last batch was handled (false: the pipeline went away without it).
        var handled = true
    }

    public let controlCapacity: Int
    let clock: any GatewayClock
    private let state = Mutex(State())
    private let batchHandled = DispatchSemaphore(value: 0)

    public init(clock: any GatewayClock, controlCapacity: Int = 1024) {
        self.clock = clock
        self.controlCapacity = controlCapacity
    }

    // MARK: The network thread's side

    public func shouldReceive() -> Bool {
        state.withLock { s in
            if s.stopping { return false }
            s.reading = true
            return true
        }
    }

    public func receive(_ batch: [MQTTMessage]) -> Bool {
        if batch.isEmpty {
            let closing = state.withLock { s -> CheckedContinuation<Event?, Never>? in
                s.reading = false
                return Self.closeIfDone(&s)
            }
            closing?.resume(returning: nil)
            return true
        }
        let receivedAt = clock.nowMs()
        let (consumer, gone) = state.withLock { s -> (CheckedContinuation<Event?, Never>?, Bool) in
            if s.closed {
                s.reading = false
                return (nil, true)
            }
            s.batchSize = batch.count
            s.handled = false
            if let c = s.consumer {
                s.consumer = nil
                return (c, false)
            }
            s.batch = (batch, receivedAt)
            return (nil, false)
        }
        if gone { return false }
        consumer?.resume(returning: .messages(batch, receivedAt: receivedAt))
        // Backpressure: the acknowledgements go out only after the pipeline is done.
        batchHandled.wait()
        return state.withLock { $0.handled }
    }

    // MARK: Everyone else's side

    /// Queues an operator's input. False when the queue is full or the pipeline stopped.
    @discardableResult
    public func submit(_ input: CoreInput) -> Bool {
        let (ok, consumer) = state.withLock { s -> (Bool, CheckedContinuation<Event?, Never>?) in
            guard !s.closed, s.inputs.count < controlCapacity else { return (false, nil) }
            if let c = s.consumer {
                s.consumer = nil
                return (true, c)
            }
            s.inputs.append(input)
            return (true, nil)
        }
        if let consumer { consumer.resume(returning: .input(input)) }
        return ok
    }

    public func tick(_ now: Int64) { hand(.tick(now)) { $0.tick = now } }

    public func reconfigure(_ config: BuildingConfig) { hand(.reconfigure(config)) { $0.reconfigure = config } }

    /// Gives `event` to a waiting pipeline, or keeps it (coalesced) for the next `next()`.
    private func hand(_ event: Event, orKeep keep: (inout State) -> Void) {
        let consumer = state.withLock { s -> CheckedContinuation<Event?, Never>? in
            guard !s.closed else { return nil }
            if let c = s.consumer {
                s.consumer = nil
                return c
            }
            keep(&s)
            return nil
        }
        consumer?.resume(returning: event)
    }

    /// Stop taking device messages; `next()` returns nil once what was read is handled.
    public func stop() {
        let closing = state.withLock { s -> CheckedContinuation<Event?, Never>? in
            s.stopping = true
            return Self.closeIfDone(&s)
        }
        closing?.resume(returning: nil)
    }

    /// Messages in the batch being handed over or handled, and operator inputs waiting.
    public var depth: (batch: Int, inputs: Int) {
        state.withLock { ($0.reading ? $0.batchSize : 0, $0.inputs.count) }
    }

    // MARK: The pipeline's side

    /// The next event, or nil once stopped and drained. One consumer.
    public func next() async -> Event? {
        await withCheckedContinuation { (c: CheckedContinuation<Event?, Never>) in
            let event = state.withLock { s -> Event?? in
                if !s.inputs.isEmpty { return .some(.input(s.inputs.removeFirst())) }
                if let r = s.reconfigure {
                    s.reconfigure = nil
                    return .some(.reconfigure(r))
                }
                if let b = s.batch {
                    s.batch = nil
                    return .some(.messages(b.messages, receivedAt: b.receivedAt))
                }
                if let t = s.tick {
                    s.tick = nil
                    return .some(.tick(t))
                }
                if s.stopping, !s.reading {
                    s.closed = true
                    return .some(nil)
                }
                s.consumer = c
                return .none
            }
            if let event { c.resume(returning: event) }
        }
    }

    /// The pipeline has handled the batch it was given and committed what it caused: the
    /// network thread may acknowledge it and read on.
    public func batchDone() {
        state.withLock { s in
            s.reading = false
            s.batchSize = 0
            s.handled = true
        }
        batchHandled.signal()
    }

    /// The pipeline is gone (it failed, or was cancelled): nothing more is accepted, and a
    /// batch waiting to be handled is given back unhandled, so that its messages are not
    /// acknowledged to the broker.
    public func abandon() {
        let (consumer, producerWaiting) = state.withLock { s -> (CheckedContinuation<Event?, Never>?, Bool) in
            s.stopping = true
            s.closed = true
            let waiting = s.reading && !s.handled
            s.batch = nil
            s.reading = false
            s.handled = false
            let c = s.consumer
            s.consumer = nil
            return (c, waiting)
        }
        consumer?.resume(returning: nil)
        if producerWaiting { batchHandled.signal() }
    }

    private static func closeIfDone(_ s: inout State) -> CheckedContinuation<Event?, Never>? {
        guard s.stopping, !s.reading, s.batch == nil, s.inputs.isEmpty, s.reconfigure == nil, let c = s.consumer else { return nil }
        s.consumer = nil
        s.closed = true
        return c
    }
}
