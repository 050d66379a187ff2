import Foundation
import RentGuardCore

/// Reads a time zone from the system's TZif files (RFC 8536; Debian's `tzdata` package puts
/// them under /usr/share/zoneinfo) into the core's `LocalTimeZone`.
///
/// A small parser of our own rather than Foundation's `TimeZone`: named zones in Foundation
/// need ICU, and the daemon is meant to run without it. It reads the 64-bit section of a
/// version 2+ file (the 32-bit section of a version 1 file), and expands the footer's POSIX
/// TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`) for the years after the last explicit transition,
/// up to `ZoneInfo.lastExpandedYear`. Leap-second records are skipped (the gateway's clock
/// is POSIX time).
public enum ZoneInfo {
    /// Where the zone files are: `$TZDIR`, or /usr/share/zoneinfo.
    public static var defaultDirectory: String {
        if let d = ProcessInfo.processInfo.environment["TZDIR"], !d.isEmpty { return d }
        return "/usr/share/zoneinfo"
    }

    /// The footer's rule is expanded into transitions up to the end of this year; after it
    /// the last offset holds.
    public static let lastExpandedYear = 2100

    public enum LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not a valid zone name (empty, absolute, `..`, odd characters).
        case invalidName(String)
        /// No zone file of that name.
        case unknownZone(String)
        /// The zone directory itself is missing: no time zone data installed.
        case noZoneData(directory: String)
        /// A file that is not a valid TZif file.
        case malformed(String, reason: String)

