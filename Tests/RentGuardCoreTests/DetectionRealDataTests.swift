import Foundation
import Testing
import RentGuardCore

/// Replays real data through the engine and counts false alarms. The data sets live in
/// ../shared/data (see their SOURCE.md); a test skips with a message when they are absent.
@Suite struct DetectionRealDataTests {
    static let dataRoot: String = {
        if let env = ProcessInfo.processInfo.environment["RENTGUARD_DATA"] { return env }
        let here = URL(fileURLWithPath: #filePath)
        // Tests/RentGuardCoreTests/<file> → repo → ../shared/data
        let repo = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared/data").path
    }()

    static let watched: Set<AlarmType> = [.indoorEbikeCharging, .overload, .leakage, .abnormalConsumption]

    /// Days since 1970-01-01 for a civil date (proleptic Gregorian).
    static func epochDay(_ y: Int, _ m: Int, _ d: Int) -> Int64 {
        let y2 = m <= 2 ? y - 1 : y
        let era = (y2 >= 0 ? y2 : y2 - 399) / 400
        let yoe = y2 - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }

    @Test func householdPowerQuarterRaisesNoFalseLoadAlarms() throws {
        let path = Self.dataRoot + "/household-power/2007-q1.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("SKIPPED householdPowerQuarterRaisesNoFalseLoadAlarms: \(path) is absent")
            return
        }
        // The data is in local (French) time, read as UTC: the gateway's zone is UTC here.
        let config = T.config(devices: [T.meter("PM-HH", unit: "hh", rated: 60)], zone: .utc)
        var engine = DetectionEngine(config: config)
        var out: [CoreOutput] = []
        var readings = 0
        var firstTs: Int64 = .max, lastTs: Int64 = .min
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 5, let kw = Double(f[1]), let v = Double(f[3]), let a = Double(f[4]) else { continue }
            let dt = f[0]  // 2007-01-01 00:00:00
            let y = Int(dt.prefix(4))!, mo = Int(dt.dropFirst(5).prefix(2))!, d = Int(dt.dropFirst(8).prefix(2))!
            let h = Int(dt.dropFirst(11).prefix(2))!, mi = Int(dt.dropFirst(14).prefix(2))!
            let ts = (Self.epochDay(y, mo, d) * 86_400 + Int64(h * 3600 + mi * 60)) * 1000
            firstTs = min(firstTs, ts); lastTs = max(lastTs, ts)
            engine.handle(.reading(Reading(device: "PM-HH", ts: ts, observation: .telemetry(.power(PowerTelemetry(
                powerW: kw * 1000, voltageV: v, currentA: a, energyKWh: nil, residualCurrentMA: nil))))), into: &out)
            readings += 1
        }
        let days = readings > 0 ? Double(lastTs - firstTs) / 86_400_000 : 0
        let false_ = T.raised(out, .indoorEbikeCharging).count + T.raised(out, .overload).count
            + T.raised(out, .leakage).count + T.raised(out, .abnormalConsumption).count
        print("household-power 2007-Q1: \(readings) readings, \(String(format: "%.1f", days)) meter-days, "
              + "indoor_ebike_charging \(T.raised(out, .indoorEbikeCharging).count), overload \(T.raised(out, .overload).count), "
              + "leakage \(T.raised(out, .leakage).count) (no residual-current field in the data), "
              + "abnormal_consumption \(T.raised(out, .abnormalConsumption).count): "
              + "\(String(format: "%.4f", Double(false_) / max(days, 1))) false alarms per meter-day")
        #expect(readings > 100_000)
        #expect(T.raised(out, .indoorEbikeCharging).isEmpty)
        #expect(T.raised(out, .overload).isEmpty)
        #expect(T.raised(out, .leakage).isEmpty)
        #expect(T.raised(out, .abnormalConsumption).isEmpty)
    }

    /// Each tracebase appliance trace, on top of a 150 W base load, repeated for five days so
    /// that the meter rules have learned a baseline, sampled as 30 s averages.
    @Test func applianceTracesRaiseNoFalseLoadAlarms() throws {
        let root = Self.dataRoot + "/appliance-traces"
        let fm = FileManager.default
        guard let folders = try? fm.contentsOfDirectory(atPath: root) else {
            print("SKIPPED applianceTracesRaiseNoFalseLoadAlarms: \(root) is absent")
            return
        }
        var files: [String] = []
        for f in folders.sorted() {
            for c in ((try? fm.contentsOfDirectory(atPath: root + "/" + f)) ?? []).sorted() where c.hasSuffix(".csv") {
                files.append(root + "/" + f + "/" + c)
            }
        }
        #expect(!files.isEmpty)
        var meterDays = 0.0
        var alarms: [String] = []
        for (i, file) in files.enumerated() {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            // 30 s slots of one day: average watts of the trace's samples in each.
            var sum = [Double](repeating: 0, count: 2880), n = [Int](repeating: 0, count: 2880)
            for line in text.split(whereSeparator: \.isNewline) {
                let f = line.split(separator: ";")
                guard f.count >= 2, let w = Double(f[1]) else { continue }
                let t = f[0].split(separator: " ")
                guard t.count == 2 else { continue }
                let hms = t[1].split(separator: ":").compactMap { Int($0) }
                guard hms.count == 3 else { continue }
                let slot = (hms[0] * 3600 + hms[1] * 60 + hms[2]) / 30
                guard slot >= 0 && slot < 2880 else { continue }
                sum[slot] += w; n[slot] += 1
            }
            let id = "PM-\(i)"
            let config = T.config(devices: [T.meter(id, unit: "u\(i)", rated: 40)], zone: .utc)
            var engine = DetectionEngine(config: config)
            var out: [CoreOutput] = []
            let days = 5
            for d in 0..<days {
                for s in 0..<2880 {
                    let w = 150 + (n[s] > 0 ? sum[s] / Double(n[s]) : 0)
                    let ts = T.t0 + Int64(d) * 86_400_000 + Int64(s) * 30_000
                    engine.handle(T.power(id, ts, w: w), into: &out)
                }
            }
            meterDays += Double(days)
            for a in T.transitions(out) where a.state == .raised && Self.watched.contains(a.key.type) {
                alarms.append("\(file.split(separator: "/").suffix(2).joined(separator: "/")): \(a.key.type)")
            }
        }
        print("appliance traces: \(files.count) traces × 5 days = \(Int(meterDays)) meter-days, false load alarms: \(alarms.count) "
              + "(\(String(format: "%.4f", Double(alarms.count) / max(meterDays, 1))) per meter-day) \(alarms)")
        #expect(alarms.isEmpty, "\(alarms)")
    }
}
