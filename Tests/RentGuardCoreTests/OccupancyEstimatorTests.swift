import Testing
@testable import RentGuardCore

@Suite struct OccupancyEstimatorTests {
    // MARK: - Known occupants

    @Test func estimatesNearTruthInAnHonestBuilding() throws {
        // Households differ by ±12 % (log σ) on top of ±20 % day to day.
        let b = SyntheticBuilding.honest(count: 20, days: 35, habitSigma: 0.12)
        let out = b.run()
        var errors: [Double] = []
        var covered = 0
        for u in b.units {
            let late = out.estimates(of: u.id).filter { $0.periodStart >= SyntheticBuilding.start + 21 * SyntheticBuilding.day }
            #expect(late.count >= 13, "unit \(u.id) has \(late.count) late estimates")
            for e in late {
                let r = try #require(e.rolling)
                errors.append(abs(r - Double(u.people)))
                if e.rollingLow! <= Double(u.people) && Double(u.people) <= e.rollingHigh! { covered += 1 }
            }
        }
        let mae = errors.reduce(0, +) / Double(errors.count)
        #expect(mae < 0.5, "MAE \(mae)")
        #expect(errors.filter { $0 <= 1 }.count >= errors.count * 90 / 100)
        // Nominal 80 %; a 19-unit calibration estimates its spread roughly.
        #expect(covered >= errors.count * 70 / 100, "coverage \(covered)/\(errors.count)")
        #expect(out.conditions.isEmpty)
        #expect(!out.estimates.contains { $0.groupRentalSuspected })
    }

    @Test func waterAndPowerTogetherStayNearTruth() throws {
        let b = SyntheticBuilding.honest(count: 15, days: 30, power: true, seed: 11)
        let out = b.run()
        var total = 0.0
        for u in b.units {
            let last = try #require(out.estimates(of: u.id).last)
            let r = try #require(last.rolling)
            total += abs(r - Double(u.people))
            #expect(abs(r - Double(u.people)) < 1.5, "\(u.id): \(r) vs \(u.people)")
            let meters = try #require(last.evidence["meters"]?.arrayValue)
            #expect(meters.map { $0["kind"] } == ["water", "electricity"])
        }
        #expect(total / Double(b.units.count) < 0.5)
    }

    @Test func oneEstimatePerUnitPerDayWithLocalDayBounds() {
        let b = SyntheticBuilding.honest(count: 6, days: 5)
        let out = b.run()
        // Day 0 starts at the first reading (7 minutes past midnight): covered enough, scaled up.
        for u in b.units {
            let es = out.estimates(of: u.id)
            #expect(es.count == 5)
            for (k, e) in es.enumerated() {
                #expect(e.periodStart == SyntheticBuilding.start + Int64(k) * SyntheticBuilding.day)
                #expect(e.periodEnd - e.periodStart == SyntheticBuilding.day)
            }
        }
    }

    @Test func periodClosesOnlyAfterTheGrace() {
        let b = SyntheticBuilding.honest(count: 6, days: 3)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        let day2 = SyntheticBuilding.start + 2 * SyntheticBuilding.day
        for r in b.readings() where r.ts < day2 { est.observe(r) }
        #expect(est.nextDeadline == SyntheticBuilding.start + SyntheticBuilding.day + 2 * SyntheticBuilding.hour)
        #expect(est.advance(to: SyntheticBuilding.start + SyntheticBuilding.day + 2 * SyntheticBuilding.hour - 1).isEmpty)
        // Day 0 closes at 02:00 on day 1, day 1 at 02:00 on day 2.
        let o0 = est.advance(to: SyntheticBuilding.start + SyntheticBuilding.day + 2 * SyntheticBuilding.hour)
        #expect(o0.estimates.count == 6)
        #expect(o0.estimates.allSatisfy { $0.periodStart == SyntheticBuilding.start })
        #expect(est.advance(to: day2 + 2 * SyntheticBuilding.hour - 1).isEmpty)
        let o1 = est.advance(to: day2 + 2 * SyntheticBuilding.hour)
        #expect(o1.estimates.count == 6)
    }

