import AsyncHTTPClient
import Foundation
import RentGuardCore
import RentGuardTesting
import Testing

/// Issue 18: `status`, `devices`, `alarms`, `/metrics` and the API agree at any moment,
/// on the wall clock and on the event clock: they read the same live state (the pipeline's
/// device ledger, its counters and the store), never a snapshot taken once a minute.
@Suite(.serialized)
struct ViewConsistencyTests {
    struct Views {
        var status: JSONValue
        var devices: [JSONValue]
        var alarms: JSONValue
        var metrics: String

        func metric(_ name: String, _ label: String? = nil) -> Double {
            var total = 0.0
            for line in metrics.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
                if let label, !line.contains(label) { continue }
                total += Double(line.split(separator: " ").last ?? "") ?? 0
            }
            return total
        }
    }

    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 4 * 1024 * 1024))
    }

    static func views(_ f: DaemonFixture) async throws -> Views {
        let status = try JSONParser.parse(Array(try await get(f.httpURL + "/api/v1/status").utf8))
        let devices = try JSONParser.parse(Array(try await get(f.httpURL + "/api/v1/devices").utf8))
        let alarms = try JSONParser.parse(Array(try await get(f.httpURL + "/api/v1/alarms?active=true").utf8))
        let metrics = try await get(f.httpURL + "/metrics")
        return Views(status: status, devices: devices["devices"]?.arrayValue ?? [], alarms: alarms, metrics: metrics)
    }

    @Test(arguments: [false, true])
    func allViewsAgreeRightAfterTraffic(eventClock: Bool) async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        try await f.startDaemon(extraArguments: eventClock ? ["--event-clock"] : [])
        let ts = DaemonFixture.nowMs
        try await f.publish("SD-1", "telemetry", #"{"ts": \#(ts), "smoke_obscuration_pct_per_m": 0.2, "temperature_c": 22}"#)
        try await f.smoke("SD-2", alarm: true, ts: ts)
        try await f.publish("PM-101", "telemetry", #"{"ts": \#(ts), "power_w": 300, "current_a": 1.4, "voltage_v": 220}"#)
        // Wait only until the daemon has taken the three messages in; then read every view.
        let deadline = ContinuousClock.now + .seconds(10)
        var v = try await Self.views(f)
        while v.status["messages_received"]?.doubleValue != 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            v = try await Self.views(f)
        }
        #expect(v.status["messages_received"]?.doubleValue == 3)
        let listedOnline = v.devices.filter { $0["offline"]?.boolValue == false }.count
        let listedNeverSeen = v.devices.filter { $0["last_seen"] == nil || $0["last_seen"] == .null }.count
        let clock = eventClock ? "event clock" : "wall clock"
        print("[views, \(clock)] status online \(v.status["devices_online"]?.doubleValue ?? -1), devices list online \(listedOnline), metrics online \(v.metric("rentguard_devices", #"state="online""#)); active alarms status \(v.status["active_alarms"]?.doubleValue ?? -1), alarms API \(v.alarms["active_total"]?.doubleValue ?? -1), metrics \(v.metric("rentguard_active_alarms"))")
        #expect(v.status["devices_online"]?.doubleValue == 3, "\(clock): three devices just reported")
        #expect(Double(listedOnline) == 3, "\(clock): the device list says what status says")
        #expect(v.metric("rentguard_devices", #"state="online""#) == 3)
        #expect(v.status["devices_never_seen"]?.doubleValue == Double(listedNeverSeen))
        #expect(v.metric("rentguard_devices", #"state="never_seen""#) == Double(listedNeverSeen))
        #expect(v.status["active_alarms"]?.doubleValue == 1)
        #expect(v.alarms["active_total"]?.doubleValue == 1)
        #expect(v.metric("rentguard_active_alarms") == 1)
        await f.shutdown()
    }
}
