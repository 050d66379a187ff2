import Foundation

/// A load that is on from `startMs` to `endMs` at constant rates.
public struct LoadInterval: Sendable, Equatable {
    public var startMs: Int64
    public var endMs: Int64
    public var powerW: Double
    public var waterLPerMin: Double
    public var gasM3PerH: Double
    public var label: String

    public init(startMs: Int64, endMs: Int64, powerW: Double = 0, waterLPerMin: Double = 0, gasM3PerH: Double = 0, label: String) {
        self.startMs = startMs
        self.endMs = endMs
        self.powerW = powerW
        self.waterLPerMin = waterLPerMin
        self.gasM3PerH = gasM3PerH
        self.label = label
    }
}

/// The sum of many `LoadInterval`s as a piecewise-constant function of time, with exact
/// integrals (cumulative energy, water and gas) in O(log n).
public struct PiecewiseLoad: Sendable {
    /// Breakpoints; rate `i` holds on [times[i], times[i+1]).
    public private(set) var times: [Int64] = []
    private var power: [Double] = []
    private var water: [Double] = []
    private var gas: [Double] = []
    /// Integrals up to times[i]: Wh, L, m³.
    private var cumWh: [Double] = []
    private var cumL: [Double] = []
    private var cumM3: [Double] = []

    public init(_ intervals: [LoadInterval]) {
        var deltas: [Int64: (Double, Double, Double)] = [:]
        for iv in intervals where iv.endMs > iv.startMs {
            var a = deltas[iv.startMs] ?? (0, 0, 0)
            a.0 += iv.powerW; a.1 += iv.waterLPerMin; a.2 += iv.gasM3PerH
            deltas[iv.startMs] = a
            var b = deltas[iv.endMs] ?? (0, 0, 0)
            b.0 -= iv.powerW; b.1 -= iv.waterLPerMin; b.2 -= iv.gasM3PerH
            deltas[iv.endMs] = b
        }
        var p = 0.0, w = 0.0, g = 0.0
        var ce = 0.0, cl = 0.0, cm = 0.0
        var prevT: Int64? = nil
        for t in deltas.keys.sorted() {
            if let pt = prevT {
                let dtH = Double(t - pt) / 3_600_000
                ce += p * dtH
                cl += w * dtH * 60
                cm += g * dtH
            }
            let d = deltas[t]!
            p += d.0; w += d.1; g += d.2
            // Sums of many floating terms: clamp the dust of cancellation to zero.
            if abs(p) < 1e-9 { p = 0 }
            if abs(w) < 1e-12 { w = 0 }
            if abs(g) < 1e-12 { g = 0 }
            times.append(t)
            power.append(max(0, p)); water.append(max(0, w)); gas.append(max(0, g))
            cumWh.append(ce); cumL.append(cl); cumM3.append(cm)
            prevT = t
        }
    }