    // MARK: - Robustness: reset, gap, leak, holiday

    @Test func meterResetIsNotAPhantom() throws {
        var b = SyntheticBuilding.honest(count: 12, days: 30)
        b.units[0].registerReplacedAt = (day: 20, hour: 10)
        b.units[0].replacedRegister = 0  // a new meter starting at zero
        b.units[1].registerReplacedAt = (day: 20, hour: 10)
        b.units[1].replacedRegister = 9_000_000  // a swap to a meter far ahead
        let out = b.run()
        for i in 0..<2 {
            let u = b.units[i]
            for e in out.estimates(of: u.id) where e.periodStart >= SyntheticBuilding.start + 14 * SyntheticBuilding.day {
                #expect(abs(e.dayEstimated - Double(u.people)) < 1.5, "\(u.id) day estimate \(e.dayEstimated)")
                #expect(abs(e.rolling! - Double(u.people)) < 1, "\(u.id) rolling \(e.rolling!)")
            }
        }
        let resetDay = out.estimates(of: b.units[0].id).first { $0.periodStart == SyntheticBuilding.start + 20 * SyntheticBuilding.day }
        let meter = try #require(resetDay?.evidence["meters"]?.arrayValue?.first)
        #expect(meter["register_resets"] == 1)
        let jumpDay = out.estimates(of: b.units[1].id).first { $0.periodStart == SyntheticBuilding.start + 20 * SyntheticBuilding.day }
        #expect(jumpDay?.evidence["meters"]?.arrayValue?.first?["implausible_jumps"] == 1)
        #expect(out.conditions.isEmpty)
    }

    @Test func gapsLoseNoVolumeAndLongGapsMakeNoPhantom() throws {
        var b = SyntheticBuilding.honest(count: 12, days: 30)
        b.units[0].missingHours = (20 * 24 + 6)..<(20 * 24 + 18)  // 12 h without readings
        b.units[1].missingHours = (15 * 24 + 3)..<(18 * 24 + 9)  // 78 h: longer than max_interval_h
        let out = b.run()
        let u0 = out.estimates(of: b.units[0].id)
        let day20 = try #require(u0.first { $0.periodStart == SyntheticBuilding.start + 20 * SyntheticBuilding.day })
        #expect(abs(day20.dayEstimated - Double(b.units[0].people)) < 1.2)
        let u1 = out.estimates(of: b.units[1].id)
        // The gap days have no estimate; none afterwards is inflated by the register difference.
        #expect(!u1.contains { $0.periodStart == SyntheticBuilding.start + 16 * SyntheticBuilding.day })
        #expect(!u1.contains { $0.periodStart == SyntheticBuilding.start + 17 * SyntheticBuilding.day })
        for e in u1 where e.periodStart >= SyntheticBuilding.start + 14 * SyntheticBuilding.day {
            #expect(e.dayEstimated < Double(b.units[1].people) + 1.5, "day \(e.periodStart): \(e.dayEstimated)")
            #expect(e.rolling! < Double(b.units[1].people) + 1)
        }
        #expect(out.conditions.isEmpty)
    }

    @Test func continuousNightFlowIsSubtractedAsALeak() {
        var b = SyntheticBuilding.honest(count: 12, days: 30)
        b.units[0].people = 2
        b.units[0].registered = 2
        b.units[0].leakLPerH = 25  // 600 L a day: more than two people use
        let out = b.run()
        let es = out.estimates(of: b.units[0].id).filter { $0.periodStart >= SyntheticBuilding.start + 14 * SyntheticBuilding.day }
        #expect(!es.isEmpty)
        for e in es {
            #expect(abs(e.rolling! - 2) < 1, "rolling \(e.rolling!)")
            #expect(abs(e.dayEstimated - 2) < 1.5)
            #expect(!e.groupRentalSuspected)
        }
        let night = es.last?.evidence["meters"]?.arrayValue?.first?["night_base_l_per_h"]?.doubleValue
        #expect(night.map { abs($0 - 25) < 0.5 } == true, "night base \(String(describing: night))")
        #expect(out.conditions.isEmpty)
    }

