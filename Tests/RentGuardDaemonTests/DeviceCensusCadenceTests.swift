import RentGuardCore
@testable import RentGuardDaemon
import RentGuardStore
import Testing

/// Issue 11 item 10: the daemon's device census (`/healthz`, heartbeat, metrics) calls a
/// device offline exactly when the core's `device_offline` rule does, learned cadence
/// included (before, the census assumed `report_interval_s ?? 60` on its own).
struct DeviceCensusCadenceTests {
    static let t0: Int64 = 1_767_225_600_000
    static let hour: Int64 = 3_600_000

    @Test func theCensusUsesTheCoresLearnedTimeout() {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b1"),
            devices: [DeviceConfig(id: "WM-1", kind: .waterMeter), DeviceConfig(id: "SD-1", kind: .smokeDetector, reportIntervalSeconds: 60)])
        var engine = DetectionEngine(config: config)
        for h in 0..<24 {
            _ = engine.handle(.reading(Reading(device: "WM-1", ts: Self.t0 + Int64(h) * Self.hour, observation: .telemetry(.water(WaterTelemetry(volumeL: Double(h)))))))
        }
        let last = Self.t0 + 23 * Self.hour
        let rows = ["WM-1": Store.DeviceRow(deviceID: "WM-1", kind: "water_meter", lastSeen: last, online: true, lastValues: "{}")]
        let timeouts = engine.offlineTimeouts
        #expect(timeouts["WM-1"] == 3 * Self.hour)
        #expect(timeouts["SD-1"] == 180_000)
        // Two hours of silence: an hourly meter is not offline (the old census said it was).
        #expect(!DeviceCensus(config: config, rows: rows, now: last + 2 * Self.hour, offlineTimeouts: timeouts).offlineIDs.contains("WM-1"))
        #expect(DeviceCensus(config: config, rows: rows, now: last + 2 * Self.hour).offlineIDs.contains("WM-1"), "without the core's timeouts: the 60 s default")
        // The census flips at the moment the rule raises.
        var out: [CoreOutput] = []
        engine.handle(.tick(last + 3 * Self.hour), into: &out)
        let raised = out.contains { if case let .alarm(t) = $0 { t.alarm.key.type == .deviceOffline && t.alarm.key.device == "WM-1" } else { false } }
        #expect(raised)
        #expect(DeviceCensus(config: config, rows: rows, now: last + 3 * Self.hour, offlineTimeouts: timeouts).offlineIDs.contains("WM-1"))
        #expect(!DeviceCensus(config: config, rows: rows, now: last + 3 * Self.hour - 1, offlineTimeouts: timeouts).offlineIDs.contains("WM-1"))
    }
}
