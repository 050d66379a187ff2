import Foundation
import RentGuardCore
import Yams

/// An error in a scenario, trace or truth file, with where it is.
public struct ScenarioError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var message: String
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { file.isEmpty ? message : "\(file): \(message)" }
}

enum YAMLToJSON {
    /// Parses YAML (and therefore JSON, a subset) into an ordered `JSONValue`.
    static func parse(_ text: String, file: String) throws(ScenarioError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ScenarioError(file: file, "not valid YAML/JSON: \(error)")
        }
        guard let node else { throw ScenarioError(file: file, "the file is empty") }
        return convert(node)
    }

    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case let .scalar(s):
            let tag = node.tag.description
            if tag.hasSuffix(":null") { return .null }
            if tag.hasSuffix(":bool"), let b = node.bool { return .bool(b) }
            if tag.hasSuffix(":int"), let i = node.int { return .number(Double(i)) }
            if tag.hasSuffix(":float"), let f = node.float { return .number(f) }
            return .string(s.string)
        case let .mapping(m):
            return .object(m.map { (k, v) in (k.string ?? "\(k)", convert(v)) })
        case let .sequence(seq):
            return .array(seq.map { convert($0) })
        case .alias:
            return .null
        }
    }
}

/// Durations and instants in scenario files.
public enum SimTime {
    public static let secondMs: Int64 = 1_000
    public static let minuteMs: Int64 = 60_000
    public static let hourMs: Int64 = 3_600_000
    public static let dayMs: Int64 = 86_400_000

    /// `90` (seconds), `"90s"`, `"15m"`, `"6h"`, `"2d"`, `"1h30m"`, `"500ms"` → milliseconds.
    public static func parseDuration(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s.isEmpty { return nil }
        if let n = Double(s) { return Int64((n * 1000).rounded()) }
        var total: Double = 0
        var number = ""
        var i = s.startIndex
        var sawUnit = false
        while i < s.endIndex {
            let c = s[i]
            if c.isNumber || c == "." {
                number.append(c)
                i = s.index(after: i)
                continue
            }
            if c == " " { i = s.index(after: i); continue }
            var unit = String(c)
            let next = s.index(after: i)
            if c == "m", next < s.endIndex, s[next] == "s" { unit = "ms"; i = s.index(after: next) } else { i = next }
            guard let n = Double(number) else { return nil }
            number = ""
            switch unit {
            case "ms": total += n
            case "s": total += n * 1000
            case "m": total += n * 60_000
            case "h": total += n * 3_600_000
            case "d": total += n * 86_400_000
            default: return nil
            }
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return Int64(total.rounded())
    }

    /// A compact spelling of a duration for messages: `1h30m`, `45s`.
    public static func format(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var r = abs(ms)
        var out = ms < 0 ? "-" : ""
        for (unit, size) in [("d", dayMs), ("h", hourMs), ("m", minuteMs), ("s", secondMs)] where r >= size {
            out += "\(r / size)\(unit)"
            r %= size
        }
        if r > 0 { out += "\(r)ms" }
        return out
    }

    /// Local time of day in ms (0 ..< 86 400 000) of Unix time `t`.
    public static func timeOfDayMs(_ t: Int64, utcOffsetMs: Int64) -> Int64 {
        let l = t + utcOffsetMs
        return ((l % dayMs) + dayMs) % dayMs
    }

    /// Local hour of day as a real number 0 ..< 24.
    public static func localHour(_ t: Int64, utcOffsetMs: Int64) -> Double {
        Double(timeOfDayMs(t, utcOffsetMs: utcOffsetMs)) / Double(hourMs)
    }

    /// The start (Unix ms) of the local day containing `t`.
    public static func localMidnight(_ t: Int64, utcOffsetMs: Int64) -> Int64 {
        t - timeOfDayMs(t, utcOffsetMs: utcOffsetMs)
    }

    /// ISO 8601 (`2026-03-02T00:00:00+08:00`, `…Z`) → Unix ms.
    public static func parseISO8601(_ s: String) -> Int64? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }
}

/// Typed, strict reading of one mapping in a scenario file: every key read is checked
/// off, and `finish()` rejects the keys nobody read (a misspelt key is an error, never a
/// silent default).
struct ObjectReader {
    let file: String
    let path: String
    let members: [(String, JSONValue)]
    private(set) var used: Set<String> = []

    init(_ value: JSONValue, file: String, path: String) throws(ScenarioError) {
        guard case let .object(m) = value else {
            throw ScenarioError(file: file, "\(path.isEmpty ? "the top level" : "'\(path)'") must be a mapping, found a \(value.typeName)")
        }
        self.file = file
        self.path = path
        self.members = m
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        for (k, v) in members where k == key {
            if case .null = v { return nil }
            return v
        }
        return nil
    }

    mutating func string(_ key: String) throws(ScenarioError) -> String? {
        guard let v = value(key) else { return nil }
        switch v {
        case let .string(s): return s
        case let .number(n): return n == n.rounded() ? String(Int64(n)) : String(n)
        default: throw ScenarioError(file: file, "'\(name(key))' must be text, found a \(v.typeName)")
        }
    }

    mutating func double(_ key: String) throws(ScenarioError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case let .number(n) = v else {
            throw ScenarioError(file: file, "'\(name(key))' must be a number, found a \(v.typeName)")
        }
        return n
    }

    mutating func int(_ key: String) throws(ScenarioError) -> Int? {
        guard let d = try double(key) else { return nil }
        guard d == d.rounded(), abs(d) < 1e15 else { throw ScenarioError(file: file, "'\(name(key))' must be a whole number, found \(d)") }
        return Int(d)
    }

    mutating func bool(_ key: String) throws(ScenarioError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case let .bool(b) = v else { throw ScenarioError(file: file, "'\(name(key))' must be true or false, found a \(v.typeName)") }
        return b
    }

    /// A duration: a number of seconds or `"15m"`-style text.
    mutating func duration(_ key: String) throws(ScenarioError) -> Int64? {
        guard let v = value(key) else { return nil }
        switch v {
        case let .number(n): return Int64((n * 1000).rounded())
        case let .string(s):
            guard let ms = SimTime.parseDuration(s) else {
                throw ScenarioError(file: file, "'\(name(key))' = \"\(s)\" is not a duration (examples: 90, \"90s\", \"15m\", \"6h\", \"1h30m\", \"2d\")")
            }
            return ms
        default: throw ScenarioError(file: file, "'\(name(key))' must be a duration, found a \(v.typeName)")
        }
    }

    func finish() throws(ScenarioError) {
        for (k, _) in members where !used.contains(k) {
            let known = used.sorted()
            var msg = "unknown key '\(name(k))'"
            if let best = known.min(by: { Self.distance($0, k) < Self.distance($1, k) }), Self.distance(best, k) <= max(2, k.count / 3) {
                msg += " (did you mean '\(best)'?)"
            }
            msg += "; known keys here: " + known.joined(separator: ", ")
            throw ScenarioError(file: file, msg)
        }
    }

    static func distance(_ a: String, _ b: String) -> Int {
        editDistance(a, b)
    }
}