    @Test func holidayIsZeroPresentNotAFlag() throws {
        var b = SyntheticBuilding.honest(count: 12, days: 40)
        b.units[0].people = 3
        b.units[0].registered = 3
        b.units[0].absentDays = Set(18..<30)
        b.units[0].leakLPerH = 3  // a dripping tap while away
        let out = b.run()
        let es = out.estimates(of: b.units[0].id)
        for e in es {
            let d = Int((e.periodStart - SyntheticBuilding.start) / SyntheticBuilding.day)
            if (18..<30).contains(d) {
                #expect(e.dayEstimated == 0, "day \(d): \(e.dayEstimated)")
                #expect(e.dayLow == 0)
            }
            if let r = e.rolling { #expect(r < 3 + 1, "day \(d) rolling \(r)") }
            #expect(!e.groupRentalSuspected)
        }
        // Back home: the estimate returns to the truth.
        let last = try #require(es.last)
        #expect(abs(last.rolling! - 3) < 1)
        #expect(out.conditions.isEmpty)
    }

    // MARK: - Calibration

    @Test func calibratesOnTheBuildingNotOnANationalFigure() throws {
        // A frugal building (half the default 150 L per person): still near the truth.
        var b = SyntheticBuilding.honest(count: 20, days: 35)
        b.fixedL = 30
        b.perPersonL = 55
        let out = b.run()
        let last = try #require(out.estimates(of: b.units[3].id).last)
        #expect(abs(last.rolling! - Double(b.units[3].people)) < 1)
        let model = last.evidence["meters"]?.arrayValue?.first?["model"]
        #expect(model?["source"] == "building")
        #expect(model?["per_person_day"]?.doubleValue.map { abs($0 - 55) < 15 } == true)
    }

    @Test func fallsBackToPublishedFiguresAndHonoursExplicitOnes() throws {
        var b = SyntheticBuilding.honest(count: 3, days: 12)  // too few units to calibrate
        b.fixedL = 0
        b.perPersonL = 150
        let out = b.run()
        let last = try #require(out.estimates(of: b.units[2].id).last)
        #expect(last.evidence["meters"]?.arrayValue?.first?["model"]?["source"] == "fallback")
        #expect(abs(last.rolling! - 3) < 1)

        b.perPersonL = 300
        let out2 = b.run(thresholds: ["occupancy": ["water_l_per_person_day": 300]])
        let last2 = try #require(out2.estimates(of: b.units[2].id).last)
        #expect(last2.evidence["meters"]?.arrayValue?.first?["model"]?["source"] == "configured")
        #expect(abs(last2.rolling! - 3) < 1)
    }

    @Test func registrationIsAPriorThatClearEvidenceOverrules() throws {
        var b = SyntheticBuilding.honest(count: 20, days: 30)
        let honest = try #require(b.run().estimates(of: b.units[4].id).last)
        #expect(honest.rolling == 5)
        b.units[4].registered = 1  // 5 people registered as 1
        let out = b.run()
        let dishonest = try #require(out.estimates(of: b.units[4].id).last)
        #expect(dishonest.rolling.map { abs($0 - 5) <= 1 } == true, "\(String(describing: dishonest.rolling))")
        #expect(dishonest.groupRentalSuspected)
        let p = try #require(dishonest.evidence["posterior"]?["p_at_least_registered_plus_2"]?.doubleValue)
        #expect(p >= 0.9)
        // An honest registration with unusual habits (+30 %) stays at its registration.
        var c = SyntheticBuilding.honest(count: 20, days: 30)
        c.units[2].habit = 1.3
        let thrifty = try #require(c.run().estimates(of: c.units[2].id).last)
        #expect(thrifty.rolling == Double(c.units[2].people))
    }

    @Test func calibrationIsRobustToManyDishonestUnits() throws {
        // A third of the building under-registered by 4–10 persons: a median-per-size fit is
        // pulled up by them; the fit with registrations as a prior is not.
        let honest = SyntheticBuilding.honest(count: 12, days: 35)
        var b = honest
        for (i, extra) in [(0, 10), (5, 6), (7, 4), (9, 8)] { b.units[i].people += extra }
        let reference = honest.run(), out = b.run()
        for u in b.units {
            let r = try #require(out.estimates(of: u.id).last?.rolling)
            if u.people == u.registered {
                let r0 = try #require(reference.estimates(of: u.id).last?.rolling)
                #expect(abs(r - r0) <= 1, "\(u.id): \(r) with 4 dishonest units, \(r0) without")
                #expect(!out.estimates(of: u.id).contains { $0.groupRentalSuspected })
            } else {
                // Within 20 % (the model is multiplicative; a 13-person flat within ±2.6).
                #expect(abs(r - Double(u.people)) <= max(1.5, 0.2 * Double(u.people)), "\(u.id): \(r) for \(u.people)")
                #expect(out.estimates(of: u.id).last?.groupRentalSuspected == true, "\(u.id)")
            }
        }
        let model = try #require(out.estimates(of: b.units[1].id).last?.evidence["meters"]?.arrayValue?.first?["model"])
        #expect(model["per_person_day"]?.doubleValue.map { abs($0 - 110) < 25 } == true, "\(model.serialized())")
    }

    // MARK: - Output

    @Test func registryBodyHasTheProtocolFieldsInOrder() throws {
        let b = SyntheticBuilding.honest(count: 8, days: 6)
        let e = try #require(b.run().estimates.last)
        let id = e.messageID(building: "B1")
        let body = e.registryBody(building: "B1", gateway: "gw-test", messageID: id)
        guard case let .object(m) = body else {
            Issue.record("not an object")
            return
        }
        let section32 = [
            "message_id", "building", "gateway", "unit", "period_start", "period_end", "estimated_occupants", "low", "high",
            "registered_occupants", "area_m2", "group_rental_suspected", "reasons",
        ]
        #expect(Array(m.map(\.0).prefix(section32.count)) == section32)
        #expect(!m.contains { $0.0 == "sent_at" })
        #expect(body["message_id"] == .string(id))
        #expect(body["unit"] == .string(e.unit))
        #expect(body["period_start"] == JSONValue(e.periodStart))
        #expect(body["registered_occupants"] == JSONValue(e.registeredOccupants))
        #expect(body["group_rental_suspected"] == .bool(false))
        #expect(body["reasons"] == .array([]))
        #expect(body["low"]!.doubleValue! <= body["estimated_occupants"]!.doubleValue!)
        #expect(body["estimated_occupants"]!.doubleValue! <= body["high"]!.doubleValue!)
        // v1.1: estimated_occupants, low, high are the posterior and its bounds; the day's own
        // figures follow under their own names, and no rolling_* duplicates them.
        let rolling = try #require(e.rolling)
        #expect(body["estimated_occupants"] == .number(OccMath.round(rolling)))
        #expect(body["low"] == .number(OccMath.round(try #require(e.rollingLow))))
        #expect(body["high"] == .number(OccMath.round(try #require(e.rollingHigh))))
        #expect(body["estimate_basis"] == "posterior")
        #expect(body["day_estimated_occupants"] == .number(OccMath.round(e.dayEstimated)))
        #expect(body["day_low"] == .number(OccMath.round(e.dayLow)))
        #expect(body["day_high"] == .number(OccMath.round(e.dayHigh)))
        #expect(body["rolling_estimate"] == nil && body["rolling_low"] == nil && body["rolling_high"] == nil)
        // The payload as sent gets sent_at in front and stays valid JSON.
        let payload = RegistryMessage.payload(body.serialized(), sentAt: 1)
        #expect(payload.hasPrefix("{\"sent_at\":1,\"message_id\":"))
    }

    /// Issue 27: `estimated_occupants` is the best estimate. Before the rolling window has
    /// `min_rolling_days` usable days it is the registration prior's median (basis
    /// `registration`), never the first day's raw figure; from then on it is the posterior.
    @Test func estimatedOccupantsIsThePosteriorOrThePrior() throws {
        var b = SyntheticBuilding.honest(count: 8, days: 10)
        b.units[0].people = 6
        b.units[0].registered = 2
        let es = b.run().estimates(of: b.units[0].id)
        let first = try #require(es.first)
        #expect(first.rolling == nil)
        #expect(first.basis == .registration)
        #expect(first.estimated == 2, "the prior's median is the registration")
        #expect(first.low <= 2 && 2 <= first.high)
        #expect(first.dayEstimated != first.estimated, "the day's own figure (\(first.dayEstimated)) stays evidence")
        let late = try #require(es.last)
        let rolling = try #require(late.rolling)
        #expect(late.basis == .posterior)
        #expect(late.estimated == rolling && late.low == late.rollingLow && late.high == late.rollingHigh)
        for e in es {
            #expect(e.low <= e.estimated && e.estimated <= e.high)
            let body = e.registryBody(building: "B1", gateway: "g", messageID: "m")
            #expect(body["estimated_occupants"] == .number(OccMath.round(e.estimated)))
            #expect(body["estimate_basis"] == .string(e.basis.rawValue))
        }
    }

    @Test func sameInputSameOutput() {
        var b = SyntheticBuilding.honest(count: 12, days: 20, power: true)
        b.units[0].people = 14
        b.units[0].registered = 2
        b.units[1].leakLPerH = 10
        let a = b.run()
        let c = b.run()
        #expect(a == c)
        #expect(a.estimates.map { $0.registryBody(building: "B1", gateway: "g", messageID: "m").serialized() }
            == c.estimates.map { $0.registryBody(building: "B1", gateway: "g", messageID: "m").serialized() })
    }

