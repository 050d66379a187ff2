import Foundation
import RentGuardCore
import Testing

@testable import RentGuardConfig

/// The TZif reader against the system's zone files (Debian's tzdata).
struct ZoneInfoTests {
    static let hour: Int64 = 3_600_000

    @Test func asiaShanghaiIsUTCPlus8TodayAndHadSummerTimeIn1990() throws {
        let z = try ZoneInfo.load("Asia/Shanghai")
        #expect(z.name == "Asia/Shanghai")
        // 2026-06-01 09:23 in China is 01:23 UTC (the example).
        let t: Int64 = 1_780_276_980_000
        #expect(z.offsetMs(at: t) == 8 * Self.hour)
        #expect(z.localMinuteOfDay(t) == 9 * 60 + 23)
        #expect(z.localDay(t) == 20605)
        // China kept summer time 1986-1991: 1990-07-01 00:00 UTC was UTC+9.
        #expect(z.offsetMs(at: 646_790_400_000) == 9 * Self.hour)
        // No transition after 1991: the same offset in 2100.
        #expect(z.offsetMs(at: 4_102_444_800_000) == 8 * Self.hour)
    }

    @Test func europeParisChangesAtOneUTCInMarchAndOctober() throws {
        let z = try ZoneInfo.load("Europe/Paris")
        let spring: Int64 = 1_774_746_000_000  // 2026-03-29 01:00 UTC
        let fall: Int64 = 1_792_890_000_000  // 2026-10-25 01:00 UTC
        #expect(z.offsetMs(at: spring - 1) == 1 * Self.hour)
        #expect(z.offsetMs(at: spring) == 2 * Self.hour)
        #expect(z.offsetMs(at: fall - 1) == 2 * Self.hour)
        #expect(z.offsetMs(at: fall) == 1 * Self.hour)
        // Local 02:30 on 2026-03-29 never happens: it maps to the instant 30 min after the jump (03:30 CEST).
        let day = z.localDay(spring)
        #expect(z.utc(fromLocal: day * 86_400_000 + 150 * 60_000) == spring + 30 * 60_000)
        // Local 02:30 on 2026-10-25 happens twice: the first (CEST, 00:30 UTC).
        let fallDay = z.localDay(fall)
        #expect(z.utc(fromLocal: fallDay * 86_400_000 + 150 * 60_000) == fall - 30 * 60_000)
        // A local day around a change is 23 or 25 hours long.
        #expect(z.startOfLocalDay(day + 1) - z.startOfLocalDay(day) == 23 * Self.hour)
        #expect(z.startOfLocalDay(fallDay + 1) - z.startOfLocalDay(fallDay) == 25 * Self.hour)
    }

    @Test func europeParisAfterTheFilesLastTransitionFollowsItsRule() throws {
        let z = try ZoneInfo.load("Europe/Paris")
        // Beyond 2037 only the footer's rule (CET-1CEST,M3.5.0,M10.5.0/3) says when clocks change.
        for (spring, fall) in [(Int64(2_531_955_600_000), Int64(2_550_704_400_000)),  // 2050-03-27, 2050-10-30
                               (Int64(4_078_429_200_000), Int64(4_096_573_200_000))] {  // 2099-03-29, 2099-10-25
            #expect(z.offsetMs(at: spring - 1) == 1 * Self.hour)
            #expect(z.offsetMs(at: spring) == 2 * Self.hour)
            #expect(z.offsetMs(at: fall - 1) == 2 * Self.hour)
            #expect(z.offsetMs(at: fall) == 1 * Self.hour)
        }
    }

    @Test func etcGMTMinus8IsAFixedUTCPlus8() throws {
        let z = try ZoneInfo.load("Etc/GMT-8")
        #expect(z.isFixed)
        for t: Int64 in [-1_000_000_000_000, 0, 646_790_400_000, 1_780_276_980_000, 4_102_444_800_000] {
            #expect(z.offsetMs(at: t) == 8 * Self.hour)
        }
        #expect(try ZoneInfo.load("Etc/GMT+5").offsetMs(at: 0) == -5 * Self.hour)
    }

