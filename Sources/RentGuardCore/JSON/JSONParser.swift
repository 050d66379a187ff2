/// A strict, allocation-light JSON parser (RFC 8259) for device payloads.
///
/// It reports where and why a payload is malformed, and limits nesting depth so that a
/// hostile payload cannot exhaust the stack.
///
/// An object that names the same member twice (`{"alarm": false, "alarm": true}`) is
/// refused: RFC 8259 §4 leaves the meaning of duplicate names to the implementation, and
/// whichever one a safety gateway picked, a device or an attacker could hide a value from it.
public struct JSONParser {
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        /// The repeated member name, when the failure is a duplicate key (`isDuplicateKey`).
        public var duplicateKey: String?
        public var description: String { "\(message) at byte \(offset)" }

        public init(offset: Int, message: String, duplicateKey: String? = nil) {
            self.offset = offset
            self.message = message
            self.duplicateKey = duplicateKey
        }

        /// True when the input is well-formed JSON except for an object with a repeated name.
        public var isDuplicateKey: Bool { duplicateKey != nil }
    }

    /// Objects with more members than this check for duplicates with a set rather than by
    /// scanning the members already read.
    static let linearDuplicateScanLimit = 16

    public static let defaultMaxDepth = 32

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(Error) -> JSONValue in
            var p = Cursor(buf: buf, maxDepth: maxDepth)
            p.skipWhitespace()
            let v = try p.parseValue(depth: 0)
            p.skipWhitespace()
            guard p.i == buf.count else { throw p.fail("unexpected trailing characters") }
            return v
        }
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(Error) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private struct Cursor {
        let buf: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var i = 0

        init(buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.buf = buf
            self.maxDepth = maxDepth
        }

        func fail(_ message: String) -> Error { Error(offset: i, message: message) }

        mutating func skipWhitespace() {
            while i < buf.count {
                switch buf[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(Error) -> JSONValue {
            guard i < buf.count else { throw fail("unexpected end of input") }
            switch buf[i] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(Error) {
            let n = word.utf8CodeUnitCount
            guard i + n <= buf.count else { throw fail("unexpected end of input") }
            let w = word.utf8Start
            for k in 0..<n where buf[i + k] != w[k] { throw fail("invalid literal") }
            i += n
        }

        mutating func parseObject(depth: Int) throws(Error) -> JSONValue {
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
            i += 1
            var members: [(String, JSONValue)] = []
            var names: Set<String>?
            skipWhitespace()
            if i < buf.count, buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let keyOffset = i
                let key = try parseString()
                if isDuplicate(key, in: members, names: &names) {
                    let shown = key.count > 40 ? String(key.prefix(40)) + "…" : key
                    throw Error(offset: keyOffset, message: "duplicate member name '\(shown)'", duplicateKey: key)
                }
                skipWhitespace()
                guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append((key, value))
                skipWhitespace()
                guard i < buf.count else { throw fail("unexpected end of input") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }

        /// Whether `key` is already a member; switches from a scan to a set for large objects
        /// so that a payload of many members costs linear time, not quadratic.
        func isDuplicate(_ key: String, in members: [(String, JSONValue)], names: inout Set<String>?) -> Bool {
            if var set = names {
                names = nil  // keep the set uniquely referenced while inserting
                let inserted = set.insert(key).inserted
                names = set
                return !inserted
            }
            if members.count < JSONParser.linearDuplicateScanLimit {
                for (k, _) in members where k == key { return true }
                return false
            }
            var set = Set(members.map(\.0))
            let inserted = set.insert(key).inserted
            names = set
            return !inserted
        }

        mutating func parseArray(depth: Int) throws(Error) -> JSONValue {
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
            i += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if i < buf.count, buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth))
                skipWhitespace()
                guard i < buf.count else { throw fail("unexpected end of input") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func parseNumber() throws(Error) -> Double {
            let start = i
            if buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < buf.count else { throw fail("invalid number") }
            if buf[i] == UInt8(ascii: "0") {
                i += 1
            } else if buf[i] >= UInt8(ascii: "1"), buf[i] <= UInt8(ascii: "9") {
                while i < buf.count, buf[i] >= UInt8(ascii: "0"), buf[i] <= UInt8(ascii: "9") { i += 1 }
            } else {
                throw fail("invalid number")
            }
            var isInteger = true
            if i < buf.count, buf[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                let digits = i
                while i < buf.count, buf[i] >= UInt8(ascii: "0"), buf[i] <= UInt8(ascii: "9") { i += 1 }
                guard i > digits else { throw fail("invalid number") }
            }
            if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
                let digits = i
                while i < buf.count, buf[i] >= UInt8(ascii: "0"), buf[i] <= UInt8(ascii: "9") { i += 1 }
                guard i > digits else { throw fail("invalid number") }
            }
            // Fast path for short integers (the common case: timestamps, ports).
            if isInteger, i - start <= 18 {
                var negative = false
                var k = start
                if buf[k] == UInt8(ascii: "-") { negative = true; k += 1 }
                var v: Int64 = 0
                while k < i { v = v &* 10 &+ Int64(buf[k] &- 48); k += 1 }
                // Negate the Double, not the integer, so that "-0" stays -0.0 as in the text.
                return negative ? -Double(v) : Double(v)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { throw Error(offset: start, message: "number out of range") }
            return d
        }

        mutating func parseString() throws(Error) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    let s = UnsafeBufferPointer(rebasing: buf[start..<i])
                    i += 1
                    guard let str = String(validating: s, as: UTF8.self) else {
                        throw Error(offset: start, message: "invalid UTF-8 in string")
                    }
                    return str
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in string") }
                i += 1
            }
            var bytes = Array(UnsafeBufferPointer(rebasing: buf[start..<i]))
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    guard let str = String(validating: bytes, as: UTF8.self) else {
                        throw Error(offset: start, message: "invalid UTF-8 in string")
                    }
                    return str
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
                i += 1
                guard i < buf.count else { break }
                let e = buf[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar <= 0xDBFF {
                        guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low <= 0xDFFF else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                        throw fail("unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    bytes.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(Error) -> UInt32 {
            guard i + 4 <= buf.count else { throw fail("invalid \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