    @Test func ignoresNonMetersEventsAndUnknownDevices() {
        let b = SyntheticBuilding.honest(count: 6, days: 3)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        est.observe(Reading(device: "SD-1", ts: SyntheticBuilding.start, observation: .telemetry(.smoke(SmokeTelemetry(obscurationPctPerM: 1)))))
        est.observe(Reading(device: "nobody", ts: SyntheticBuilding.start, observation: .telemetry(.water(WaterTelemetry(volumeL: 5)))))
        est.observe(Reading(device: "WM-U100", ts: SyntheticBuilding.start, observation: .event(DeviceEvent(name: .tamper))))
        #expect(est.nextDeadline == .max)
        #expect(est.advance(to: SyntheticBuilding.start + 10 * SyntheticBuilding.day).isEmpty)
    }

    @Test func powerOnlyMetersIntegratePower() throws {
        // A power meter without an energy register: power_w samples every 10 minutes.
        var cfg = BuildingConfig(gateway: GatewayIdentity(id: "g", building: "B"))
        for i in 0..<6 {
            cfg.units.append(UnitConfig(id: "U\(i)", areaM2: 50, registeredOccupants: 1 + i % 3))
            cfg.devices.append(DeviceConfig(id: "PM-\(i)", kind: .powerMeter, unit: "U\(i)"))
        }
        var est = OccupancyEstimator(config: cfg, thresholds: Thresholds(), options: OccupancyOptions(utcOffsetSeconds: 0))
        var out: [OccupancyEstimate] = []
        let step: Int64 = 600_000
        for k in 0..<(20 * 144) {
            let ts = Int64(k) * step
            let hour = (ts / 3_600_000) % 24
            for i in 0..<6 {
                let n = Double(1 + i % 3)
                let w = 50 + (hour >= 7 && hour < 23 ? (60 + 90 * n) * 24 / 16 : 0)  // kWh/day = 1.2 + (1.44 + 2.16 n)
                est.observe(Reading(device: "PM-\(i)", ts: ts, observation: .telemetry(.power(PowerTelemetry(powerW: w)))))
            }
            if ts >= est.nextDeadline { out += est.advance(to: ts).estimates }
        }
        let last = try #require(out.last { $0.unit == "U2" })
        #expect(abs(last.rolling! - 3) < 0.5, "\(last.rolling!)")
        #expect(last.evidence["meters"]?.arrayValue?.first?["kind"] == "electricity")
    }
}
