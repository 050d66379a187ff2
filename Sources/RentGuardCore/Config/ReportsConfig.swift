/// The ledger reports (台账): one report per period of the month, written under the state
/// directory and sent to the registry (docs/reports.md).
///
/// The ordinance asks for the ledger to be reported on the 9th, 19th and 29th of each month,
/// hence the default periods 1st–9th, 10th–19th and 20th–end of month. A report is written
/// when its period closes (local midnight after its last day, `gateway.timezone`).
public struct ReportsConfig: Sendable, Equatable, Decodable {
    /// Days of the month that end a period (ascending, 1–30). The month's last day always
    /// ends the last period; a listed day at or beyond it is ignored that month.
    public var periodEndDays: [Int]
    /// Set false to write and send no reports (they can still be made with rentguardctl).
    public var enabled: Bool

    public static let defaultPeriodEndDays = [9, 19]

    public init(periodEndDays: [Int] = ReportsConfig.defaultPeriodEndDays, enabled: Bool = true) {
        self.periodEndDays = periodEndDays
        self.enabled = enabled
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case periodEndDays = "period_end_days", enabled }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        periodEndDays = try c.decodeIfPresent([Int].self, forKey: .periodEndDays) ?? Self.defaultPeriodEndDays
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
    }

    /// Why `periodEndDays` is unusable, or nil.
    public var periodEndDaysProblem: String? {
        if let bad = periodEndDays.first(where: { !(1...30).contains($0) }) {
            return "each day must be 1-30 (the month's last day always ends a period), found \(bad)"
        }
        if zip(periodEndDays, periodEndDays.dropFirst()).contains(where: { $0 >= $1 }) {
            return "days must be in ascending order without repeats, found \(periodEndDays)"
        }
        return nil
    }
}
