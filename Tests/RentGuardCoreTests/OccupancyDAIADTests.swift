import Foundation
import Testing
@testable import RentGuardCore

/// A quick run of the estimator on real meters: a subset of DAIAD trial A (see
/// ../shared/data/daiad-water/SOURCE.md). The full evaluation is `rentguard-eval daiad`;
/// figures are in docs/occupancy.md. Skipped when the data set is not there.
@Suite struct OccupancyDAIADTests {
    static let directory: String = {
        if let d = ProcessInfo.processInfo.environment["RENTGUARD_DAIAD_DIR"] { return d }
        // Tests/RentGuardCoreTests/<file> → the package root's sibling "shared".
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("shared/data/daiad-water").path
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: directory + "/readings.csv") }

    /// The first `households` households with a size, their first `days` days.
    static func load(households: Int, days: Int) throws -> (sizes: [String: Int], readings: [Reading]) {
        let hh = try String(contentsOfFile: directory + "/households.csv", encoding: .utf8)
        var sizes: [String: Int] = [:]
        var order: [String] = []
        for line in hh.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 2, let n = Int(f[1]), n > 0, order.count < households else { continue }
            sizes[String(f[0])] = n
            order.append(String(f[0]))
        }
        // Line by line over the bytes (the file is 12 MB; String APIs are slow in debug builds).
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/readings.csv")))
        var readings: [Reading] = []
        var first: Int64? = nil
        var seen = Set<String>(), done = Set<String>()
        var pos = bytes.firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count  // skip the header
        while pos < bytes.count {
            let nl: Int = bytes.withUnsafeBufferPointer { (buf: UnsafeBufferPointer<UInt8>) -> Int in
                guard let p = memchr(buf.baseAddress! + pos, 0x0A, buf.count - pos) else { return buf.count }
                return buf.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
            }
            let start = pos
            pos = nl + 1
            let comma = bytes[start..<nl].firstIndex(of: 0x2C) ?? nl
            let id = String(decoding: bytes[start..<comma], as: UTF8.self)
            guard sizes[id] != nil else {
                // readings.csv is grouped by household: stop after the chosen ones.
                if seen.count == sizes.count { break }
                continue
            }
            if done.contains(id) { continue }
            seen.insert(id)
            let f = String(decoding: bytes[start..<nl], as: UTF8.self).split(separator: ",")
            guard f.count >= 3, let ts = parse(f[1]), let v = Double(f[2].filter { !$0.isWhitespace }) else { continue }
            let t0 = first ?? ts
            first = t0
            guard ts < t0 + Int64(days) * 86_400_000 else {
                done.insert(id)  // time-ordered within a household
                continue
            }
            readings.append(Reading(device: "WM-" + id, ts: ts, observation: .telemetry(.water(WaterTelemetry(volumeL: v)))))
        }
        readings.sort { $0.ts != $1.ts ? $0.ts < $1.ts : $0.device < $1.device }
        return (sizes, readings)
    }

    /// "YYYY-MM-DDTHH:MM:SS" on a local axis (the estimator runs with a UTC offset of 0).
    static func parse(_ s: Substring) -> Int64? {
        let p = s.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" }).compactMap { Int($0) }
        guard p.count == 6 else { return nil }
        let (y, m, d) = (p[0], p[1], p[2])
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
        return Int64(((days * 24 + p[3]) * 60 + p[4]) * 60 + p[5]) * 1000
    }

    @Test(.enabled(if: available, "DAIAD data not found (set RENTGUARD_DAIAD_DIR); skipped"))
    func realHouseholdsGiveSaneEstimates() throws {
        let (sizes, readings) = try Self.load(households: 20, days: 90)
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "eval", building: "daiad"))
        for (id, n) in sizes.sorted(by: { $0.key < $1.key }) {
            cfg.units.append(UnitConfig(id: id, areaM2: 0, registeredOccupants: n))
            cfg.devices.append(DeviceConfig(id: "WM-" + id, kind: .waterMeter, unit: id))
        }
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(), options: OccupancyOptions(utcOffsetSeconds: 0))
        var estimates: [OccupancyEstimate] = []
        for r in readings {
            if r.ts >= est.nextDeadline { estimates += est.advance(to: r.ts).estimates }
            est.observe(r)
        }
        estimates += est.advance(to: readings.last!.ts + 3 * 86_400_000).estimates

        var err = 0.0, within = 0, covered = 0, n = 0
        for e in estimates {
            guard let r = e.rolling, let lo = e.rollingLow, let hi = e.rollingHigh, let real = sizes[e.unit] else { continue }
            #expect(r.isFinite && lo <= r && r <= hi && lo >= 0)
            let d = abs(r - Double(real))
            err += d
            if d <= 1 { within += 1 }
            if lo <= Double(real) && Double(real) <= hi { covered += 1 }
            n += 1
        }
        let mae = err / Double(n), share = Double(within) / Double(n), coverage = Double(covered) / Double(n)
        print("DAIAD subset (\(sizes.count) households, 90 days, \(n) unit-days): MAE \(mae), within ±1 \(share), coverage \(coverage)")
        #expect(n > 1000)
        // Sanity, not the issue's targets: water use separates 1–5-person households only roughly.
        #expect(mae < 2.5)
        #expect(coverage > 0.5)
        withKnownIssue("real-data MAE is above the issue's 1.0-person target (docs/occupancy.md)", isIntermittent: true) {
            #expect(mae <= 1.0)
        }
    }
}
