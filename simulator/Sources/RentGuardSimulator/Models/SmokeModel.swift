import Foundation
import RentGuardCore

/// What an event adds at one smoke detector: optical density (per metre, base 10; adds
/// up), temperature rise, °C, and CO, ppm.
public struct SmokeContribution: Sendable, Equatable {
    public var opticalDensityPerM: Double = 0
    public var temperatureRiseC: Double = 0
    public var coPpm: Double = 0
    public init(opticalDensityPerM: Double = 0, temperatureRiseC: Double = 0, coPpm: Double = 0) {
        self.opticalDensityPerM = opticalDensityPerM
        self.temperatureRiseC = temperatureRiseC
        self.coPpm = coPpm
    }

    public static func + (a: SmokeContribution, b: SmokeContribution) -> SmokeContribution {
        SmokeContribution(opticalDensityPerM: a.opticalDensityPerM + b.opticalDensityPerM, temperatureRiseC: a.temperatureRiseC + b.temperatureRiseC, coPpm: a.coPpm + b.coPpm)
    }

    /// Optical density per metre → obscuration in percent per metre: 100 (1 − 10^−D).
    public static func obscurationPct(opticalDensity d: Double) -> Double { 100 * (1 - pow(10, -max(0, d))) }
    /// Obscuration %/m → optical density per metre.
    public static func opticalDensity(obscurationPct p: Double) -> Double { -log10(1 - min(max(p, 0), 99.99) / 100) }
}

/// A deterministic physical signal added to one detector's readings.
public enum SmokeOverlay: Sendable {
    /// A flaming fire growing as Q = α t² after an incubation period.
    ///
    /// - Growth α (kW/s²): NFPA 72 Annex B / SFPE t² classes: slow 0.00293, medium 0.01172
    ///   (default; assumed for a furnished room), fast 0.0469, ultrafast 0.1876.
    /// - Incubation (default 120 s, assumed): a small smouldering start, smoke only.
    /// - Ceiling gas temperature rise at the detector: Alpert's ceiling-jet correlation
    ///   (Alpert 1972): ΔT = 16.9 Q^(2/3) / H^(5/3) for r/H ≤ 0.18, else 5.38 (Q/r)^(2/3) / H,
    ///   Q in kW, ceiling height H (default 2.6 m) and radial distance r (default 2 m) in m;
    ///   a 10 s thermal lag for the detector's thermistor (assumed).
    /// - Smoke: optical density proportional to temperature rise (Heskestad & Delichatsios
    ///   similarity). D/ΔT = 0.003 m⁻¹K⁻¹ (default) puts 5 %/m (NIST TN 1455-1 average alarm
    ///   point; domain.md) at ΔT ≈ 7 K, inside the 4–13 K temperature-rise surrogate that
    ///   NFPA 72 Annex B uses for smoke detector response.
    /// - CO: 3 ppm per K of rise (assumed; well-ventilated flaming fires make little CO).
    /// - Heat release capped at `maxKW` (default 1 000 kW, a ventilation-limited room fire).
    case flaming(onsetMs: Int64, endMs: Int64?, alpha: Double, incubationS: Double, maxKW: Double, ceilingM: Double, distanceM: Double, odPerK: Double, coPerK: Double, factor: Double)
    /// A smouldering fire: obscuration growing as (t/T)² to `peakOD` over `rampMs`, a small
    /// temperature rise (linear to `peakRiseC`, default 2 °C) and CO growing as (t/T)^1.5 to
    /// `peakCO` (default 300 ppm). Shape after the UL 217 / UL 268 smouldering test (slow
    /// obscuration over tens of minutes, little heat, much CO); magnitudes assumed.
    case smouldering(onsetMs: Int64, endMs: Int64?, rampMs: Int64, peakOD: Double, peakRiseC: Double, peakCO: Double, factor: Double)
    /// A burst of aerosol with no CO: cooking (UL 217 8th ed. broiling nuisance test: smoke
    /// without heat) or shower steam (water droplets scatter light; warm humid air).
    /// Raised-cosine rise over `riseMs`, plateau to `endMs`, exponential decay `decayMs`.
    case burst(onsetMs: Int64, endMs: Int64, riseMs: Int64, decayMs: Int64, peakOD: Double, riseC: Double)
    /// Heat without much smoke (an electric heater fault, a clean-burning fire): temperature
    /// rising at `rateCPerMin` to `peakC` over the baseline, then decaying after `endMs`.
    case heat(onsetMs: Int64, endMs: Int64, rateCPerMin: Double, peakRiseC: Double, od: Double)
    /// CO without smoke (a gas water heater with bad flue): linear ramp to `peakPpm` over
    /// `rampMs`, held to `endMs`, decaying with a 10 min time constant.
    case co(onsetMs: Int64, endMs: Int64, rampMs: Int64, peakPpm: Double)

