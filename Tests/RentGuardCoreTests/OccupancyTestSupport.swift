@testable import RentGuardCore

/// Deterministic synthetic meter traffic for the occupancy tests: hourly register readings
/// of water (and optionally electricity) meters of units with a known number of occupants.
struct SyntheticBuilding {
    struct Unit {
        var id: String
        var people: Int
        var registered: Int
        var areaM2: Double = 80
        var completeFlat = true
        var roomsRented: Int? = nil
        /// This household's habits: use is multiplied by this (1 = the building's typical).
        var habit = 1.0
        /// Continuous leak, litres per hour.
        var leakLPerH = 0.0
        /// Days (0-based) when nobody is home.
        var absentDays: Set<Int> = []
        /// (day, hour): the water register is replaced by one reading `replacedRegister` from then on.
        var registerReplacedAt: (day: Int, hour: Int)? = nil
        var replacedRegister = 0.0
        /// Hours (absolute, from the start) with no reading at all.
        var missingHours: Range<Int> = 0..<0
        /// A different head count on these days (a move-in, and a move-out at the range's end).
        var crowd: (days: Range<Int>, people: Int)? = nil
        var power = false
    }

    /// Local midnight (UTC+8) of day 0: 2026-01-05.
    static let start: Int64 = 20_458 * 86_400_000 - 8 * 3_600_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    var units: [Unit]
    var days: Int
    var seed: UInt64 = 42
    /// Building-wide model: litres per day = (fixed + perPerson · n) · habit · day noise.
    var fixedL = 60.0
    var perPersonL = 110.0
    var daySigma = 0.2
    /// Electricity: kWh per day = base 24·0.05 + (fixedKWh + perPersonKWh · n) · habit.
    var fixedKWh = 1.5
    var perPersonKWh = 2.0
    var readingMinute: Int64 = 7

    var config: BuildingConfig {
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "gw-test", building: "B1"))
        for u in units {
            cfg.units.append(
                UnitConfig(id: u.id, areaM2: u.areaM2, completeFlat: u.completeFlat, registeredOccupants: u.registered, roomsRented: u.roomsRented))
            cfg.devices.append(DeviceConfig(id: "WM-" + u.id, kind: .waterMeter, unit: u.id))
            if u.power { cfg.devices.append(DeviceConfig(id: "PM-" + u.id, kind: .powerMeter, unit: u.id)) }
        }
        cfg.devices.append(DeviceConfig(id: "SD-1", kind: .smokeDetector, unit: units.first?.id))
        return cfg
    }

    /// Share of a day's use in each local hour: nothing 01–05 h, peaks morning and evening.
    static let profile: [Double] = {
        let w: [Double] = [1, 0, 0, 0, 0, 0.5, 3, 6, 5, 3, 2, 2, 3, 2, 1.5, 1.5, 2, 3, 4, 6, 6, 5, 3, 1.5]
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }()

    func peopleOn(_ u: Unit, day: Int) -> Int {
        if u.absentDays.contains(day) { return 0 }
        if let c = u.crowd, c.days.contains(day) { return c.people }
        return u.people
    }

    /// Every reading, time-ordered.
    func readings() -> [Reading] {
        var rng = SplitMix(seed: seed)
        var out: [(ts: Int64, order: Int, r: Reading)] = []
        for (ui, u) in units.enumerated() {
            var water = 10_000.0 + Double(ui) * 1000
            var energy = 500.0 + Double(ui) * 10
            for d in 0..<days {
                let n = Double(peopleOn(u, day: d))
                let noise = OccMath.exp(daySigma * rng.normal())
                let litres = n > 0 ? (fixedL + perPersonL * n) * u.habit * noise : 0
                let kwh = n > 0 ? (fixedKWh + perPersonKWh * n) * u.habit * noise : 0
                for h in 0..<24 {
                    let abs = d * 24 + h
                    let t0 = Self.start + Int64(abs) * Self.hour
                    // The register before this hour's reading: the previous hour's use is complete.
                    let lHour = litres * Self.profile[h] + u.leakLPerH
                    let kHour = kwh * Self.profile[h] + 0.05
                    let frac = Double(readingMinute) / 60
                    let tsReading = t0 + readingMinute * 60_000
                    if let rep = u.registerReplacedAt, rep.day == d, rep.hour == h {
                        water = u.replacedRegister
                    }
                    if !u.missingHours.contains(abs) {
                        out.append((tsReading, ui * 2, Reading(device: "WM-" + u.id, ts: tsReading,
                            observation: .telemetry(.water(WaterTelemetry(volumeL: water + lHour * frac))))))
                        if u.power {
                            out.append((tsReading, ui * 2 + 1, Reading(device: "PM-" + u.id, ts: tsReading,
                                observation: .telemetry(.power(PowerTelemetry(powerW: kHour * 1000, energyKWh: energy + kHour * frac))))))
                        }
                    }
                    water += lHour
                    energy += kHour
                }
            }
        }
        out.sort { $0.ts != $1.ts ? $0.ts < $1.ts : $0.order < $1.order }
        return out.map(\.r)
    }

    /// Runs the estimator over every reading and closes the last day.
    func run(thresholds: [String: [String: Double]] = [:], options: OccupancyOptions = .init()) -> OccupancyOutput {
        var cfg = config
        cfg.thresholds = thresholds
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(config: cfg), options: options)
        var out = OccupancyOutput()
        for r in readings() {
            if r.ts >= est.nextDeadline {
                let o = est.advance(to: r.ts)
                out.estimates += o.estimates
                out.conditions += o.conditions
            }
            est.observe(r)
        }
        let o = est.advance(to: Self.start + Int64(days + 1) * Self.day + 3 * Self.hour)
        out.estimates += o.estimates
        out.conditions += o.conditions
        return out
    }

    /// A building of `count` honest units with 1–5 occupants and habits spread by `habitSigma` (log).
    static func honest(count: Int, days: Int, power: Bool = false, seed: UInt64 = 7, habitSigma: Double = 0.08) -> SyntheticBuilding {
        var rng = SplitMix(seed: seed)
        var units: [Unit] = []
        for i in 0..<count {
            let n = 1 + i % 5
            var u = Unit(id: "U\(100 + i)", people: n, registered: n)
            u.habit = OccMath.exp(habitSigma * rng.normal())
            u.power = power
            units.append(u)
        }
        return SyntheticBuilding(units: units, days: days, seed: seed)
    }
}


typealias SplitMix = SeededRNG

extension OccupancyOutput {
    func estimates(of unit: String) -> [OccupancyEstimate] { estimates.filter { $0.unit == unit } }
}
