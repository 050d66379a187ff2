/// Serialises a `JSONValue` compactly and deterministically (members in order).
extension JSONValue {
    public func serialized() -> String {
        var out = ""
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): JSONValue.writeNumber(n, to: &out)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (k, v) in items.enumerated() {
                if k > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (k, m) in members.enumerated() {
                if k > 0 { out += "," }
                JSONValue.writeString(m.0, to: &out)
                out += ":"
                m.1.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeNumber(_ n: Double, to out: inout String) {
        guard n.isFinite else { out += "null"; return }
        if n == n.rounded(), abs(n) < 9.0e15 {
            out += String(Int64(n))
        } else {
            // Shortest round-trip form; Swift spells integral values up to 2^53 with ".0".
            let s = "\(n)"
            out += s.hasSuffix(".0") ? String(s.dropLast(2)) : s
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
