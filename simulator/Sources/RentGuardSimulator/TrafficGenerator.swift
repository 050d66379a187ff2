import Foundation
import RentGuardCore

/// The traffic of a scenario and what should be detected in it.
public struct GeneratedTraffic: Sendable {
    /// Every device message, ordered by time (ties: building device order).
    public var messages: [SimMessage]
    public var truth: GroundTruth
}

/// Turns a `Scenario` into device traffic, deterministically: the same scenario and seed
/// give the same messages, byte for byte. Pure: no clock, no I/O, no global state.
public struct TrafficGenerator: Sendable {
    public let scenario: Scenario

    public init(scenario: Scenario) { self.scenario = scenario }

    /// Generates the messages and the ground truth.
    public func generate() -> GeneratedTraffic {
        let sc = scenario
        let b = sc.building
        let prefix = sc.topicPrefix
        let bid = b.gateway.building
        let root = SimRandom(seed: sc.seed)
        var perDevice: [[SimMessage]] = []
        var markers: [ModelMarker] = []
        var smokeModels: [String: SmokeDetectorModel] = [:]

        // Households: one load timeline per unit, with event loads.
        var loads: [String: PiecewiseLoad] = [:]
        var householdIntervals: [String: [LoadInterval]] = [:]
        for u in b.units {
            let hasGas = b.devices.contains { $0.unit == u.id && $0.kind == .gasMeter }
            let electric: Bool
            switch sc.household.waterHeater {
            case .auto: electric = !hasGas
            case .gas: electric = false
            case .electric: electric = true
            }
            let days = (0..<sc.dayCount).map { sc.occupants(unit: u.id, day: $0) }
            var intervals = HouseholdModel.intervals(
                .init(unit: u.id, occupantsPerDay: days, hasGas: hasGas, electricWaterHeater: electric, options: sc.household),
                fromMs: sc.startMs, toMs: sc.endMs, utcOffsetMs: sc.utcOffsetMs, rng: root.fork("unit:\(u.id)"))
            let meter = b.devices.first { $0.unit == u.id && $0.kind == .powerMeter }
            let unitEvents = sc.events.filter { $0.unit == u.id && $0.type.target == .unit }
            let extra = MeterModel.eventLoads(unitEvents, ratedA: meter?.ratedCurrentA ?? MeterModel.defaultRatedA, endMs: sc.endMs, utcOffsetMs: sc.utcOffsetMs, rng: root.fork("unit-events:\(u.id)"))
            intervals += extra.loads
            markers += extra.markers
            loads[u.id] = PiecewiseLoad(intervals)
            householdIntervals[u.id] = intervals
        }

        // Smoke overlays per detector.
        var overlays: [String: [SmokeOverlay]] = [:]
        let detectors = b.devices.filter { $0.kind == .smokeDetector }
        // Everyday aerosol: each meal cooked and each shower taken puts a small bump
        // (0.5–2 %/m, assumed) on the flat's kitchen / bathroom detector: under the most
        // sensitive listed alarm point (1 %/ft ≈ 3.3 %/m; domain.md) even with the chamber's
        // offset and drift.
        for d in detectors {
            guard let u = d.unit, let list = householdIntervals[u], d.zone == .kitchen || d.zone == .bathroom else { continue }
            var r = root.fork("everyday:\(d.id)")
            for iv in list where (d.zone == .kitchen && (iv.label == "hob" || iv.label == "cooktop")) || (d.zone == .bathroom && iv.label == "shower") {
                guard iv.endMs > sc.startMs - SimTime.hourMs, iv.startMs < sc.endMs else { continue }
                if d.zone == .kitchen, iv.label == "cooktop", !r.chance(0.35) { continue }  // one bump per meal, not per hot-plate cycle
                let peak = SmokeContribution.opticalDensity(obscurationPct: r.uniform(0.5...2))
                overlays[d.id, default: []].append(.burst(onsetMs: iv.startMs, endMs: iv.endMs, riseMs: 60_000, decayMs: d.zone == .bathroom ? 300_000 : 90_000,
                                                          peakOD: peak, riseC: d.zone == .bathroom ? r.uniform(0.5...1.5) : r.uniform(0...0.3)))
            }
        }
        func neighbours(of d: DeviceConfig) -> [DeviceConfig] {
            detectors.filter { o in
                o.id != d.id && ((d.unit != nil && o.unit == d.unit) || d.near.contains(o.id) || o.near.contains(d.id))
            }
        }
        for e in sc.events {
            guard let id = e.device, let d = b.device(id) else { continue }
            let end = e.durationMs.map { e.atMs + $0 }
            switch e.type {
            case .flamingFire:
                let alpha = e.double("alpha_kw_per_s2") ?? Self.growth(e.string("growth") ?? "medium")
                func fire(_ onset: Int64, factor: Double, distance: Double) -> SmokeOverlay {
                    .flaming(onsetMs: onset, endMs: end, alpha: alpha, incubationS: e.double("incubation_s", 120), maxKW: e.double("max_kw", 1000),
                             ceilingM: e.double("ceiling_m", 2.6), distanceM: distance, odPerK: e.double("od_per_k", 0.003), coPerK: e.double("co_ppm_per_k", 3), factor: factor)
                }
                overlays[id, default: []].append(fire(e.atMs, factor: 1, distance: e.double("distance_m", 2)))
                if e.bool("spread", true) {
                    for n in neighbours(of: d) {
                        overlays[n.id, default: []].append(fire(e.atMs + Int64(e.double("spread_delay_s", 60) * 1000), factor: e.double("spread_factor", 0.5), distance: 4))
                    }
                }
            case .smoulderingFire:
                let od = SmokeContribution.opticalDensity(obscurationPct: e.double("peak_pct_per_m", 15))
                let ramp = Int64(e.double("ramp_min", 40) * 60_000)
                overlays[id, default: []].append(.smouldering(onsetMs: e.atMs, endMs: end, rampMs: ramp, peakOD: od, peakRiseC: e.double("peak_rise_c", 2), peakCO: e.double("peak_co_ppm", 300), factor: 1))
                if e.bool("spread", false) {
                    for n in neighbours(of: d) {
                        overlays[n.id, default: []].append(.smouldering(onsetMs: e.atMs + 300_000, endMs: end, rampMs: ramp, peakOD: od, peakRiseC: 0.5, peakCO: e.double("peak_co_ppm", 300), factor: 0.3))
                    }
                }
            case .cooking:
                overlays[id, default: []].append(.burst(onsetMs: e.atMs, endMs: end ?? e.atMs + 4 * SimTime.minuteMs, riseMs: 60_000, decayMs: 90_000,
                                                        peakOD: SmokeContribution.opticalDensity(obscurationPct: e.double("peak_pct_per_m", 8)), riseC: e.double("rise_c", 0.3)))
            case .showerSteam:
                overlays[id, default: []].append(.burst(onsetMs: e.atMs, endMs: end ?? e.atMs + 10 * SimTime.minuteMs, riseMs: 180_000, decayMs: 300_000,
                                                        peakOD: SmokeContribution.opticalDensity(obscurationPct: e.double("peak_pct_per_m", 6)), riseC: e.double("rise_c", 2.5)))
            case .smokeDrift:
                overlays[id, default: []].append(.burst(onsetMs: e.atMs, endMs: end ?? e.atMs + 15 * SimTime.minuteMs, riseMs: Int64(e.double("rise_min", 3) * 60_000), decayMs: 300_000,
                                                        peakOD: SmokeContribution.opticalDensity(obscurationPct: e.double("peak_pct_per_m", 10)), riseC: 0))
            case .heatRise:
                let base = SmokeDetectorModel(device: d, overlays: [], options: sc.smoke, intervalMs: 60_000, utcOffsetMs: sc.utcOffsetMs).baselineC(e.atMs)
                overlays[id, default: []].append(.heat(onsetMs: e.atMs, endMs: end ?? e.atMs + 15 * SimTime.minuteMs, rateCPerMin: e.double("rate_c_per_min", 6),
                                                       peakRiseC: max(1, e.double("peak_c", 70) - base), od: SmokeContribution.opticalDensity(obscurationPct: e.double("smoke_pct_per_m", 1))))
            case .coLeak:
                overlays[id, default: []].append(.co(onsetMs: e.atMs, endMs: end ?? e.atMs + 60 * SimTime.minuteMs, rampMs: Int64(e.double("ramp_min", 20) * 60_000), peakPpm: e.double("peak_ppm", 400)))
            case .thermalRunaway:
                if e.bool("near_smoke", true) {
                    for n in d.near {
                        guard let nd = b.device(n), nd.kind == .smokeDetector else { continue }
                        overlays[n, default: []].append(.flaming(onsetMs: e.atMs + 20_000, endMs: nil, alpha: 0.0469, incubationS: 0, maxKW: 500, ceilingM: 3, distanceM: 3, odPerK: 0.006, coPerK: 5, factor: 1))
                    }
                }
            default: break
            }
        }

        // Devices, in configuration order.
        for d in b.devices {
            var r = root.fork("device:\(d.id)")
            let interval = sc.intervalMs(for: d)
            let own = sc.events.filter { $0.device == d.id }
            var msgs: [SimMessage] = []
            switch d.kind {
            case .smokeDetector:
                var m = SmokeDetectorModel(device: d, overlays: overlays[d.id] ?? [], options: sc.smoke, intervalMs: interval, utcOffsetMs: sc.utcOffsetMs)
                if let low = own.first(where: { $0.type == .batteryLow }) {
                    m.batteryLowAtMs = low.atMs
                    m.batteryLowLevel = low.double("level_pct", 15)
                    m.batteryRepeatMs = Int64(low.double("repeat_h", 24) * 3_600_000)
                }
                m.testAtMs = own.filter { $0.type == .testButton }.map(\.atMs)
                smokeModels[d.id] = m
                msgs = m.generate(topicPrefix: prefix, building: bid, startMs: sc.startMs, endMs: sc.endMs, rng: r.fork("model"))
            case .charger:
                let m = ChargerStationModel(device: d, events: own, options: sc.chargers, intervalMs: interval, utcOffsetMs: sc.utcOffsetMs)
                let res = m.generate(topicPrefix: prefix, building: bid, startMs: sc.startMs, endMs: sc.endMs, rng: r.fork("model"))
                msgs = res.messages
                markers += res.markers
            case .powerMeter, .waterMeter, .gasMeter:
                let load = d.unit.flatMap { loads[$0] } ?? PiecewiseLoad([])
                let unitEvents = sc.events.filter { $0.unit != nil && $0.unit == d.unit && $0.type.target == .unit }
                let m = MeterModel(device: d, load: load, intervalMs: interval, events: unitEvents)
                let res = m.generate(topicPrefix: prefix, building: bid, startMs: sc.startMs, endMs: sc.endMs, rng: r.fork("model"))
                msgs = res.messages
                markers += res.markers
            }
            msgs = Self.lifecycle(device: d, messages: msgs, events: own, scenario: sc, rng: &r)
            perDevice.append(msgs)
        }

        // Devices that are not registered.
        for e in sc.events where e.type == .unregisteredDevice {
            guard let id = e.device else { continue }
            let kind = DeviceKind(rawValue: e.string("kind") ?? "smoke_detector") ?? .smokeDetector
            let fake = DeviceConfig(id: id, kind: kind, zone: .room)
            let end = min(sc.endMs, e.atMs + (e.durationMs ?? SimTime.hourMs))
            let iv = Int64(e.double("interval_s", 60) * 1000)
            var msgs: [SimMessage] = [SimMessage(tMs: e.atMs, topic: "\(prefix)/\(bid)/\(id)/status", payload: ["ts": JSONValue(e.atMs), "online": true])]
            switch kind {
            case .smokeDetector:
                let m = SmokeDetectorModel(device: fake, overlays: [], options: sc.smoke, intervalMs: iv, utcOffsetMs: sc.utcOffsetMs)
                msgs += m.generate(topicPrefix: prefix, building: bid, startMs: e.atMs, endMs: end, rng: root.fork("unregistered:\(id)"))
            default:
                let m = MeterModel(device: DeviceConfig(id: id, kind: kind), load: PiecewiseLoad([LoadInterval(startMs: e.atMs, endMs: end, powerW: 120, waterLPerMin: 0.1, gasM3PerH: 0.01, label: "unknown")]), intervalMs: iv, events: [])
                msgs += m.generate(topicPrefix: prefix, building: bid, startMs: e.atMs, endMs: end, rng: root.fork("unregistered:\(id)")).messages
            }
            perDevice.append(msgs)
        }

        // Merge: by time, ties in device order then per-device order.
        var keyed: [(Int64, Int, Int, SimMessage)] = []
        keyed.reserveCapacity(perDevice.reduce(0) { $0 + $1.count })
        for (di, list) in perDevice.enumerated() {
            for (k, m) in list.enumerated() where m.tMs >= sc.startMs && m.tMs < sc.endMs {
                keyed.append((m.tMs, di, k, m))
            }
        }
        keyed.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        let messages = keyed.map(\.3)

        let truth = TruthBuilder(scenario: sc, markers: markers, smokeModels: smokeModels).build()
        return GeneratedTraffic(messages: messages, truth: truth)
    }

