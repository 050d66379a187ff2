import Synchronization

/// Wakes one waiting task when new work is queued. Rings coalesce: a ring while nobody
/// waits is kept for the next wait. Safe against cancellation and timeouts.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Bool, Never>)?
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether a task is parked in `wait(timeout:)` now (for tests and diagnostics).
    public var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    public func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.rung = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Waits for a ring, or until `timeout` passes. Returns true if it was rung.
    /// One waiter at a time (a second waiter displaces the first, which returns false).
    /// The wait and the timer are two children of one task group: whichever ends first
    /// cancels the other, and a ring that arrives meanwhile is never lost.
    public func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            var rung = await group.next() ?? false
            group.cancelAll()
            for await r in group { rung = rung || r }
            return rung
        }
    }

    private func waitForRing() async -> Bool {
        let id = state.withLock { s -> UInt64? in
            if s.rung {
                s.rung = false
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                // Checked under the lock the cancellation handler takes: a cancellation is
                // seen here or by the handler, never by neither.
                let (rungMeanwhile, cancelled, displaced) = state.withLock { s -> (Bool, Bool, CheckedContinuation<Bool, Never>?) in
                    if s.rung {
                        s.rung = false
                        return (true, false, nil)
                    }
                    if Task.isCancelled { return (false, true, nil) }
                    let displaced = s.waiter?.continuation
                    s.waiter = (id, c)
                    return (false, false, displaced)
                }
                displaced?.resume(returning: false)
                if rungMeanwhile || cancelled { c.resume(returning: rungMeanwhile) }
            }
        } onCancel: {
            let expired = self.state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let w = s.waiter, w.id == id else { return nil }
                s.waiter = nil
                return w.continuation
            }
            expired?.resume(returning: false)
        }
    }
}

/// Rings every dispatcher's doorbell: each destination has its own, so a slow one never
/// holds up another.
public struct Doorbells: Sendable {
    public var bells: [Doorbell]
    public init(_ bells: [Doorbell] = []) { self.bells = bells }
    public func ring() { for b in bells { b.ring() } }
}
