import Testing
@testable import RentGuardCore

typealias JSONTestRNG = SeededRNG


/// The error `parse` throws for `bytes`, or nil if it parses.
func jsonParseError(_ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONParser.Error? {
    do {
        _ = try JSONParser.parse(bytes, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

func jsonParseError(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONParser.Error? {
    jsonParseError(Array(text.utf8), maxDepth: maxDepth)
}

@Suite struct JSONParserTests {
    // MARK: Valid documents

    static let validDocuments: [(String, JSONValue)] = [
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .number(0)),
        ("42", .number(42)),
        ("\"\"", .string("")),
        ("\"hello\"", .string("hello")),
        ("[]", .array([])),
        ("{}", .object([])),
        ("[1,\"a\",null,true,false,[],{}]", [1, "a", nil, true, false, [], .object([])]),
        ("{\"a\":1,\"b\":[2,3],\"c\":{\"d\":null}}", ["a": 1, "b": [2, 3], "c": ["d": nil]]),
        ("[[[[]]]]", [[[[]]]]),
        ("{\"\":\"\"}", ["": ""]),
        ("\"中文 😀 é\"", "中文 😀 é"),
    ]

    @Test(arguments: validDocuments)
    func parsesValidDocument(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test func objectMembersKeepTheirOrder() throws {
        let v = try JSONParser.parse("{\"z\":1,\"a\":2,\"m\":3}")
        guard case let .object(members) = v else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["z", "a", "m"])
    }

    /// An object that names a member twice is refused (RFC 8259 §4 leaves it open; a safety
    /// gateway does not guess which value was meant), at the second name, saying which.
    @Test func duplicateKeysAreRefused() throws {
        let e = try #require(jsonParseError(#"{"alarm":false,"alarm":true}"#))
        #expect(e.isDuplicateKey)
        #expect(e.duplicateKey == "alarm")
        #expect(e.offset == 15)
        #expect(e.description == "duplicate member name 'alarm' at byte 15")
        // Nested objects, escapes that spell the same name, and objects past the linear-scan limit.
        #expect(jsonParseError(#"{"a":{"b":1,"b":2}}"#)?.duplicateKey == "b")
        #expect(jsonParseError(#"{"ab":1,"ab":2}"#)?.duplicateKey == "ab")
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(jsonParseError("{" + many + "}") == nil)
        #expect(jsonParseError("{" + many + ",\"k3\":0}")?.duplicateKey == "k3")
        #expect(jsonParseError("{" + many + ",\"k39\":0}")?.duplicateKey == "k39")
        // The same name in sibling objects or an array of objects is fine; so is case that differs.
        let v = try JSONParser.parse(#"[{"a":1},{"a":2},{"A":3,"a":4}]"#)
        #expect(v.arrayValue?.count == 3)
        // Other malformed input is not a duplicate.
        #expect(jsonParseError(#"{"a":1,"b"}"#)?.isDuplicateKey == false)
    }

    @Test func subscriptTakesTheMember() throws {
        let v = try JSONParser.parse("{\"a\":1,\"b\":0}")
        #expect(v["a"] == .number(1))
        #expect(v["b"] == .number(0))
        #expect(v["missing"] == nil)
        #expect(JSONValue.array([])["a"] == nil)
    }

    @Test func typedAccessors() throws {
        let v = try JSONParser.parse(#"{"n":1.5,"s":"x","b":true,"a":[1],"z":null}"#)
        #expect(v["n"]?.doubleValue == 1.5 && v["n"]?.stringValue == nil)
        #expect(v["s"]?.stringValue == "x" && v["s"]?.doubleValue == nil)
        #expect(v["b"]?.boolValue == true && v["b"]?.arrayValue == nil)
        #expect(v["a"]?.arrayValue == [1] && v["a"]?.boolValue == nil)
        #expect(v["z"] == .null, "a null member is present, and null")
        #expect(["null", "boolean", "number", "string", "array", "object"]
            == [v["z"], v["b"], v["n"], v["s"], v["a"], v].map { $0?.typeName })
    }

    // MARK: Numbers

    static let numbers: [(String, Double)] = [
        ("0", 0), ("1", 1), ("-1", -1), ("123", 123), ("-123", -123),
        ("1.5", 1.5), ("-1.5", -1.5), ("0.1", 0.1), ("0.000001", 0.000001),
        ("1e3", 1000), ("1E3", 1000), ("1e+3", 1000), ("1e-3", 0.001), ("2.5E-3", 0.0025), ("-2.5e2", -250),
        ("0e0", 0), ("1e0", 1), ("1e007", 1e7),
        ("1700000000000", 1_700_000_000_000),
        ("123456789012345678", 123_456_789_012_345_680),  // 18 characters: the integer fast path
        ("-12345678901234567", -12_345_678_901_234_568),  // 18 characters with the sign
        ("1234567890123456789", 1_234_567_890_123_456_768),  // 19: the slow path
        ("9007199254740993", 9_007_199_254_740_992),  // 2^53 + 1 rounds to nearest even
        // (the three above are the nearest Doubles to their texts)
        ("100000000000000000000000000000", 1e29),
        ("1.7976931348623157e308", .greatestFiniteMagnitude),
        ("5e-324", .leastNonzeroMagnitude),
        ("1e-400", 0),  // underflow rounds to zero: representable, accepted
    ]

    @Test(arguments: numbers)
    func parsesNumber(text: String, expected: Double) throws {
        #expect(try JSONParser.parse(text) == .number(expected))
        #expect(try JSONParser.parse("[\(text)]") == .array([.number(expected)]))
        #expect(try JSONParser.parse("{\"n\":\(text)}")["n"] == .number(expected))
    }

    @Test func negativeZeroKeepsItsSign() throws {
        for text in ["-0", "-0.0", "-0e0"] {
            let v = try JSONParser.parse(text)
            guard case let .number(n) = v else { Issue.record("\(text): not a number"); continue }
            #expect(n == 0 && n.sign == .minus, "\(text)")
        }
        guard case let .number(p) = try JSONParser.parse("0") else { return }
        #expect(p.sign == .plus)
    }

    @Test(arguments: ["1e400", "-1e400", "1e999999999", String(repeating: "9", count: 400), "-" + String(repeating: "9", count: 400) + ".5"])
    func numberOutOfRange(text: String) throws {
        let e = try #require(jsonParseError(text))
        #expect(e.message == "number out of range")
        #expect(e.offset == 0, "points at the start of the number")
        let inArray = try #require(jsonParseError("[1, \(text)]"))
        #expect(inArray.message == "number out of range")
        #expect(inArray.offset == 4)
    }

    @Test(arguments: [
        "01", "-01", "00", "-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "1e-", "--1", "-a", "0x10", "1a",
        "NaN", "Infinity", "-Infinity", "1,5", "[01]", "[1.]", "{\"a\":-}", "[.5]", "1 2",
    ])
    func rejectsInvalidNumber(text: String) {
        #expect(jsonParseError(text) != nil)
    }

    // MARK: Strings

    static let escapes: [(String, String)] = [
        (#""\"""#, "\""),
        (#""\\""#, "\\"),
        (#""\/""#, "/"),
        (#""\b""#, "\u{08}"),
        (#""\f""#, "\u{0C}"),
        (#""\n""#, "\n"),
        (#""\r""#, "\r"),
        (#""\t""#, "\t"),
        (#""\u0041""#, "A"),
        (#""\u00e9\u00E9""#, "éé"),
        (#""\u4e2d\u6587""#, "中文"),
        (#""\u0000""#, "\u{0}"),
        (#""\u001f""#, "\u{1F}"),
        (#""\uFFFF""#, "\u{FFFF}"),
        (#""\ud83d\ude00""#, "😀"),
        (#""\uD83D\uDE00""#, "😀"),
        (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
        (#""\uD800\uDC00""#, "\u{10000}"),
        (#""a\"b\\c\/d\be\ff\ng\rh\ti\u0041j""#, "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\tiAj"),
        (#""raw é 中 😀 then \n escape""#, "raw é 中 😀 then \n escape"),
        (#""\n raw é after an escape""#, "\n raw é after an escape"),
        ("\"\u{7F}\"", "\u{7F}"),  // DEL is not a control character in JSON
    ]

    @Test(arguments: escapes)
    func decodesEscapes(text: String, expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
        // And as an object key.
        let inner = String(text.dropFirst().dropLast())
        #expect(try JSONParser.parse("{\"\(inner)\":1}")[expected] == .number(1))
    }

    static let badStrings: [(String, String)] = [
        (#""\x""#, "invalid escape"),
        (#""\U0041""#, "invalid escape"),
        (#""\'""#, "invalid escape"),
        (#""\u12""#, "invalid \\u escape"),
        (#""\u12G4""#, "invalid \\u escape"),
        (#""\u""#, "invalid \\u escape"),
        (#""\uD800""#, "unpaired surrogate"),
        (#""\uD800x""#, "unpaired surrogate"),
        (#""\uD800\n""#, "unpaired surrogate"),
        (#""\uD800\u0041""#, "unpaired surrogate"),
        (#""\uD800\uD800""#, "unpaired surrogate"),
        (#""\uDC00""#, "unpaired surrogate"),
        (#""\uDFFF\uD800""#, "unpaired surrogate"),
        (#""\uD83D\uZZZZ""#, "invalid \\u escape"),
        (#""abc"#, "unterminated string"),
        (#""abc\"#, "unterminated string"),
        (#""ab\n"#, "unterminated string"),
    ]

    @Test(arguments: badStrings)
    func rejectsBadString(text: String, message: String) throws {
        let e = try #require(jsonParseError(text))
        #expect(e.message == message)
        #expect((0...text.utf8.count).contains(e.offset))
    }

    @Test(arguments: Array(UInt8(0)...UInt8(0x1F)))
    func rejectsRawControlCharacter(c: UInt8) throws {
        // In the fast path (no escapes before it) and in the slow path (after an escape).
        for prefix in [[UInt8](), Array("a\\n".utf8)] {
            let bytes = [0x22] + prefix + [c] + Array("b\"".utf8)
            let e = try #require(jsonParseError(bytes))
            #expect(e.message == "control character in string")
            #expect(e.offset == 1 + prefix.count)
        }
    }

    static let invalidUTF8: [[UInt8]] = [
        [0xFF],
        [0xC3],  // truncated 2-byte sequence
        [0xC0, 0xAF],  // overlong '/'
        [0xE4, 0xB8],  // truncated 3-byte sequence
        [0xED, 0xA0, 0x80],  // UTF-8-encoded surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0x80],  // lone continuation byte
        [0x61, 0xE9, 0x62],  // Latin-1 é
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8InString(bad: [UInt8]) throws {
        for prefix in [Array("ok".utf8), Array("\\t".utf8)] {
            let bytes = [0x22] + prefix + bad + [0x22]
            let e = try #require(jsonParseError(bytes))
            #expect(e.message == "invalid UTF-8 in string")
            #expect(e.offset == 1, "points at the string's first byte")
            // Inside a key too.
            #expect(jsonParseError([0x7B] + bytes + Array(":1}".utf8))?.message == "invalid UTF-8 in string")
        }
        // Outside a string it is simply an unexpected character.
        #expect(jsonParseError(bad)?.message == "unexpected character")
    }

    // MARK: Errors, offsets, structure

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var text: String, message: String, offset: Int
        init(_ text: String, _ message: String, _ offset: Int) { (self.text, self.message, self.offset) = (text, message, offset) }
        var testDescription: String { String(reflecting: text) }
    }

    static let errorCases: [ErrorCase] = [
        .init("", "unexpected end of input", 0),
        .init("   ", "unexpected end of input", 3),
        .init("\n\t\r ", "unexpected end of input", 4),
        .init("[", "unexpected end of input", 1),
        .init("[1", "unexpected end of input", 2),
        .init("[1,", "unexpected end of input", 3),
        .init("{", "expected a member name", 1),
        .init("{\"a\"", "expected ':'", 4),
        .init("{\"a\":", "unexpected end of input", 5),
        .init("{\"a\":1", "unexpected end of input", 6),
        .init("{\"a\" 1}", "expected ':'", 5),
        .init("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7),
        .init("{\"a\":1,}", "expected a member name", 7),
        .init("{1:2}", "expected a member name", 1),
        .init("{a:1}", "expected a member name", 1),
        .init("{'a':1}", "expected a member name", 1),
        .init("[1 2]", "expected ',' or ']'", 3),
        .init("[1,]", "unexpected character", 3),
        .init("[,1]", "unexpected character", 1),
        .init("[1}", "expected ',' or ']'", 2),
        .init("{\"a\":1]", "expected ',' or '}'", 6),
        .init("tru", "unexpected end of input", 0),
        .init("trux", "invalid literal", 0),
        .init("True", "unexpected character", 0),
        .init("nul", "unexpected end of input", 0),
        .init("nulL", "invalid literal", 0),
        .init("fals", "unexpected end of input", 0),
        .init("'a'", "unexpected character", 0),
        .init("undefined", "unexpected character", 0),
        .init("{} x", "unexpected trailing characters", 3),
        .init("{}{}", "unexpected trailing characters", 2),
        .init("[]]", "unexpected trailing characters", 2),
        .init("1 2", "unexpected trailing characters", 2),
        .init("nullx", "unexpected trailing characters", 4),
        .init("truee", "unexpected trailing characters", 4),
        .init("\"a\"\"b\"", "unexpected trailing characters", 3),
        .init("{\"a\":1}\u{0}", "unexpected trailing characters", 7),
        .init("\u{FEFF}{}", "unexpected character", 0),  // no byte-order mark
        .init("\u{0B}1", "unexpected character", 0),  // vertical tab is not JSON whitespace
        .init("\u{0C}1", "unexpected character", 0),  // nor form feed
        .init("\u{A0}1", "unexpected character", 0),  // nor no-break space
        .init("[1,\u{85}2]", "unexpected character", 3),
    ]

    @Test(arguments: errorCases)
    func reportsErrorAndOffset(c: ErrorCase) throws {
        let e = try #require(jsonParseError(c.text))
        #expect(e.message == c.message)
        #expect(e.offset == c.offset)
        #expect(e.description == "\(c.message) at byte \(c.offset)")
    }

    @Test func whitespaceIsAllowedAroundEveryToken() throws {
        let text = " \t\n\r{ \"a\" \n: [ 1 ,\t2 , { } , [ ] ] ,\r\n\"b\" : \"x y\" }\r\n\t "
        #expect(try JSONParser.parse(text) == ["a": [1, 2, .object([]), []], "b": "x y"])
        #expect(try JSONParser.parse("  7  ") == 7)
        #expect(try JSONParser.parse("\n\"s\"\n") == "s")
    }

    // MARK: Truncation

    static let documentsToTruncate: [String] = [
        #"{"ts":1700000000000,"smoke_obscuration_pct_per_m":0.12,"temperature_c":-3.5e1,"alarm":false,"co_ppm":null}"#,
        #"{"ports":[{"port":1,"state":"charging","current_a":2.5E0},{"port":2,"state":"idle"}],"ambient_c":31}"#,
        #"[true,false,null,"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 中",-0.0,1e-3,{"":[]}]"#,
        #"{"a":{"b":{"c":[[[[["deep"]]]]]}}}"#,
    ]

    /// Every proper prefix of these documents is incomplete: it must throw, never crash, and
    /// the offset stays inside the input.
    @Test(arguments: documentsToTruncate)
    func everyProperPrefixThrows(text: String) throws {
        let bytes = Array(text.utf8)
        let full = try JSONParser.parse(bytes)
        #expect(try JSONParser.parse(full.serialized()) == full)
        for n in 0..<bytes.count {
            let prefix = Array(bytes[..<n])
            guard let e = jsonParseError(prefix) else {
                Issue.record("prefix of \(n) bytes parsed: \(String(decoding: prefix, as: UTF8.self))")
                continue
            }
            #expect((0...n).contains(e.offset), "offset \(e.offset) outside prefix of \(n)")
        }
    }

    // MARK: Depth

    @Test func nestingUpToTheLimitParses() throws {
        let d = JSONParser.defaultMaxDepth
        #expect(d == 32)
        let arrays = String(repeating: "[", count: d) + String(repeating: "]", count: d)
        #expect(throws: Never.self) { try JSONParser.parse(arrays) }
        let objects = String(repeating: "{\"a\":", count: d - 1) + "{}" + String(repeating: "}", count: d - 1)
        #expect(throws: Never.self) { try JSONParser.parse(objects) }
        let mixed = String(repeating: "[{\"k\":", count: d / 2) + "1" + String(repeating: "}]", count: d / 2)
        #expect(throws: Never.self) { try JSONParser.parse(mixed) }
    }

    @Test func nestingDeeperThanTheLimitIsRejected() throws {
        let d = JSONParser.defaultMaxDepth
        let arrays = String(repeating: "[", count: d + 1) + String(repeating: "]", count: d + 1)
        let e = try #require(jsonParseError(arrays))
        #expect(e.message == "nesting deeper than \(d)")
        #expect(e.offset == d)
        let objects = String(repeating: "{\"a\":", count: d) + "{}" + String(repeating: "}", count: d)
        #expect(jsonParseError(objects)?.message == "nesting deeper than \(d)")
        // Scalars inside the deepest container do not add a level.
        let scalar = String(repeating: "[", count: d) + "1" + String(repeating: "]", count: d)
        #expect(jsonParseError(scalar) == nil)
    }

    @Test func customMaxDepth() {
        #expect(jsonParseError("1", maxDepth: 0) == nil)
        #expect(jsonParseError("[]", maxDepth: 0)?.message == "nesting deeper than 0")
        #expect(jsonParseError("[]", maxDepth: 1) == nil)
        #expect(jsonParseError("[[]]", maxDepth: 1)?.message == "nesting deeper than 1")
        #expect(jsonParseError("{\"a\":{}}", maxDepth: 1)?.offset == 5)
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(jsonParseError(deep, maxDepth: 64) == nil)
    }

    @Test func tenThousandOpenBracketsDoNotExhaustTheStack() throws {
        for open in ["[", "{\"a\":", "[{\"x\":"] {
            let e = try #require(jsonParseError(String(repeating: open, count: 10_000)))
            #expect(e.message.hasPrefix("nesting deeper than"))
        }
        let closed = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(jsonParseError(closed)?.message == "nesting deeper than 32")
    }

    // MARK: Fuzz

    /// Valid payloads to mutate, covering every token type.
    static let fuzzSeeds: [String] = documentsToTruncate + [
        #"{"ts":1700000000000,"event":"fault","detail":"sensor \u00b0C drift"}"#,
        #"{"online":true}"#,
        #"[0,-0,1.5e300,-2E-300,123456789012345678901234567890]"#,
        #""\u0000\u001f\ud800\udc00""#,
    ]

    /// Parses, and for a valid document checks parse → serialize → parse is the identity and
    /// serialisation is stable. A failure must carry an offset inside the input.
    static func checkRoundTrip(_ bytes: [UInt8]) -> (valid: Bool, problem: String?) {
        let v: JSONValue
        do {
            v = try JSONParser.parse(bytes)
        } catch {
            return (false, (0...bytes.count).contains(error.offset) ? nil : "offset \(error.offset) outside \(bytes.count)")
        }
        let s = v.serialized()
        guard let again = try? JSONParser.parse(s) else { return (true, "serialised form does not parse: \(s)") }
        guard again == v else { return (true, "round trip changed the value: \(s)") }
        guard again.serialized() == s else { return (true, "serialisation is not stable: \(s)") }
        return (true, nil)
    }

    @Test func fuzzRandomBytes() {
        var rng = JSONTestRNG(seed: 0x5EED_0001)
        // Biased towards JSON's own characters so that some inputs get deep into the parser.
        let alphabet = Array("{}[]:,\"\\ntrufalsen0123456789-+.eE u\t".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xA9, 0xED, 0xFF]
        var valid = 0
        for _ in 0..<4_000 {
            let n = Int.random(in: 0...24, using: &rng)
            var bytes: [UInt8] = []
            for _ in 0..<n {
                bytes.append(Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng))
            }
            let r = Self.checkRoundTrip(bytes)
            if r.valid { valid += 1 }
            if let p = r.problem { Issue.record("\(bytes): \(p)") }
        }
        #expect(valid > 0, "some random inputs should be valid JSON")
    }

    @Test func fuzzMutationsOfValidPayloads() {
        var rng = JSONTestRNG(seed: 0xC0FF_EE00_1234)
        let seeds = Self.fuzzSeeds.map { Array($0.utf8) }
        let interesting: [UInt8] = Array("{}[]:,\"\\0-.eE nu".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var valid = 0, invalid = 0
        for _ in 0..<5_000 {
            var b = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                guard !b.isEmpty else { break }
                let k = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<7, using: &rng) {
                case 0: b[k] = UInt8.random(in: 0...255, using: &rng)
                case 1: b[k] = interesting.randomElement(using: &rng)!
                case 2: b.insert(interesting.randomElement(using: &rng)!, at: k)
                case 3: b.remove(at: k)
                case 4: b = Array(b[..<k])
                case 5:  // duplicate a slice
                    let end = min(b.count, k + Int.random(in: 1...8, using: &rng))
                    b.insert(contentsOf: b[k..<end], at: k)
                default: b[k] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            }
            let r = Self.checkRoundTrip(b)
            if r.valid { valid += 1 } else { invalid += 1 }
            if let p = r.problem { Issue.record("\(String(decoding: b, as: UTF8.self)): \(p)") }
        }
        #expect(valid > 100)
        #expect(invalid > 100)
    }

    @Test(arguments: fuzzSeeds)
    func seedsRoundTrip(text: String) {
        let r = Self.checkRoundTrip(Array(text.utf8))
        #expect(r.valid)
        #expect(r.problem == nil)
    }
}
