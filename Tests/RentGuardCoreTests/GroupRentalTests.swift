import Testing
@testable import RentGuardCore

@Suite struct GroupRentalTests {
    static func settings(_ t: [String: Double] = [:]) -> OccupancySettings {
        OccupancySettings(Thresholds(building: ["group_rental": t]))
    }

    static func unit(area: Double = 80, complete: Bool = true, registered: Int = 3, rooms: Int? = nil) -> UnitConfig {
        UnitConfig(id: "301", areaM2: area, completeFlat: complete, registeredOccupants: registered, roomsRented: rooms)
    }

    /// A posterior with the given probabilities (the rest spread evenly is not needed: they sum to 1).
    static func post(_ p: [Int: Double]) -> OccupancyPosterior {
        var v = Array(repeating: 0.0, count: 31)
        for (n, x) in p { v[n] = x }
        return OccupancyPosterior(p: v, baseline: nil, changeProbability: nil)
    }

    static func eval(_ u: UnitConfig, _ p: [Int: Double], _ t: [String: Double] = [:]) -> GroupRentalTracker.Verdict {
        let post = Self.post(p)
        return GroupRentalTracker.evaluate(unit: u, posterior: post, rolling: post.median, settings: Self.settings(t), windowDays: 14)
    }

    // MARK: - Each criterion, on the posterior probability

    @Test func tenantsCriterionNeedsTheProbabilityOfTenOrMore() {
        let u = Self.unit(area: 500, registered: 12)
        let hit = Self.eval(u, [10: 0.5, 11: 0.45, 9: 0.05])
        #expect(hit.criteria.contains("tenants"))
        #expect(hit.reasons.first?.contains("P(≥ 10 tenants) = 95 %") == true)
        let miss = Self.eval(u, [10: 0.5, 11: 0.35, 9: 0.15])  // 85 % < 90 %
        #expect(!miss.criteria.contains("tenants"))
        #expect(miss.probabilities.first { $0.0 == "tenants" }.map { abs($0.1 - 0.85) < 1e-9 } == true)
    }

    @Test func areaCriterionCompleteAndNonComplete() {
        // 45 m² complete flat: 5 or more persons is < 10 m² each (and ≥ 4 persons).
        let complete = Self.eval(Self.unit(area: 45, registered: 5), [5: 0.6, 6: 0.35, 4: 0.05])
        #expect(complete.criteria == ["area"])
        #expect(complete.reasons.first?.contains("≥ 5 persons in 45 m², < 10 m² per person (complete flat)") == true)
        // The same in a non-complete dwelling: needs 10 or more (< 5 m² each).
        let nonComplete = Self.eval(Self.unit(area: 45, complete: false, registered: 5), [5: 0.6, 6: 0.35, 4: 0.05])
        #expect(nonComplete.criteria.isEmpty)
        // 18 m² non-complete with 4: 4.5 m² < 5 m².
        let small = Self.eval(Self.unit(area: 18, complete: false, registered: 4), [4: 0.95, 3: 0.05])
        #expect(small.criteria == ["area"])
    }

    @Test func areaCriterionNeedsFourPersonsByDefault() {
        // A family of three in 25 m² is crowded, not a group rental by the ordinance.
        let family = Self.eval(Self.unit(area: 25, registered: 3), [3: 1])
        #expect(family.criteria.isEmpty)
        let plain = Self.eval(Self.unit(area: 25, registered: 3), [3: 1], ["area_min_persons": 0])
        #expect(plain.criteria == ["area"])
    }

    @Test func unknownAreaNeverFires() {
        let e = Self.eval(Self.unit(area: 0, registered: 8), [8: 1])
        #expect(e.criteria.isEmpty)
    }

    @Test func perRoomCriterionIsOffUnlessConfigured() {
        let u = Self.unit(area: 200, registered: 7, rooms: 3)
        #expect(Self.eval(u, [7: 0.95, 8: 0.05]).criteria.isEmpty)
        // Shanghai: more than 2 per room, i.e. 7 or more in 3 rooms.
        let sh = Self.eval(u, [7: 0.95, 8: 0.05], ["max_persons_per_room": 2])
        #expect(sh.criteria == ["per_room"])
        #expect(sh.reasons.first?.contains("> 2 per room in 3 rented rooms") == true)
    }

