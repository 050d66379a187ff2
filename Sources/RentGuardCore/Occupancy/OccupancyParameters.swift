/// Parameters of the occupancy estimator (rule id `occupancy`) and of the group-rental
/// assessment (rule id `group_rental`), with their defaults and sources.
///
/// Both are overridable per building through `thresholds:` in the configuration, like any
/// detection rule (`Thresholds.value`). docs/occupancy.md explains each one.
public enum OccupancyRule {
    public static let id = "occupancy"

    public static let rollingWindowDays = RuleParameter(
        "rolling_window_days", 14, unit: "days", source: "issue 6 (default window)",
        "Days averaged by the rolling estimate.")
    public static let calibrationWindowDays = RuleParameter(
        "calibration_window_days", 28, unit: "days",
        source: "design: four weeks, long enough to be stable, short enough to follow the season",
        "Days of each unit's use that calibrate the building's use per registered person.")
    public static let minCalibrationDays = RuleParameter(
        "min_calibration_days", 7, unit: "days", source: "design: one full week (weekday and weekend use)",
        "A unit calibrates the building only with at least this many usable days in the calibration window.")
    public static let minCalibrationUnits = RuleParameter(
        "min_calibration_units", 5, unit: "units",
        source: "design: a median of fewer units is not robust to one dishonest registration",
        "Fewer calibrating units than this: use an explicit figure or the published fallback instead.")
    public static let minRollingDays = RuleParameter(
        "min_rolling_days", 3, unit: "days", source: "design",
        "The rolling estimate needs at least this many usable days in its window.")
    public static let minDayCoverage = RuleParameter(
        "min_day_coverage", 0.8, unit: "fraction",
        source: "design: at most 20 % of a day extrapolated (scale-up ≤ 1.25×)",
        "Share of a day a meter's register intervals must cover for the day to count; the rest is scaled up.")
    public static let maxIntervalHours = RuleParameter(
        "max_interval_h", 48, unit: "h",
        source: "design: register differences over longer gaps hide when the water was used (absence, reset)",
        "A register difference over a longer gap is not counted (the baseline restarts).")
    public static let nightStartHour = RuleParameter(
        "night_start_h", 1, unit: "h (local)", source: "design: DAIAD trial A hourly use is lowest 01–05 h",
        "Start of the night window in which the minimum flow (leak, standby base load) is measured.")
    public static let nightEndHour = RuleParameter(
        "night_end_h", 5, unit: "h (local)", source: "design: DAIAD trial A hourly use is lowest 01–05 h",
        "End of the night window.")
    public static let nightMaxIntervalHours = RuleParameter(
        "night_max_interval_h", 3, unit: "h", source: "design: a base rate needs readings at least every 3 h",
        "Only register intervals this short measure the night minimum rate.")
    public static let powerHoldMinutes = RuleParameter(
        "power_sample_hold_min", 15, unit: "min",
        source: "design: power telemetry comes every 10–90 s; a longer silence is a gap, not steady load",
        "A power meter without an energy register: each power_w sample is held at most this long.")
    public static let vacantFraction = RuleParameter(
        "vacant_fraction", 0.2, unit: "fraction of one person's use",
        source: "design: a day below a fifth of one person's expected use is nobody home (holiday)",
        "Days below this are counted as vacant: 0 present, left out of the rolling average while others exist.")
    public static let spikeFactor = RuleParameter(
        "spike_factor", 5, unit: "× median day",
        source: "design: one day above 5× the unit's median day is a glitch or a one-off (a swapped meter that starts higher, a filled pool), not 5× the people; a real move-in lifts the median within days",
        "A day's use is capped at this multiple of the unit's median occupied day in the window (calibration and estimates; 0 = off).")
    public static let intervalZ = RuleParameter(
        "interval_z", 1.2816, unit: "σ", source: "standard normal: 80 % two-sided interval (low bound = 10th percentile)",
        "Width of [low, high] in standard deviations of the log-use model.")
    public static let minSigma = RuleParameter(
        "min_sigma_log", 0.1, unit: "ln units", source: "design: no building is more uniform than ±10 %",
        "Floor on the calibration's between-unit spread.")
    public static let fallbackSigma = RuleParameter(
        "fallback_sigma_log", 0.5, unit: "ln units",
        source: "measured: DAIAD trial A between-household spread of ln(L per person) is 0.31 (robust) to 0.67 (plain)",
        "Between-unit spread assumed when the building cannot calibrate (explicit or published figures).")
    public static let defaultDaySigma = RuleParameter(
        "default_day_sigma_log", 0.5, unit: "ln units",
        source: "measured: DAIAD trial A day-to-day spread of ln(daily use), median household 0.46",
        "Day-to-day spread assumed for a unit with fewer than 3 occupied days so far.")
    public static let minSlopeFraction = RuleParameter(
        "min_slope_fraction", 0.25, unit: "fraction",
        source: "design: a flatter fit cannot tell people from households; fall back to proportional",
        "The per-person slope b of use = a + b·n must be at least this fraction of the plain per-capita figure.")

