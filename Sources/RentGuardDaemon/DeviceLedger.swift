import RentGuardCore
import RentGuardStore
import Synchronization

/// The live state of every device as the pipeline knows it this moment: the one source the
/// operator's views (status, devices, heartbeat, metrics) read, so they agree with each
/// other at any moment, on the wall clock and on the event clock. The database copy is
/// written from the same rows on the flush interval, for restarts.
public final class DeviceLedger: Sendable {
    struct State {
        var rows: [String: Store.DeviceRow] = [:]
        /// The time "now" means for offline decisions: the wall clock, or on the event clock
        /// the core's event time.
        var now: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    func seed(_ rows: [Store.DeviceRow]) {
        state.withLock { s in for r in rows { s.rows[r.deviceID] = r } }
    }

    func publish(_ rows: [Store.DeviceRow], now: Int64) {
        state.withLock { s in
            for r in rows { s.rows[r.deviceID] = r }
            s.now = now
        }
    }

    public var rows: [String: Store.DeviceRow] { state.withLock { $0.rows } }

    /// Counts the configured devices, all from one consistent reading.
    public func census(_ config: BuildingConfig) -> DeviceCensus {
        state.withLock { s in DeviceCensus(config: config, rows: s.rows, now: s.now) }
    }
}

/// Registered devices by state, and which are offline: a device is offline when its last
/// status said so or it missed three reports (`report_interval_s`, default 60 s).
public struct DeviceCensus: Sendable, Equatable {
    public var registered = 0
    public var online = 0
    public var offline = 0
    public var neverSeen = 0
    public var offlineIDs: Set<String> = []
    public var now: Int64 = 0

    init(config: BuildingConfig, rows: [String: Store.DeviceRow], now: Int64) {
        self.now = now
        registered = config.devices.count
        for d in config.devices {
            guard let row = rows[d.id] else { neverSeen += 1; continue }
            if Self.isOffline(row, interval: d.reportIntervalSeconds, now: now) {
                offline += 1
                offlineIDs.insert(d.id)
            } else {
                online += 1
            }
        }
    }

    static func isOffline(_ row: Store.DeviceRow, interval: Double?, now: Int64) -> Bool {
        row.online == false || now - row.lastSeen > 3 * Int64((interval ?? 60) * 1000)
    }
}
