import Foundation
import RentGuardCore

/// A moment a model found while simulating, that the ground truth needs (e.g. when a
/// port's temperature crossed 65 °C).
public struct ModelMarker: Sendable, Equatable {
    public var eventIndex: Int
    public var name: String
    public var tMs: Int64
}

/// A centralised e-bike charging station with numbered DC ports.
///
/// - Each session charges a pack along the real CC-CV curve (`ChargeSession`,
///   `CalibrationTables.chargeCurve`): 48 V (13 cells) 60 %, 60 V (16 cells) 25 %, 60 V
///   (17 cells) 15 % (assumed shares); 12–24 Ah (48 V) or 20–32 Ah (60 V); 2–5 A chargers
///   (domain.md: typical 2–5 A, 100–300 W), chosen so that a charge takes 3–8 h; start
///   state of charge 5–60 %.
/// - "Full" below 40 W (field practice 20–45 W), then 45–120 min of float, then the
///   station cuts off and ends the session (`session_end`); a user taking the bike away
///   earlier also ends it.
/// - Sessions arrive as a Poisson process weighted by the hour of day (assumed commute
///   pattern: evening peak 18–22 h), `ChargerOptions.sessionsPerPortPerDay` per port.
///   The simulation starts 10 h before the scenario so that ports are busy at its start.
/// - Plug/socket temperature: cabinet ambient (18 °C ± 4 °C daily, assumed) + contact
///   heating 0.3 °C/A² (assumed) + the pack's own rise, with a 10 min thermal lag.
/// - Faults: overcurrent (a broken current limiter: the set current rises to `current_a`),
///   hot plug (a bad contact heating towards `peak_c`), no cut-off (current keeps flowing
///   while `full`), overtime (a pack that never reaches full), thermal runaway (below),
///   station overload (every port busy at once).
/// - Thermal runaway (GB 38031-2020 App. A, domain.md): precursors over `precursor_min`
///   (default 8 min: self-heating growing as e^(3x) to +15 °C, voltage sagging 2 %, current
///   up 5 %), then at ignition the temperature climbs at `rate_c_per_s` (default 5 °C/s,
///   accelerating) to `peak_c` (default 550 °C), the voltage collapses (−85 % with a 6 s time
///   constant) and the port reports `fault` after 4 s. The GB 38031 signature — a rise of
///   ≥ 1 °C/s for ≥ 3 s with a voltage drop over 25 % or the maximum operating temperature
///   (`max_operating_c`, default 60 °C) — is met a few seconds after ignition.
/// - Reports every `interval` (default 60 s; field practice heartbeats 60–90 s); every 10 s
///   while any port's temperature moves faster than 0.02 °C/s or a port is in fault; every
///   `ChargerOptions.fastIntervalMs` (1 s) above 0.2 °C/s.
struct ChargerStationModel {
    enum Fault {
        case none
        case overcurrent
        case hotPlug(peakC: Double, rampMs: Int64)
        case noCutoff(fullCurrentA: Double)
        case overtime(currentA: Double)
        case runaway(atMs: Int64, precursorMs: Int64, peakC: Double, rate: Double, maxOperatingC: Double)
    }

    struct Port {
        var number: Int
        var session: ChargeSession?
        var sessionStartMs: Int64 = 0
        var unplugAtMs: Int64 = .max
        var energyWh: Double = 0
        var temperature: Double
        var lastRate: Double = 0
        var fault: Fault = .none
        var eventIndex: Int = -1
        var faulted = false
        var state: PortState = .idle
        var voltage: Double = 0
        var current: Double = 0
        var runawayBaseT: Double = 0
        var runawayBaseV: Double = 0
        var peakReachedMs: Int64? = nil
        var history: [(Int64, Double, Double)] = []
        var markers: Set<String> = []
    }

    struct Planned {
        var atMs: Int64
        var port: Int
        var session: ChargeSession
        var unplugAtMs: Int64
        var fault: Fault
        var eventIndex: Int
    }

