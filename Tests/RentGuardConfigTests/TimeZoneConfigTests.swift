import Foundation
import RentGuardCore
import Testing

@testable import RentGuardConfig

/// `gateway.timezone`: read from the system's zone files when the configuration is loaded.
struct TimeZoneConfigTests {
    @Test func defaultIsAsiaShanghai() throws {
        let c = try ConfigLoader.parse(yaml: validYAML, file: "t.yaml")
        #expect(c.gateway.timezone == "Asia/Shanghai")
        #expect(c.gateway.zone.name == "Asia/Shanghai")
        #expect(c.gateway.zone.offsetMs(at: 1_780_276_980_000) == 8 * 3_600_000)
    }

    @Test func aNamedZoneIsLoadedFromTheZoneFiles() throws {
        let c = try ConfigLoader.parse(yaml: changed(("building: test", "building: test\n  timezone: Europe/Paris")), file: "t.yaml")
        #expect(c.gateway.timezone == "Europe/Paris")
        #expect(c.gateway.zone.offsetMs(at: 1_774_746_000_000) == 2 * 3_600_000)  // 2026-03-29 01:00 UTC: summer time
        #expect(c.gateway.zone.offsetMs(at: 1_774_746_000_000 - 1) == 1 * 3_600_000)
    }

    @Test func unknownZoneIsAProblemWithItsLineAndADidYouMean() {
        let text = errorText(changed(("building: test", "building: test\n  timezone: Asia/Shangai")))
        #expect(text.contains("configs/test.yaml: line 4: gateway.timezone: unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"), "\(text)")
        let lower = errorText(changed(("building: test", "building: test\n  timezone: asia/shanghai")))
        #expect(lower.contains("(did you mean 'Asia/Shanghai'?)"), "\(lower)")
        // "UTC+8" is not a zone name; the hint gives the Etc zone with the right sign.
        let offset = errorText(changed(("building: test", "building: test\n  timezone: UTC+8")))
        #expect(offset.contains("unknown time zone 'UTC+8' (for a fixed UTC+8 write 'Etc/GMT-8'"), "\(offset)")
        let invalid = errorText(changed(("building: test", "building: test\n  timezone: ../../etc/passwd")))
        #expect(invalid.contains("gateway.timezone: unknown time zone '../../etc/passwd'"), "\(invalid)")
    }

    @Test func otherProblemsAreReportedAlongside() {
        let text = errorText(changed(("building: test", "building: test\n  timezone: Mars/Olympus"), ("url: mqtt://127.0.0.1:1883\nregistry", "url: ftp://x\nregistry")))
        #expect(text.contains("gateway.timezone: unknown time zone 'Mars/Olympus'"), "\(text)")
        #expect(text.contains("broker.url"), "\(text)")
    }

    @Test func withoutZoneDataTheDefaultFallsBackAndANamedZoneIsAnError() throws {
        var c = try ConfigLoader.parse(yaml: validYAML, file: "t.yaml")
        c.gateway.zone = .utc
        #expect(ConfigLoader.resolveTimeZone(&c, directory: "/nonexistent/zoneinfo") == nil)
        #expect(c.gateway.zone == .chinaStandardTime)
        c.gateway.timezone = "Europe/Paris"
        let p = try #require(ConfigLoader.resolveTimeZone(&c, directory: "/nonexistent/zoneinfo"))
        #expect(p.keyPath == "gateway.timezone")
        #expect(p.message == "no time zone data in /nonexistent/zoneinfo: install the tzdata package (scripts/install-deps.sh)")
    }

    @Test func utcOffsetThresholdPointsToTheGatewayZone() {
        let text = errorText(
            changed(("landlords:", "thresholds:\n  indoor_ebike_charging: {utc_offset_h: 0}\nlandlords:")),
            knownThresholds: ["indoor_ebike_charging": ["night_start_h"]])
        #expect(text.contains("thresholds.indoor_ebike_charging.utc_offset_h: 'utc_offset_h' is no longer a rule parameter: local time is the gateway's time zone, set it once as 'gateway.timezone'"), "\(text)")
    }
}