    // The registration as a prior, and the unit's own history (docs/occupancy.md §4).
    public static let priorHonest = RuleParameter(
        "prior_honest", 0.8, unit: "probability",
        source: "design: most registrations are honest (the issue's held-out building: about 5 in 6 units); tuned on the DAIAD tuning half",
        "Prior probability that a unit holds exactly its registered occupants.")
    public static let priorUnderShare = RuleParameter(
        "prior_under_share", 0.75, unit: "fraction",
        source: "design: a dishonest registration is more often too low (sublets, group rentals) than too high (people moved out)",
        "Of the prior mass off the registered count, the share on more people than registered.")
    public static let priorExcessScale = RuleParameter(
        "prior_excess_scale", 3, unit: "persons",
        source: "design: excesses of 1–3 are commonest, but a group rental's 5–10 must keep real prior mass",
        "Under-registration by j persons has prior weight ∝ exp(−(j − 1)/scale).")
    public static let changeProbability = RuleParameter(
        "change_probability", 0.05, unit: "probability",
        source: "design: a household changes size between its baseline weeks and the last two weeks rarely",
        "Prior probability that the unit's head count changed between its baseline window and its rolling window.")
    public static let baselineWindowDays = RuleParameter(
        "baseline_window_days", 28, unit: "days",
        source: "design: four weeks before the rolling window, the unit's own reference level",
        "Days before the rolling window that give the unit's own baseline use (a group rental starts at a date: a step against it).")
    public static let minBaselineDays = RuleParameter(
        "min_baseline_days", 7, unit: "days", source: "design: one full week (weekday and weekend use)",
        "Occupied days the baseline needs before the unit's own step counts as evidence.")
    public static let minChangeSigma = RuleParameter(
        "min_change_sigma_log", 0.1, unit: "ln units",
        source: "design: no household repeats its use within ±10 % between two windows",
        "Floor on the building's spread of own-use changes between the baseline and the rolling window.")
    public static let fallbackChangeSigma = RuleParameter(
        "fallback_change_sigma_log", 0.3, unit: "ln units",
        source: "measured: DAIAD trial A, spread of ln(rolling 14-day use ÷ the 28 days before) across households ≈ 0.2–0.3",
        "Spread of own-use changes assumed while fewer than min_calibration_units units have a baseline.")
    public static let kindCorrelation = RuleParameter(
        "kind_correlation", 0.5, unit: "fraction",
        source: "design: a frugal household is frugal with water and power alike; K kinds count as 1 + (K − 1)(1 − c) independent ones",
        "Log-likelihoods of K meter kinds are summed with weight 1/(1 + c(K − 1)).")
    public static let maxPersons = RuleParameter(
        "max_persons", 30, unit: "persons", source: "design: larger than any flat's plausible head count",
        "Largest head count the posterior considers.")

