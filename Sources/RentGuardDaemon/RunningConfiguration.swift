import RentGuardCore
import Synchronization

/// The configuration in force: one holder, made in `Daemon.build` and read by every service
/// that shows or uses the configuration (the operator's API, the heartbeat, the ledger
/// reports, the watchdog's status line), so that a SIGHUP reload reaches all of them at once.
/// Services that keep state built from it (detection, forwarding) are told of a new one
/// through `onChange`, in the order they registered.
public final class RunningConfiguration: Sendable {
    public typealias Observer = @Sendable (_ new: BuildingConfig, _ old: BuildingConfig) -> Void

    private struct State {
        var config: BuildingConfig
        var generation = 0
        var observers: [Observer] = []
    }
    private let state: Mutex<State>

    public init(_ config: BuildingConfig) {
        state = Mutex(State(config: config))
    }

    /// The configuration in force now. Read it at each use; never keep a copy.
    public var current: BuildingConfig { state.withLock { $0.config } }

    /// How many times it was replaced since start (0: the startup configuration).
    public var generation: Int { state.withLock { $0.generation } }

    /// Calls `observer` with every later configuration, after it is in force.
    public func onChange(_ observer: @escaping Observer) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Puts `new` in force and tells the observers.
    public func replace(_ new: BuildingConfig) {
        let (old, observers) = state.withLock { s -> (BuildingConfig, [Observer]) in
            let old = s.config
            s.config = new
            s.generation += 1
            return (old, s.observers)
        }
        for o in observers { o(new, old) }
    }
}
