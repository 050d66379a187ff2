import Testing
@testable import RentGuardCore

@Suite struct GroupRentalTests {
    static func settings(_ t: [String: Double] = [:]) -> OccupancySettings {
        OccupancySettings(Thresholds(building: ["group_rental": t]))
    }

    static func unit(area: Double = 80, complete: Bool = true, registered: Int = 3, rooms: Int? = nil) -> UnitConfig {
        UnitConfig(id: "301", areaM2: area, completeFlat: complete, registeredOccupants: registered, roomsRented: rooms)
    }

    // MARK: - Each criterion

    @Test func tenantsCriterionUsesTheLowBound() {
        let s = Self.settings()
        let hit = GroupRentalTracker.evaluate(unit: Self.unit(area: 500, registered: 12), rolling: 12, low: 10.2, settings: s, windowDays: 14)
        #expect(hit.criteria == ["tenants"])
        #expect(hit.reasons.first?.contains("10.2") == true)
        let miss = GroupRentalTracker.evaluate(unit: Self.unit(area: 500, registered: 12), rolling: 12, low: 9.8, settings: s, windowDays: 14)
        #expect(miss.criteria.isEmpty)
    }

    @Test func areaCriterionCompleteAndNonComplete() {
        let s = Self.settings()
        // 45 m² complete flat, 5 persons at the low bound: 9 m² each < 10 m².
        let complete = GroupRentalTracker.evaluate(unit: Self.unit(area: 45, registered: 5), rolling: 6, low: 5, settings: s, windowDays: 14)
        #expect(complete.criteria == ["area"])
        #expect(complete.reasons.first == "45 m² for 5 persons (14-day rolling low bound) = 9 m² per person < 10 m² (complete flat)")
        // The same in a non-complete dwelling: 9 m² ≥ 5 m².
        let nonComplete = GroupRentalTracker.evaluate(unit: Self.unit(area: 45, complete: false, registered: 5), rolling: 6, low: 5, settings: s, windowDays: 14)
        #expect(nonComplete.criteria.isEmpty)
        // 18 m² non-complete with 4: 4.5 m² < 5 m².
        let small = GroupRentalTracker.evaluate(unit: Self.unit(area: 18, complete: false, registered: 4), rolling: 4.5, low: 4, settings: s, windowDays: 14)
        #expect(small.criteria == ["area"])
    }

    @Test func areaCriterionNeedsFourPersonsByDefault() {
        // A family of three in 25 m² is crowded, not a group rental by the ordinance.
        let family = GroupRentalTracker.evaluate(unit: Self.unit(area: 25, registered: 3), rolling: 3.2, low: 3, settings: Self.settings(), windowDays: 14)
        #expect(family.criteria.isEmpty)
        let plain = GroupRentalTracker.evaluate(unit: Self.unit(area: 25, registered: 3), rolling: 3.2, low: 3, settings: Self.settings(["area_min_persons": 0]), windowDays: 14)
        #expect(plain.criteria == ["area"])
    }

    @Test func unknownAreaNeverFires() {
        let e = GroupRentalTracker.evaluate(unit: Self.unit(area: 0, registered: 8), rolling: 8, low: 7, settings: Self.settings(), windowDays: 14)
        #expect(e.criteria.isEmpty)
    }

    @Test func perRoomCriterionIsOffUnlessConfigured() {
        let u = Self.unit(area: 200, registered: 7, rooms: 3)
        #expect(GroupRentalTracker.evaluate(unit: u, rolling: 8, low: 7, settings: Self.settings(), windowDays: 14).criteria.isEmpty)
        // Shanghai: more than 2 per room.
        let sh = GroupRentalTracker.evaluate(unit: u, rolling: 8, low: 7, settings: Self.settings(["max_persons_per_room": 2]), windowDays: 14)
        #expect(sh.criteria == ["per_room"])
        #expect(sh.reasons.first?.contains("2.3 per room > 2") == true)
    }

    @Test func registeredMarginUsesTheLowBoundUnlessConfigured() {
        let u = Self.unit(area: 200, registered: 2)
        let low = GroupRentalTracker.evaluate(unit: u, rolling: 5, low: 3.5, settings: Self.settings(), windowDays: 14)
        #expect(low.criteria.isEmpty)  // 3.5 − 2 < 2
        let est = GroupRentalTracker.evaluate(unit: u, rolling: 5, low: 3.5, settings: Self.settings(["use_low_bound": 0]), windowDays: 14)
        #expect(est.criteria == ["registered"])
        #expect(est.reasons.first == "5 persons (14-day rolling estimate) exceed 2 registered by 3 ≥ 2")
        let off = GroupRentalTracker.evaluate(unit: u, rolling: 5, low: 4.5, settings: Self.settings(["registered_margin": -1]), windowDays: 14)
        #expect(off.criteria.isEmpty)
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
        #expect(flagged.reasons.contains { $0.contains("exceed 2 registered") })
        #expect(flagged.reasons.contains { $0.contains("m² per person < 10 m²") })
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