        public var description: String {
            switch self {
            case .invalidName(let n): return "'\(n)' is not a time zone name (an IANA name such as Asia/Shanghai)"
            case .unknownZone(let n): return "unknown time zone '\(n)'"
            case .noZoneData(let d): return "no time zone data in \(d): install the tzdata package (scripts/install-deps.sh)"
            case .malformed(let n, let r): return "'\(n)' is not a valid time zone file (\(r))"
            }
        }
    }

    /// Loads the zone named `name` (an IANA name, e.g. `Asia/Shanghai`, `Etc/GMT-8`).
    public static func load(_ name: String, directory: String = defaultDirectory) throws(LoadError) -> LocalTimeZone {
        guard isPlausibleName(name) else { throw .invalidName(name) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw .noZoneData(directory: directory)
        }
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
            let data = FileManager.default.contents(atPath: path)
        else { throw .unknownZone(name) }
        let bytes = [UInt8](data)
        guard bytes.starts(with: Array("TZif".utf8)) else { throw .unknownZone(name) }  // zone.tab, tzdata.zi, …
        return try parse(bytes, name: name)
    }

    /// The zone names under `directory` (for "did you mean"): files whose every path
    /// component starts with an upper-case letter, without the `posix/` and `right/` copies.
    public static func names(directory: String = defaultDirectory) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: directory) else { return [] }
        var names: [String] = []
        while let rel = e.nextObject() as? String {
            if rel == "posix" || rel == "right" {
                e.skipDescendants()
                continue
            }
            let parts = rel.split(separator: "/")
            guard parts.allSatisfy({ $0.first.map { $0.isUppercase && $0.isASCII } ?? false }), !rel.contains(".") else { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                names.append(rel)
            }
        }
        return names.sorted()
    }

    /// `[A-Za-z0-9/_+-]`, relative, no `.` or `..` components.
    static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("/") else { return false }
        guard name.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "/") || b == UInt8(ascii: "_") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
        }) else { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty }
    }

    // MARK: - TZif

    /// Parses the bytes of a TZif file.
    public static func parse(_ bytes: [UInt8], name: String) throws(LoadError) -> LocalTimeZone {
        var r = ByteReader(bytes: bytes)
        func bad(_ reason: String) -> LoadError { .malformed(name, reason: reason) }

        guard let v1 = r.header() else { throw bad("no TZif header") }
        let block: Block
        let footer: String?
        if v1.version >= 2 {
            // Skip the 32-bit block, then read the 64-bit one.
            guard r.skip(v1.counts.size(timeBytes: 4)) else { throw bad("truncated version 1 data") }
            guard let v2 = r.header() else { throw bad("no second header in a version \(v1.version) file") }
            guard let b = r.block(v2.counts, timeBytes: 8) else { throw bad("truncated 64-bit data") }
            block = b
            footer = r.footer()
            guard footer != nil else { throw bad("no footer") }
        } else {
            guard let b = r.block(v1.counts, timeBytes: 4) else { throw bad("truncated data") }
            block = b
            footer = nil
        }

        guard !block.types.isEmpty else { throw bad("no local time types") }
        for u in block.types where u <= -26 * 3600 || u >= 26 * 3600 { throw bad("UTC offset \(u) s out of range") }
        for i in block.transitionTypes where Int(i) >= block.types.count { throw bad("transition to an unknown type \(i)") }
        for (a, b) in zip(block.transitions, block.transitions.dropFirst()) where a >= b { throw bad("transition times not ascending") }

        // Times in ms, clamped far outside any date the gateway will see (some files start at -2^59 s).
        let limit: Int64 = 1 << 50
        var transitions = block.transitions.map { max(-limit, min(limit, $0)) * 1000 }
        var offsets = [Int64(block.types[0]) * 1000] + block.transitionTypes.map { Int64(block.types[Int($0)]) * 1000 }

        if let footer, !footer.isEmpty {
            guard let rule = PosixTimeZoneRule(footer) else { throw bad("cannot read the POSIX rule '\(footer)'") }
            let lastMs = transitions.last ?? Int64.min
            let fromYear = transitions.last.map { Calendar0.civil(fromDays: Calendar0.floorDiv($0 / 1000, 86_400)).year } ?? 1970
            if fromYear <= lastExpandedYear {
                for (t, o) in rule.transitions(fromYear: fromYear, toYear: lastExpandedYear) where t * 1000 > lastMs {
                    transitions.append(t * 1000)
                    offsets.append(o * 1000)
                }
            }
        }
        return LocalTimeZone(name: name, transitions: transitions, offsetsMs: offsets)
    }

    struct Counts {
        var isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int
        func size(timeBytes: Int) -> Int {
            time * timeBytes + time + type * 6 + char + leap * (timeBytes + 4) + isstd + isut
        }
    }

    struct Block {
        var transitions: [Int64]
        var transitionTypes: [UInt8]
        /// UTC offsets of the local time types, in seconds.
        var types: [Int32]
    }

    struct ByteReader {
        let bytes: [UInt8]
        var at = 0

        mutating func skip(_ n: Int) -> Bool {
            guard n >= 0, at + n <= bytes.count else { return false }
            at += n
            return true
        }

        mutating func u8() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func be(_ n: Int) -> UInt64? {
            guard at + n <= bytes.count else { return nil }
            var v: UInt64 = 0
            for i in 0..<n { v = v << 8 | UInt64(bytes[at + i]) }
            at += n
            return v
        }

        mutating func i32() -> Int32? { be(4).map { Int32(bitPattern: UInt32($0)) } }
        mutating func i64() -> Int64? { be(8).map { Int64(bitPattern: $0) } }

        /// "TZif", the version, 15 reserved bytes and the six counts.
        mutating func header() -> (version: Int, counts: Counts)? {
            guard at + 44 <= bytes.count, Array(bytes[at..<at + 4]) == Array("TZif".utf8) else { return nil }
            let v = bytes[at + 4]
            let version = v == 0 ? 1 : Int(v) - Int(UInt8(ascii: "0"))
            guard (1...9).contains(version) else { return nil }
            at += 20
            var c: [Int] = []
            for _ in 0..<6 {
                guard let n = be(4), n < 1 << 20 else { return nil }
                c.append(Int(n))
            }
            return (version, Counts(isut: c[0], isstd: c[1], leap: c[2], time: c[3], type: c[4], char: c[5]))
        }

        mutating func block(_ c: Counts, timeBytes: Int) -> Block? {
            guard at + c.size(timeBytes: timeBytes) <= bytes.count else { return nil }
            var times: [Int64] = []
            times.reserveCapacity(c.time)
            for _ in 0..<c.time {
                guard let t = timeBytes == 8 ? i64() : i32().map(Int64.init) else { return nil }
                times.append(t)
            }
            var idx: [UInt8] = []
            for _ in 0..<c.time {
                guard let i = u8() else { return nil }
                idx.append(i)
            }
            var types: [Int32] = []
            for _ in 0..<c.type {
                guard let off = i32(), skip(2) else { return nil }  // utoff, isdst, desigidx
                types.append(off)
            }
            guard skip(c.char + c.leap * (timeBytes + 4) + c.isstd + c.isut) else { return nil }
            return Block(transitions: times, transitionTypes: idx, types: types)
        }

        /// "\n<POSIX TZ string>\n" after the 64-bit block; nil if absent or malformed.
        mutating func footer() -> String? {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\n") else { return nil }
            let rest = bytes[(at + 1)...]
            guard let end = rest.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let s = String(decoding: bytes[(at + 1)..<end], as: UTF8.self)
            at = end + 1
            return s
        }
    }
}