    // Explicit figures (0 = not set: calibrate on the building).
    public static let waterPerPerson = RuleParameter(
        "water_l_per_person_day", 0, unit: "L/person/day", source: "configuration (0 = calibrate on the building)",
        "Explicit per-person water use b; overrides the building's calibration.")
    public static let waterFixed = RuleParameter(
        "water_l_fixed_per_day", 0, unit: "L/day", source: "configuration",
        "Explicit fixed (per household) water use a, with water_l_per_person_day.")
    public static let electricityPerPerson = RuleParameter(
        "electricity_kwh_per_person_day", 0, unit: "kWh/person/day", source: "configuration (0 = calibrate on the building)",
        "Explicit per-person electricity use b above the night base load.")
    public static let electricityFixed = RuleParameter(
        "electricity_kwh_fixed_per_day", 0, unit: "kWh/day", source: "configuration",
        "Explicit fixed electricity use a, with electricity_kwh_per_person_day.")
    public static let gasPerPerson = RuleParameter(
        "gas_m3_per_person_day", 0, unit: "m³/person/day", source: "configuration (0 = calibrate on the building)",
        "Explicit per-person gas use b.")
    public static let gasFixed = RuleParameter(
        "gas_m3_fixed_per_day", 0, unit: "m³/day", source: "configuration",
        "Explicit fixed gas use a, with gas_m3_per_person_day.")
    public static let chargingPerPerson = RuleParameter(
        "charging_kwh_per_person_day", 0, unit: "kWh/person/charging day", source: "configuration (0 = calibrate on the building)",
        "Explicit per-person e-bike charging energy b at a unit's linked charger ports (unit_ports).")
    public static let chargingFixed = RuleParameter(
        "charging_kwh_fixed_per_day", 0, unit: "kWh/charging day", source: "configuration",
        "Explicit fixed charging energy a, with charging_kwh_per_person_day.")

    // Published fallbacks, used only when the building cannot calibrate.
    public static let waterFallback = RuleParameter(
        "water_fallback_l_per_person_day", 150, unit: "L/person/day",
        source: "GB/T 50331-2002 zone 3 (Jiangsu, Zhejiang, Shanghai) 120–180 L, midpoint; city average 2023 ≈ 189 L",
        "Per-person water use when the building has no usable calibration and no explicit figure.")
    public static let electricityFallback = RuleParameter(
        "electricity_fallback_kwh_per_person_day", 2.6, unit: "kWh/person/day",
        source: "residential electricity, China 2023 ≈ 2.6 kWh per person per day",
        "Per-person electricity use when the building has no usable calibration and no explicit figure.")
    public static let gasFallback = RuleParameter(
        "gas_fallback_m3_per_person_day", 0, unit: "m³/person/day",
        source: "none published in the project's sources: gas counts only when calibrated or configured",
        "Per-person gas use fallback (0 = none).")
    public static let chargingFallback = RuleParameter(
        "charging_fallback_kwh_per_person_day", 0, unit: "kWh/person/charging day",
        source: "none published: e-bike ownership and riding differ by building; charging counts only when calibrated or configured",
        "Per-person charging energy fallback (0 = none).")

    // Plausibility of register steps (a larger step is a meter swap or a glitch, not use).
    public static let waterMaxRate = RuleParameter(
        "water_max_l_per_h", 2500, unit: "L/h", source: "ISO 4064 / GB/T 778 DN15 domestic meter, Q3 = 2.5 m³/h",
        "A register rise faster than this is a meter swap or glitch: the baseline restarts.")
    public static let electricityMaxRate = RuleParameter(
        "electricity_max_kw", 15, unit: "kW", source: "a flat's 63 A breaker at 230 V ≈ 14.5 kW",
        "An energy register rise faster than this is a meter swap or glitch: the baseline restarts.")
    public static let gasMaxRate = RuleParameter(
        "gas_max_m3_per_h", 6, unit: "m³/h", source: "EN 1359 G4 domestic gas meter, Qmax = 6 m³/h",
        "A gas register rise faster than this is a meter swap or glitch: the baseline restarts.")
    public static let chargingMaxRate = RuleParameter(
        "charging_max_kw_per_port", 1.1, unit: "kW",
        source: "../shared/domain.md: public charging-pile practice caps a port at 5–5.5 A and treats readings over 1,100 W as faulty (e-bike chargers give 100–300 W)",
        "A port's session energy rising faster than this is a glitch: the interval is not counted.")

