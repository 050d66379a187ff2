/// Device clock text → Unix milliseconds, without Foundation (the core is stdlib only).
///
/// Accepts `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` (ISO 8601 / RFC 3339, as zigbee2mqtt's
/// `last_seen: ISO_8601` and Tasmota's `Time` write it). A time without a zone is taken at
/// `defaultOffsetMinutes` (Tasmota's `Time` is the device's local time).
public enum DeviceTime {
    public static func parse(_ s: String, defaultOffsetMinutes: Int) -> Int64? {
        let b = Array(s.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x20, b[13] == 0x3A, b[16] == 0x3A,
            let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2),
            let h = digits(11, 2), let mi = digits(14, 2), let sec = digits(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        var i = 19
        var ms = 0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 100
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                ms += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = defaultOffsetMinutes
        if i < b.count {
            if b[i] == 0x5A, i + 1 == b.count {
                offset = 0
            } else if let o = parseOffset(String(decoding: b[i...], as: UTF8.self)) {
                offset = o
            } else {
                return nil
            }
        }
        let days = daysFromCivil(y, mo, d)
        let secs = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset * 60)
        return secs * 1000 + Int64(ms)
    }

    /// `+08:00`, `-0530`, `+08` → minutes east of UTC.
    public static func parseOffset(_ s: String) -> Int? {
        let b = Array(s.utf8)
        guard let sign = b.first, sign == 0x2B || sign == 0x2D else { return nil }
        let rest = b.dropFirst().filter { $0 != 0x3A }
        guard rest.count == 2 || rest.count == 4, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let v = rest.map { Int($0 - 0x30) }
        let h = v[0] * 10 + v[1]
        let m = rest.count == 4 ? v[2] * 10 + v[3] : 0
        guard h <= 14, m < 60 else { return nil }
        return (sign == 0x2D ? -1 : 1) * (h * 60 + m)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        Int(CivilDate(year: y0, month: m, day: d).dayNumber)
    }

    /// Unix ms → `YYYY-MM-DDTHH:MM:SS` at `offsetMinutes` (for the simulator's emitters).
    public static func format(_ ms: Int64, offsetMinutes: Int) -> String {
        let secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0) + Int64(offsetMinutes * 60)
        var days = Int(secs / 86_400)
        var rem = Int(secs % 86_400)
        if rem < 0 { rem += 86_400; days -= 1 }
        let date = CivilDate(dayNumber: Int64(days))
        let (y, m, d) = (date.year, date.month, date.day)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))"
    }
}