    public var onsetMs: Int64 {
        switch self {
        case let .flaming(o, _, _, _, _, _, _, _, _, _): return o
        case let .smouldering(o, _, _, _, _, _, _): return o
        case let .burst(o, _, _, _, _, _): return o
        case let .heat(o, _, _, _, _): return o
        case let .co(o, _, _, _): return o
        }
    }

    /// The contribution at time `t`.
    public func at(_ t: Int64) -> SmokeContribution {
        guard t >= onsetMs else { return SmokeContribution() }
        switch self {
        case let .flaming(onset, end, alpha, incubation, maxKW, h, r, odPerK, coPerK, factor):
            func gasRise(_ tauS: Double) -> Double {
                guard tauS > 0 else { return 0 }
                let q = min(alpha * tauS * tauS, maxKW)
                let dt = r / h <= 0.18 ? 16.9 * pow(q, 2.0 / 3.0) / pow(h, 5.0 / 3.0) : 5.38 * pow(q / r, 2.0 / 3.0) / h
                return min(dt, 700)
            }
            let elapsed = Double(t - onset) / 1000
            let tau = elapsed - incubation
            var decay = 1.0
            if let end, t > end { decay = exp(-Double(t - end) / 300_000) }
            let smoulder = 0.003 * min(1, elapsed / max(incubation, 1))
            let rise = gasRise(tau - 10) * factor * decay
            let riseNoLag = gasRise(tau) * factor * decay
            return SmokeContribution(opticalDensityPerM: (smoulder + odPerK * riseNoLag) * decay, temperatureRiseC: rise, coPpm: coPerK * riseNoLag)
        case let .smouldering(onset, end, ramp, peakOD, peakRise, peakCO, factor):
            var f = min(1, Double(t - onset) / Double(max(ramp, 1)))
            if let end, t > end { f *= exp(-Double(t - end) / 600_000) }
            return SmokeContribution(opticalDensityPerM: peakOD * f * f * factor, temperatureRiseC: peakRise * f * factor, coPpm: peakCO * pow(f, 1.5) * factor)
        case let .burst(onset, end, rise, decay, peakOD, riseC):
            var s: Double
            if t < onset + rise {
                s = 0.5 - 0.5 * cos(Double.pi * Double(t - onset) / Double(max(rise, 1)))
            } else if t <= end {
                s = 1
            } else {
                s = exp(-Double(t - end) / Double(max(decay, 1)))
            }
            if s < 1e-4 { s = 0 }
            return SmokeContribution(opticalDensityPerM: peakOD * s, temperatureRiseC: riseC * s, coPpm: 0)
        case let .heat(onset, end, rate, peak, od):
            let minutes = Double(t - onset) / 60_000
            var rise = min(peak, rate * minutes)
            var smoke = od * min(1, minutes / 3)
            if t > end {
                let k = exp(-Double(t - end) / 600_000)
                rise = min(peak, rate * Double(end - onset) / 60_000) * k
                smoke *= k
            }
            return SmokeContribution(opticalDensityPerM: smoke, temperatureRiseC: rise, coPpm: 0)
        case let .co(onset, end, ramp, peak):
            var c = peak * min(1, Double(t - onset) / Double(max(ramp, 1)))
            if t > end { c = peak * min(1, Double(end - onset) / Double(max(ramp, 1))) * exp(-Double(t - end) / 600_000) }
            return SmokeContribution(coPpm: c)
        }
    }
}

/// One smoke (and CO) detector: background readings plus event overlays.
///
/// Background (assumed unless noted):
/// - obscuration: a clean-chamber offset of 0.1–0.4 %/m, dust drift 0.01–0.05 %/m per day,
///   noise σ 0.05 %/m;
/// - temperature: indoor mean (`SmokeOptions.indoorMeanC`, 21 °C) + zone offset (kitchen,
///   bathroom +1 °C; corridor, stairwell −3 °C; station, lobby −4 °C), a daily cycle of
///   ±1.5 °C indoors / ±3 °C in shared places peaking at 15:00, noise σ 0.1 °C;
/// - CO: 0–2 ppm with σ 0.7 ppm noise (combined smoke/CO alarms);
/// - battery 55–100 %, draining 0.02 %/day; GB 20517-2025: the battery is checked at least
///   every 24 h, so a low battery is reported again every 24 h.
/// Reports every `interval`; while an event moves the readings (over 0.5 %/m, 0.5 °C or
/// 10 ppm), every `SmokeOptions.fastIntervalMs` (report-on-change; assumed 10 s).
struct SmokeDetectorModel {
    var device: DeviceConfig
    var overlays: [SmokeOverlay]
    var options: SmokeOptions
    var intervalMs: Int64
    var utcOffsetMs: Int64
    var batteryLowAtMs: Int64?
    var batteryLowLevel: Double = 15
    var batteryRepeatMs: Int64 = SimTime.dayMs
    var testAtMs: [Int64] = []