    @Test func registeredMarginOnTheProbabilityOrTheMedian() {
        let u = Self.unit(area: 200, registered: 2)
        // P(≥ 4) = 0.7: likely, not likely enough for an inspection.
        let p = [3: 0.3, 4: 0.4, 5: 0.3]
        #expect(Self.eval(u, p).criteria.isEmpty)
        let median = Self.eval(u, p, ["use_low_bound": 0])  // the median (4) reaches 2 + 2
        #expect(median.criteria == ["registered"])
        #expect(median.reasons.first?.hasPrefix("P(≥ 4 persons, 2 registered + 2) = 70 %") == true)
        #expect(Self.eval(u, p, ["flag_probability": 0.6]).criteria == ["registered"])
        #expect(Self.eval(u, [5: 1], ["registered_margin": -1]).criteria.isEmpty)
    }

    @Test func noPosteriorNoCriterion() {
        let v = GroupRentalTracker.evaluate(unit: Self.unit(area: 20, registered: 1), posterior: nil, rolling: 0, settings: Self.settings(), windowDays: 14)
        #expect(v.criteria.isEmpty)
    }

    // MARK: - K days running

    @Test func raisesAfterKDaysRunningAndClearsAfterKQuietDays() {
        var t = GroupRentalTracker()
        for _ in 0..<6 { #expect(t.step(holds: true, daysRunning: 7, clearDays: 7) == nil) }
        #expect(t.step(holds: false, daysRunning: 7, clearDays: 7) == nil)  // the run breaks
        for _ in 0..<6 { #expect(t.step(holds: true, daysRunning: 7, clearDays: 7) == nil) }
        #expect(t.step(holds: true, daysRunning: 7, clearDays: 7) == true)
        #expect(t.step(holds: true, daysRunning: 7, clearDays: 7) == nil)
        for _ in 0..<6 { #expect(t.step(holds: false, daysRunning: 7, clearDays: 7) == nil) }
        #expect(t.active)
        #expect(t.step(holds: false, daysRunning: 7, clearDays: 7) == false)
        #expect(!t.active)
    }

    // MARK: - End to end on synthetic meters

    @Test func overcrowdedUnitIsFlaggedAfterKDaysWithReasons() throws {
        var b = SyntheticBuilding.honest(count: 20, days: 40)
        b.units[7].people = 14
        b.units[7].registered = 2
        b.units[7].areaM2 = 60
        let out = b.run()
        let id = b.units[7].id
        let raised = out.conditions.filter { $0.active }
        #expect(raised.count == 1)
        let c = try #require(raised.first)
        #expect(c.key == AlarmKey(type: .groupRentalSuspected, unit: id))
        #expect(c.severity == .warning)
        #expect(c.evidence["rule"] == "group_rental")
        #expect(c.evidence["registered_occupants"] == 2)
        #expect(c.evidence["reasons"]?.arrayValue?.isEmpty == false)
        // Not before K assessed days with a criterion.
        let es = out.estimates(of: id)
        let firstFlag = try #require(es.firstIndex { $0.groupRentalSuspected })
        let firstHolding = try #require(es.firstIndex { !$0.reasons.isEmpty })
        #expect(firstFlag - firstHolding == 6)
        #expect(c.at == es[firstFlag].periodEnd)
        let flagged = es[firstFlag]
        #expect(flagged.reasons.contains { $0.contains("2 registered + 2") })
        #expect(flagged.reasons.contains { $0.contains("< 10 m² per person") })
        #expect(c.evidence["posterior"]?["p_at_least_registered_plus_2"]?.doubleValue.map { $0 >= 0.9 } == true)
        let body = flagged.registryBody(building: "B1", gateway: "gw", messageID: flagged.messageID(building: "B1"))
        #expect(body["group_rental_suspected"] == .bool(true))
        #expect(body["reasons"]?.arrayValue?.isEmpty == false)
        // Every other unit stays quiet.
        #expect(out.conditions.allSatisfy { $0.key.unit == id })
        #expect(out.estimates.filter { $0.unit != id }.allSatisfy { !$0.groupRentalSuspected })
    }

    @Test func tenCrowdRaisesTheTenantCriterion() throws {
        var b = SyntheticBuilding.honest(count: 20, days: 35)
        b.units[3].people = 22
        b.units[3].registered = 20  // registered honestly, but 10 or more is a group rental anyway
        b.units[3].areaM2 = 1000
        let out = b.run()
        let last = try #require(out.estimates(of: b.units[3].id).last)
        #expect(last.rollingLow! >= 10)
        #expect(last.groupRentalSuspected)
        #expect(last.reasons.first?.contains("≥ 10 tenants") == true)
        #expect(last.evidence["group_rental"]?["criteria"] == .array(["tenants"]))
    }

    @Test func moveInRaisesAndMoveOutClears() {
        var b = SyntheticBuilding.honest(count: 20, days: 70)
        b.units[2].people = 2
        b.units[2].registered = 2
        b.units[2].areaM2 = 70
        b.units[2].crowd = (10..<40, 12)
        let out = b.run()
        let c = out.conditions.filter { $0.key.unit == b.units[2].id }
        #expect(c.map(\.active) == [true, false])
        let raisedDay = (c[0].at - SyntheticBuilding.start) / SyntheticBuilding.day
        let clearedDay = (c[1].at - SyntheticBuilding.start) / SyntheticBuilding.day
        #expect(raisedDay > 16 && raisedDay < 30, "raised on day \(raisedDay)")
        #expect(clearedDay > 40 && clearedDay < 62, "cleared on day \(clearedDay)")
        #expect(out.conditions.count == 2)
    }

    @Test func aStepInTheUnitsOwnUseFlagsWhatTheBuildingComparisonMisses() throws {
        // Real-world habits (±35 %): a frugal 2-person flat becomes 7 on day 35. Its new use is
        // what a typical 4-person flat uses, so the building comparison sees little; its own
        // history sees its use multiply by 2.4 overnight.
        var b = SyntheticBuilding.honest(count: 20, days: 70, habitSigma: 0.35)
        b.units[6].people = 2
        b.units[6].registered = 2
        b.units[6].habit = 0.55
        b.units[6].crowd = (35..<70, 7)
        let id = b.units[6].id
        let out = b.run()
        let raised = try #require(out.conditions.first { $0.key.unit == id && $0.active })
        let day = (raised.at - SyntheticBuilding.start) / SyntheticBuilding.day
        #expect(day > 35 && day <= 35 + 21, "raised on day \(day)")
        let meter = raised.evidence["meters"]?.arrayValue?.first
        #expect(meter?["own_step_log"]?.doubleValue.map { $0 > 0.4 } == true)
        #expect(raised.evidence["posterior"]?["baseline_mode"] == 2)
        // The same building without the unit's own history: the step is invisible.
        let blind = b.run(thresholds: ["occupancy": ["baseline_window_days": 0]])
        #expect(!blind.conditions.contains { $0.key.unit == id })
        // Nobody else is flagged in either run.
        #expect(out.conditions.allSatisfy { $0.key.unit == id })
    }

    @Test func aSingleOddDayRaisesNothing() {
        var b = SyntheticBuilding.honest(count: 20, days: 45)
        b.units[4].crowd = (30..<31, 25)  // one day with 25 people's water (a party, a burst pipe)
        let out = b.run()
        #expect(out.conditions.isEmpty)
        #expect(!out.estimates.contains { $0.groupRentalSuspected })
    }

    @Test func publicVenueManagedFromRoomsRented() throws {
        var b = SyntheticBuilding.honest(count: 8, days: 6)
        b.units[0].roomsRented = 12
        b.units[1].roomsRented = 9
        let out = b.run()
        #expect(out.estimates(of: b.units[0].id).allSatisfy { $0.publicVenueManaged })
        #expect(out.estimates(of: b.units[1].id).allSatisfy { !$0.publicVenueManaged })
        let body = try #require(out.estimates(of: b.units[0].id).last).registryBody(building: "B1", gateway: "g", messageID: "m")
        #expect(body["public_venue_managed"] == .bool(true))
    }

    @Test func restoredAlarmClearsAfterQuietDays() {
        let b = SyntheticBuilding.honest(count: 10, days: 20)
        var est = OccupancyEstimator(config: b.config, thresholds: Thresholds())
        let key = AlarmKey(type: .groupRentalSuspected, unit: b.units[0].id)
        est.restore(Alarm(id: "a", key: key, state: .raised, severity: .warning, location: nil, startedAt: 0, updatedAt: 0, evidence: .object([])))
        var conds: [Condition] = []
        for r in b.readings() {
            if r.ts >= est.nextDeadline { conds += est.advance(to: r.ts).conditions }
            est.observe(r)
        }
        #expect(conds.count == 1)
        #expect(conds.first?.key == key)
        #expect(conds.first?.active == false)
    }
}