    public static let parameters: [RuleParameter] = [
        rollingWindowDays, calibrationWindowDays, minCalibrationDays, minCalibrationUnits, minRollingDays,
        minDayCoverage, maxIntervalHours, nightStartHour, nightEndHour, nightMaxIntervalHours, powerHoldMinutes, vacantFraction,
        spikeFactor, intervalZ, minSigma, fallbackSigma, defaultDaySigma, minSlopeFraction,
        priorHonest, priorUnderShare, priorExcessScale, changeProbability, baselineWindowDays, minBaselineDays,
        minChangeSigma, fallbackChangeSigma, kindCorrelation, maxPersons,
        waterPerPerson, waterFixed, electricityPerPerson, electricityFixed, gasPerPerson, gasFixed,
        waterFallback, electricityFallback, gasFallback, waterMaxRate, electricityMaxRate, gasMaxRate,
        chargingPerPerson, chargingFixed, chargingFallback, chargingMaxRate,
    ]
}

/// The ordinance's group-rental thresholds (../shared/domain.md). Cities differ: override them.
public enum GroupRentalRule {
    public static let id = "group_rental"

    public static let daysRunning = RuleParameter(
        "days_running", 7, unit: "days", source: "issue 6 (K days running)",
        "A criterion must hold on this many assessed days in a row to raise group_rental_suspected.")
    public static let clearDays = RuleParameter(
        "clear_days", 7, unit: "days", source: "design: symmetric with days_running (no flapping)",
        "No criterion may hold on this many assessed days in a row to clear it.")
    public static let tenantsMin = RuleParameter(
        "tenants_min", 10, unit: "persons", source: "ordinance: 10 or more tenants in total (Nanjing 2014 the same)",
        "The rolling estimate's low bound reaching this is a group rental whatever the area.")
    public static let areaCompleteFlat = RuleParameter(
        "area_per_person_complete_m2", 10, unit: "m²/person", source: "ordinance: less than 10 m² per person in a complete flat",
        "Area per estimated person below this in a complete flat.")
    public static let areaNonComplete = RuleParameter(
        "area_per_person_noncomplete_m2", 5, unit: "m²/person",
        source: "ordinance: less than 5 m² per person in a non-complete dwelling (Shanghai: 5 m² for all)",
        "Area per estimated person below this in a non-complete dwelling.")
    public static let areaMinPersons = RuleParameter(
        "area_min_persons", 4, unit: "persons",
        source: "ordinance: the area test applies to a flat let to 4 or more unrelated adults (or 2+ families); 0 = area alone",
        "The area criterion needs at least this many estimated persons (a family of 3 in 25 m² is not a group rental).")
    public static let maxPersonsPerRoom = RuleParameter(
        "max_persons_per_room", 0, unit: "persons/room", source: "Shanghai: more than 2 people per room (0 = off)",
        "Estimated persons per rented room above this (needs rooms_rented).")
    public static let registeredMargin = RuleParameter(
        "registered_margin", 2, unit: "persons", source: "issue 6 (default margin)",
        "The estimate exceeding the registered occupants by this many.")
    public static let useLowBound = RuleParameter(
        "use_low_bound", 1, unit: "bool (1/0)",
        source: "design: a flag is a lead for an inspection of people's homes; be conservative",
        "1: a criterion holds when its posterior probability reaches flag_probability; 0: when the point estimate (posterior median) meets it.")
    public static let flagProbability = RuleParameter(
        "flag_probability", 0.9, unit: "probability",
        source: "design: tuned on the DAIAD tuning half (honest unit-days flagged ≤ 2 %); a lead for an inspection must be likely, not possible",
        "A criterion holds on a day when the posterior probability that it is met reaches this.")
    public static let publicVenueRooms = RuleParameter(
        "public_venue_rooms", 10, unit: "rooms or beds",
        source: "ordinance: rooms or beds rented out 10 or more at a time are managed like public venues",
        "A unit renting this many rooms or beds is reported as public-venue-managed.")

    public static let parameters: [RuleParameter] = [
        daysRunning, clearDays, tenantsMin, areaCompleteFlat, areaNonComplete, areaMinPersons,
        maxPersonsPerRoom, registeredMargin, useLowBound, flagProbability, publicVenueRooms,
    ]
}

/// Deployment options that are not thresholds: the local day and when it is closed.
public struct OccupancyOptions: Sendable, Equatable {
    /// Local time: a period starts at local midnight in this zone. The estimator takes the
    /// gateway's zone (`gateway.timezone`) unless options are given.
    public var zone: LocalTimeZone
    /// Length of one estimation period. Default one day.
    public var periodSeconds: Int
    /// A period is closed (estimated) this long after its end, so that the first readings
    /// after midnight, which bracket it, have arrived. Default 2 h.
    public var closeGraceSeconds: Int