    /// Every offset agrees with Foundation's (ICU's) zones on the first of each month and
    /// around each transition, 1990-2037, for zones with daylight saving in both
    /// hemispheres, half-hour and 45-minute offsets.
    @Test(arguments: ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo", "Asia/Shanghai"])
    func agreesWithFoundation(_ name: String) throws {
        let z = try ZoneInfo.load(name)
        let tz = try #require(TimeZone(identifier: name))
        var checked = 0
        var t: Int64 = 631_152_000_000  // 1990-01-01
        while t < 2_145_916_800_000 {  // 2038-01-01
            let expected = Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t) / 1000))) * 1000
            #expect(z.offsetMs(at: t) == expected, "\(name) at \(t)")
            checked += 1
            t += 86_400_000 * 7 + 3_600_000  // weekly, drifting through the hours of the day
        }
        for tr in z.transitions where tr > 631_152_000_000 && tr < 2_145_916_800_000 {
            for at in [tr - 1000, tr] {
                let expected = Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at) / 1000))) * 1000
                #expect(z.offsetMs(at: at) == expected, "\(name) around \(tr)")
                checked += 1
            }
        }
        #expect(checked > 2000)
    }

    @Test func unknownAndInvalidNames() {
        #expect(throws: ZoneInfo.LoadError.unknownZone("Asia/Shangai")) { try ZoneInfo.load("Asia/Shangai") }
        #expect(throws: ZoneInfo.LoadError.unknownZone("Asia")) { try ZoneInfo.load("Asia") }  // a directory
        #expect(throws: ZoneInfo.LoadError.invalidName("zone.tab")) { try ZoneInfo.load("zone.tab") }  // no zone name has a dot
        if FileManager.default.fileExists(atPath: ZoneInfo.defaultDirectory + "/leapseconds") {
            #expect(throws: ZoneInfo.LoadError.unknownZone("leapseconds")) { try ZoneInfo.load("leapseconds") }  // a text file, not TZif
        }
        #expect(throws: ZoneInfo.LoadError.invalidName("../etc/passwd")) { try ZoneInfo.load("../etc/passwd") }
        #expect(throws: ZoneInfo.LoadError.invalidName("/etc/localtime")) { try ZoneInfo.load("/etc/localtime") }
        #expect(throws: ZoneInfo.LoadError.invalidName("")) { try ZoneInfo.load("") }
        #expect(throws: ZoneInfo.LoadError.noZoneData(directory: "/nonexistent/zoneinfo")) {
            try ZoneInfo.load("Asia/Shanghai", directory: "/nonexistent/zoneinfo")
        }
    }

    @Test func malformedFilesAreErrorsNotCrashes() throws {
        let good = [UInt8](try #require(FileManager.default.contents(atPath: ZoneInfo.defaultDirectory + "/Europe/Paris")))
        // Every truncation of a real file is refused cleanly.
        for n in stride(from: 0, to: good.count - 1, by: 7) {
            #expect(throws: ZoneInfo.LoadError.self) { try ZoneInfo.parse(Array(good[0..<n]), name: "cut") }
        }
        // A transition to a type that does not exist.
        var bad = good
        let v1 = 44 + Self.v1Size(good)
        let timecnt = Self.count(good, at: v1 + 32)
        bad[v1 + 44 + timecnt * 8] = 200
        #expect(throws: ZoneInfo.LoadError.malformed("bad", reason: "transition to an unknown type 200")) { try ZoneInfo.parse(bad, name: "bad") }
    }

    @Test func zoneNamesForSuggestions() {
        let names = ZoneInfo.names()
        #expect(names.contains("Asia/Shanghai"))
        #expect(names.contains("Etc/GMT-8"))
        #expect(!names.contains { $0.hasPrefix("posix/") || $0.hasPrefix("right/") || $0.contains(".") })
        #expect(names.count > 300)
    }

    @Test func posixRules() throws {
        let cet = try #require(PosixTimeZoneRule("CET-1CEST,M3.5.0,M10.5.0/3"))
        #expect(cet.stdOffset == 3600)
        #expect(cet.dst?.offset == 7200)
        let t = cet.transitions(fromYear: 2026, toYear: 2026)
        #expect(t.map(\.0) == [1_774_746_000, 1_792_890_000])
        #expect(try #require(PosixTimeZoneRule("<+0545>-5:45")).stdOffset == 5 * 3600 + 45 * 60)
        #expect(try #require(PosixTimeZoneRule("CST-8")).dst == nil)
        // Southern hemisphere: daylight time at the start of the year.
        let syd = try #require(PosixTimeZoneRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        let s = syd.transitions(fromYear: 2026, toYear: 2026)
        #expect(s.map(\.1) == [10 * 3600, 11 * 3600])
        for bad in ["", "C-1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,J0,J365"] {
            #expect(PosixTimeZoneRule(bad) == nil, "\(bad)")
        }
    }

    static func count(_ b: [UInt8], at i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
    static func v1Size(_ b: [UInt8]) -> Int {
        let c = (0..<6).map { count(b, at: 20 + 4 * $0) }
        return c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]
    }
}
