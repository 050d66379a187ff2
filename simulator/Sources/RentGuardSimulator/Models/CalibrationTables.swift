/// Small parameter tables derived from the real data sets in ../shared/data. Only these
/// derived numbers are committed; the data sets themselves are not.

/// One row of the normalised CC-CV charge curve.
public struct ChargeCurvePoint: Sendable, Equatable {
    /// Charge delivered so far, as a fraction of the charge delivered by a complete
    /// CC-CV charge down to the 20 mA (C/100) end-of-charge current.
    public var q: Double
    /// Cell terminal voltage, V (multiply by the number of cells in series).
    public var cellVoltage: Double
    /// Charging current as a fraction of the constant-current set point.
    public var currentFraction: Double
    /// Cell temperature rise over the start of the charge, °C (at 0.75 C).
    public var temperatureRiseC: Double
}

public enum CalibrationTables {
    /// A real Li-ion CC-CV charge, normalised by delivered charge.
    ///
    /// Source: NASA Ames PCoE battery data set (Saha & Goebel 2007), cell B0025 (18650,
    /// 24 °C ambient, CC 1.5 A to 4.2 V then CV to 20 mA), file
    /// ../shared/data/nasa-battery-charging/B0025_charge_cycles.csv. Mean of cycles
    /// 1, 4, 6, 8, 10, 13, 17 and 20 (healthy cycles; 21, 63 and 79 are partial). For each
    /// cycle the charge was integrated from `Current_measured_A`, normalised to the
    /// cycle's total (≈1.90 Ah), and voltage, current and temperature were read at each
    /// grid point (5-sample moving mean). The CC phase ends at q ≈ 0.70 (≈ 3 050 s); the
    /// CV current falls to 15 % of the set point at q ≈ 0.94 (≈ 5 800 s) and to 20 mA at
    /// q = 1 (≈ 10 800 s).
    public static let chargeCurve: [ChargeCurvePoint] = [
        .init(q: 0.00, cellVoltage: 3.4812, currentFraction: 1.0000, temperatureRiseC: 0.03),
        .init(q: 0.05, cellVoltage: 3.8511, currentFraction: 1.0000, temperatureRiseC: -0.38),
        .init(q: 0.10, cellVoltage: 3.9091, currentFraction: 1.0000, temperatureRiseC: -0.44),
        .init(q: 0.15, cellVoltage: 3.9479, currentFraction: 1.0000, temperatureRiseC: -0.29),
        .init(q: 0.20, cellVoltage: 3.9729, currentFraction: 1.0000, temperatureRiseC: -0.09),
        .init(q: 0.25, cellVoltage: 3.9908, currentFraction: 1.0000, temperatureRiseC: 0.14),
        .init(q: 0.30, cellVoltage: 4.0087, currentFraction: 1.0000, temperatureRiseC: 0.41),
        .init(q: 0.35, cellVoltage: 4.0261, currentFraction: 1.0000, temperatureRiseC: 0.70),
        .init(q: 0.40, cellVoltage: 4.0447, currentFraction: 1.0000, temperatureRiseC: 0.99),
        .init(q: 0.45, cellVoltage: 4.0660, currentFraction: 1.0000, temperatureRiseC: 1.30),
        .init(q: 0.50, cellVoltage: 4.0906, currentFraction: 1.0000, temperatureRiseC: 1.59),
        .init(q: 0.55, cellVoltage: 4.1181, currentFraction: 1.0000, temperatureRiseC: 1.88),
        .init(q: 0.60, cellVoltage: 4.1476, currentFraction: 1.0000, temperatureRiseC: 2.14),
        .init(q: 0.65, cellVoltage: 4.1785, currentFraction: 1.0000, temperatureRiseC: 2.39),
        .init(q: 0.70, cellVoltage: 4.2043, currentFraction: 0.9756, temperatureRiseC: 2.71),
        .init(q: 0.75, cellVoltage: 4.2066, currentFraction: 0.8204, temperatureRiseC: 3.04),
        .init(q: 0.80, cellVoltage: 4.2083, currentFraction: 0.6151, temperatureRiseC: 2.77),
        .init(q: 0.81, cellVoltage: 4.2082, currentFraction: 0.5713, temperatureRiseC: 2.59),
        .init(q: 0.82, cellVoltage: 4.2084, currentFraction: 0.5336, temperatureRiseC: 2.40),
        .init(q: 0.83, cellVoltage: 4.2066, currentFraction: 0.4876, temperatureRiseC: 2.19),
        .init(q: 0.84, cellVoltage: 4.2061, currentFraction: 0.4515, temperatureRiseC: 1.98),
        .init(q: 0.85, cellVoltage: 4.2053, currentFraction: 0.4158, temperatureRiseC: 1.78),
        .init(q: 0.86, cellVoltage: 4.2042, currentFraction: 0.3785, temperatureRiseC: 1.60),
        .init(q: 0.87, cellVoltage: 4.2044, currentFraction: 0.3478, temperatureRiseC: 1.42),
        .init(q: 0.88, cellVoltage: 4.2043, currentFraction: 0.3155, temperatureRiseC: 1.24),
        .init(q: 0.89, cellVoltage: 4.2045, currentFraction: 0.2857, temperatureRiseC: 1.07),
        .init(q: 0.90, cellVoltage: 4.2051, currentFraction: 0.2583, temperatureRiseC: 0.89),
        .init(q: 0.91, cellVoltage: 4.2051, currentFraction: 0.2280, temperatureRiseC: 0.72),
        .init(q: 0.92, cellVoltage: 4.2050, currentFraction: 0.1985, temperatureRiseC: 0.55),
        .init(q: 0.93, cellVoltage: 4.2058, currentFraction: 0.1745, temperatureRiseC: 0.38),
        .init(q: 0.94, cellVoltage: 4.2053, currentFraction: 0.1441, temperatureRiseC: 0.22),
        .init(q: 0.95, cellVoltage: 4.2060, currentFraction: 0.1230, temperatureRiseC: 0.06),
        .init(q: 0.96, cellVoltage: 4.2059, currentFraction: 0.0967, temperatureRiseC: -0.09),
        .init(q: 0.97, cellVoltage: 4.2064, currentFraction: 0.0769, temperatureRiseC: -0.22),
        .init(q: 0.98, cellVoltage: 4.2061, currentFraction: 0.0543, temperatureRiseC: -0.36),
        .init(q: 0.99, cellVoltage: 4.2056, currentFraction: 0.0329, temperatureRiseC: -0.48),
        .init(q: 1.00, cellVoltage: 4.2045, currentFraction: 0.0106, temperatureRiseC: -0.55),
    ]

