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
        /// Each device's offline timeout as the core's supervision applies it (learned cadence).
        var offlineTimeouts: [String: Int64] = [:]
        /// Messages taken in and rejected, as of the same batch as the rows.
        var received = 0
        var rejected = 0
    }

    private let state = Mutex(State())

    public init() {}

    func seed(_ rows: [Store.DeviceRow]) {
        state.withLock { s in for r in rows { s.rows[r.deviceID] = r } }
    }

    func publish(_ rows: [Store.DeviceRow], now: Int64, received: Int? = nil, rejected: Int? = nil) {
        state.withLock { s in
            for r in rows { s.rows[r.deviceID] = r }
            s.now = now
            if let received { s.received = received }
            if let rejected { s.rejected = rejected }
        }
    }

    /// The devices' census and the message counts, from one reading: the pipeline publishes
    /// them together after each batch, so no view sees a count ahead of the devices.
    public func snapshot(_ config: BuildingConfig) -> (census: DeviceCensus, received: Int, rejected: Int) {
        state.withLock { s in
            (DeviceCensus(config: config, rows: s.rows, now: s.now, offlineTimeouts: s.offlineTimeouts), s.received, s.rejected)
        }
    }

    func publishOfflineTimeouts(_ timeouts: [String: Int64]) {
        state.withLock { $0.offlineTimeouts = timeouts }
    }

    public var rows: [String: Store.DeviceRow] { state.withLock { $0.rows } }

    /// Counts the configured devices, all from one consistent reading.
    public func census(_ config: BuildingConfig) -> DeviceCensus {
        state.withLock { s in DeviceCensus(config: config, rows: s.rows, now: s.now, offlineTimeouts: s.offlineTimeouts) }
    }
}

/// Registered devices by state, and which are offline: a device is offline when its last
/// status said so or it has been silent for the core's offline timeout (`missed_reports` ×
/// its `report_interval_s`, or the cadence learned from its traffic, or the default 60 s):
/// the same figure the `device_offline` rule applies (`DeviceOfflineRule.offlineTimeoutMs`).
public struct DeviceCensus: Sendable, Equatable {
    public var registered = 0
    public var online = 0
    public var offline = 0
    public var neverSeen = 0
    public var offlineIDs: Set<String> = []
    public var now: Int64 = 0

    init(config: BuildingConfig, rows: [String: Store.DeviceRow], now: Int64, offlineTimeouts: [String: Int64] = [:]) {
        self.now = now
        registered = config.devices.count
        let thresholds = Thresholds(config: config)
        for d in config.devices {
            guard let row = rows[d.id] else { neverSeen += 1; continue }
            let timeout = offlineTimeouts[d.id] ?? DeviceOfflineRule.offlineTimeoutMs(d, thresholds: thresholds, cadence: nil)
            if Self.isOffline(row, timeoutMs: timeout, now: now) {
                offline += 1
                offlineIDs.insert(d.id)
            } else {
                online += 1
            }
        }
    }

    static func isOffline(_ row: Store.DeviceRow, timeoutMs: Int64, now: Int64) -> Bool {
        row.online == false || (timeoutMs > 0 && now - row.lastSeen >= timeoutMs)
    }
}
