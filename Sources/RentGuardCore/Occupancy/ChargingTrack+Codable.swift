/// A charger port's session counter as a stored value (with its `MeterTrack.State` in
/// `OccupancyEstimator.Snapshot`), so that a restart neither counts a session twice nor
/// loses the register it has summed.
extension ChargingTrack {
    struct State: Sendable, Equatable, Codable {
        var registerKWh: Double
        var sessions: Int
        var lastWh: Double?
        var inSession: Bool
        /// The last reading's time; nil before the first.
        var lastTs: Int64?

        enum CodingKeys: String, CodingKey {
            case registerKWh = "register_kwh"
            case sessions
            case lastWh = "last_wh"
            case inSession = "in_session"
            case lastTs = "last_ts"
        }

        /// What a session counter cannot hold (nil: nothing wrong).
        var defect: String? {
            if !(registerKWh.isFinite && registerKWh >= 0) { return "charging register \(registerKWh) kWh" }
            if let w = lastWh, !(w.isFinite && w >= 0) { return "session counter \(w) Wh" }
            if sessions < 0 { return "negative session count" }
            if let t = lastTs, abs(t) > OccupancyEstimator.Snapshot.timeBound { return "time \(t) out of range" }
            return nil
        }
    }

    var state: State {
        State(registerKWh: registerKWh, sessions: sessions, lastWh: lastWh, inSession: inSession, lastTs: lastTs == .min ? nil : lastTs)
    }

    mutating func restore(_ s: State) {
        registerKWh = s.registerKWh
        sessions = s.sessions
        lastWh = s.lastWh
        inSession = s.inSession
        lastTs = s.lastTs ?? .min
    }
}
