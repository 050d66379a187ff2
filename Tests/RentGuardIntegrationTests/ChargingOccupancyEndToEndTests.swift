import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardTesting
import Testing

/// E-bike charging at charger ports linked to units (`unit_ports`) through the real daemon:
/// water meters and a charger's protocol v1 telemetry on the building broker, on the event
/// clock, and the registry's occupancy messages carry the `charging` kind in their evidence.
@Suite(.serialized)
struct ChargingOccupancyEndToEndTests {
    static let hour: Int64 = 3_600_000
    /// Local midnight (UTC+8) of 2026-03-02.
    static let start: Int64 = 1_772_380_800_000  // 2026-03-01T16:00Z
    /// Unit → people (all registered honestly); unit 101 is the fixture's (registered 2).
    static let people: [(unit: String, n: Int)] = [("101", 2), ("102", 1), ("103", 3), ("104", 4), ("105", 2), ("106", 5)]

    @Test func chargingAtLinkedPortsIsInThePublishedEvidence() async throws {
        let others = Self.people.dropFirst()
        let units = others.map { "  - {id: \"\($0.unit)\", floor: 1, area_m2: 80, registered_occupants: \($0.n)}" }.joined(separator: "\n")
        let links = Self.people.enumerated().map { i, u in "{unit: \"\(u.unit)\", ports: [\(2 * i + 1), \(2 * i + 2)]}" }.joined(separator: ", ")
        let devices = others.map { "  - {id: WM-\($0.unit), kind: water_meter, unit: \"\($0.unit)\"}" }.joined(separator: "\n")
            + "\n  - {id: CH-2, kind: charger, ports: 14, rated_port_current_a: 5, location: \"yard\", unit_ports: [\(links)]}"
        let f = try await DaemonFixture(devicesExtra: devices, unitsExtra: units)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/occupancy")
        try await f.startDaemon(extraArguments: ["--event-clock"])

        // Eight days of hourly readings (at HH:30 local): water used 06–24 h, one charging
        // session per linked port per day from 18:00 at 300 W, 0.35 kWh per person per day;
        // ports 13 and 14 are shared and charge 1.2 kWh a day. The counter is kept after a
        // session and restarts at 0 with the next (a new session, not a reset).
        let days = 8
        var water = Self.people.map { _ in 1000.0 }
        for h in 0..<(days * 24 + 4) {
            let ts = Self.start + Int64(h) * Self.hour + Self.hour / 2
            let day = h / 24, hourOfDay = h % 24
            for (i, u) in Self.people.enumerated() {
                let litresPerDay = 60 + 110 * Double(u.n)
                if hourOfDay >= 6 { water[i] += litresPerDay / 18 }
                try await f.publish("WM-\(u.unit)", "telemetry", #"{"ts": \#(ts), "volume_l": \#(water[i])}"#)
            }
            var ports: [String] = []
            for p in 1...14 {
                let kwh = p <= 12 ? 0.35 * Double(Self.people[(p - 1) / 2].n) / 2 * (1 + 0.1 * sin(Double(day * 14 + p))) : 1.2
                let sessionHours = Double(hourOfDay) + 0.5 - 18
                let duration = kwh / 0.3
                let state: String, wh: Double
                if sessionHours >= 0 && sessionHours < duration {
                    (state, wh) = ("charging", 300 * sessionHours)
                } else {
                    // Idle: the counter shows the last session's total (today's once it is over).
                    let lastKWh = sessionHours >= duration ? kwh
                        : (day == 0 ? 0 : (p <= 12 ? 0.35 * Double(Self.people[(p - 1) / 2].n) / 2 * (1 + 0.1 * sin(Double((day - 1) * 14 + p))) : 1.2))
                    (state, wh) = ("idle", lastKWh * 1000)
                }
                ports.append(#"{"port": \#(p), "state": "\#(state)", "power_w": \#(state == "charging" ? 300 : 0), "energy_wh": \#(wh)}"#)
            }
            try await f.publish("CH-2", "telemetry", #"{"ts": \#(ts), "ports": [\#(ports.joined(separator: ", "))]}"#)
        }

        // Day 6 (the 7th) is the first day the building can calibrate charging (7 days).
        let day6 = Self.start + 6 * 24 * Self.hour
        let got = await registry.waitFor(timeout: .seconds(60)) { ms in
            ms.contains { (try? JSONParser.parse($0.payload))?["period_start"]?.doubleValue == Double(day6) }
        }
        let bodies = got.compactMap { try? JSONParser.parse($0.payload) }
        let u101 = try #require(
            bodies.first { $0["unit"]?.stringValue == "101" && $0["period_start"]?.doubleValue == Double(day6) },
            "occupancy messages: \(bodies.count); daemon log:\n\(f.daemon?.logSinceStart.suffix(3000) ?? "")")
        let kinds = (u101["evidence"]?["meters"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }
        #expect(kinds == ["water", "charging"], "\(u101.serialized())")
        let charging = try #require(u101["evidence"]?["meters"]?.arrayValue?.first { $0["kind"]?.stringValue == "charging" })
        let expected = 0.35 * 2 / 2 * ((1 + 0.1 * sin(Double(6 * 14 + 1))) + (1 + 0.1 * sin(Double(6 * 14 + 2))))
        let dayUse = charging["day_use_kwh"]?.doubleValue ?? -1
        print("unit 101 day 6 charging \(dayUse) kWh (sessions \(expected)); model \(charging["model"]?.serialized() ?? "")")
        #expect(abs(dayUse - expected) < 0.01)
        #expect(charging["meters"]?.doubleValue == 2)
        #expect(charging["register_resets"] == nil)
        #expect(charging["model"]?["source"]?.stringValue == "building")
        #expect(u101["evidence"]?["posterior"]?["median"]?.doubleValue == 2)
        await registry.stop()
    }
}
