import Testing
@testable import RentGuardCore

/// Issue 11 item 10: offline supervision of a device without `report_interval_s` learns the
/// device's cadence from its own traffic instead of assuming 60 s for every kind.
@Suite struct LearnedCadenceTests {
    typealias D = T
    static let hour: Int64 = 3_600_000

    static func water(_ dev: String, _ ts: Int64, _ litres: Double) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .telemetry(.water(WaterTelemetry(volumeL: litres)))))
    }

    static func offline(_ out: [CoreOutput]) -> [Alarm] { D.raised(out, .deviceOffline) }

    /// An hourly meter is expected hourly once it has shown a gap: no alarm while it keeps
    /// its cadence, and one at three missed hours when it stops, stamped at that moment.
    @Test func anHourlyMeterIsOfflineAfterThreeMissedHoursNotThreeMinutes() {
        let config = D.config(devices: [DeviceConfig(id: "WM-1", kind: .waterMeter, unit: "101")])
        var engine = DetectionEngine(config: config)
        var out: [CoreOutput] = []
        for h in 0..<48 { engine.handle(Self.water("WM-1", D.t0 + Int64(h) * Self.hour, Double(h) * 10), into: &out) }
        // Before the first gap nothing is known: the default (3 × 60 s) applies once.
        let early = Self.offline(out)
        #expect(early.count <= 1, "raised \(early.count) times while reporting hourly")
        #expect(early.allSatisfy { $0.startedAt < D.t0 + Self.hour })
        out.removeAll()
        // It stops after the reading at t0 + 47 h.
        let last = D.t0 + 47 * Self.hour
        engine.handle(.tick(last + 3 * Self.hour - 1000), into: &out)
        #expect(Self.offline(out).isEmpty, "not offline before three learned intervals")
        engine.handle(.tick(last + 4 * Self.hour), into: &out)
        let raised = Self.offline(out)
        #expect(raised.count == 1)
        #expect(raised.first?.startedAt == last + 3 * Self.hour)
        #expect(raised.first?.evidence["expected_interval_s"] == .number(3600))
        #expect(engine.offlineTimeouts["WM-1"] == 3 * Self.hour)
    }

    /// Robust: a few long outages among the recent gaps do not stretch the cadence, and a
    /// burst (two messages a second apart) does not shrink it.
    @Test func theCadenceIsAHighPercentileOfRecentGaps() {
        var c = ReportCadence()
        var t = D.t0
        for i in 0..<40 {
            c.observe(t)
            c.observe(t + 1000)  // a burst: one report
            t += i % 13 == 5 ? 10 * Self.hour : Self.hour
        }
        #expect(c.gaps.count == ReportCadence.capacity)
        #expect(c.intervalMs(percentile: 0.9) == Self.hour - 1000)
        #expect(ReportCadence().intervalMs(percentile: 0.9) == nil)
    }

    /// A configured interval still wins; a learned one never goes below the default.
    @Test func configuredIntervalWinsAndTheDefaultIsTheFloor() {
        var fast = ReportCadence()
        for i in 0..<10 { fast.observe(D.t0 + Int64(i) * 10_000) }
        let th = Thresholds()
        let plain = DeviceConfig(id: "PM-1", kind: .powerMeter)
        #expect(DeviceOfflineRule.offlineTimeoutMs(plain, thresholds: th, cadence: fast) == 180_000)
        #expect(DeviceOfflineRule.offlineTimeoutMs(plain, thresholds: th, cadence: nil) == 180_000)
        let configured = DeviceConfig(id: "PM-2", kind: .powerMeter, reportIntervalSeconds: 900)
        var slow = ReportCadence()
        for i in 0..<10 { slow.observe(D.t0 + Int64(i) * Self.hour) }
        #expect(DeviceOfflineRule.offlineTimeoutMs(configured, thresholds: th, cadence: slow) == 2_700_000)
        // Capped at max_learned_interval_s.
        var daily = ReportCadence()
        for i in 0..<5 { daily.observe(D.t0 + Int64(i) * 3 * 86_400_000) }
        #expect(DeviceOfflineRule.offlineTimeoutMs(plain, thresholds: th, cadence: daily) == 3 * 86_400_000)
    }

    /// The case on real meters: DAIAD households' hourly water meters (no
    /// `report_interval_s`) replayed over a year. Each meter may raise once before it has
    /// shown a gap, and once per real outage (a gap of 3 h or more in the data).
    @Test(.enabled(if: OccupancyDAIADTests.available, "DAIAD data not found (set RENTGUARD_DAIAD_DIR); skipped"))
    func aYearOfRealHourlyWaterMetersGivesOfflineOnlyForRealOutages() throws {
        let (sizes, readings) = try OccupancyDAIADTests.load(households: 35, days: 365)
        let devices = sizes.keys.sorted().map { DeviceConfig(id: "WM-" + $0, kind: .waterMeter) }
        var engine = DetectionEngine(config: D.config(devices: devices, zone: .utc))
        var out: [CoreOutput] = []
        var last: [String: Int64] = [:]
        var outages = 0
        for r in readings {
            if let l = last[r.device], r.ts - l >= 3 * Self.hour { outages += 1 }
            last[r.device] = max(last[r.device] ?? .min, r.ts)
            engine.handle(.reading(r), into: &out)
        }
        let raised = Self.offline(out).count
        let cleared = D.transitions(out).filter { $0.key.type == .deviceOffline && $0.state == .cleared }.count
        print("[learned cadence] \(devices.count) DAIAD meters, \(readings.count) readings: device_offline raised \(raised), cleared \(cleared); gaps ≥ 3 h in the data \(outages)")
        #expect(raised <= devices.count + outages, "raised \(raised) for \(devices.count) meters and \(outages) real outages")
    }
}
