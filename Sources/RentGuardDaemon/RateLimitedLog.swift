import Logging

/// Logs the first occurrence of each key at once, then at most one line per `interval`
/// with how many were suppressed, so that a flood of bad input cannot flood the journal.
struct RateLimitedLog {
    let intervalMs: Int64
    private var last: [String: (at: Int64, suppressed: Int)] = [:]

    init(intervalMs: Int64 = 10_000) { self.intervalMs = intervalMs }

    /// Returns nil if the line should be suppressed, or the number suppressed since the last line.
    mutating func admit(_ key: String, now: Int64) -> Int? {
        if let l = last[key], now - l.at < intervalMs {
            last[key] = (l.at, l.suppressed + 1)
            return nil
        }
        let suppressed = last[key]?.suppressed ?? 0
        last[key] = (now, 0)
        if last.count > 10_000 { last.removeAll() }
        return suppressed
    }
}
