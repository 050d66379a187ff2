import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 18: a detector's alarm reaches the landlord within 2 s at any hour, with a real
/// broker and the real daemon on the wall clock. The gateway's time zone is chosen so that
/// the current wall time is 23:xx local (inside the landlord's quiet hours 22:30-07:00) in
/// one run and 10:xx local in the other; the daemon's clock is never faked.
@Suite(.serialized) struct LandlordLocalTimeTests {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// An `Etc/GMT±N` zone (a whole-hour offset, -12...+14) in which it is now `localHour`.
    /// The Etc zones' signs are inverted: Etc/GMT-8 is UTC+8.
    static func zone(forLocalHour localHour: Int, now: Int64) -> (name: String, offsetHours: Int64) {
        let utcHour = Int((now / hour) % 24)
        var n = ((localHour - utcHour) % 24 + 24) % 24
        if n > 14 { n -= 24 }
        let name = n == 0 ? "Etc/UTC" : (n > 0 ? "Etc/GMT-\(n)" : "Etc/GMT+\(-n)")
        return (name, Int64(n))
    }

    /// The end of "22:30-07:00" for an instant inside it, on a fixed offset of `offsetHours`.
    static func quietEnd(at t: Int64, offsetHours: Int64) -> Int64 {
        let local = t + offsetHours * hour
        let localDay = local >= 0 ? local / day : (local - day + 1) / day
        let minute = (local - localDay * day) / 60_000
        let endDay = minute < 7 * 60 ? localDay : localDay + 1
        return endDay * day + 7 * hour - offsetHours * hour
    }

    struct Run {
        var zone: String
        var offsetHours: Int64
        var smokeDelayMs: Int64
        var batteryRow: OutboxMessage
        var landlordGotBattery: Bool
        var batteryDelayMs: Int64?
    }

    /// Starts the daemon with the gateway's zone set so that it is now `localHour` local,
    /// raises a detector's smoke alarm and a low battery, and reports what reached the landlord.
    func run(localHour: Int) async throws -> Run {
        let (zone, offset) = Self.zone(forLocalHour: localHour, now: DaemonFixture.nowMs)
        let f = try await DaemonFixture(
            clearHoldSeconds: 30,
            extra: """
                landlords:
                  - id: wang
                    min_severity: minor
                    quiet_hours: "22:30-07:00"
                    channels:
                      - {type: mqtt, topic: landlords/wang/alarms}
                """,
            unitLandlord: "wang", timezone: zone)
        defer { Task { await f.shutdown() } }
        let landlord = try await TestSubscriber(port: f.registry.port, filter: "landlords/wang/alarms")
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()

        // A detector reports its own alarm flag: smoke, major.
        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, ts: published)
        let got = await landlord.waitFor(timeout: .seconds(10)) { ForwardedAlarm.all($0).contains { $0.type == "smoke" } }
        let smokeAt = DaemonFixture.nowMs
        let smoke = ForwardedAlarm.all(got).first { $0.type == "smoke" }
        #expect(smoke != nil, "the landlord never got the smoke alarm (zone \(zone)); daemon log:\n\(f.daemon?.log ?? "")")
        #expect(smoke?.json["landlord"]?.stringValue == "wang")

        // A low battery in the kitchen detector: minor, not life-safety.
        let batteryPublished = DaemonFixture.nowMs
        try await f.publish("SD-2", "telemetry", #"{"ts": \#(batteryPublished), "smoke_obscuration_pct_per_m": 0.1, "battery_pct": 10}"#)
        await registry.waitFor(timeout: .seconds(10)) { ForwardedAlarm.all($0).contains { $0.type == "battery_low" } }
        // The landlord's row is written in the same transaction as the registry's.
        let store = try f.openStore()
        defer { store.close() }
        let rows = try store.outbox(destination: "landlord:wang:0", states: [], limit: 100)
        let batteryRow = try #require(rows.first { $0.payload.contains(#""type":"battery_low""#) }, "no landlord row for battery_low")
        var batteryDelay: Int64? = nil
        if localHour >= 7 && localHour < 22 {
            let m = await landlord.waitFor(timeout: .seconds(10)) { ForwardedAlarm.all($0).contains { $0.type == "battery_low" } }
            if ForwardedAlarm.all(m).contains(where: { $0.type == "battery_low" }) { batteryDelay = DaemonFixture.nowMs - batteryPublished }
        }
        let landlordGotBattery = ForwardedAlarm.all(await landlord.messages).contains { $0.type == "battery_low" }
        await landlord.stop()
        await registry.stop()
        return Run(zone: zone, offsetHours: offset, smokeDelayMs: smokeAt - published, batteryRow: batteryRow, landlordGotBattery: landlordGotBattery, batteryDelayMs: batteryDelay)
    }

    @Test func atElevenAtNightLocalTheSmokeAlarmGoesAtOnceAndTheLowBatteryWaitsForSevenLocal() async throws {
        let r = try await run(localHour: 23)
        print("[quiet hours, 23:xx local in \(r.zone)] smoke alarm at the landlord \(r.smokeDelayMs) ms after the detector published; battery_low held until \(r.batteryRow.nextAttemptAt) (\((r.batteryRow.nextAttemptAt - r.batteryRow.createdAt) / 60_000) min)")
        #expect(r.smokeDelayMs < 2000, "a detector's alarm reaches the landlord within 2 s at any hour")
        #expect(r.batteryRow.state == .pending)
        #expect(r.batteryRow.attempts == 0)
        #expect(r.batteryRow.nextAttemptAt == Self.quietEnd(at: r.batteryRow.createdAt, offsetHours: r.offsetHours), "held until 07:00 local")
        #expect(!r.landlordGotBattery)
    }

    @Test func atTenInTheMorningLocalBothGoAtOnce() async throws {
        let r = try await run(localHour: 10)
        print("[daytime, 10:xx local in \(r.zone)] smoke alarm at the landlord \(r.smokeDelayMs) ms after the detector published; battery_low after \(r.batteryDelayMs.map(String.init) ?? "never") ms")
        #expect(r.smokeDelayMs < 2000, "a detector's alarm reaches the landlord within 2 s at any hour")
        #expect(r.batteryRow.nextAttemptAt == r.batteryRow.createdAt, "not held outside quiet hours")
        #expect(r.landlordGotBattery)
        #expect((r.batteryDelayMs ?? .max) < 10_000)
    }
}
