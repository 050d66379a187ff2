import RentGuardCore
/// The POSIX TZ string at the end of a TZif file (RFC 8536 §3.3, POSIX.1 §8.3): the zone's
/// rule for the years after its last explicit transition, e.g. `CST-8` (UTC+8, no daylight
/// saving) or `CET-1CEST,M3.5.0,M10.5.0/3` (UTC+1, UTC+2 from the last Sunday of March at
/// 02:00 to the last Sunday of October at 03:00). Offsets here are east of UTC, in seconds
/// (the string's signs are the other way round).
struct PosixTimeZoneRule: Sendable, Equatable {
    /// A day of the year in a rule.
    enum Day: Sendable, Equatable {
        /// `Jn`: day 1...365, February 29 never counted.
        case julianNoLeap(Int)
        /// `n`: day 0...365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (1...5, 5 = the last) of month `m`.
        case monthWeekDay(month: Int, week: Int, weekday: Int)
    }

    struct Change: Sendable, Equatable {
        var day: Day
        /// Local time of day of the change, in seconds (may be negative or past 24 h).
        var time: Int64
    }

    struct DST: Sendable, Equatable {
        var offset: Int64
        var start: Change
        var end: Change
    }

    var stdOffset: Int64
    var dst: DST?

    init?(_ s: String) {
        var p = Parser(Array(s.utf8))
        guard p.name(), let std = p.offset() else { return nil }
        stdOffset = -std
        if p.atEnd {
            dst = nil
            return
        }
        guard p.name() else { return nil }
        var dstOffset = stdOffset + 3600
        if !p.peek(",") {
            guard let o = p.offset() else { return nil }
            dstOffset = -o
        }
        let start: Change, end: Change
        if p.atEnd {
            // POSIX's default rule (the US rule since 2007), for a string without one.
            start = Change(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200)
            end = Change(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
        } else {
            guard p.eat(","), let a = p.change(), p.eat(","), let b = p.change(), p.atEnd else { return nil }
            start = a
            end = b
        }
        dst = DST(offset: dstOffset, start: start, end: end)
    }

    /// The changes of offset in years `fromYear...toYear`: (UTC seconds, offset after it), ascending.
    func transitions(fromYear: Int, toYear: Int) -> [(Int64, Int64)] {
        guard let dst, fromYear <= toYear else { return [] }
        var out: [(Int64, Int64)] = []
        for y in fromYear...toYear {
            // The start is given in standard time, the end in daylight time.
            let start = Self.day(dst.start.day, year: y) * 86_400 + dst.start.time - stdOffset
            let end = Self.day(dst.end.day, year: y) * 86_400 + dst.end.time - dst.offset
            out.append((start, dst.offset))
            out.append((end, stdOffset))
        }
        // Stable: on a tie the year's order is kept.
        return out.enumerated().sorted { $0.element.0 != $1.element.0 ? $0.element.0 < $1.element.0 : $0.offset < $1.offset }.map(\.element)
    }

    /// Days since 1970-01-01 of a rule's day in `year`.
    static func day(_ d: Day, year: Int) -> Int64 {
        let y = Int64(year)
        let jan1 = Calendar0.days(year: y, month: 1, day: 1)
        switch d {
        case .julianNoLeap(let n):
            return jan1 + Int64(n - 1) + (Calendar0.isLeap(y) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            return jan1 + Int64(n)
        case .monthWeekDay(let m, let w, let wd):
            let first = Calendar0.days(year: y, month: Int64(m), day: 1)
            let firstWeekday = Calendar0.floorMod(first + 4, 7)  // 1970-01-01 was a Thursday
            var d = first + Calendar0.floorMod(Int64(wd) - firstWeekday, 7) + Int64(w - 1) * 7
            let length = Calendar0.monthLength(year: y, month: Int64(m))
            while d >= first + length { d -= 7 }
            return d
        }
    }

    struct Parser {
        let b: [UInt8]
        var i = 0
        init(_ b: [UInt8]) { self.b = b }

        var atEnd: Bool { i >= b.count }
        func peek(_ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        mutating func eat(_ c: Character) -> Bool {
            guard peek(c) else { return false }
            i += 1
            return true
        }

        /// A zone abbreviation: three or more letters, or `<…>` (`<+08>`).
        mutating func name() -> Bool {
            if eat("<") {
                let s = i
                while i < b.count, b[i] != UInt8(ascii: ">") { i += 1 }
                guard i - s >= 3, eat(">") else { return false }
                return true
            }
            let s = i
            while i < b.count, (b[i] >= 0x41 && b[i] <= 0x5A) || (b[i] >= 0x61 && b[i] <= 0x7A) { i += 1 }
            return i - s >= 3
        }

        mutating func number(maxDigits: Int) -> Int64? {
            let s = i
            var v: Int64 = 0
            while i < b.count, i - s < maxDigits, b[i] >= 0x30, b[i] <= 0x39 {
                v = v * 10 + Int64(b[i] - 0x30)
                i += 1
            }
            return i > s ? v : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds (hours up to 167, RFC 8536's extension).
        mutating func offset() -> Int64? {
            var sign: Int64 = 1
            if eat("-") { sign = -1 } else { _ = eat("+") }
            guard let h = number(maxDigits: 3), h <= 167 else { return nil }
            var v = h * 3600
            if eat(":") {
                guard let m = number(maxDigits: 2), m < 60 else { return nil }
                v += m * 60
                if eat(":") {
                    guard let s = number(maxDigits: 2), s < 60 else { return nil }
                    v += s
                }
            }
            return sign * v
        }

        /// `date[/time]`.
        mutating func change() -> Change? {
            let day: Day
            if eat("J") {
                guard let n = number(maxDigits: 3), (1...365).contains(n) else { return nil }
                day = .julianNoLeap(Int(n))
            } else if eat("M") {
                guard let m = number(maxDigits: 2), (1...12).contains(m), eat("."),
                    let w = number(maxDigits: 1), (1...5).contains(w), eat("."),
                    let d = number(maxDigits: 1), (0...6).contains(d)
                else { return nil }
                day = .monthWeekDay(month: Int(m), week: Int(w), weekday: Int(d))
            } else {
                guard let n = number(maxDigits: 3), (0...365).contains(n) else { return nil }
                day = .zeroBased(Int(n))
            }
            var time: Int64 = 7200
            if eat("/") {
                guard let t = offset() else { return nil }
                time = t
            }
            return Change(day: day, time: time)
        }
    }
}

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), after
/// Howard Hinnant's `days_from_civil` / `civil_from_days`.
enum Calendar0 {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    static func isLeap(_ y: Int64) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func monthLength(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        CivilDate(year: Int(y0), month: Int(m), day: Int(d)).dayNumber
    }

    static func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let c = CivilDate(dayNumber: z0)
        return (c.year, c.month, c.day)
    }
}
