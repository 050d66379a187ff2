import Testing
@testable import RentGuardCore

@Suite struct JSONWriterTests {
    @Test func scalarsAndEmptyContainers() {
        #expect(JSONValue.null.serialized() == "null")
        #expect(JSONValue.bool(true).serialized() == "true")
        #expect(JSONValue.bool(false).serialized() == "false")
        #expect(JSONValue.string("").serialized() == "\"\"")
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.object([]).serialized() == "{}")
        #expect(JSONValue(nil as String?).serialized() == "null")
        #expect(JSONValue("x" as String?).serialized() == "\"x\"")
    }

    @Test func membersAreWrittenInTheirOrderCompactly() {
        let v: JSONValue = ["zeta": 1, "alpha": [true, nil, "s"], "mid": ["b": 2, "a": 1]]
        let expected = #"{"zeta":1,"alpha":[true,null,"s"],"mid":{"b":2,"a":1}}"#
        #expect(v.serialized() == expected)
        #expect(v.serialized() == v.serialized(), "deterministic")
        // The same members in another order are another document (order is significant).
        let reordered: JSONValue = ["alpha": [true, nil, "s"], "zeta": 1, "mid": ["b": 2, "a": 1]]
        #expect(reordered.serialized() != expected)
        #expect(reordered != v)
    }

    @Test func duplicateMembersAreWrittenAsGiven() {
        let v: JSONValue = .object([("a", 1), ("a", 2)])
        #expect(v.serialized() == #"{"a":1,"a":2}"#)
    }

    @Test func writeAppendsToExistingText() {
        var out = "prefix:"
        JSONValue.array([1, 2]).write(to: &out)
        #expect(out == "prefix:[1,2]")
    }

    static let escapes: [(String, String)] = [
        ("\"", #""\"""#),
        ("\\", #""\\""#),
        ("\n", #""\n""#),
        ("\r", #""\r""#),
        ("\t", #""\t""#),
        ("\u{0}", #""\u0000""#),
        ("\u{8}", #""\u0008""#),
        ("\u{C}", #""\u000c""#),
        ("\u{1B}", #""\u001b""#),
        ("\u{1F}", #""\u001f""#),
        ("/", #""/""#),  // solidus needs no escape
        ("\u{7F}", "\"\u{7F}\""),
        ("é中😀", "\"é中😀\""),
        ("\u{2028}\u{2029}", "\"\u{2028}\u{2029}\""),
        ("a\"b\\c\nd", #""a\"b\\c\nd""#),
    ]

    @Test(arguments: escapes)
    func escapesStrings(raw: String, expected: String) throws {
        #expect(JSONValue.string(raw).serialized() == expected)
        #expect(try JSONParser.parse(expected) == .string(raw))
        // Keys are escaped the same way.
        #expect(JSONValue.object([(raw, 1)]).serialized() == "{\(expected):1}")
    }

    @Test func everyControlCharacterIsEscaped() throws {
        let all = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) }))
        let s = JSONValue.string(all).serialized()
        #expect(!s.utf8.contains { $0 < 0x20 })
        #expect(try JSONParser.parse(s) == .string(all))
    }

    static let numbers: [(Double, String)] = [
        (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (42, "42"), (1.0, "1"), (-250, "-250"),
        (1_700_000_000_000, "1700000000000"),
        (8_999_999_999_999_998, "8999999999999998"),
        (9_000_000_000_000_000, "9000000000000000"),
        (9_007_199_254_740_992, "9007199254740992"),
        (-9_007_199_254_740_992, "-9007199254740992"),
        (1e16, "1e+16"),
        (1.5, "1.5"), (-1.5, "-1.5"), (0.1, "0.1"), (0.25, "0.25"),
        (1e-7, "1e-07"), (1e300, "1e+300"), (-2.5e-300, "-2.5e-300"),
        (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        (.leastNonzeroMagnitude, "5e-324"),
    ]

    @Test(arguments: numbers)
    func writesNumbers(n: Double, expected: String) throws {
        let s = JSONValue.number(n).serialized()
        #expect(s == expected)
        #expect(try JSONParser.parse(s) == .number(n))
    }

    @Test func integersHaveNoFraction() {
        for i in [0, 1, -1, 7, 100, 65_535, 1 << 40, -(1 << 40)] {
            #expect(JSONValue(i).serialized() == String(i))
            #expect(JSONValue(Int64(i)).serialized() == String(i))
            #expect(!JSONValue(Double(i)).serialized().contains("."))
        }
    }

    @Test(arguments: [Double.infinity, -.infinity, .nan, -.nan, .signalingNaN])
    func nonFiniteIsNull(n: Double) throws {
        #expect(JSONValue.number(n).serialized() == "null")
        let inArray = JSONValue.array([.number(n), 1]).serialized()
        #expect(inArray == "[null,1]")
        #expect(try JSONParser.parse(inArray) == [nil, 1])
    }

    @Test func roundTripsAComplexValue() throws {
        let v: JSONValue = [
            "message_id": "B1:smoke:SD-1:1700000000000#0",
            "port": nil,
            "n": [0, -1, 1.5, 1e-9, 123456789, 1.7e308, -0.001],
            "nested": ["a": ["b": ["c": [[], .object([]), ""]]]],
            "text": "tab\there \"quoted\" back\\slash \u{1} é 中 😀",
            "flags": [true, false],
        ]
        let s = v.serialized()
        let back = try JSONParser.parse(s)
        #expect(back == v)
        #expect(back.serialized() == s)
    }

    @Test func canonicalTextIsReproducedByteForByte() throws {
        let texts = [
            #"{"b":1,"a":[1.5,-2,"x\n\u0001"],"c":{"d":null,"e":true}}"#,
            #"[0,1e+300,5e-324,"é",{}]"#,
            #"{"sent_at":1700000000123,"evidence":{"temperature_c":72.5}}"#,
        ]
        for t in texts {
            #expect(try JSONParser.parse(t).serialized() == t)
        }
    }

    /// Random finite doubles (any bit pattern) survive serialize → parse exactly.
    @Test func randomDoublesRoundTripExactly() throws {
        var rng = JSONTestRNG(seed: 42)
        var checked = 0
        for _ in 0..<5_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let s = JSONValue.number(d).serialized()
            guard case let .number(back) = try JSONParser.parse(s) else {
                Issue.record("\(s) is not a number")
                continue
            }
            if back != d { Issue.record("\(d) → \(s) → \(back)") }
            if s.hasSuffix(".0") { Issue.record("\(s) has a fraction") }
            checked += 1
        }
        // And integers in the exact range, plain.
        for k in 0..<2_000 {
            let i = k < 1_000 ? Int64.random(in: -(1 << 53)...(1 << 53), using: &rng) : Int64.random(in: 9_000_000_000_000_000...(1 << 53), using: &rng)
            let s = JSONValue(i).serialized()
            if s != String(i) { Issue.record("\(i) → \(s)") }
            if try JSONParser.parse(s) != JSONValue(i) { Issue.record("\(s) does not parse back") }
        }
        #expect(checked > 4_000)
    }
}
