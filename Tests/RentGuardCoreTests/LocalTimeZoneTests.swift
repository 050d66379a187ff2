import RentGuardCore
import Testing

/// The gateway's local time as a pure value, and the rules and estimator that use it.
struct LocalTimeZoneTests {
    static let hour: Int64 = 3_600_000
    /// Europe/Paris in 2026: CET, CEST from 03-29 01:00 UTC, CET from 10-25 01:00 UTC.
    static let paris = LocalTimeZone(
        name: "Paris 2026", transitions: [1_774_746_000_000, 1_792_890_000_000], offsetsMs: [hour, 2 * hour, hour])

    @Test func fixedOffsets() {
        let z = LocalTimeZone.chinaStandardTime
        #expect(z.isFixed)
        #expect(z.offsetMs(at: 0) == 8 * Self.hour)
        // 2026-01-01 00:00 UTC is 08:00 local; 16:00 UTC is local midnight of the next day.
        #expect(z.localHour(1_767_225_600_000) == 8)
        #expect(z.localDay(1_767_225_600_000 + 16 * Self.hour) == z.localDay(1_767_225_600_000) + 1)
        #expect(z.startOfLocalDay(z.localDay(1_767_225_600_000)) == 1_767_225_600_000 - 8 * Self.hour)
        // Before 1970 the day number is floored, not truncated.
        #expect(LocalTimeZone.utc.localDay(-1) == -1)
        #expect(LocalTimeZone.utc.localHour(-Self.hour) == 23)
        #expect(LocalTimeZone(name: "UTC-5", fixedOffsetSeconds: -5 * 3600).localMinuteOfDay(0) == 19 * 60)
    }

    @Test func transitionsAndWallClockConversions() {
        let z = Self.paris
        let spring: Int64 = 1_774_746_000_000
        #expect(z.offsetMs(at: spring - 1) == Self.hour)
        #expect(z.offsetMs(at: spring) == 2 * Self.hour)
        #expect(z.offsetHours(at: spring) == 2)
        // Round trips wherever the local time exists once.
        for t in stride(from: spring - 30 * Self.hour, to: spring + 30 * Self.hour, by: 15 * 60_000) {
            #expect(z.utc(fromLocal: z.localMs(t)) == t)
        }
        // Redundant transitions (to the same offset) are dropped.
        let same = LocalTimeZone(name: "x", transitions: [10, 20], offsetsMs: [0, 0, Self.hour])
        #expect(same == LocalTimeZone(name: "x", transitions: [20], offsetsMs: [0, Self.hour]))
    }

    @Test func rulesTakeTheirNightWindowFromTheGatewayZone() {
        // A charge from 21:00 China time: inside the night window (19:00-06:00) in the gateway's
        // zone. The same readings on a gateway in UTC start at 13:00: not a night charge.
        let inputs = RuleMeterTests().flat(days: 6, chargeNight: 4).inputs
        let china = T.run(T.config(devices: [T.meter()]), inputs).out
        #expect(T.raised(china, .indoorEbikeCharging).count == 1)
        let utc = T.run(T.config(devices: [T.meter()], zone: .utc), inputs).out
        #expect(T.raised(utc, .indoorEbikeCharging).isEmpty)
    }

    @Test func occupancyDaysEndAtLocalMidnightOfTheGatewayZone() {
        for (zone, midnightUTC) in [(LocalTimeZone.chinaStandardTime, Int64(16)), (.utc, 24), (LocalTimeZone(name: "UTC-5", fixedOffsetSeconds: -5 * 3600), 5)] {
            let cfg = T.config(devices: [T.meter()], units: [UnitConfig(id: "101", areaM2: 40, registeredOccupants: 2)], zone: zone)
            var est = OccupancyEstimator(config: cfg, thresholds: Thresholds())
            est.observe(Reading(device: "PM-101", ts: T.t0, observation: .telemetry(.power(PowerTelemetry(powerW: 100)))))
            // 2026-01-01 00:00 UTC (19:00 the day before in UTC-5); the local day closes 2 h after it ends.
            #expect(est.nextDeadline == T.t0 + (midnightUTC + 2) * Self.hour, "\(zone)")
        }
    }
}