    public init(zone: LocalTimeZone = .chinaStandardTime, periodSeconds: Int = 86_400, closeGraceSeconds: Int = 2 * 3600) {
        self.zone = zone
        self.periodSeconds = max(3600, periodSeconds)
        self.closeGraceSeconds = max(0, closeGraceSeconds)
    }

    /// Options on a fixed offset from UTC (a data set recorded in its own local time).
    public init(utcOffsetSeconds: Int, periodSeconds: Int = 86_400, closeGraceSeconds: Int = 2 * 3600) {
        self.init(
            zone: LocalTimeZone(name: "UTC\(utcOffsetSeconds < 0 ? "-" : "+")\(abs(utcOffsetSeconds))s", fixedOffsetSeconds: utcOffsetSeconds),
            periodSeconds: periodSeconds, closeGraceSeconds: closeGraceSeconds)
    }
}

/// The kinds of use the estimator reads: three meters of a unit, and the e-bike charging
/// energy at the charger ports the configuration reserves for it (`unit_ports`).
public enum OccupancyMeterKind: String, Sendable, Equatable, CaseIterable, Hashable {
    case water, electricity, gas, charging

    init?(_ kind: DeviceKind) {
        switch kind {
        case .waterMeter: self = .water
        case .powerMeter: self = .electricity
        case .gasMeter: self = .gas
        case .smokeDetector, .charger: return nil
        }
    }

    var index: Int {
        switch self {
        case .water: return 0
        case .electricity: return 1
        case .gas: return 2
        case .charging: return 3
        }
    }

    /// Unit of the daily quantity, for evidence.
    var quantityUnit: String {
        switch self {
        case .water: return "l"
        case .electricity: return "kwh"
        case .gas: return "m3"
        case .charging: return "kwh"
        }
    }

    /// A meter's night minimum is a leak or a standby load and is subtracted; charging at
    /// night is use (batteries are charged overnight), never a base load.
    var subtractsNightBase: Bool { self != .charging }

    /// Whether the kind enters the day figures (`day_estimated_occupants`, `day_low`, `day_high`): a day
    /// without a charge says nothing about who was home (a battery lasts days), so charging
    /// enters the rolling posterior only.
    var entersDayEstimate: Bool { self != .charging }
}

/// Every parameter resolved for one building.
struct OccupancySettings: Sendable {
    struct Meter: Sendable {
        var perPerson: Double
        var fixed: Double
        var fallbackPerPerson: Double
        /// Largest plausible register rise per hour.
        var maxPerHour: Double
    }

    var rollingDays: Int
    var calibrationDays: Int
    var minCalibrationDays: Int
    var minCalibrationUnits: Int
    var minRollingDays: Int
    var minDayCoverage: Double
    var maxIntervalMs: Int64
    var nightStartMs: Int64
    var nightEndMs: Int64
    var nightMaxIntervalMs: Int64
    var powerHoldMs: Int64
    var vacantFraction: Double
    var spikeFactor: Double
    var z: Double
    var minSigma: Double
    var fallbackSigma: Double
    var defaultDaySigma: Double
    var minSlopeFraction: Double
    var prior: RegistrationPrior
    var changeProbability: Double
    var baselineDays: Int
    var minBaselineDays: Int
    var minChangeSigma: Double
    var fallbackChangeSigma: Double
    var kindCorrelation: Double
    var maxPersons: Int
    var meters: [Meter]  // indexed by OccupancyMeterKind.index

    var daysRunning: Int
    var clearDays: Int
    var tenantsMin: Double
    var areaComplete: Double
    var areaNonComplete: Double
    var areaMinPersons: Double
    var maxPersonsPerRoom: Double
    var registeredMargin: Double
    var useLowBound: Bool
    var flagProbability: Double
    var publicVenueRooms: Int

