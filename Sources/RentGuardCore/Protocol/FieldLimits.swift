/// Plausible ranges of every telemetry field. A value outside is physically absurd for the
/// device (a broken sensor, a unit mix-up or a hostile payload) and the message is rejected.
///
/// The bounds are deliberately wide: they exclude nonsense, not alarms. A plug at 300 °C
/// is an alarm, so temperatures go up to 1 000 °C (thermal runaway reaches 600–900 °C).
public enum FieldLimits {
    public static let obscurationPctPerM: ClosedRange<Double> = 0...100
    public static let temperatureC: ClosedRange<Double> = -60...1000
    public static let coPpm: ClosedRange<Double> = 0...10_000
    public static let batteryPct: ClosedRange<Double> = 0...100
    public static let portNumber: ClosedRange<Int> = 1...1024
    public static let portVoltageV: ClosedRange<Double> = 0...400
    public static let portCurrentA: ClosedRange<Double> = 0...200
    public static let portPowerW: ClosedRange<Double> = 0...50_000
    public static let portEnergyWh: ClosedRange<Double> = 0...100_000
    public static let maxPorts = 1024
    public static let meterPowerW: ClosedRange<Double> = 0...500_000
    public static let meterVoltageV: ClosedRange<Double> = 0...1_000
    public static let meterCurrentA: ClosedRange<Double> = 0...2_000
    public static let meterEnergyKWh: ClosedRange<Double> = 0...1e12
    public static let residualCurrentMA: ClosedRange<Double> = 0...100_000
    public static let waterVolumeL: ClosedRange<Double> = 0...1e12
    public static let waterFlowLPerMin: ClosedRange<Double> = 0...2_000
    public static let gasVolumeM3: ClosedRange<Double> = 0...1e10
    public static let gasFlowM3PerH: ClosedRange<Double> = 0...1_000
    /// Timestamps before 2001-09-09 (1e12 ms) are taken as a clock that was never set.
    public static let minTimestampMs: Int64 = 1_000_000_000_000
    /// An event's `detail` is cut to this many UTF-8 bytes (at a character boundary).
    public static let maxDetailLength = 512
}