    var zoneOffsetC: Double {
        switch device.zone {
        case .kitchen?, .bathroom?: return 1
        case .corridor?, .stairwell?: return -3
        case .station?, .lobby?, .plant?: return -4
        default: return 0
        }
    }

    var shared: Bool { device.unit == nil || [.corridor, .stairwell, .station, .lobby, .plant].contains(device.zone) }

    /// Background temperature (no noise).
    func baselineC(_ t: Int64) -> Double {
        let amp = shared ? 3.0 : 1.5
        let h = SimTime.localHour(t, utcOffsetMs: utcOffsetMs)
        return options.indoorMeanC + zoneOffsetC + amp * cos(2 * Double.pi * (h - 15) / 24)
    }

    /// Overlays only (no background, no noise): used for the ground truth.
    func signal(_ t: Int64) -> SmokeContribution {
        overlays.reduce(SmokeContribution()) { $0 + $1.at(t) }
    }

    /// An event is moving the readings (over 0.5 %/m, 0.5 °C or 10 ppm).
    func isActive(_ s: SmokeContribution) -> Bool {
        s.opticalDensityPerM > 0.0022 || abs(s.temperatureRiseC) > 0.5 || s.coPpm > 10
    }

    func generate(topicPrefix: String, building: String, startMs: Int64, endMs: Int64, rng: SimRandom) -> [SimMessage] {
        var r = rng
        let topic = "\(topicPrefix)/\(building)/\(device.id)/telemetry"
        let eventTopic = "\(topicPrefix)/\(building)/\(device.id)/event"
        let offsetPct = r.uniform(0.1...0.4)
        let driftPerDay = r.uniform(0.01...0.05)
        let coBase = r.uniform(0...2)
        var battery = r.uniform(55...100)
        var out: [SimMessage] = []
        var t = startMs + Int64(r.uniform(0...1) * Double(intervalMs))
        var alarmOn = false
        var nextLowReport = batteryLowAtMs
        while t < endMs {
            // Battery-low event (and its 24 h repeats) before this report.
            while let low = nextLowReport, low <= t {
                out.append(SimMessage(tMs: low, topic: eventTopic, payload: ["ts": JSONValue(low), "event": "battery_low", "battery_pct": num(batteryLowLevel, 0)]))
                nextLowReport = low + batteryRepeatMs
            }
            let s = signal(t)
            let days = Double(t - startMs) / Double(SimTime.dayMs)
            let bgPct = max(0, offsetPct + driftPerDay * days + r.normal(mean: 0, sd: 0.05))
            let od = SmokeContribution.opticalDensity(obscurationPct: bgPct) + s.opticalDensityPerM
            let obsc = SmokeContribution.obscurationPct(opticalDensity: od)
            let temp = baselineC(t) + s.temperatureRiseC + r.normal(mean: 0, sd: 0.1)
            let co = max(0, coBase + s.coPpm + r.normal(mean: 0, sd: 0.7))
            battery = max(0, battery - 0.02 * Double(intervalMs) / Double(SimTime.dayMs))
            let batteryNow = (batteryLowAtMs.map { t >= $0 } ?? false) ? min(battery, batteryLowLevel) : battery
            var m: [(String, JSONValue)] = [
                ("ts", JSONValue(t)), ("smoke_obscuration_pct_per_m", num(obsc, 2)), ("temperature_c", num(temp, 1)),
            ]
            if options.reportsCO { m.append(("co_ppm", num(co, 0))) }
            m.append(("battery_pct", num(batteryNow, 0)))
            if options.reportsAlarm {
                // The detector's own decision, with a hysteresis of 1 %/m.
                if obsc >= options.alarmThresholdPctPerM { alarmOn = true } else if obsc < options.alarmThresholdPctPerM - 1 { alarmOn = false }
                m.append(("alarm", .bool(alarmOn)))
                m.append(("alarm_kind", "smoke"))  // protocol v1.1: the decision is about smoke
            }
            out.append(SimMessage(tMs: t, topic: topic, payload: .object(m)))
            if isActive(s) {
                t += min(options.fastIntervalMs, intervalMs)
            } else {
                // Report on change: the first fast step within the interval where an event
                // moves the readings brings the next report forward.
                var next = t + intervalMs
                if !overlays.isEmpty {
                    var probe = t + options.fastIntervalMs
                    while probe < next {
                        if isActive(signal(probe)) { next = probe; break }
                        probe += options.fastIntervalMs
                    }
                }
                t = next
            }
        }
        for tt in testAtMs {
            out.append(SimMessage(tMs: tt, topic: eventTopic, payload: ["ts": JSONValue(tt), "event": "test"]))
        }
        return out
    }
}
