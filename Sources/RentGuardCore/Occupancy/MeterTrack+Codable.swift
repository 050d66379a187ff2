/// A meter's register baseline and open periods as a stored value (part of
/// `OccupancyEstimator.Snapshot`). The meter's unit is named by id, never by its slot in the
/// configuration, so that a restore can tell whether the meter still belongs to the same unit.
extension MeterTrack {
    struct State: Sendable, Equatable, Codable {
        var kind: OccupancyMeterKind
        /// The unit the meter belonged to when the state was taken.
        var unit: String
        var lastTs: Int64?
        var lastRegister: Double?
        var lastPowerTs: Int64?
        var lastPowerW: Double?
        var usesRegister: Bool
        /// The last period with a reading; nil before the first.
        var lastSeen: Int64?
        /// Open periods, oldest first.
        var open: [OpenPeriod]
        /// A charger port's session counter (kind `charging` only).
        var charging: ChargingTrack.State? = nil

        struct OpenPeriod: Sendable, Equatable {
            var period: Int64
            var measured: MeterPeriod
        }

        enum CodingKeys: String, CodingKey {
            case kind, unit
            case lastTs = "last_ts"
            case lastRegister = "last_register"
            case lastPowerTs = "last_power_ts"
            case lastPowerW = "last_power_w"
            case usesRegister = "uses_register"
            case lastSeen = "last_seen"
            case open, charging
        }

        /// Why this state cannot be trusted (nil: it can): values a meter could not have produced.
        func defect(device: String, nextPeriod: Int64?) -> String? {
            if let r = lastRegister, !r.isFinite { return "meter \(device): register \(r)" }
            if (charging != nil) != (kind == .charging) { return "meter \(device): a session counter only with kind charging" }
            if let d = charging?.defect { return "meter \(device): \(d)" }
            if (lastPowerTs == nil) != (lastPowerW == nil) { return "meter \(device): power sample without its time or value" }
            if let w = lastPowerW, !(w.isFinite && w >= 0) { return "meter \(device): power \(w) W" }
            var previous: Int64? = nil
            for o in open {
                if let p = previous, o.period <= p { return "meter \(device): open periods out of order" }
                previous = o.period
                if let n = nextPeriod, o.period < n { return "meter \(device): open period \(o.period) before the next period to close (\(n))" }
                if nextPeriod == nil { return "meter \(device): open periods without a next period to close" }
                if let d = o.measured.defect { return "meter \(device), period \(o.period): \(d)" }
            }
            return nil
        }
    }

    /// The meter's state, with its unit's id (and a charger port's session counter).
    func state(unitID: String, charging: ChargingTrack.State? = nil) -> State {
        State(
            kind: kind, unit: unitID, lastTs: lastTs, lastRegister: lastRegister, lastPowerTs: lastPower?.ts, lastPowerW: lastPower?.w,
            usesRegister: usesRegister, lastSeen: lastSeenPeriod == .min ? nil : lastSeenPeriod,
            open: periods.keys.sorted().map { State.OpenPeriod(period: $0, measured: periods[$0]!) }, charging: charging)
    }

    /// Takes back a stored state (its kind and unit were checked by the caller).
    mutating func restore(_ s: State) {
        lastTs = s.lastTs
        lastRegister = s.lastRegister
        lastPower = s.lastPowerTs.flatMap { t in s.lastPowerW.map { (t, $0) } }
        usesRegister = s.usesRegister
        lastSeenPeriod = s.lastSeen ?? .min
        periods = Dictionary(s.open.map { ($0.period, $0.measured) }, uniquingKeysWith: { a, _ in a })
    }
}

/// One open period: `{"p": period, "volume": …, "covered_ms": …}`, counters only when non-zero.
extension MeterTrack.State.OpenPeriod: Codable {
    enum CodingKeys: String, CodingKey {
        case period = "p", volume, coveredMs = "covered_ms", nightMinPerHour = "night_min_per_h", nightIntervals = "night_intervals"
        case resets, jumps, gaps
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        period = try c.decode(Int64.self, forKey: .period)
        measured = MeterPeriod(
            volume: try c.decode(Double.self, forKey: .volume), coveredMs: try c.decode(Int64.self, forKey: .coveredMs),
            nightMinPerHour: try c.decodeIfPresent(Double.self, forKey: .nightMinPerHour),
            nightIntervals: try c.decodeIfPresent(Int.self, forKey: .nightIntervals) ?? 0,
            resets: try c.decodeIfPresent(Int.self, forKey: .resets) ?? 0, jumps: try c.decodeIfPresent(Int.self, forKey: .jumps) ?? 0,
            gaps: try c.decodeIfPresent(Int.self, forKey: .gaps) ?? 0)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let m = measured
        try c.encode(period, forKey: .period)
        try c.encode(m.volume, forKey: .volume)
        try c.encode(m.coveredMs, forKey: .coveredMs)
        try c.encodeIfPresent(m.nightMinPerHour, forKey: .nightMinPerHour)
        if m.nightIntervals != 0 { try c.encode(m.nightIntervals, forKey: .nightIntervals) }
        if m.resets != 0 { try c.encode(m.resets, forKey: .resets) }
        if m.jumps != 0 { try c.encode(m.jumps, forKey: .jumps) }
        if m.gaps != 0 { try c.encode(m.gaps, forKey: .gaps) }
    }
}

extension MeterPeriod {
    /// What a measured period cannot hold (nil: nothing wrong).
    var defect: String? {
        if !(volume.isFinite && volume >= 0) { return "volume \(volume)" }
        if coveredMs < 0 { return "covered \(coveredMs) ms" }
        if let r = nightMinPerHour, !r.isFinite { return "night rate \(r)" }
        if nightIntervals < 0 || resets < 0 || jumps < 0 || gaps < 0 { return "negative counter" }
        return nil
    }
}

extension OccupancyMeterKind: Codable {}
