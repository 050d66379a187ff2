/// The occupancy estimator's learned state as a value, so that a restart keeps its windows
/// (up to 42 days of each unit's daily use), its meters' open periods and register baselines,
/// and each unit's group-rental runs. It travels inside `EngineSnapshot`.
///
/// Everything is keyed by stable ids, never by a slot in the configuration: meters by device
/// id, a charger port linked to a unit by `<charger id>/<port>` (with its session counter),
/// each with its kind and unit; daily use by unit id and meter kind (with the meters that
/// measured it), group-rental runs by unit id (with the unit's registration, area and rooms).
/// `OccupancyEstimator.restore(_:)` takes back what still matches the configuration and
/// drops the rest, counted in its `RestoreReport`:
/// - a meter whose device is gone, or now of another kind or unit, starts afresh (a charger
///   port no longer linked, or linked to another unit, likewise);
/// - a unit's daily use of one kind is kept only while the unit has exactly the meters of
///   that kind that measured it: a meter added to or moved out of a unit changes what its
///   "use" means, and an own-history step made of a meter change would look like a move-in;
/// - a unit's group-rental runs are kept while its registration, area, flat type and rented
///   rooms are unchanged (they decide which criteria can hold);
/// - everything is dropped when the local periods changed (`gateway.timezone` or the period
///   length): period numbers would name other days.
/// Changed occupancy parameters keep the state; the new values apply from the next close.
extension OccupancyEstimator {
    public struct Snapshot: Sendable, Equatable, Codable {
        /// The layout of this value; a snapshot of another version is not restored.
        public static let currentVersion = 1

        public var version: Int
        /// The local periods the period numbers count: the zone's name and the period length.
        public var zone: String
        public var periodSeconds: Int
        /// The earliest period not yet closed (nil before the first reading).
        public var nextPeriod: Int64?
        /// Meter id (`OccupancyEstimator.meterIDs`) → the meter's state.
        var meters: [String: MeterTrack.State]
        /// Unit id → its daily use per kind and its group-rental runs.
        var units: [String: UnitState]

        struct UnitState: Sendable, Equatable, Codable {
            /// `OccupancyEstimator.unitFingerprint`: what the group-rental runs depend on.
            var fingerprint: String
            /// nil: not suspected and no run under way.
            var tracker: Tracker?
            /// Meter kind (`water`, `electricity`, `gas`) → usable days.
            var history: [String: Series]
        }

        struct Tracker: Sendable, Equatable, Codable {
            var active: Bool
            var holdRun: Int
            var clearRun: Int

            enum CodingKeys: String, CodingKey {
                case active
                case holdRun = "hold_run"
                case clearRun = "clear_run"
            }
        }

        /// One unit's usable days of one kind, oldest first.
        struct Series: Sendable, Equatable {
            /// The unit's meters of this kind (meter ids, sorted) that measured these days.
            var meters: [String]
            var periods: [Int64]
            /// Active use of each day (L, kWh or m³), exactly as the estimator holds it.
            var use: [Double]
        }

        enum CodingKeys: String, CodingKey {
            case version, zone
            case periodSeconds = "period_s"
            case nextPeriod = "next_period"
            case meters, units
        }