    private func index(_ t: Int64) -> Int? {
        guard let first = times.first, t >= first else { return nil }
        var lo = 0, hi = times.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if times[mid] <= t { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// Rates at `t`: W, L/min, m³/h.
    public func rates(at t: Int64) -> (powerW: Double, waterLPerMin: Double, gasM3PerH: Double) {
        guard let i = index(t) else { return (0, 0, 0) }
        return (power[i], water[i], gas[i])
    }

    /// Integrals from the first breakpoint to `t`: Wh, L, m³.
    public func integrals(to t: Int64) -> (wh: Double, litres: Double, m3: Double) {
        guard let i = index(t) else { return (0, 0, 0) }
        let dtH = Double(t - times[i]) / 3_600_000
        return (cumWh[i] + power[i] * dtH, cumL[i] + water[i] * dtH * 60, cumM3[i] + gas[i] * dtH)
    }
}

/// The life of one flat: when its occupants wake, leave, come back, shower, cook, wash and
/// sleep, as loads on its power, water and gas meters.
///
/// Physics and sources (each number is also in docs/simulator.md):
/// - Water per person per day: `HouseholdOptions.waterLitresPerPersonDay`, default 150 L
///   (GB/T 50331-2002 zone 3, 120–180 L; domain.md). Every draw is per person, so a flat's
///   water is proportional to its occupants. Split by end use (assumed, in line with
///   published end-use surveys): shower 45 %, toilet 22 %, taps 13 %, kitchen 10 %,
///   laundry 10 %.
/// - Shower: 8 L/min (assumed), ~8 min; heated by gas (a 16 L/min-class instantaneous heater
///   burning ~2 m³/h of natural gas: 35 °C rise, 85 % efficiency, 36 MJ/m³; assumed) when
///   the flat has a gas meter, else by a 2 kW storage heater that reheats afterwards.
/// - Appliance powers and run lengths: tracebase (`CalibrationTables.Appliance`): fridge
///   136 W, 810 s on every ~51 min; kettle 1.9 kW for ~4.7 min; hot plate 864 W runs of
///   ~8 min; washing machine 389 W mean over 46 min with a 2 kW heating phase; laptop 30 W.
/// - Electronics and lighting while a person is at home and awake, shaped by the hour-of-day
///   profile of the UCI household (`CalibrationTables.hourlyActivity`), scaled so that a
///   person's appliances use `electricKWhPerPersonDay` (default 2.0 kWh; domain.md gives
///   2.6 kWh per person per day in total in China).
/// - Standby (router, stand-by loads): 15 W per flat (assumed).
/// - Daily routine (assumed): wake 07:00 ± 40 min, 70 % of adults out 08:00–18:30 ± 1 h,
///   sleep 23:15 ± 45 min.
public struct HouseholdModel: Sendable {
    public struct Config: Sendable {
        public var unit: String
        public var occupantsPerDay: [Int]
        public var hasGas: Bool
        public var electricWaterHeater: Bool
        public var options: HouseholdOptions
        public init(unit: String, occupantsPerDay: [Int], hasGas: Bool, electricWaterHeater: Bool, options: HouseholdOptions) {
            self.unit = unit
            self.occupantsPerDay = occupantsPerDay
            self.hasGas = hasGas
            self.electricWaterHeater = electricWaterHeater
            self.options = options
        }
    }

    // End-use split of a person's water (assumed; see the type's documentation).
    static let showerShare = 0.45, toiletShare = 0.22, tapShare = 0.13, kitchenShare = 0.10, laundryShare = 0.10
    static let showerLPerMin = 8.0
    static let showerProbability = 0.9
    static let flushesPerDay = 5.0
    static let tapDrawsPerDay = 8.0
    static let laundryRunsPerPersonDay = 0.35
    /// Gas instantaneous water heater: 8 L/min × 35 K × 4.186 kJ/(kg·K) / 0.85 / 36 MJ/m³ × 60 = 2.3 m³/h.
    static let gasHeaterM3PerH = 2.3
    /// One gas hob burner: ~3.5 kW / 36 MJ/m³ = 0.35 m³/h (assumed).
    static let gasHobM3PerH = 0.35
    /// Storage water heater element (assumed; typical 2 kW).
    static let electricHeaterW = 2_000.0
    static let standbyW = 15.0

    /// All loads of the flat between `fromMs` and `toMs` (local days aligned with `utcOffsetMs`).
    public static func intervals(_ c: Config, fromMs: Int64, toMs: Int64, utcOffsetMs: Int64, rng: SimRandom) -> [LoadInterval] {
        var out: [LoadInterval] = []
        let m = SimTime.minuteMs
        out.append(LoadInterval(startMs: fromMs - SimTime.dayMs, endMs: toMs + SimTime.dayMs, powerW: standbyW, label: "standby"))
        // Fridge: periodic compressor runs with a random phase.
        var fr = rng.fork("fridge")
        var t = fromMs - SimTime.dayMs + Int64(fr.uniform(0...CalibrationTables.Appliance.fridgePeriodS) * 1000)
        while t < toMs + SimTime.dayMs {
            let on = Int64(CalibrationTables.Appliance.fridgeOnS * fr.uniform(0.85...1.15) * 1000)
            out.append(LoadInterval(startMs: t, endMs: t + on, powerW: CalibrationTables.Appliance.fridgeW * fr.uniform(0.95...1.05), label: "fridge"))
            t += Int64(CalibrationTables.Appliance.fridgePeriodS * fr.uniform(0.85...1.15) * 1000)
        }

        let water = c.options.waterLitresPerPersonDay
        let showerL = water * showerShare / showerProbability
        let firstMidnight = SimTime.localMidnight(fromMs, utcOffsetMs: utcOffsetMs)
        var reheats: [(Int64, Int64)] = []
        var day = 0
        var midnight = firstMidnight - SimTime.dayMs  // the evening before the start matters at midnight
        while midnight < toMs {
            let dayIndex = max(0, day - 1)
            let n = c.occupantsPerDay.isEmpty ? 0 : c.occupantsPerDay[min(dayIndex, c.occupantsPerDay.count - 1)]
            let dr = rng.fork("day\(day)")
            for person in 0..<n {
                var r = dr.fork("p\(person)")
                func at(_ hours: Double) -> Int64 { midnight + Int64(hours * 3_600_000) }
                let wake = min(max(r.normal(mean: 7.0, sd: 0.67), 5.5), 10)
                let sleep = min(max(r.normal(mean: 23.25, sd: 0.75), 21.5), 26)
                let works = r.chance(c.options.workingShare)
                let leave = wake + r.uniform(0.6...1.3)
                let back = min(max(r.normal(mean: 18.5, sd: 1.0), 16), 21.5)
                // Home-and-awake spans.
                var home: [(Double, Double)] = works ? [(wake, leave), (back, sleep)] : [(wake, sleep)]
                if !works, r.chance(0.5) {  // out for a few hours
                    let o = r.uniform(9.5...14)
                    home = [(wake, o), (o + r.uniform(1.5...4), sleep)]
                }
                func randomHomeTime() -> Double {
                    let total = home.reduce(0) { $0 + max(0, $1.1 - $1.0) }
                    var x = r.uniform(0...max(total, 0.01))
                    for (a, b) in home {
                        let len = max(0, b - a)
                        if x <= len { return a + x }
                        x -= len
                    }
                    return home.last?.1 ?? 20
                }
                // Shower: evening (60 %) or morning.
                if r.chance(showerProbability) {
                    let evening = r.chance(0.6)
                    let h = evening ? min(sleep - 0.3, (home.last?.0 ?? 19) + r.uniform(0.5...2.5)) : wake + r.uniform(0.05...0.4)
                    let minutes = showerL / showerLPerMin * r.uniform(0.7...1.3)
                    let s = at(h)
                    let e = s + Int64(minutes * 60_000)
                    let flow = showerLPerMin
                    out.append(LoadInterval(startMs: s, endMs: e, waterLPerMin: flow, label: "shower"))
                    if c.electricWaterHeater {
                        // Reheat: heat drawn = litres × 35 K × 4.186 kJ; one 2 kW element per
                        // flat, so reheats queue (scheduled below).
                        let kWh = flow * minutes * 35 * 4.186 / 3600
                        reheats.append((e, Int64(kWh / (electricHeaterW / 1000) * 3_600_000)))
                    } else if c.hasGas {
                        out.append(LoadInterval(startMs: s + 5_000, endMs: e, gasM3PerH: gasHeaterM3PerH * r.uniform(0.9...1.1), label: "gas_heater"))
                    }
                }
                // Toilet flushes: 6 L refill at ~6 L/min (1 min each).
                let flushL = water * toiletShare / flushesPerDay
                for _ in 0..<Int(flushesPerDay) {
                    let s = at(randomHomeTime())
                    out.append(LoadInterval(startMs: s, endMs: s + m, waterLPerMin: flushL, label: "toilet"))
                }
                // Taps (washing hands, teeth): 1 min draws.
                let tapL = water * tapShare / tapDrawsPerDay
                for _ in 0..<Int(tapDrawsPerDay) {
                    let s = at(randomHomeTime())
                    out.append(LoadInterval(startMs: s, endMs: s + m, waterLPerMin: tapL, label: "tap"))
                }
                // Breakfast: kettle.
                if r.chance(0.6) {
                    let s = at(wake + r.uniform(0.1...0.5))
                    out.append(LoadInterval(startMs: s, endMs: s + Int64(CalibrationTables.Appliance.kettleOnS * 1000), powerW: CalibrationTables.Appliance.kettleW, label: "kettle"))
                }
                // Dinner: every person cooks their own share (rented rooms cook separately).
                let kitchenL = water * kitchenShare
                let dinner = at((home.last?.0 ?? 18.5) + r.uniform(0.2...0.8))
                let cookMin = r.uniform(15...35)
                if c.hasGas {
                    out.append(LoadInterval(startMs: dinner, endMs: dinner + Int64(cookMin * 60_000), gasM3PerH: gasHobM3PerH, label: "hob"))
                } else {
                    // Hot plate cycles (tracebase: 864 W, ~8 min runs).
                    var tt = dinner
                    let end = dinner + Int64(cookMin * 60_000)
                    while tt < end {
                        let on = Int64(CalibrationTables.Appliance.hotplateOnS * r.uniform(0.6...1.2) * 1000)
                        out.append(LoadInterval(startMs: tt, endMs: min(end, tt + on), powerW: CalibrationTables.Appliance.hotplateW * 1.6, label: "cooktop"))
                        tt += on + Int64(r.uniform(60...240) * 1000)
                    }
                }
                if r.chance(0.3) {
                    out.append(LoadInterval(startMs: dinner - 5 * m, endMs: dinner - 4 * m, powerW: CalibrationTables.Appliance.microwaveW, label: "microwave"))
                }
                // Washing up: kitchen water in 4 minutes after dinner.
                let wash = dinner + Int64(cookMin * 60_000) + 20 * m
                out.append(LoadInterval(startMs: wash, endMs: wash + 4 * m, waterLPerMin: kitchenL / 4, label: "dishes"))
                // Laundry.
                if r.chance(laundryRunsPerPersonDay) {
                    let s = at(randomHomeTime())
                    let run = Int64(CalibrationTables.Appliance.washerRunS * 1000)
                    let litres = water * laundryShare / laundryRunsPerPersonDay
                    out.append(LoadInterval(startMs: s, endMs: s + 6 * m, waterLPerMin: litres * 0.6 / 6, label: "washer_fill"))
                    out.append(LoadInterval(startMs: s + 6 * m, endMs: s + 20 * m, powerW: CalibrationTables.Appliance.washerHeaterW, label: "washer_heat"))
                    out.append(LoadInterval(startMs: s + 20 * m, endMs: s + run, powerW: 150, label: "washer"))
                    out.append(LoadInterval(startMs: s + run - 12 * m, endMs: s + run - 8 * m, waterLPerMin: litres * 0.4 / 4, label: "washer_rinse"))
                }
                // Electronics and lighting, hour by hour while home and awake.
                let weights = CalibrationTables.hourlyActivity
                var homeWeight = 0.0
                for (a, b) in home {
                    var h = a
                    while h < b {
                        let step = min(b, floor(h) + 1) - h
                        homeWeight += step * weights[Int(h) % 24]
                        h += step
                    }
                }
                let kWh = c.options.electricKWhPerPersonDay * r.uniform(0.8...1.2)
                // Kettle, cooking and laundry above take part of the budget (~0.6 kWh).
                let perWeight = max(0.2, kWh - 0.6) * 1000 / max(homeWeight, 1)
                for (a, b) in home {
                    var h = a
                    while h < b {
                        let next = min(b, floor(h) + 1)
                        let w = perWeight * weights[Int(h) % 24] * r.uniform(0.7...1.3)
                        out.append(LoadInterval(startMs: at(h), endMs: at(next), powerW: w, label: "electronics"))
                        h = next
                    }
                }
            }
            day += 1
            midnight += SimTime.dayMs
        }
        // The storage heater's element runs one reheat after another.
        var heaterFreeAt = Int64.min
        for (at, length) in reheats.sorted(by: { $0.0 < $1.0 }) {
            let s = max(at, heaterFreeAt)
            out.append(LoadInterval(startMs: s, endMs: s + length, powerW: electricHeaterW, label: "water_heater"))
            heaterFreeAt = s + length
        }
        return out
    }
}
