import Foundation
import Synchronization

/// Where the shell reads the time: the wall clock in production, a hand-set clock in tests.
/// The core never reads a clock; it gets time as input.
public protocol GatewayClock: Sendable {
    /// Unix milliseconds.
    func nowMs() -> Int64
}

/// The gateway's wall clock.
public struct WallClock: GatewayClock {
    public init() {}
    public func nowMs() -> Int64 { wallClockMs() }
}

/// A clock that moves only when told to: for driving the pipeline in-process in tests.
public final class ManualClock: GatewayClock {
    private let now: Mutex<Int64>
    public init(_ start: Int64) { now = Mutex(start) }
    public func nowMs() -> Int64 { now.withLock { $0 } }
    public func advance(byMs ms: Int64) { now.withLock { $0 += ms } }
    public func set(_ ms: Int64) { now.withLock { $0 = ms } }
}
