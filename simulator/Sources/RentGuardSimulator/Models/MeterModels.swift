import Foundation
import RentGuardCore

/// Power, water and gas meters of one flat, sampling its `PiecewiseLoad`.
///
/// - Power meter: active power = the flat's loads + noise (σ 1 % + 2 W); voltage 225 V
///   ± 1.5 V minus 0.08 V/A of supply impedance (assumed; China 220 V nominal); current =
///   P / (V · 0.95) (power factor assumed); the energy register integrates exactly and starts
///   at 1 000–20 000 kWh; residual (earth-leakage) current 5–30 mA (assumed; domain.md puts
///   a whole installation's normal leakage at 100–200 mA and the alarm at 300–500 mA).
/// - Water meter: register (L) from 100 000–900 000 L, instantaneous flow in L/min.
/// - Gas meter: register (m³) from 100–3 000 m³, flow in m³/h.
/// Events: overload (extra load so the current is `factor` × rated, default 1.3, for
/// `duration`, default 15 min), earth leakage (residual current ramps in 60 s to `ma`,
/// default 380 mA), meter replacement (the register restarts at `new_kwh`, default 0),
/// indoor e-bike charging and water leaks (added to the flat's loads).
struct MeterModel {
    var device: DeviceConfig
    var load: PiecewiseLoad
    var intervalMs: Int64
    var events: [ScenarioEvent]

    /// A flat's rated (breaker) current when the configuration gives none (assumed: 40 A).
    static let defaultRatedA = 40.0

    func generate(topicPrefix: String, building: String, startMs: Int64, endMs: Int64, rng: SimRandom) -> (messages: [SimMessage], markers: [ModelMarker]) {
        var r = rng
        var out: [SimMessage] = []
        var markers: [ModelMarker] = []
        let topic = "\(topicPrefix)/\(building)/\(device.id)/telemetry"
        var t = startMs + Int64(r.uniform(0...1) * Double(intervalMs)) / 1000 * 1000
        switch device.kind {
        case .powerMeter:
            let base = load.integrals(to: startMs).wh
            var register = r.uniform(1_000...20_000)
            let leakBase = r.uniform(5...30)
            let replacements = events.filter { $0.type == .meterReplacement }.sorted { $0.atMs < $1.atMs }
            let leaks = events.filter { $0.type == .leakage }
            var nextReplacement = 0
            var offsetWh = base
            while t < endMs {
                while nextReplacement < replacements.count, replacements[nextReplacement].atMs <= t {
                    let e = replacements[nextReplacement]
                    register = e.double("new_kwh", 0)
                    offsetWh = load.integrals(to: e.atMs).wh
                    nextReplacement += 1
                }
                let p = load.rates(at: t).powerW
                let power = max(0, p * (1 + r.normal(mean: 0, sd: 0.01)) + r.normal(mean: 0, sd: 2))
                let current0 = power / (225 * 0.95)
                let voltage = 225 + r.normal(mean: 0, sd: 1.5) - 0.08 * current0
                let current = power / (voltage * 0.95)
                let kwh = register + (load.integrals(to: t).wh - offsetWh) / 1000
                var residual = leakBase + r.normal(mean: 0, sd: 2)
                for e in leaks where t >= e.atMs && t < e.atMs + (e.durationMs ?? .max / 2) {
                    let target = e.double("ma", 380)
                    let f = min(1, Double(t - e.atMs) / 60_000)
                    residual = leakBase + (target - leakBase) * f + r.normal(mean: 0, sd: 8)
                    if residual >= 300, !markers.contains(where: { $0.eventIndex == e.index }) {
                        markers.append(ModelMarker(eventIndex: e.index, name: "over300", tMs: t))
                    }
                }
                out.append(SimMessage(tMs: t, topic: topic, payload: [
                    "ts": JSONValue(t), "power_w": num(power, 1), "voltage_v": num(voltage, 1), "current_a": num(current, 2),
                    "energy_kwh": num(kwh, 3), "residual_current_ma": num(max(0, residual), 0),
                ]))
                t += intervalMs
            }
        case .waterMeter:
            let base = load.integrals(to: startMs).litres
            let register = r.uniform(100_000...900_000)
            while t < endMs {
                let flow = load.rates(at: t).waterLPerMin
                let f = flow > 0 ? max(0, flow + r.normal(mean: 0, sd: 0.02)) : 0
                let v = register + load.integrals(to: t).litres - base
                out.append(SimMessage(tMs: t, topic: topic, payload: ["ts": JSONValue(t), "volume_l": num(v, 1), "flow_l_per_min": num(f, 2)]))
                t += intervalMs
            }
        case .gasMeter:
            let base = load.integrals(to: startMs).m3
            let register = r.uniform(100...3_000)
            while t < endMs {
                let flow = load.rates(at: t).gasM3PerH
                let v = register + load.integrals(to: t).m3 - base
                out.append(SimMessage(tMs: t, topic: topic, payload: ["ts": JSONValue(t), "volume_m3": num(v, 3), "flow_m3_per_h": num(flow, 3)]))
                t += intervalMs
            }
        default: break
        }
        return (out, markers)
    }