    var device: DeviceConfig
    var events: [ScenarioEvent]
    var options: ChargerOptions
    var intervalMs: Int64
    var utcOffsetMs: Int64

    var portCount: Int { device.ports ?? 10 }
    /// domain.md: per-port cap of 5–5.5 A.
    var ratedA: Double { device.ratedPortCurrentA ?? 5.5 }
    /// domain.md: station cap about 8.7 kW.
    var capW: Double { device.stationPowerCapW ?? 8_700 }

    static let hourlyArrivalWeights: [Double] = [
        0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.8, 0.8, 0.6, 0.5, 0.6,
        0.9, 0.7, 0.5, 0.5, 0.6, 1.0, 1.6, 2.0, 2.0, 1.8, 1.2, 0.6,
    ]

    func ambient(_ t: Int64) -> Double {
        18 + 4 * cos(2 * Double.pi * (SimTime.localHour(t, utcOffsetMs: utcOffsetMs) - 15) / 24)
    }

    static func randomSession(_ r: inout SimRandom) -> ChargeSession {
        let kind = r.unit()
        let cells = kind < 0.6 ? 13 : (kind < 0.85 ? 16 : 17)
        let cap = cells == 13 ? r.uniform(12...24) : r.uniform(20...32)
        var current = min(5, max(2, (cap * r.uniform(0.15...0.25)).rounded()))
        var soc = r.uniform(0.05...0.6)
        let floatMs = Int64(r.uniform(45...120) * 60_000)
        var s = ChargeSession(pack: BatteryPack(cells: cells, capacityAh: cap), setCurrentA: current, startQ: soc, floatMs: floatMs)
        // Keep the whole charge (with float) within 3–7.5 h.
        for _ in 0..<8 {
            let total = s.remainingMs()
            if total <= Int64(7.5 * 3_600_000) { break }
            if current < 5 { current += 1 } else { soc = min(0.9, soc + 0.1) }
            s = ChargeSession(pack: s.pack, setCurrentA: current, startQ: soc, floatMs: floatMs)
        }
        return s
    }

    static func scriptedSession(_ e: ScenarioEvent, defaultCurrent: Double, defaultSoc: Double, r: inout SimRandom) -> ChargeSession {
        let packV = e.double("pack_v", 48)
        let cells = e.double("cells").map { Int($0) } ?? BatteryPack.cells(forNominalV: packV)
        let cap = e.double("capacity_ah", cells <= 13 ? 15 : 24)
        return ChargeSession(
            pack: BatteryPack(cells: cells, capacityAh: cap), setCurrentA: e.double("current_a", defaultCurrent),
            startQ: e.double("soc", defaultSoc), floatMs: Int64(r.uniform(45...120) * 60_000))
    }