        init(version: Int, zone: String, periodSeconds: Int, nextPeriod: Int64?, meters: [String: MeterTrack.State], units: [String: UnitState]) {
            self.version = version
            self.zone = zone
            self.periodSeconds = periodSeconds
            self.nextPeriod = nextPeriod
            self.meters = meters
            self.units = units
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            version = try c.decode(Int.self, forKey: .version)
            guard version == Self.currentVersion else {
                throw DecodingError.dataCorruptedError(
                    forKey: .version, in: c, debugDescription: "occupancy snapshot version \(version), this build reads version \(Self.currentVersion)")
            }
            zone = try c.decode(String.self, forKey: .zone)
            periodSeconds = try c.decode(Int.self, forKey: .periodSeconds)
            nextPeriod = try c.decodeIfPresent(Int64.self, forKey: .nextPeriod)
            meters = try c.decode([String: MeterTrack.State].self, forKey: .meters)
            units = try c.decode([String: UnitState].self, forKey: .units)
            if let d = defect { throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: d)) }
        }

        /// Period numbers and times far outside any real clock would overflow the arithmetic.
        static let periodBound: Int64 = 1_000_000_000
        static let timeBound: Int64 = 1_000_000_000_000_000

        /// Why this value cannot be a state the estimator had (nil: it can).
        var defect: String? {
            if version != Self.currentVersion { return "occupancy snapshot version \(version)" }
            if periodSeconds < 3600 { return "period of \(periodSeconds) s" }
            func inRange(_ p: Int64) -> Bool { abs(p) <= Self.periodBound }
            if let n = nextPeriod, !inRange(n) { return "next period \(n) out of range" }
            for (device, m) in meters.sorted(by: { $0.key < $1.key }) {
                if let d = m.defect(device: device, nextPeriod: nextPeriod) { return d }
                if let t = m.lastTs, abs(t) > Self.timeBound { return "meter \(device): time \(t) out of range" }
                if let t = m.lastPowerTs, abs(t) > Self.timeBound { return "meter \(device): time \(t) out of range" }
                if let p = m.lastSeen, !inRange(p) { return "meter \(device): period \(p) out of range" }
                if let p = m.open.last?.period, !inRange(p) { return "meter \(device): period \(p) out of range" }
            }
            for (unit, u) in units.sorted(by: { $0.key < $1.key }) {
                if let t = u.tracker, t.holdRun < 0 || t.clearRun < 0 { return "unit \(unit): negative run" }
                for (kind, s) in u.history.sorted(by: { $0.key < $1.key }) {
                    if OccupancyMeterKind(rawValue: kind) == nil { return "unit \(unit): unknown meter kind '\(kind)'" }
                    if let d = s.defect { return "unit \(unit), \(kind): \(d)" }
                }
            }
            return nil
        }
    }

    /// What a restore kept and dropped. "Dropped" counts what the snapshot held and the
    /// configuration no longer matches; meters and units new since the snapshot start afresh.
    public struct RestoreReport: Sendable, Equatable, CustomStringConvertible {
        /// Why nothing was restored (another version, zone or period length, an unreadable
        /// stored value); nil when the snapshot was used.
        public var discarded: String? = nil
        public var metersKept = 0
        public var metersDropped = 0
        /// Unit-and-kind series of daily use.
        public var historiesKept = 0
        public var historiesDropped = 0
        /// Units' group-rental runs.
        public var trackersKept = 0
        public var trackersDropped = 0

        public init() {}

        public var description: String {
            if let d = discarded { return "discarded: \(d)" }
            return "meters \(metersKept) kept / \(metersDropped) dropped, daily-use series \(historiesKept) / \(historiesDropped), "
                + "group-rental runs \(trackersKept) / \(trackersDropped)"
        }
    }

    /// The estimator's state, to be given back to `restore(_:)` after a restart or a reload.
    public func snapshot() -> Snapshot {
        let idOfMeter = meterIDs()
        var trackOfMeter: [Int: Int] = [:]
        for (t, m) in chargingPorts.meterOfTrack.enumerated() { trackOfMeter[m] = t }
        var ms: [String: MeterTrack.State] = [:]
        for (i, id) in idOfMeter.enumerated() where !id.isEmpty {
            ms[id] = meters[i].state(unitID: units[meters[i].unit].id, charging: trackOfMeter[i].map { chargingPorts.tracks[$0].state })
        }
        var us: [String: Snapshot.UnitState] = [:]
        for slot in units.indices where us[units[slot].id] == nil {
            var series: [String: Snapshot.Series] = [:]
            for k in OccupancyMeterKind.allCases where !history[slot][k.index].isEmpty {
                let h = history[slot][k.index]
                series[k.rawValue] = Snapshot.Series(
                    meters: unitMeters[slot][k.index].map { idOfMeter[$0] }.sorted(), periods: h.map(\.period), use: h.map(\.use))
            }
            let t = trackers[slot]
            let tracker = t.active || t.holdRun > 0 || t.clearRun > 0 ? Snapshot.Tracker(active: t.active, holdRun: t.holdRun, clearRun: t.clearRun) : nil
            guard !series.isEmpty || tracker != nil else { continue }
            us[units[slot].id] = Snapshot.UnitState(fingerprint: Self.unitFingerprint(units[slot]), tracker: tracker, history: series)
        }
        return Snapshot(
            version: Snapshot.currentVersion, zone: clock.zone.name, periodSeconds: Int(clock.periodMs / 1000), nextPeriod: nextPeriod, meters: ms,
            units: us)
    }

    /// Takes back what `snapshot` holds that still matches this estimator's configuration (see
    /// `Snapshot`). Call it on a new estimator, before any reading. A unit's suspected flag is
    /// taken as stored; `restoreFlags(from:)` then lets the active alarms decide it.
    @discardableResult
    public mutating func restore(_ s: Snapshot) -> RestoreReport {
        var r = RestoreReport()
        let historyCount = s.units.values.reduce(0) { $0 + $1.history.count }
        let trackerCount = s.units.values.reduce(0) { $0 + ($1.tracker == nil ? 0 : 1) }
        func discard(_ why: String) -> RestoreReport {
            r.discarded = why
            r.metersDropped = s.meters.count
            r.historiesDropped = historyCount
            r.trackersDropped = trackerCount
            return r
        }
        if let d = s.defect { return discard(d) }
        if s.zone != clock.zone.name { return discard("snapshot in local time of '\(s.zone)', the gateway's zone is '\(clock.zone.name)'") }
        if Int64(s.periodSeconds).multipliedReportingOverflow(by: 1000) != (clock.periodMs, false) { return discard("snapshot of \(s.periodSeconds) s periods, estimating \(clock.periodMs / 1000) s periods") }

        nextPeriod = s.nextPeriod
        let idOfMeter = meterIDs()
        var meterOfID: [String: Int] = [:]
        for (i, id) in idOfMeter.enumerated() where !id.isEmpty { meterOfID[id] = i }
        var trackOfMeter: [Int: Int] = [:]
        for (t, m) in chargingPorts.meterOfTrack.enumerated() { trackOfMeter[m] = t }
        for (id, st) in s.meters {
            guard let i = meterOfID[id], meters[i].kind == st.kind, units[meters[i].unit].id == st.unit,
                (trackOfMeter[i] != nil) == (st.charging != nil)
            else {
                r.metersDropped += 1
                continue
            }
            meters[i].restore(st)
            if let t = trackOfMeter[i], let c = st.charging { chargingPorts.tracks[t].restore(c) }
            r.metersKept += 1
        }
        var slotOf: [String: Int] = [:]
        for (i, u) in units.enumerated() where slotOf[u.id] == nil { slotOf[u.id] = i }
        for (id, u) in s.units {
            guard let slot = slotOf[id] else {
                r.historiesDropped += u.history.count
                r.trackersDropped += u.tracker == nil ? 0 : 1
                continue
            }
            for (kind, series) in u.history {
                guard let k = OccupancyMeterKind(rawValue: kind), series.meters == unitMeters[slot][k.index].map({ idOfMeter[$0] }).sorted() else {
                    r.historiesDropped += 1
                    continue
                }
                history[slot][k.index] = zip(series.periods, series.use).map { DayUse(period: $0, use: $1) }
                r.historiesKept += 1
            }
            if let t = u.tracker {
                if u.fingerprint == Self.unitFingerprint(units[slot]) {
                    trackers[slot] = GroupRentalTracker(active: t.active, holdRun: t.holdRun, clearRun: t.clearRun)
                    r.trackersKept += 1
                } else {
                    r.trackersDropped += 1
                }
            }
        }
        return r
    }

    /// The alarms decide which units are suspected: each unit is exactly when an active
    /// `group_rental_suspected` alarm names it (a snapshot taken minutes before a crash may
    /// be behind the alarm table).
    public mutating func restoreFlags(from alarms: [Alarm]) {
        for i in trackers.indices { trackers[i].active = false }
        for a in alarms { restore(a) }
    }

    /// Each meter's stable id, by meter index: its device id, or `<charger id>/<port>` for a
    /// charger port linked to a unit (a device id never holds `/`: it is one topic level).
    func meterIDs() -> [String] {
        var ids = Array(repeating: "", count: meters.count)
        for (d, i) in meterOfDevice { ids[i] = d }
        for (d, ports) in chargingPorts.byDevice {
            for (port, t) in ports { ids[chargingPorts.meterOfTrack[t]] = "\(d)/\(port)" }
        }
        return ids
    }

    /// What a unit's group-rental runs depend on besides its use.
    static func unitFingerprint(_ u: UnitConfig) -> String {
        "\(u.registeredOccupants)|\(u.areaM2)|\(u.completeFlat)|\(u.roomsRented.map { "\($0)" } ?? "-")"
    }
}