    /// NFPA 72 Annex B / SFPE t² growth coefficients, kW/s².
    static func growth(_ name: String) -> Double {
        switch name {
        case "slow": return 0.00293
        case "fast": return 0.0469
        case "ultrafast", "ultra_fast": return 0.1876
        default: return 0.01172
        }
    }

    /// Status messages, offline windows, tamper and fault events of one device.
    static func lifecycle(device d: DeviceConfig, messages: [SimMessage], events: [ScenarioEvent], scenario sc: Scenario, rng: inout SimRandom) -> [SimMessage] {
        let base = "\(sc.topicPrefix)/\(sc.building.gateway.building)/\(d.id)"
        var out: [SimMessage] = [SimMessage(tMs: sc.startMs, topic: base + "/status", payload: ["ts": JSONValue(sc.startMs), "online": true])]
        var windows: [(Int64, Int64)] = []
        for e in events {
            switch e.type {
            case .offline:
                let end = min(sc.endMs, e.atMs + (e.durationMs ?? 2 * SimTime.hourMs))
                windows.append((e.atMs, end))
                if e.bool("announce", true) {
                    out.append(SimMessage(tMs: e.atMs, topic: base + "/status", payload: ["ts": JSONValue(e.atMs), "online": false]))
                }
                if end < sc.endMs {
                    out.append(SimMessage(tMs: end, topic: base + "/status", payload: ["ts": JSONValue(end), "online": true]))
                }
            case .tamper:
                out.append(SimMessage(tMs: e.atMs, topic: base + "/event", payload: ["ts": JSONValue(e.atMs), "event": "tamper"]))
            case .deviceFault:
                let detail: String
                switch d.kind {
                case .smokeDetector: detail = "smoke chamber contaminated"
                case .charger: detail = "port \(e.port ?? 1) relay welded"
                case .powerMeter: detail = "metering chip error"
                case .waterMeter, .gasMeter: detail = "valve motor stalled"
                }
                var p: [(String, JSONValue)] = [("ts", JSONValue(e.atMs)), ("event", "fault"), ("detail", .string(e.string("detail") ?? detail))]
                if let port = e.port { p.append(("port", JSONValue(port))) }
                out.append(SimMessage(tMs: e.atMs, topic: base + "/event", payload: .object(p)))
            default: break
            }
        }
        for m in messages {
            if windows.contains(where: { m.tMs >= $0.0 && m.tMs < $0.1 }) { continue }
            out.append(m)
        }
        return out
    }
}