    /// Linear interpolation in `chargeCurve` at charge fraction `q` (clamped to 0…1).
    public static func chargeCurve(at q: Double) -> ChargeCurvePoint {
        let t = chargeCurve
        if q <= t[0].q { return t[0] }
        if q >= t[t.count - 1].q { return t[t.count - 1] }
        var lo = 0
        var hi = t.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if t[mid].q <= q { lo = mid } else { hi = mid }
        }
        let a = t[lo], b = t[hi]
        let f = (q - a.q) / (b.q - a.q)
        func lerp(_ x: Double, _ y: Double) -> Double { x + (y - x) * f }
        return ChargeCurvePoint(
            q: q, cellVoltage: lerp(a.cellVoltage, b.cellVoltage),
            currentFraction: lerp(a.currentFraction, b.currentFraction),
            temperatureRiseC: lerp(a.temperatureRiseC, b.temperatureRiseC))
    }

    /// Hour-of-day shape of a household's electricity use, excluding space/water heating,
    /// normalised to a mean of 1 over the day (index = local hour 0…23).
    ///
    /// Source: UCI "Individual household electric power consumption" (Hébrail & Bérard),
    /// ../shared/data/household-power/2007-q1.csv, 90 days: hourly mean of
    /// Global_active_power minus Sub_metering_3 (water heater and air conditioner).
    /// Evening peak 19–21 h (≈ 2×), night trough 2–5 h (≈ 0.6×), a breakfast bump at 7 h.
    public static let hourlyActivity: [Double] = [
        0.75, 0.66, 0.63, 0.62, 0.60, 0.62, 0.94, 1.32, 1.13, 0.88, 0.79, 0.69,
        0.79, 0.72, 0.70, 0.78, 0.79, 0.92, 1.41, 2.18, 2.02, 1.82, 1.31, 0.92,
    ]

    /// Real appliance signatures: typical power while on and typical length of one run.
    ///
    /// Source: tracebase (Reinhardt et al., TU Darmstadt), ../shared/data/appliance-traces,
    /// one day per appliance; "on" = W_1s_avg above 15 W (5 W for chargers), runs split at
    /// gaps over 60 s; values are the median run.
    public enum Appliance {
        /// Refrigerator_2011.11.28: 136 W while the compressor runs, 810 s runs, 28 runs/day
        /// (one about every 51 min), 0.86 kWh/day.
        public static let fridgeW = 136.0
        public static let fridgeOnS = 810.0
        public static let fridgePeriodS = 3_085.0
        /// Kettle_2011.11.23: 1 911 W for 282 s.
        public static let kettleW = 1_911.0
        public static let kettleOnS = 282.0
        /// Microwave_2011.11.23: 975 W for about 60 s (peak 1 427 W).
        public static let microwaveW = 975.0
        public static let microwaveOnS = 60.0
        /// Cookingstove dev_D33097: one hot plate, 864 W runs of 489 s.
        public static let hotplateW = 864.0
        public static let hotplateOnS = 489.0
        /// Washingmachine_2011.11.28: 389 W mean over a 2 755 s run, heater peaks 2 284 W.
        public static let washerMeanW = 389.0
        public static let washerHeaterW = 2_000.0
        public static let washerRunS = 2_755.0
        /// Iron dev_D337C2: 1 401 W runs of 236 s.
        public static let ironW = 1_401.0
        /// PC-Laptop dev_5AE2CA: 30 W for hours.
        public static let laptopW = 30.0
        /// Charger-Smartphone: 6 W.
        public static let phoneChargerW = 6.0
    }
}