extension OccupancyEstimator.Snapshot.Series: Codable {
    enum CodingKeys: String, CodingKey { case meters, periods, use }

    /// `periods` is stored as the first period and then the step to each next one (mostly 1).
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        meters = try c.decode([String].self, forKey: .meters)
        let steps = try c.decode([Int64].self, forKey: .periods)
        use = try c.decode([Double].self, forKey: .use)
        var periods: [Int64] = []
        periods.reserveCapacity(steps.count)
        for (i, s) in steps.enumerated() {
            let bound = OccupancyEstimator.Snapshot.periodBound
            guard i == 0 ? abs(s) <= bound : (s >= 1 && s <= 2 * bound) else {
                throw DecodingError.dataCorruptedError(forKey: .periods, in: c, debugDescription: "period step \(s) at \(i)")
            }
            periods.append(i == 0 ? s : periods[i - 1] + s)
        }
        self.periods = periods
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(meters, forKey: .meters)
        try c.encode(periods.indices.map { $0 == 0 ? periods[0] : periods[$0] - periods[$0 - 1] }, forKey: .periods)
        try c.encode(use, forKey: .use)
    }

    var defect: String? {
        if periods.count != use.count { return "\(periods.count) periods, \(use.count) values" }
        if meters.isEmpty { return "no meters" }
        for i in periods.indices {
            if i > 0 && periods[i] <= periods[i - 1] { return "periods out of order" }
            if abs(periods[i]) > OccupancyEstimator.Snapshot.periodBound { return "period \(periods[i]) out of range" }
            if !(use[i].isFinite && use[i] >= 0) { return "use \(use[i]) on period \(periods[i])" }
        }
        return nil
    }
}
