import Foundation
import RentGuardCore
import RentGuardSimulator

/// The simulator's overcrowded block (simulator/scenarios/overcrowded_block.yaml) run for
/// `days` days instead of three, long enough for the calibration (7 days), the rolling window
/// and the flag's persistence rule. Its meters are decoded by the daemon's own protocol decoder
/// and fed to `OccupancyEstimator` in event time, in the building's zone.
struct BlockEvaluation {
    var scenarioPath: String
    var days: Int
    var overrides: [String: [String: Double]]
    /// Also print each meter's daily water and, per unit, the meters' evidence.
    var verbose = false

    func run() throws -> String {
        var sc = try Scenario.load(path: scenarioPath)
        sc.durationMs = Int64(days) * 86_400_000
        // Only meters matter here; smoke detectors and chargers are dropped to save time
        // (each device has its own random stream, so the meters' traffic is unchanged).
        sc.building.devices = sc.building.devices.filter { [.powerMeter, .waterMeter, .gasMeter].contains($0.kind) }
        for (k, v) in overrides { for (p, x) in v { sc.building.thresholds[k, default: [:]][p] = x } }
        let g = TrafficGenerator(scenario: sc).generate()
        let cfg = sc.building
        let decoder = ProtocolDecoder(config: cfg, futureCheck: false)
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg))
        var out: [OccupancyEstimate] = []
        var raised: [String: Int64] = [:]
        func collect(_ o: OccupancyOutput) {
            out += o.estimates
            for c in o.conditions where c.active { if let u = c.key.unit, raised[u] == nil { raised[u] = c.at } }
        }
        var rejected = 0
        var firstReg: [String: Double] = [:], lastReg: [String: Double] = [:]
        for m in g.messages {
            guard case let .success(r) = decoder.decode(topic: m.topic, payload: m.payloadBytes, receivedAt: m.tMs) else {
                rejected += 1
                continue
            }
            if case let .telemetry(.water(w)) = r.observation, let v = w.volumeL {
                if firstReg[r.device] == nil { firstReg[r.device] = v }
                lastReg[r.device] = v
            }
            if r.ts >= est.nextDeadline { collect(est.advance(to: r.ts)) }
            est.observe(r)
        }
        collect(est.advance(to: sc.startMs + sc.durationMs + 86_400_000))

        if verbose {
            for (d, v) in firstReg.sorted(by: { $0.key < $1.key }) { print(String(format: "  %@: %.0f L/day on the register", d, (lastReg[d]! - v) / Double(days))) }
        }
        var lines = ["Overcrowded block (\(sc.name), \(days) days, \(g.messages.count) meter messages, \(rejected) rejected):"]
        var mustFlagged = 0, must = 0, otherFlagged: [String] = [], mayFlagged: [String] = []
        var absErr = 0.0, n = 0, dayAbsErr = 0.0, regAbsErr = 0.0, allAbsErr = 0.0, all = 0
        for u in cfg.units {
            let truthDays = g.truth.occupancy.filter { $0.unit == u.id }
            let real = truthDays.first?.occupants ?? u.registeredOccupants
            let kind = g.truth.expectations.first { $0.type == "group_rental_suspected" && $0.unit == u.id }?.expect
            let es = out.filter { $0.unit == u.id }
            for e in es {
                guard let t = truthDays.first(where: { $0.dayStartMs <= e.periodStart && e.periodStart < $0.dayEndMs }) else { continue }
                let real = Double(t.occupants)
                allAbsErr += abs(e.estimated - real)  // what the registry files, every unit-day
                all += 1
                guard e.rolling != nil else { continue }
                absErr += abs(e.estimated - real)
                dayAbsErr += abs(e.dayEstimated - real)
                regAbsErr += abs(Double(e.registeredOccupants) - real)
                n += 1
            }
            let last = es.last { $0.rolling != nil }
            let flagDay = raised[u.id].map { Int(($0 - sc.startMs) / 86_400_000) }
            let truthLabel = kind.map { "\($0)" } ?? "no flag"
            if kind == .must {
                must += 1
                if flagDay != nil { mustFlagged += 1 }
            } else if flagDay != nil {
                if kind == .may { mayFlagged.append(u.id) } else { otherFlagged.append(u.id) }
            }
            let prob = last?.evidence["group_rental"]?["probabilities"]
            lines.append(
                String(format: "  %@ %3.0f m² registered %d real %2d (truth: %@): last rolling %@ [%@, %@], flagged %@ %@",
                       u.id, u.areaM2, u.registeredOccupants, real, truthLabel,
                       last?.rolling.map { String(format: "%.0f", $0) } ?? "-", last?.rollingLow.map { String(format: "%.0f", $0) } ?? "-",
                       last?.rollingHigh.map { String(format: "%.0f", $0) } ?? "-", flagDay.map { "from day \($0)" } ?? "never",
                       prob.map { $0.serialized() } ?? ""))
            if verbose, let m = last?.evidence["meters"]?.arrayValue { for k in m { lines.append("    \(k.serialized())") } }
        }
        func mae(_ x: Double, _ k: Int) -> Double { k > 0 ? x / Double(k) : .nan }
        lines.append(String(format: "  estimated_occupants (posterior) MAE vs truth %.2f persons, day-only figure %.2f, registered count %.2f, over the %d unit-days with a rolling window; estimated_occupants over all %d unit-days %.2f",
                            mae(absErr, n), mae(dayAbsErr, n), mae(regAbsErr, n), n, all, mae(allAbsErr, all)))
        lines.append("  group rentals (must) flagged: \(mustFlagged) of \(must); units with no expected flag flagged: \(otherFlagged.isEmpty ? "none" : otherFlagged.joined(separator: ", ")); 'may' units flagged: \(mayFlagged.isEmpty ? "none" : mayFlagged.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
