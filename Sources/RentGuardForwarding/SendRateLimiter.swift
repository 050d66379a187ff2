import Synchronization

/// Keeps one destination within a vendor's sending limits (DingTalk and WeCom robots: 20
/// messages a minute; Feishu: 100 a minute and 5 a second) by waiting before a send, so
/// the limit is never hit rather than discovered by errors. Each limit is a sliding
/// window: at most `count` sends in any `window`. The send times are kept in memory, at
/// most `count` per window (bounded).
public final class SendRateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        public var count: Int
        public var window: Duration
        public init(count: Int, window: Duration) {
            self.count = max(1, count)
            self.window = window
        }
    }

    let limits: [Limit]
    let sent = Mutex<[ContinuousClock.Instant]>([])
    let longest: Int

    public init(_ limits: [Limit]) {
        self.limits = limits
        self.longest = limits.map(\.count).max() ?? 1
    }

    /// How long to wait before the next send may go, at `now`; zero when it may go at once.
    public func delay(at now: ContinuousClock.Instant = .now) -> Duration {
        sent.withLock { times in
            var wait = Duration.zero
            for l in limits where times.count >= l.count {
                // The send `count` places back must have left the window.
                let oldest = times[times.count - l.count]
                let free = oldest + l.window
                if free > now { wait = max(wait, free - now) }
            }
            return wait
        }
    }

    /// Waits until a send is allowed and records it. Throws `CancellationError` when the
    /// task is cancelled while waiting (nothing is recorded then).
    public func acquire() async throws {
        while true {
            let wait = delay()
            if wait == .zero {
                let recorded = sent.withLock { times -> Bool in
                    // Another sender may have taken the slot meanwhile.
                    guard limits.allSatisfy({ l in times.count < l.count || times[times.count - l.count] + l.window <= .now }) else { return false }
                    times.append(.now)
                    if times.count > longest { times.removeFirst(times.count - longest) }
                    return true
                }
                if recorded { return }
                continue
            }
            try await Task.sleep(for: wait)
        }
    }
}
