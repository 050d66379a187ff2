/// The charger ports the configuration reserves for units (`unit_ports` on a charger):
/// each port's session counter (`ChargingTrack`) feeds a `MeterTrack` of kind `.charging` in
/// the estimator, so a unit's e-bike charging energy per local day enters the same
/// calibration, own-history step and posterior as its meters (docs/occupancy.md §1, §4).
/// Ports not linked to a unit (shared ports) and other chargers are ignored.
struct ChargingPorts: Sendable {
    /// Charger device id → port number → index in `tracks`.
    var byDevice: [String: [Int: Int]] = [:]
    var tracks: [ChargingTrack] = []
    /// The estimator's meter index of each track.
    var meterOfTrack: [Int] = []

    /// A linked port: which unit slot its energy counts for.
    struct Link: Sendable, Equatable {
        var device: String
        var port: Int
        var slot: Int
    }

    /// The configuration's links, in device then port order; a device id listed twice counts
    /// once (as for meters), links to unknown units are left out (validation reports them).
    static func links(_ config: BuildingConfig, unitSlot: [String: Int]) -> [Link] {
        var seen = Set<String>()
        var out: [Link] = []
        for d in config.devices where d.kind == .charger && !d.unitPorts.isEmpty && !seen.contains(d.id) {
            seen.insert(d.id)
            for l in d.portLinks {
                guard let slot = unitSlot[l.unit] else { continue }
                out.append(Link(device: d.id, port: l.port, slot: slot))
            }
        }
        return out
    }

    mutating func add(_ link: Link, meter: Int) {
        byDevice[link.device, default: [:]][link.port] = tracks.count
        tracks.append(ChargingTrack())
        meterOfTrack.append(meter)
    }

    /// Whether readings of `device` are charging evidence (a charger with linked ports).
    func handles(_ device: String) -> Bool { byDevice[device] != nil }

    /// A charger's reading: the registers (kWh) to feed to the linked ports' meter tracks.
    /// Telemetry of unlinked ports, ports without `energy_wh`, and events other than
    /// `session_start` yield nothing.
    mutating func observe(_ reading: Reading) -> [(meter: Int, registerKWh: Double)] {
        guard let ports = byDevice[reading.device] else { return [] }
        switch reading.observation {
        case let .telemetry(.charger(c)):
            var out: [(meter: Int, registerKWh: Double)] = []
            for r in c.ports {
                guard let i = ports[r.port], let e = r.energyWh, let v = tracks[i].observe(ts: reading.ts, state: r.state, energyWh: e) else { continue }
                out.append((meterOfTrack[i], v))
            }
            return out
        case let .event(e):
            if e.name == .sessionStart, let p = e.port, let i = ports[p] { tracks[i].sessionStart(ts: reading.ts) }
            return []
        default:
            return []
        }
    }
}
