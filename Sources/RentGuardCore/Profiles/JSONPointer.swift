/// RFC 6901 JSON pointers (`/ENERGY/Power`, `/channels/0/p`, `~1` for `/`, `~0` for `~`).
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    public let tokens: [String]
    public let description: String

    /// Parses `text`, or returns `nil` when it is not a valid pointer (it must be empty or
    /// start with `/`, and `~` must be followed by `0` or `1`).
    public init?(_ text: String) {
        description = text
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else { return nil }
        var out: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var s = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                if c == "~" {
                    switch it.next() {
                    case "0": s.append("~")
                    case "1": s.append("/")
                    default: return nil
                    }
                } else {
                    s.append(c)
                }
            }
            out.append(s)
        }
        tokens = out
    }

    /// The value the pointer names in `value`, or `nil` when it is absent.
    public func resolve(in value: JSONValue) -> JSONValue? {
        var v = value
        for t in tokens {
            switch v {
            case let .object(members):
                guard let next = members.first(where: { $0.0 == t })?.1 else { return nil }
                v = next
            case let .array(items):
                guard let i = Int(t), String(i) == t, i >= 0, i < items.count else { return nil }
                v = items[i]
            default:
                return nil
            }
        }
        return v
    }
}
