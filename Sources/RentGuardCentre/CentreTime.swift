import RentGuardCore

/// The 6-byte time tag (时间标签, GB/T 26875.3-2011 §8.2.2): second, minute, hour, day,
/// month, year (0-99), one binary byte each, in that order, in local time.
public struct CentreTime: Sendable, Equatable, CustomStringConvertible {
    public var second: UInt8
    public var minute: UInt8
    public var hour: UInt8
    public var day: UInt8
    public var month: UInt8
    /// The year within the century, 0 ... 99 (2025 is 25).
    public var year: UInt8

    public init(second: UInt8, minute: UInt8, hour: UInt8, day: UInt8, month: UInt8, year: UInt8) {
        self.second = second
        self.minute = minute
        self.hour = hour
        self.day = day
        self.month = month
        self.year = year
    }

    /// The local time of `unixMs` in `zone`.
    public init(unixMs: Int64, zone: LocalTimeZone) {
        let local = zone.localMs(unixMs)
        let days = local >= 0 ? local / 86_400_000 : (local - 86_399_999) / 86_400_000
        let msOfDay = local - days * 86_400_000
        let secs = msOfDay / 1000
        let (y, m, d) = Self.civil(fromDays: days)
        self.init(
            second: UInt8(secs % 60), minute: UInt8(secs / 60 % 60), hour: UInt8(secs / 3600), day: UInt8(d), month: UInt8(m),
            year: UInt8(((y % 100) + 100) % 100))
    }

    public var bytes: [UInt8] { [second, minute, hour, day, month, year] }

    public init?(_ b: some Collection<UInt8>) {
        guard b.count == 6 else { return nil }
        let a = Array(b)
        self.init(second: a[0], minute: a[1], hour: a[2], day: a[3], month: a[4], year: a[5])
    }

    /// Whether every field is in its range (§8.2.2).
    public var isValid: Bool {
        second <= 59 && minute <= 59 && hour <= 23 && (1...31).contains(day) && (1...12).contains(month) && year <= 99
    }

    /// Unix milliseconds of this local time in `zone`, taking the year as 20YY.
    public func unixMs(zone: LocalTimeZone) -> Int64 {
        let days = Self.days(fromCivil: 2000 + Int64(year), Int64(month), Int64(day))
        let local = days * 86_400_000 + (Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)) * 1000
        return zone.utc(fromLocal: local)
    }

    public var description: String {
        func two(_ v: UInt8) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "20\(two(year))-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let c = CivilDate(dayNumber: z0)
        return (Int64(c.year), Int64(c.month), Int64(c.day))
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        CivilDate(year: Int(y0), month: Int(m), day: Int(d)).dayNumber
    }
}