    /// Extra loads that events add to a flat (overload, indoor charging, water leak), with
    /// the markers the ground truth needs.
    static func eventLoads(_ events: [ScenarioEvent], ratedA: Double, endMs: Int64, utcOffsetMs: Int64, rng: SimRandom) -> (loads: [LoadInterval], markers: [ModelMarker]) {
        var loads: [LoadInterval] = []
        var markers: [ModelMarker] = []
        for e in events {
            var r = rng.fork("event\(e.index)")
            switch e.type {
            case .overload:
                let w = e.double("factor", 1.3) * ratedA * 225 * 0.95
                let end = e.atMs + (e.durationMs ?? 15 * SimTime.minuteMs)
                loads.append(LoadInterval(startMs: e.atMs, endMs: end, powerW: w, label: "overload"))
            case .waterLeak:
                let end = e.durationMs.map { e.atMs + $0 } ?? endMs + SimTime.dayMs
                loads.append(LoadInterval(startMs: e.atMs, endMs: end, waterLPerMin: e.double("l_per_min", 0.8), label: "water_leak"))
            case .indoorCharging:
                // A 48 V pack on its own 2–3 A charger brick: AC power = V·I / efficiency
                // (0.85, assumed) + 2 W, then a 5–15 W float tail until unplugged
                // (domain.md: a steady 100–300 W for hours, ending in a low float tail).
                let packV = e.double("pack_v", 48)
                let cells = e.double("cells").map { Int($0) } ?? BatteryPack.cells(forNominalV: packV)
                var s = ChargeSession(
                    pack: BatteryPack(cells: cells, capacityAh: e.double("capacity_ah", r.uniform(12...20))),
                    setCurrentA: e.double("current_a", r.uniform(2...3)), startQ: e.double("soc", r.uniform(0.1...0.3)),
                    floatMs: Int64(r.uniform(45...90) * 60_000))
                let eff = e.double("efficiency", 0.85)
                var t = e.atMs
                let step: Int64 = 60_000
                while s.phase != .done, t < endMs + SimTime.dayMs {
                    let (i, v) = s.output
                    loads.append(LoadInterval(startMs: t, endMs: t + step, powerW: v * i / eff + 2, label: "indoor_charging"))
                    s.step(step)
                    t += step
                }
                markers.append(ModelMarker(eventIndex: e.index, name: "charge_end", tMs: t))
                // Unplugged next morning at 07:00–08:00 local, or after `duration`.
                let midnight = SimTime.localMidnight(e.atMs, utcOffsetMs: utcOffsetMs)
                let nextMorning = midnight + (SimTime.localHour(e.atMs, utcOffsetMs: utcOffsetMs) >= 12 ? SimTime.dayMs : 0) + Int64(r.uniform(7...8) * 3_600_000)
                let unplug = e.durationMs.map { e.atMs + $0 } ?? nextMorning
                if unplug > t {
                    loads.append(LoadInterval(startMs: t, endMs: unplug, powerW: r.uniform(5...15), label: "indoor_charging_float"))
                }
            default: break
            }
        }
        return (loads, markers)
    }
}
