import Logging
import RentGuardCore
import RentGuardStore

/// The core's learned state across restarts (issue 11 item 11): restored at start, written
/// every `snapshotIntervalMs` of wall time and at shutdown (`flush`). A reload keeps it in
/// memory (`DetectionEngine.reconfigured`).
extension Pipeline {
    /// How often the snapshot is written. Assumed: a crash loses at most five minutes of
    /// learning, for one small row write.
    static let snapshotIntervalMs: Int64 = 300_000

    /// The stored snapshot if it fits this configuration; otherwise nil, with a log line.
    static func storedSnapshot(_ store: Store, config: BuildingConfig, logger: Logger) -> EngineSnapshot? {
        switch store.loadEngineSnapshot() {
        case .none:
            return nil
        case let .unreadable(reason):
            logger.warning("discarding the stored detection state; rules relearn", metadata: ["reason": "\(reason)"])
            return nil
        case var .loaded(s):
            // The occupancy part has a row of its own (written when a day closes).
            if s.occupancy == nil { s.occupancy = store.loadOccupancySnapshot() }
            if let reason = s.incompatibility(with: config) {
                logger.warning("discarding the stored detection state; rules relearn", metadata: ["reason": "\(reason)"])
                return nil
            }
            let r = s.restorable(under: config)
            logger.notice("restored detection state", metadata: [
                "event_time": "\(s.now)", "devices_kept": "\(r.kept)", "devices_relearning": "\(r.fresh)",
            ])
            return s
        }
    }

    /// Says what the occupancy estimator got back from the snapshot: counts of what was
    /// kept and dropped, or why its part was set aside (the rest of the snapshot still
    /// restores). Nothing when the snapshot had no occupancy part.
    static func logOccupancyRestore(_ report: OccupancyEstimator.RestoreReport?, logger: Logger) {
        guard let r = report else { return }
        if let reason = r.discarded {
            // Counts only when the part could be read (a changed zone); an unreadable one has none.
            var m: Logger.Metadata = ["reason": "\(reason)"]
            if r.metersDropped + r.historiesDropped + r.trackersDropped > 0 {
                m["meters_dropped"] = "\(r.metersDropped)"
                m["series_dropped"] = "\(r.historiesDropped)"
                m["runs_dropped"] = "\(r.trackersDropped)"
            }
            logger.warning("discarding the stored occupancy state; occupancy relearns", metadata: m)
            return
        }
        logger.notice("restored occupancy state", metadata: [
            "meters_kept": "\(r.metersKept)", "meters_dropped": "\(r.metersDropped)", "series_kept": "\(r.historiesKept)",
            "series_dropped": "\(r.historiesDropped)", "runs_kept": "\(r.trackersKept)", "runs_dropped": "\(r.trackersDropped)",
        ])
    }

    /// Writes the rules' state (every `snapshotIntervalMs`; the store rewrites only the rows,
    /// per device and rule, that changed since the last save) and the occupancy estimator's,
    /// in its own row, only when it closed a day since it was last written, or at shutdown
    /// (`final`): its windows change once a day and it is most of the snapshot's bytes, so
    /// rewriting it every five minutes would be most of the gateway's flash writes
    /// (docs/footprint.md §4).
    mutating func saveSnapshot(now: Int64, final: Bool = false) {
        lastSnapshot = now
        do {
            var s = engine.snapshot()
            let occupancy = s.occupancy
            s.occupancy = nil
            try deps.store.saveEngineSnapshot(s, at: now)
            if let occupancy, let state = occupancy.state, final || occupancySaved?.nextPeriod != state.nextPeriod || occupancySaved == nil {
                try deps.store.saveOccupancySnapshot(occupancy, at: now)
                occupancySaved = (state.nextPeriod, now)
            }
        } catch {
            logger.error("cannot write the detection state", metadata: ["error": "\(error)"])
        }
    }
}
