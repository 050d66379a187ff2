/// The gateway's local time: a time zone as a pure value (no I/O, no ICU).
///
/// It holds the zone's UTC offsets and the instants at which they change. `RentGuardConfig`
/// builds it from the system's TZif file for the IANA name in `gateway.timezone`
/// (`ZoneInfo`), expanding the file's POSIX rule for the years after its last explicit
/// transition up to 2100; after the last transition the last offset holds.
///
/// Every local-time rule of the gateway uses it: landlords' quiet hours, the occupancy
/// estimator's local days and night window, the rules' night windows and local days.
public struct LocalTimeZone: Sendable, Equatable, CustomStringConvertible {
    /// The IANA name (`Asia/Shanghai`), or a description of a fixed offset.
    public let name: String
    /// UTC instants (Unix ms), ascending, at which the offset changes.
    public let transitions: [Int64]
    /// Offsets in ms: `offsets[0]` before the first transition, `offsets[i + 1]` from
    /// `transitions[i]` on. Always `transitions.count + 1` entries.
    let offsets: [Int64]

    /// - Parameters:
    ///   - transitions: UTC instants (Unix ms), ascending.
    ///   - offsetsMs: `transitions.count + 1` offsets from UTC in ms: before the first
    ///     transition, then after each.
    public init(name: String, transitions: [Int64], offsetsMs: [Int64]) {
        precondition(offsetsMs.count == transitions.count + 1, "one offset before the transitions and one after each")
        precondition(zip(transitions, transitions.dropFirst()).allSatisfy { $0 <= $1 }, "transitions must be ascending")
        var t: [Int64] = []
        var o: [Int64] = [offsetsMs[0]]
        for i in transitions.indices where offsetsMs[i + 1] != o[o.count - 1] {
            // A transition to the same offset (an abbreviation or isdst change) changes nothing here.
            t.append(transitions[i])
            o.append(offsetsMs[i + 1])
        }
        self.name = name
        self.transitions = t
        self.offsets = o
    }

    /// A zone that is always `seconds` ahead of UTC.
    public init(name: String, fixedOffsetSeconds seconds: Int) {
        self.init(name: name, transitions: [], offsetsMs: [Int64(seconds) * 1000])
    }

    /// UTC.
    public static let utc = LocalTimeZone(name: "UTC", fixedOffsetSeconds: 0)

    /// China Standard Time, UTC+8: what `Asia/Shanghai` has been since 1991 (China has had
    /// no daylight saving since). The default when no zone was loaded (a `BuildingConfig`
    /// built in code); the loader reads `gateway.timezone` from the system's zone files.
    public static let chinaStandardTime = LocalTimeZone(name: "Asia/Shanghai", fixedOffsetSeconds: 8 * 3600)

    public var description: String { name }

    /// Whether the offset ever changes.
    public var isFixed: Bool { transitions.isEmpty }

    /// The offset from UTC (ms) in effect at the UTC instant `ms`.
    public func offsetMs(at ms: Int64) -> Int64 {
        // The number of transitions at or before `ms` (binary search).
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= ms { lo = mid + 1 } else { hi = mid }
        }
        return offsets[lo]
    }

    /// The offset from UTC in hours (fractional for zones like +05:45) at `ms`.
    public func offsetHours(at ms: Int64) -> Double { Double(offsetMs(at: ms)) / 3_600_000 }

    /// Local wall-clock time at the UTC instant `ms`, as ms since 1970-01-01 00:00 local.
    public func localMs(_ ms: Int64) -> Int64 { ms &+ offsetMs(at: ms) }

    /// Hour of the local day (0..<24, fractional) at `ms`.
    public func localHour(_ ms: Int64) -> Double {
        Double(Self.floorMod(localMs(ms), Self.dayMs)) / 3_600_000
    }

    /// Minute of the local day (0..<1440) at `ms`.
    public func localMinuteOfDay(_ ms: Int64) -> Int {
        Int(Self.floorMod(localMs(ms), Self.dayMs) / 60_000)
    }

    /// The local day number at `ms`: days since 1970-01-01 in local time.
    public func localDay(_ ms: Int64) -> Int64 { Self.floorDiv(localMs(ms), Self.dayMs) }

    /// The UTC instant (Unix ms) of local midnight starting local day `day`.
    public func startOfLocalDay(_ day: Int64) -> Int64 { utc(fromLocal: day &* Self.dayMs) }

    /// The UTC instant at which the local wall clock reads `local` (ms since 1970-01-01
    /// local). A time that occurs twice (clocks turned back) gives the first; a time that
    /// never occurs (clocks turned forward) gives the instant as far after the jump as the
    /// time is after its start (02:30 in a 02:00→03:00 jump is 03:30).
    public func utc(fromLocal local: Int64) -> Int64 {
        // At most one transition lies within a day of any instant in real zones.
        let before = offsetMs(at: local &- Self.dayMs)
        let after = offsetMs(at: local &+ Self.dayMs)
        let a = local &- before, b = local &- after
        let aValid = offsetMs(at: a) == before, bValid = offsetMs(at: b) == after
        switch (aValid, bValid) {
        case (true, true): return min(a, b)
        case (true, false): return a
        case (false, true): return b
        case (false, false): return a  // in a gap: the standard reading, after the jump
        }
    }

    static let dayMs: Int64 = 86_400_000

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
}
