import Foundation
import RentGuardCore

/// Aligned plain-text tables and readable times for the terminal.
enum Format {
    /// Columns padded to their widest cell (by display width: a CJK character takes two
    /// columns), two spaces apart, with a header row.
    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var widths = headers.map(displayWidth)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], displayWidth(cell)) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                let last = i == cells.count - 1
                out += cell
                if !last { out += String(repeating: " ", count: widths[i] - displayWidth(cell) + 2) }
            }
            return out
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    /// Key/value lines, keys aligned.
    static func pairs(_ items: [(String, String)]) -> String {
        let w = items.map { displayWidth($0.0) }.max() ?? 0
        return items.map { $0.0 + ":" + String(repeating: " ", count: w - displayWidth($0.0) + 1) + $0.1 }.joined(separator: "\n")
    }

    static func displayWidth(_ s: String) -> Int {
        var w = 0
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: continue
            default: break
            }
            if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
            {
                w += 2
            } else {
                w += 1
            }
        }
        return w
    }

    /// `2025-03-01 14:05:09` in the gateway's local time zone.
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "-" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// `42s`, `5m`, `3h 10m`, `2d 4h`.
    static func duration(seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 86400)d \(s % 86400 / 3600)h"
    }

    /// `5m ago`, relative to `now` (Unix ms).
    static func ago(_ ms: Int64?, now: Int64) -> String {
        guard let ms else { return "never" }
        return duration(seconds: Double(now - ms) / 1000) + " ago"
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// A number without a useless `.0`.
    static func number(_ d: Double?) -> String {
        guard let d else { return "-" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(format: "%.1f", d)
    }

    static func bytes(_ n: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var v = n
        var i = 0
        while v >= 1024, i < units.count - 1 {
            v /= 1024
            i += 1
        }
        return i == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[i])
    }
}

extension JSONValue {
    var string: String? { stringValue }
    var int64: Int64? { doubleValue.flatMap { Int64(exactly: $0.rounded()) } }
    var bool: Bool? { boolValue }
    var array: [JSONValue] { arrayValue ?? [] }
    /// The value for a table cell: strings as is, null as `-`.
    var cell: String {
        switch self {
        case .null: return "-"
        case let .string(s): return s.isEmpty ? "-" : s
        case let .number(d): return Format.number(d)
        case let .bool(b): return b ? "yes" : "no"
        default: return serialized()
        }
    }
}
