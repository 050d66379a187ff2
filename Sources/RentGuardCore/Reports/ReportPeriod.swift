/// One ledger period: whole local days `first` … `last` (inclusive), by default 1st–9th,
/// 10th–19th and 20th–end of month (`ReportsConfig.periodEndDays`). Pure: the zone is given.
public struct ReportPeriod: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var first: CivilDate
    public var last: CivilDate

    public init(first: CivilDate, last: CivilDate) {
        self.first = first
        self.last = last
    }

    /// The period holding `date`.
    public init(containing date: CivilDate, endDays: [Int]) {
        let monthEnd = date.daysInMonth
        let ends = endDays.filter { $0 >= 1 && $0 < monthEnd }.sorted() + [monthEnd]
        let lastDay = ends.first { $0 >= date.day } ?? monthEnd
        let firstDay = (ends.last { $0 < date.day } ?? 0) + 1
        self.init(
            first: CivilDate(year: date.year, month: date.month, day: firstDay),
            last: CivilDate(year: date.year, month: date.month, day: lastDay))
    }

    /// The period holding the instant `ms` in `zone`.
    public init(containing ms: Int64, zone: LocalTimeZone, endDays: [Int]) {
        self.init(containing: CivilDate(dayNumber: zone.localDay(ms)), endDays: endDays)
    }

    /// The period after this one.
    public func next(endDays: [Int]) -> ReportPeriod {
        ReportPeriod(containing: CivilDate(dayNumber: last.dayNumber + 1), endDays: endDays)
    }

    /// The period before this one.
    public func previous(endDays: [Int]) -> ReportPeriod {
        ReportPeriod(containing: CivilDate(dayNumber: first.dayNumber - 1), endDays: endDays)
    }

    /// Unix ms of local midnight starting `first`.
    public func start(in zone: LocalTimeZone) -> Int64 { zone.startOfLocalDay(first.dayNumber) }
    /// Unix ms of local midnight after `last` (exclusive end).
    public func end(in zone: LocalTimeZone) -> Int64 { zone.startOfLocalDay(last.dayNumber + 1) }

    /// `2026-03-01_2026-03-09`: the report's id and the stem of its files.
    public var id: String { "\(first)_\(last)" }
    public var description: String { id }

    /// `YYYY-MM-DD_YYYY-MM-DD` (or `..` between the dates) for an explicit range, or one
    /// date `YYYY-MM-DD` for the configured period holding it. Nil when it is neither or
    /// the range is reversed.
    public init?(parsing text: String, endDays: [Int]) {
        let t = text.trimmingCharacters(in: " ")
        var range: (CivilDate, CivilDate)?
        for sep in ["..", "_"] {
            let parts = t.components(separatedBy: sep)
            guard parts.count == 2 else { continue }
            guard let a = CivilDate(parts[0]), let b = CivilDate(parts[1]), a <= b else { return nil }
            range = (a, b)
            break
        }
        if let range {
            self.init(first: range.0, last: range.1)
        } else if let d = CivilDate(t) {
            self.init(containing: d, endDays: endDays)
        } else {
            return nil
        }
    }

    public static func < (a: ReportPeriod, b: ReportPeriod) -> Bool {
        (a.first.dayNumber, a.last.dayNumber) < (b.first.dayNumber, b.last.dayNumber)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }

    /// Splits on every occurrence of `sep` (no Foundation in the core).
    fileprivate func components(separatedBy sep: String) -> [String] {
        let chars = Array(self), pattern = Array(sep)
        var out: [String] = [], current: [Character] = [], i = 0
        while i < chars.count {
            if i + pattern.count <= chars.count, Array(chars[i..<i + pattern.count]) == pattern {
                out.append(String(current))
                current = []
                i += pattern.count
            } else {
                current.append(chars[i])
                i += 1
            }
        }
        out.append(String(current))
        return out
    }
}
