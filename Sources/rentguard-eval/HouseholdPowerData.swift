import Foundation

/// household-power (../shared/data/household-power, see its SOURCE.md): one real flat in
/// Sceaux (France), one reading a minute, 2007 (2007-q1.csv and 2007-q2-q4.csv.gz).
///
/// Time zones: the file's clock is the flat's local (French) wall clock. It is played as
/// China's local clock: "2007-01-01 21:00" becomes 21:00 in UTC+8 (event time = the wall
/// clock read as UTC − 8 h), so the rules' night windows (local China time, UTC+8) see the
/// flat's own evenings and nights. Daylight saving in the file is left as it is.
struct HouseholdPowerData {
    /// Event time (ms) of the first minute; minute i is at `firstTs + i·60 000`.
    var firstTs: Int64
    /// Active power in W per minute (NaN where missing).
    var watts: [Double]
    /// Local (wall clock) month 1...12 of minute i.
    var months: [UInt8]

    static let chinaOffsetMs: Int64 = 8 * 3_600_000

    static func load(directory: String) throws -> HouseholdPowerData {
        let q1 = directory + "/2007-q1.csv"
        let rest = directory + "/2007-q2-q4.csv.gz"
        guard let a = try? String(contentsOfFile: q1, encoding: .utf8) else { throw DAIADData.LoadError.missing(q1) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", rest]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let b = String(data: data, encoding: .utf8) else { throw DAIADData.LoadError.missing(rest) }
        var out = HouseholdPowerData(firstTs: 0, watts: [], months: [])
        out.watts.reserveCapacity(530_000)
        var expected: Int64? = nil
        for text in [a, b] {
            var first = true
            for line in text.split(whereSeparator: \.isNewline) {
                if first { first = false; continue }  // header
                let f = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
                guard f.count >= 2, let wall = DAIADData.parseLocalTime(f[0]) else { continue }
                let ts = wall - chinaOffsetMs
                if expected == nil { out.firstTs = ts; expected = ts }
                // Fill any missing minutes with NaN so that index = minute.
                while let e = expected, e < ts { out.watts.append(.nan); out.months.append(out.months.last ?? 1); expected = e + 60_000 }
                guard let e = expected, e == ts else { continue }
                let kw = Double(f[1]) ?? .nan
                out.watts.append(kw * 1000)
                let m = f[0].utf8.dropFirst(5).prefix(2)
                out.months.append(UInt8((Int(m.first! - 48) * 10) + Int(m.last! - 48)))
                expected = e + 60_000
            }
        }
        return out
    }
}
