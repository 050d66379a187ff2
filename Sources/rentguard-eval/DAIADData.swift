import Foundation

/// DAIAD trial A (../shared/data/daiad-water, see its SOURCE.md): hourly cumulative readings of
/// real household water meters and each household's self-reported size. Only the households in
/// that folder are read; households without a size are skipped.
struct DAIADData {
    struct Household {
        var id: String
        var members: Int
        /// (event time in ms, register in litres), time-ordered.
        var readings: [(ts: Int64, litres: Double)]
    }

    struct Sample {
        var ts: Int64
        var household: Int
        var litres: Double
    }

    var households: [Household]
    var skipped: Int
    /// Every reading of every household, time-ordered (ties by household).
    var merged: [Sample]
    var readingCount: Int { merged.count }
    var firstTs: Int64 { merged.first?.ts ?? 0 }
    var lastTs: Int64 { merged.last?.ts ?? 0 }
    var days: Int { Int((lastTs - firstTs) / 86_400_000) + 1 }

    enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case malformed(String, Int)
        var description: String {
            switch self {
            case let .missing(f): return "missing \(f)"
            case let .malformed(f, line): return "malformed \(f) line \(line)"
            }
        }
    }

    static func load(directory: String, limit: Int = .max) throws -> DAIADData {
        let hhPath = directory + "/households.csv", rdPath = directory + "/readings.csv"
        guard let hh = try? String(contentsOfFile: hhPath, encoding: .utf8) else { throw LoadError.missing(hhPath) }
        guard let rd = try? String(contentsOfFile: rdPath, encoding: .utf8) else { throw LoadError.missing(rdPath) }

        var households: [Household] = []
        var index: [String: Int] = [:]
        var skipped = 0
        for (n, line) in hh.split(whereSeparator: \.isNewline).enumerated() where n > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2, !f[0].isEmpty else { throw LoadError.malformed("households.csv", n + 1) }
            guard let m = Int(f[1]), m > 0 else {
                skipped += 1
                continue
            }
            guard households.count < limit else { continue }
            index[f[0]] = households.count
            households.append(Household(id: f[0], members: m, readings: []))
        }

        var merged: [Sample] = []
        merged.reserveCapacity(350_000)
        for (n, line) in rd.split(whereSeparator: \.isNewline).enumerated() where n > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 3 else { throw LoadError.malformed("readings.csv", n + 1) }
            guard let h = index[String(f[0])] else { continue }
            guard let ts = parseLocalTime(f[1]), let v = Double(f[2]) else { throw LoadError.malformed("readings.csv", n + 1) }
            households[h].readings.append((ts, v))
            merged.append(Sample(ts: ts, household: h, litres: v))
        }
        for i in households.indices { households[i].readings.sort { $0.ts < $1.ts } }
        merged.sort { $0.ts != $1.ts ? $0.ts < $1.ts : $0.household < $1.household }
        return DAIADData(households: households, skipped: skipped, merged: merged)
    }

    /// "YYYY-MM-DDTHH:MM:SS" local time → ms on a local axis (the estimator then runs with a
    /// UTC offset of 0, so its days are the households' local days).
    static func parseLocalTime(_ s: Substring) -> Int64? {
        let b = Array(s.utf8)
        guard b.count >= 19 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                let c = Int(b[i]) - 48
                guard c >= 0 && c <= 9 else { return nil }
                v = v * 10 + c
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (mo + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(((days * 24 + h) * 60 + mi) * 60 + se) * 1000
    }
}