    init(_ t: Thresholds) {
        let o = OccupancyRule.self, g = GroupRentalRule.self
        func v(_ p: RuleParameter) -> Double {
            let x = t.value(o.id, p)
            return x.isFinite ? x : p.defaultValue
        }
        func gv(_ p: RuleParameter) -> Double {
            let x = t.value(g.id, p)
            return x.isFinite ? x : p.defaultValue
        }
        func days(_ x: Double) -> Int { max(1, Int(x.rounded())) }
        func hoursMs(_ x: Double) -> Int64 { Int64((max(0, x) * 3_600_000).rounded()) }
        rollingDays = days(v(o.rollingWindowDays))
        calibrationDays = days(v(o.calibrationWindowDays))
        minCalibrationDays = days(v(o.minCalibrationDays))
        minCalibrationUnits = max(2, Int(v(o.minCalibrationUnits).rounded()))
        minRollingDays = days(v(o.minRollingDays))
        minDayCoverage = min(1, max(0.05, v(o.minDayCoverage)))
        maxIntervalMs = max(1, hoursMs(v(o.maxIntervalHours)))
        nightStartMs = hoursMs(v(o.nightStartHour))
        nightEndMs = hoursMs(v(o.nightEndHour))
        nightMaxIntervalMs = max(1, hoursMs(v(o.nightMaxIntervalHours)))
        powerHoldMs = max(1, Int64((max(0, v(o.powerHoldMinutes)) * 60_000).rounded()))
        vacantFraction = max(0, v(o.vacantFraction))
        spikeFactor = max(0, v(o.spikeFactor))
        z = max(0, v(o.intervalZ))
        minSigma = max(0, v(o.minSigma))
        fallbackSigma = max(0, v(o.fallbackSigma))
        defaultDaySigma = max(0, v(o.defaultDaySigma))
        minSlopeFraction = max(0, v(o.minSlopeFraction))
        prior = RegistrationPrior(
            honest: min(1, max(0, v(o.priorHonest))), underShare: min(1, max(0, v(o.priorUnderShare))),
            excessScale: max(0.1, v(o.priorExcessScale)))
        changeProbability = min(1, max(0, v(o.changeProbability)))
        baselineDays = max(0, Int(v(o.baselineWindowDays).rounded()))
        minBaselineDays = days(v(o.minBaselineDays))
        minChangeSigma = max(0.01, v(o.minChangeSigma))
        fallbackChangeSigma = max(0.01, v(o.fallbackChangeSigma))
        kindCorrelation = min(1, max(0, v(o.kindCorrelation)))
        maxPersons = min(200, max(2, Int(v(o.maxPersons).rounded())))
        meters = [
            Meter(perPerson: max(0, v(o.waterPerPerson)), fixed: max(0, v(o.waterFixed)),
                  fallbackPerPerson: max(0, v(o.waterFallback)), maxPerHour: max(0, v(o.waterMaxRate))),
            Meter(perPerson: max(0, v(o.electricityPerPerson)), fixed: max(0, v(o.electricityFixed)),
                  fallbackPerPerson: max(0, v(o.electricityFallback)), maxPerHour: max(0, v(o.electricityMaxRate))),
            Meter(perPerson: max(0, v(o.gasPerPerson)), fixed: max(0, v(o.gasFixed)),
                  fallbackPerPerson: max(0, v(o.gasFallback)), maxPerHour: max(0, v(o.gasMaxRate))),
            Meter(perPerson: max(0, v(o.chargingPerPerson)), fixed: max(0, v(o.chargingFixed)),
                  fallbackPerPerson: max(0, v(o.chargingFallback)), maxPerHour: max(0, v(o.chargingMaxRate))),
        ]
        daysRunning = days(gv(g.daysRunning))
        clearDays = days(gv(g.clearDays))
        tenantsMin = gv(g.tenantsMin)
        areaComplete = gv(g.areaCompleteFlat)
        areaNonComplete = gv(g.areaNonComplete)
        areaMinPersons = gv(g.areaMinPersons)
        maxPersonsPerRoom = gv(g.maxPersonsPerRoom)
        registeredMargin = gv(g.registeredMargin)
        useLowBound = gv(g.useLowBound) >= 0.5
        flagProbability = min(1, max(0.5, gv(g.flagProbability)))
        publicVenueRooms = max(1, Int(gv(g.publicVenueRooms).rounded()))
    }
}
