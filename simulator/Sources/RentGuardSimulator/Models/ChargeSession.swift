import Foundation

/// An e-bike battery pack: Li-ion cells in series.
///
/// GB 17761-2018 caps e-bikes at 48 V nominal; GB 43854-2024 covers packs up to 60 V
/// (domain.md). A "48 V" pack is 13 cells (54.6 V full), a "60 V" pack 16 or 17 cells
/// (67.2 / 71.4 V full) — ../shared/data/nasa-battery-charging/SOURCE.md.
public struct BatteryPack: Sendable, Equatable {
    public var cells: Int
    /// Charge of a complete CC-CV charge (to C/100), Ah.
    public var capacityAh: Double

    public init(cells: Int, capacityAh: Double) {
        self.cells = cells
        self.capacityAh = capacityAh
    }

    /// `48` → 13 cells, `60` → 16 cells, `72` → 20 cells; otherwise V / 3.7.
    public static func cells(forNominalV v: Double) -> Int {
        switch v {
        case 36: return 10
        case 48: return 13
        case 60: return 16
        case 72: return 20
        default: return max(1, Int((v / 3.7).rounded()))
        }
    }

    public var nominalV: Double { Double(cells) * 3.7 }
    public var fullV: Double { Double(cells) * 4.2 }
    /// Nominal energy, Wh (capacity × nominal voltage).
    public var nominalWh: Double { capacityAh * nominalV }
}

/// A CC-CV charge of a pack, stepped in time. The shape (voltage against charge, current
/// taper in CV) is the real NASA B0025 cell's (`CalibrationTables.chargeCurve`), scaled by
/// the number of cells in series and by the set current.
///
/// The charger ends the main charge ("full") when the output power falls below
/// `fullBelowW` (field practice: 20–45 W; domain.md), then floats for `floatMs`
/// (45–120 min) following the same CV taper, then cuts off.
public struct ChargeSession: Sendable {
    public enum Phase: Sendable, Equatable { case charging, float, done }

    public var pack: BatteryPack
    /// Constant-current set point, A.
    public var setCurrentA: Double
    /// Charge fraction (0…1 of a complete CC-CV charge).
    public private(set) var q: Double
    public private(set) var energyWh: Double = 0
    public private(set) var chargeAh: Double = 0
    public private(set) var phase: Phase = .charging
    public private(set) var elapsedMs: Int64 = 0
    public private(set) var fullAtMs: Int64? = nil
    public var fullBelowW: Double
    public var floatMs: Int64
    /// Series resistance of the leads and connector, Ω (assumed): output voltage = pack + I·R.
    public var leadOhm: Double = 0.05

    public init(pack: BatteryPack, setCurrentA: Double, startQ: Double, fullBelowW: Double = 40, floatMs: Int64 = 60 * 60_000) {
        self.pack = pack
        self.setCurrentA = setCurrentA
        self.q = min(max(startQ, 0), 0.99)
        self.fullBelowW = fullBelowW
        self.floatMs = floatMs
    }

    /// Output current, A, and voltage, V, at the present charge.
    public var output: (currentA: Double, voltageV: Double) {
        guard phase != .done else { return (0, 0) }
        let p = CalibrationTables.chargeCurve(at: q)
        let i = setCurrentA * p.currentFraction
        return (i, Double(pack.cells) * p.cellVoltage + i * leadOhm)
    }

    /// Pack temperature rise from the cell curve, °C (NASA B0025 at 0.75 C, scaled by the
    /// C-rate squared: Joule heating).
    public var packTemperatureRiseC: Double {
        guard phase != .done else { return 0 }
        let c = setCurrentA / max(pack.capacityAh, 0.1)
        return CalibrationTables.chargeCurve(at: q).temperatureRiseC * (c / 0.75) * (c / 0.75)
    }

    /// Advances by `dtMs`.
    public mutating func step(_ dtMs: Int64) {
        guard phase != .done, dtMs > 0 else { return }
        let (i, v) = output
        let h = Double(dtMs) / 3_600_000
        q = min(1, q + i * h / pack.capacityAh)
        chargeAh += i * h
        energyWh += v * i * h
        elapsedMs += dtMs
        switch phase {
        case .charging:
            let (i2, v2) = output
            if i2 * v2 < fullBelowW || q >= 1 {
                phase = .float
                fullAtMs = elapsedMs
            }
        case .float:
            if let f = fullAtMs, elapsedMs - f >= floatMs { phase = .done }
        case .done: break
        }
    }

    /// Time to reach `done` from the present state, stepping a copy at 60 s.
    public func remainingMs(limitMs: Int64 = 48 * 3_600_000) -> Int64 {
        var c = self
        var t: Int64 = 0
        while c.phase != .done, t < limitMs {
            c.step(60_000)
            t += 60_000
        }
        return t
    }
}
