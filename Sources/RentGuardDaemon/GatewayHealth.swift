import RentGuardCore
import Synchronization

/// The gateway's health as the pipeline last saw it: read by the heartbeat, the watchdog
/// and the local API. Updated once per tick.
public final class GatewayHealth: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var startedAt: Int64 = 0
        public var devicesRegistered = 0
        public var devicesOnline = 0
        public var devicesOffline = 0
        public var devicesNeverSeen = 0
        public var activeAlarms = 0
        public var lastPipelineTick: Int64 = 0
        public var messagesReceived = 0
        public var messagesRejected = 0
        public var unpersistedTransitions = 0
        public var outboxEvicted = 0
        public var heartbeatsSuperseded = 0
        /// The latest occupancy estimate of each unit.
        public var occupancy: [String: OccupancyEstimate] = [:]
        /// Device ids considered offline at the last tick.
        public var offlineDevices: Set<String> = []
    }

    private let state: Mutex<Snapshot>

    public init(startedAt: Int64) {
        var s = Snapshot()
        s.startedAt = startedAt
        state = Mutex(s)
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}
