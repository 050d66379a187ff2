import Synchronization

/// Progress beats from the daemon's loops, read by the watchdog.
///
/// A component registers (or simply beats for the first time) and then calls `beat(_:)`
/// each time it completes a unit of work: the ingest loop after each message or tick, the
/// database probe after each successful query. A component whose last beat (or, if it never
/// beat, its registration) is older than the allowed age is stalled, and the watchdog stops
/// telling systemd that the daemon is alive.
public final class ProgressMonitor: Sendable {
    struct Entry: Sendable {
        var registeredAt: ContinuousClock.Instant
        var lastBeat: ContinuousClock.Instant?
        var beats: UInt64
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Starts watching `name`. Until its first beat it counts as progressing for `maxAge`
    /// after `at`, so that a slow start-up is not a stall. Registering again is harmless.
    public func register(_ name: String, at: ContinuousClock.Instant = .now) {
        entries.withLock { e in
            if e[name] == nil { e[name] = Entry(registeredAt: at, lastBeat: nil, beats: 0) }
        }
    }

    /// Stops watching `name` (a component that finished its work on purpose).
    public func unregister(_ name: String) {
        _ = entries.withLock { $0.removeValue(forKey: name) }
    }

    /// `name` made progress at `at`. An unknown name is registered.
    public func beat(_ name: String, at: ContinuousClock.Instant = .now) {
        entries.withLock { e in
            if var entry = e[name] {
                if entry.lastBeat.map({ $0 < at }) ?? true { entry.lastBeat = at }
                entry.beats &+= 1
                e[name] = entry
            } else {
                e[name] = Entry(registeredAt: at, lastBeat: at, beats: 1)
            }
        }
    }

    /// The registered components whose last beat (or registration, if they never beat) is
    /// older than `maxAge` at `now`, sorted by name.
    public func stalled(now: ContinuousClock.Instant = .now, maxAge: Duration) -> [String] {
        entries.withLock { e in
            e.filter { now - ($0.value.lastBeat ?? $0.value.registeredAt) > maxAge }.keys.sorted()
        }
    }

    /// The registered components, sorted.
    public var components: [String] { entries.withLock { $0.keys.sorted() } }

    /// Whether each of `names` has beaten at least once.
    public func haveBeaten(_ names: some Sequence<String>) -> Bool {
        entries.withLock { e in names.allSatisfy { (e[$0]?.beats ?? 0) > 0 } }
    }

    /// How long ago `name` last beat (nil if it never did or is unknown).
    public func age(of name: String, now: ContinuousClock.Instant = .now) -> Duration? {
        entries.withLock { $0[name]?.lastBeat.map { now - $0 } }
    }
}