    func generate(topicPrefix: String, building: String, startMs: Int64, endMs: Int64, rng: SimRandom) -> (messages: [SimMessage], markers: [ModelMarker]) {
        var r = rng
        let warmup = 10 * SimTime.hourMs
        let simStart = startMs - warmup
        var markers: [ModelMarker] = []
        func mark(_ p: inout Port, _ name: String, _ t: Int64) {
            guard p.eventIndex >= 0, !p.markers.contains(name) else { return }
            p.markers.insert(name)
            markers.append(ModelMarker(eventIndex: p.eventIndex, name: name, tMs: t))
        }

        // Scripted sessions.
        var planned: [Planned] = []
        var scriptedPorts = Set<Int>()
        var overloadEvents: [ScenarioEvent] = []
        for e in events {
            var er = r.fork("event\(e.index)")
            let duration = e.durationMs
            switch e.type {
            case .chargeSession:
                let s = Self.scriptedSession(e, defaultCurrent: 3, defaultSoc: 0.2, r: &er)
                let unplug = e.atMs + (e.double("unplug_after_h").map { Int64($0 * 3_600_000) } ?? duration ?? 24 * SimTime.hourMs)
                planned.append(Planned(atMs: e.atMs, port: e.port!, session: s, unplugAtMs: unplug, fault: .none, eventIndex: e.index))
            case .chargerOvercurrent:
                let s = Self.scriptedSession(e, defaultCurrent: 8, defaultSoc: 0.2, r: &er)
                planned.append(Planned(atMs: e.atMs, port: e.port!, session: s, unplugAtMs: e.atMs + (duration ?? 40 * SimTime.minuteMs), fault: .overcurrent, eventIndex: e.index))
            case .hotPlug:
                let s = Self.scriptedSession(e, defaultCurrent: 4, defaultSoc: 0.2, r: &er)
                planned.append(Planned(atMs: e.atMs, port: e.port!, session: s, unplugAtMs: e.atMs + (duration ?? 90 * SimTime.minuteMs),
                                       fault: .hotPlug(peakC: e.double("peak_c", 85), rampMs: Int64(e.double("ramp_min", 20) * 60_000)), eventIndex: e.index))
            case .noCutoff:
                let s = Self.scriptedSession(e, defaultCurrent: 3, defaultSoc: 0.8, r: &er)
                planned.append(Planned(atMs: e.atMs, port: e.port!, session: s, unplugAtMs: e.atMs + (duration ?? 10 * SimTime.hourMs),
                                       fault: .noCutoff(fullCurrentA: e.double("full_current_a", 1.0)), eventIndex: e.index))
            case .overtime:
                let s = Self.scriptedSession(e, defaultCurrent: 1.5, defaultSoc: 0.3, r: &er)
                planned.append(Planned(atMs: e.atMs, port: e.port!, session: s, unplugAtMs: e.atMs + (duration ?? 13 * SimTime.hourMs),
                                       fault: .overtime(currentA: e.double("current_a", 1.5)), eventIndex: e.index))
            case .thermalRunaway:
                let precursor = Int64(e.double("precursor_min", 8) * 60_000)
                let s = Self.scriptedSession(e, defaultCurrent: 3, defaultSoc: 0.3, r: &er)
                let begin = max(simStart, e.atMs - precursor - 40 * SimTime.minuteMs)
                planned.append(Planned(atMs: begin, port: e.port!, session: s, unplugAtMs: .max,
                                       fault: .runaway(atMs: e.atMs, precursorMs: precursor, peakC: e.double("peak_c", 550), rate: e.double("rate_c_per_s", 5), maxOperatingC: e.double("max_operating_c", 60)),
                                       eventIndex: e.index))
            case .stationOverload:
                overloadEvents.append(e)
                for p in 1...portCount {
                    var s = Self.scriptedSession(e, defaultCurrent: 5, defaultSoc: 0.2, r: &er)
                    if e.double("cells") == nil, e.double("pack_v") == nil { s.pack = BatteryPack(cells: 17, capacityAh: 28) }
                    planned.append(Planned(atMs: e.atMs, port: p, session: s, unplugAtMs: e.atMs + (duration ?? 3 * SimTime.hourMs), fault: .none, eventIndex: e.index))
                }
            default: break
            }
        }
        for p in planned { scriptedPorts.insert(p.port) }

        // Background arrivals (thinning of a Poisson process with hourly weights).
        let maxW = Self.hourlyArrivalWeights.max()!
        let meanW = Self.hourlyArrivalWeights.reduce(0, +) / 24
        let ratePerMs = options.sessionsPerPortPerDay / Double(SimTime.dayMs) / meanW * maxW
        if ratePerMs > 0 {
            for p in 1...portCount where !scriptedPorts.contains(p) {
                var pr = r.fork("port\(p)")
                var t = Double(simStart)
                while true {
                    t += pr.exponential(mean: 1 / ratePerMs)
                    guard t < Double(endMs) else { break }
                    let h = Int(SimTime.localHour(Int64(t), utcOffsetMs: utcOffsetMs)) % 24
                    guard pr.chance(Self.hourlyArrivalWeights[h] / maxW) else { continue }
                    let at = Int64(t / 1000) * 1000
                    let s = Self.randomSession(&pr)
                    let hour = SimTime.localHour(at, utcOffsetMs: utcOffsetMs)
                    let unplug: Int64
                    if hour >= 16 {
                        unplug = SimTime.localMidnight(at, utcOffsetMs: utcOffsetMs) + SimTime.dayMs + Int64(pr.uniform(6.5...8.5) * 3_600_000)
                    } else {
                        unplug = at + Int64(pr.uniform(3...10) * 3_600_000)
                    }
                    planned.append(Planned(atMs: at, port: p, session: s, unplugAtMs: unplug, fault: .none, eventIndex: -1))
                }
            }
        }
        planned.sort { ($0.atMs, $0.port) < ($1.atMs, $1.port) }

        var ports = (1...portCount).map { Port(number: $0, temperature: ambient(simStart) + r.uniform(-0.5...0.5)) }
        let topic = "\(topicPrefix)/\(building)/\(device.id)/telemetry"
        let eventTopic = "\(topicPrefix)/\(building)/\(device.id)/event"
        var out: [SimMessage] = []
        var nextPlanned = 0
        var t = simStart
        var nextEmit = startMs + Int64(r.uniform(0...1) * Double(intervalMs)) / 1000 * 1000
        var overCap = false
        var lastEmit = Int64.min / 2
        var noise = r.fork("noise")

        func fastWindow(_ t: Int64) -> Bool {
            for p in ports {
                if case let .runaway(at, pre, _, _, _) = p.fault, t >= at - pre - 60_000, t <= at + 20 * SimTime.minuteMs { return true }
            }
            return false
        }

        while t < endMs {
            // Start planned sessions due now.
            while nextPlanned < planned.count, planned[nextPlanned].atMs <= t {
                let pl = planned[nextPlanned]
                nextPlanned += 1
                var p = ports[pl.port - 1]
                if p.session != nil {
                    // A scripted session takes the port: the background one ends.
                    guard pl.eventIndex >= 0 else { continue }
                    if p.sessionStartMs >= startMs || t >= startMs {
                        out.append(SimMessage(tMs: t, topic: eventTopic, payload: ["ts": JSONValue(t), "event": "session_end", "port": JSONValue(p.number), "energy_wh": num(p.energyWh, 1)]))
                    }
                }
                p.session = pl.session
                p.sessionStartMs = t
                p.unplugAtMs = pl.unplugAtMs
                p.energyWh = 0
                p.fault = pl.fault
                p.eventIndex = pl.eventIndex
                p.faulted = false
                p.peakReachedMs = nil
                p.state = .charging
                if t >= startMs {
                    out.append(SimMessage(tMs: t, topic: eventTopic, payload: ["ts": JSONValue(t), "event": "session_start", "port": JSONValue(p.number)]))
                }
                ports[pl.port - 1] = p
            }

            let fast = fastWindow(t)
            var dt: Int64 = fast ? 1_000 : 10_000
            if nextEmit > t { dt = min(dt, nextEmit - t) }
            if nextPlanned < planned.count, planned[nextPlanned].atMs > t { dt = min(dt, planned[nextPlanned].atMs - t) }
            dt = max(dt, 1)
            let amb = ambient(t)
            var total = 0.0
            for i in ports.indices {
                var p = ports[i]
                let before = p.temperature
                let tNext = t + dt
                var target = amb
                if var s = p.session {
                    var current: Double
                    var voltage: Double
                    var state: PortState
                    (current, voltage) = s.output
                    state = s.phase == .charging ? .charging : .full
                    switch p.fault {
                    case .none, .hotPlug, .overcurrent, .runaway: break
                    case let .noCutoff(fullA):
                        if s.phase != .charging {
                            mark(&p, "full", t)
                            current = fullA
                            voltage = s.pack.fullV + fullA * s.leadOhm
                            state = .full
                        }
                    case let .overtime(a):
                        current = a
                        voltage = Double(s.pack.cells) * 3.98 + a * s.leadOhm
                        state = .charging
                    }
                    // Hot plug heating.
                    var extraHeat = 0.0
                    if case let .hotPlug(peak, ramp) = p.fault {
                        let x = Double(t - p.sessionStartMs) / Double(max(ramp, 1)) * 3
                        extraHeat = max(0, peak - amb - 4) * (1 - exp(-x))
                    }
                    target = amb + 0.3 * current * current + s.packTemperatureRiseC + extraHeat
                    // Thermal runaway.
                    if case let .runaway(at, pre, peak, rate, maxOp) = p.fault {
                        if t >= at - pre, t < at {
                            let x = Double(t - (at - pre)) / Double(pre)
                            if p.runawayBaseV == 0 { p.runawayBaseV = voltage; p.runawayBaseT = p.temperature }
                            let a = 15 / (exp(3.0) - 1)
                            target = amb + 0.3 * current * current + s.packTemperatureRiseC + a * (exp(3 * x) - 1)
                            voltage *= 1 - 0.02 * x
                            current *= 1 + 0.05 * x
                            // Self-heating is inside the pack: no lag.
                            p.temperature = target
                        } else if t >= at {
                            if p.runawayBaseV == 0 { p.runawayBaseV = voltage; p.runawayBaseT = p.temperature }
                            if p.history.isEmpty || p.history.last!.0 < at { p.runawayBaseT = p.temperature }
                            let sec = Double(t - at) / 1000
                            var temp = p.runawayBaseT + rate * sec + 0.05 * sec * sec
                            if temp >= peak {
                                if p.peakReachedMs == nil { p.peakReachedMs = t }
                                temp = peak
                            }
                            if let pk = p.peakReachedMs {
                                temp = amb + (peak - amb) * exp(-Double(t - pk) / 1_200_000)
                            }
                            let vf = max(0.1, 1 - 0.85 * (1 - exp(-sec / 6)))
                            voltage = p.runawayBaseV * 0.98 * vf
                            if sec >= 4 { p.faulted = true }
                            current = p.faulted ? 0 : current
                            state = p.faulted ? .fault : .charging
                            p.temperature = temp
                            target = temp
                            // GB 38031 check on the 1 s grid.
                            p.history.append((t, temp, voltage))
                            if p.history.count > 5 { p.history.removeFirst(p.history.count - 5) }
                            let h = p.history
                            if h.count >= 4 {
                                let last = h[(h.count - 4)...]
                                var ok = true
                                var prev: (Int64, Double, Double)? = nil
                                for e in last {
                                    if let pv = prev {
                                        let r = (e.1 - pv.1) / (Double(e.0 - pv.0) / 1000)
                                        if r < 1 { ok = false }
                                    }
                                    prev = e
                                }
                                let span = last.last!.0 - last.first!.0
                                if ok, span >= 3_000, voltage < 0.75 * p.runawayBaseV || temp >= maxOp {
                                    mark(&p, "gb38031", t)
                                }
                            }
                        } else {
                            p.history.removeAll()
                        }
                    }
                    if p.faulted { current = 0; state = .fault }
                    // Integrate.
                    let h = Double(dt) / 3_600_000
                    p.energyWh += voltage * current * h
                    if case .overtime = p.fault {} else if !p.faulted {
                        if case .noCutoff = p.fault, s.phase != .charging {} else { s.step(dt) }
                    }
                    if case .overcurrent = p.fault {
                        if current > ratedA { mark(&p, "over_rated", t) } else if p.markers.contains("over_rated") { mark(&p, "under_rated", t) }
                    }
                    p.session = s
                    p.voltage = voltage
                    p.current = current
                    p.state = state
                    total += voltage * current
                    // Session end: cut-off after float, or the bike taken away.
                    var ended = false
                    if s.phase == .done {
                        if case .noCutoff = p.fault {} else if case .overtime = p.fault {} else { ended = true }
                    }
                    if tNext >= p.unplugAtMs { ended = true }
                    if ended {
                        if tNext >= startMs {
                            out.append(SimMessage(tMs: tNext, topic: eventTopic, payload: ["ts": JSONValue(tNext), "event": "session_end", "port": JSONValue(p.number), "energy_wh": num(p.energyWh, 1)]))
                        }
                        if p.eventIndex >= 0 { mark(&p, "session_end", tNext) }
                        p.session = nil
                        p.state = .idle
                        p.current = 0
                        p.voltage = 0
                        p.fault = .none
                    }
                } else {
                    p.state = p.faulted ? .fault : .idle
                    p.current = 0
                    p.voltage = 0
                    if case .runaway = p.fault {} else { p.faulted = false }
                }
                // Thermal lag (10 min) unless the runaway set the temperature directly.
                var runawayActive = false
                if case let .runaway(at, pre, _, _, _) = p.fault, t >= at - pre { runawayActive = true }
                if !runawayActive {
                    p.temperature = target + (p.temperature - target) * exp(-Double(dt) / 600_000)
                }
                p.lastRate = (p.temperature - before) / (Double(dt) / 1000)
                if p.eventIndex >= 0, p.temperature > 65 { mark(&p, "over65", t) }
                ports[i] = p
            }
            // Station power against the cap.
            if total > capW, !overCap {
                overCap = true
                for e in overloadEvents where !markers.contains(where: { $0.eventIndex == e.index && $0.name == "over_cap" }) {
                    markers.append(ModelMarker(eventIndex: e.index, name: "over_cap", tMs: t))
                }
            } else if total <= capW, overCap {
                overCap = false
                for e in overloadEvents where !markers.contains(where: { $0.eventIndex == e.index && $0.name == "under_cap" }) {
                    markers.append(ModelMarker(eventIndex: e.index, name: "under_cap", tMs: t))
                }
            }
            t += dt
            // Report on change: a fast-moving temperature or a fault pulls the next report in.
            let rateNow = ports.map { abs($0.lastRate) }.max() ?? 0
            let faultNow = ports.contains { $0.state == .fault }
            let wanted: Int64 = rateNow >= 0.2 ? min(options.fastIntervalMs, intervalMs) : ((rateNow >= 0.02 || faultNow) ? min(10_000, intervalMs) : intervalMs)
            if lastEmit + wanted < nextEmit { nextEmit = max(t, lastEmit + wanted) }
            if t >= nextEmit, t >= startMs, t < endMs {
                lastEmit = t
                var items: [JSONValue] = []
                var maxRate = 0.0
                var anyFault = false
                for p in ports {
                    maxRate = max(maxRate, abs(p.lastRate))
                    anyFault = anyFault || p.state == .fault
                    let v = p.voltage > 0 ? p.voltage + noise.normal(mean: 0, sd: 0.05) : 0
                    let c = p.current > 0 ? max(0, p.current + noise.normal(mean: 0, sd: 0.01)) : 0
                    items.append([
                        "port": JSONValue(p.number), "state": .string(p.state.rawValue), "voltage_v": num(max(0, v), 2),
                        "current_a": num(c, 2), "power_w": num(max(0, v * c), 1),
                        "temperature_c": num(p.temperature + noise.normal(mean: 0, sd: 0.05), 1), "energy_wh": num(p.energyWh, 1),
                    ])
                }
                out.append(SimMessage(tMs: t, topic: topic, payload: ["ts": JSONValue(t), "ports": .array(items), "ambient_c": num(amb + noise.normal(mean: 0, sd: 0.1), 1)]))
                let iv: Int64 = maxRate >= 0.2 ? min(options.fastIntervalMs, intervalMs) : ((maxRate >= 0.02 || anyFault) ? min(10_000, intervalMs) : intervalMs)
                nextEmit = t + iv
            } else if t >= nextEmit, t < startMs {
                nextEmit = startMs
            }
        }
        return (out, markers)
    }
}
