/// One charger port's session counter turned into a cumulative register.
///
/// A charger reports per port `energy_wh`, the energy delivered **in the current session**
/// (protocol v1 §1.1): it restarts at 0 at each session start, so a drop is a new session,
/// not a meter reset. The track counts only increases within a session and keeps their sum
/// as a cumulative register (kWh) that never falls, which a `MeterTrack` of kind `.charging`
/// then spreads into local days like any meter's register (coverage, gaps and the
/// implausible-rate check included).
///
/// A new session starts (the next reading's whole `energy_wh` is energy of that session,
/// delivered since its start) on:
/// - a `session_start` event for the port later than the last reading;
/// - a drop of `energy_wh` below the last reading's;
/// - the state entering `charging` or `full` after a reading in which the port was `idle`.
///
/// `fault` is not a boundary (a fault may interrupt a session whose counter goes on): a rise
/// during or after it continues the session, a drop starts a new one. `session_end` needs no
/// handling: after it the counter either stays (no rise), shows the session's last part (a
/// rise, counted) or falls to 0 (nothing counted). The first reading of a port only sets the
/// baseline: what was delivered before it is unknown.
struct ChargingTrack: Sendable, Equatable {
    /// Energy delivered at the port since its first reading, kWh (never falls).
    var registerKWh: Double = 0
    /// Sessions started since the first reading (drops, `session_start`, idle → charging).
    var sessions = 0
    /// `energy_wh` of the last reading; nil before the first.
    var lastWh: Double? = nil
    /// The port was in a session at its last reading and no `session_start` came since.
    var inSession = false
    var lastTs: Int64 = .min

    /// A port reading; returns the register to feed to the port's `MeterTrack`, or nil for a
    /// late or duplicate reading (the counter already moved past it) or an invalid counter.
    mutating func observe(ts: Int64, state: PortState, energyWh e: Double) -> Double? {
        guard ts > lastTs, e.isFinite, e >= 0 else { return nil }
        lastTs = ts
        guard let last = lastWh else {
            lastWh = e
            inSession = state == .charging || state == .full
            return registerKWh
        }
        var delivered = 0.0
        switch state {
        case .charging, .full:
            if !inSession || e < last {
                // A new session: its counter started at 0 after the last reading.
                delivered = e
                sessions += 1
            } else {
                delivered = e - last
            }
            inSession = true
        case .idle:
            // The tail of a session that ended since the last reading (a counter kept at the
            // session's total); a counter back at 0 delivered nothing.
            if inSession, e >= last { delivered = e - last }
            inSession = false
        case .fault:
            if e < last {
                delivered = e
                sessions += 1
                inSession = true
            } else if inSession {
                delivered = e - last
            }
        }
        lastWh = e
        registerKWh += delivered / 1000
        return registerKWh
    }

    /// A `session_start` event: the next reading's counter is the new session's, from 0.
    /// An event not later than the last reading is already reflected in it and is ignored.
    mutating func sessionStart(ts: Int64) {
        guard ts > lastTs else { return }
        inSession = false
        if lastWh != nil { lastWh = 0 }
    }
}
