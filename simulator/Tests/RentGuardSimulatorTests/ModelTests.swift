import Foundation
import RentGuardCore
import Testing
@testable import RentGuardSimulator

@Suite struct ChargeCurveTests {
    @Test func tableIsAProperCCCVCurve() {
        let t = CalibrationTables.chargeCurve
        #expect(t.count >= 24 && t.count <= 60)
        #expect(t.first?.q == 0 && t.last?.q == 1)
        for (a, b) in zip(t, t.dropFirst()) {
            #expect(b.q > a.q)
            #expect(b.currentFraction <= a.currentFraction + 1e-9)  // CC then a falling CV taper
        }
        // CV at 4.2 V per cell: 54.6 V for 13 cells (../shared/data/nasa-battery-charging/SOURCE.md).
        #expect(abs(CalibrationTables.chargeCurve(at: 0.9).cellVoltage * 13 - 54.6) < 0.2)
    }

    /// The energy of a full charge is the pack's capacity (capacity × nominal voltage),
    /// within 10 %, and takes 3–8 h at a typical 2–5 A (domain.md).
    @Test(arguments: [(13, 15.0, 3.0), (13, 12.0, 2.0), (16, 24.0, 5.0), (17, 20.0, 4.0)])
    func chargeEnergyMatchesCapacity(cells: Int, capacityAh: Double, currentA: Double) {
        let pack = BatteryPack(cells: cells, capacityAh: capacityAh)
        var s = ChargeSession(pack: pack, setCurrentA: currentA, startQ: 0, floatMs: 60 * 60_000)
        var t: Int64 = 0
        var maxPower = 0.0
        while s.phase != .done, t < 24 * 3_600_000 {
            let o = s.output
            maxPower = max(maxPower, o.currentA * o.voltageV)
            s.step(10_000)
            t += 10_000
        }
        #expect(s.phase == .done)
        #expect(abs(s.energyWh - pack.nominalWh) / pack.nominalWh < 0.10, "energy \(s.energyWh) Wh vs \(pack.nominalWh) Wh")
        #expect(abs(s.chargeAh - capacityAh) / capacityAh < 0.10, "charge \(s.chargeAh) Ah vs \(capacityAh) Ah")
        let hours = Double(t) / 3_600_000
        #expect(hours >= 3 && hours <= 9, "took \(hours) h")
        #expect(maxPower <= currentA * Double(cells) * 4.25 + 1)
    }

    @Test func a48V15AhPackAt3ATakesAboutFiveHours() {
        // domain.md: "A 48 V 15 Ah pack takes about 5 h at 3 A."
        let s = ChargeSession(pack: BatteryPack(cells: 13, capacityAh: 15), setCurrentA: 3, startQ: 0.05, floatMs: 0)
        let h = Double(s.remainingMs()) / 3_600_000
        #expect(h > 4 && h < 6.5, "\(h) h")
    }
}

@Suite struct HouseholdTests {
    func litresPerDay(occupants: Int, days: Int = 14, seed: UInt64 = 5) -> Double {
        let start: Int64 = 1_772_380_800_000
        let end = start + Int64(days) * SimTime.dayMs
        let iv = HouseholdModel.intervals(
            .init(unit: "u", occupantsPerDay: [occupants], hasGas: true, electricWaterHeater: false, options: HouseholdOptions()),
            fromMs: start, toMs: end, utcOffsetMs: 8 * SimTime.hourMs, rng: SimRandom(seed: seed))
        let load = PiecewiseLoad(iv)
        return (load.integrals(to: end).litres - load.integrals(to: start).litres) / Double(days)
    }

    @Test func fourPeopleUseFourTimesTheWaterOfOne() {
        let one = litresPerDay(occupants: 1)
        let four = litresPerDay(occupants: 4)
        let ratio = four / one
        #expect(ratio > 4 * 0.8 && ratio < 4 * 1.2, "ratio \(ratio) (1: \(one) L/day, 4: \(four) L/day)")
    }

    @Test func waterPerPersonFollowsGBT50331Zone3() {
        // 120–180 L per person per day; the default is 150.
        let perPerson = litresPerDay(occupants: 3, days: 21) / 3
        #expect(perPerson > 120 && perPerson < 180, "\(perPerson) L/person/day")
    }

    @Test func anEmptyFlatUsesNoWater() {
        #expect(litresPerDay(occupants: 0, days: 3) == 0)
    }

    @Test func piecewiseLoadIntegratesExactly() {
        let l = PiecewiseLoad([
            LoadInterval(startMs: 0, endMs: 3_600_000, powerW: 1000, waterLPerMin: 1, label: "a"),
            LoadInterval(startMs: 1_800_000, endMs: 5_400_000, powerW: 500, gasM3PerH: 2, label: "b"),
        ])
        #expect(l.rates(at: 2_000_000).powerW == 1500)
        #expect(l.rates(at: 4_000_000).powerW == 500)
        #expect(abs(l.integrals(to: 5_400_000).wh - 1500) < 1e-9)
        #expect(abs(l.integrals(to: 5_400_000).litres - 60) < 1e-9)
        #expect(abs(l.integrals(to: 5_400_000).m3 - 2) < 1e-9)
    }

    @Test func metersAreMonotonicAndPowerStaysUnderTheBreaker() throws {
        let g = try Fixtures.generate("quiet_day")
        let sc = try Fixtures.scenario("quiet_day")
        for d in sc.building.devices where d.kind == .powerMeter || d.kind == .waterMeter || d.kind == .gasMeter {
            let key = d.kind == .powerMeter ? "energy_kwh" : (d.kind == .waterMeter ? "volume_l" : "volume_m3")
            let values = Fixtures.telemetry(g, device: d.id).compactMap { $0.payload[key]?.doubleValue }
            #expect(values.count > 100)
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }, "\(d.id) register goes backwards")
            if d.kind == .powerMeter, let rated = d.ratedCurrentA {
                let peak = Fixtures.telemetry(g, device: d.id).compactMap { $0.payload["current_a"]?.doubleValue }.max() ?? 0
                #expect(peak < rated, "\(d.id) peaks at \(peak) A on a \(rated) A supply")
            }
        }
    }
}

@Suite struct SmokeTests {
    @Test func flamingFireCrossesTheAlarmPointAndHeatsUp() throws {
        let g = try Fixtures.generate("flaming_fire")
        let t = Fixtures.telemetry(g, device: "SD-201-L")
        let obsc = t.compactMap { $0.payload["smoke_obscuration_pct_per_m"]?.doubleValue }
        let temp = t.compactMap { $0.payload["temperature_c"]?.doubleValue }
        #expect(obsc.first! < 1)
        #expect(obsc.max()! > 5, "obscuration must cross 5 %/m (NIST TN 1455-1)")
        #expect(temp.max()! - temp.first! > 30, "a flaming fire heats the ceiling")
        // Smoke comes first: at the first report over 5 %/m the heat is still below 57 °C.
        let i = obsc.firstIndex { $0 > 5 }!
        #expect(temp[i] < 57)
        // The kitchen detector of the same flat sees it too, later.
        let k = Fixtures.telemetry(g, device: "SD-201-K").compactMap { $0.payload["smoke_obscuration_pct_per_m"]?.doubleValue }
        #expect(k.max()! > 5)
        // And the truth says fire, from when the signature is there.
        let fire = g.truth.expectations.first { $0.type == "fire" && $0.expect == .must }
        #expect(fire?.device == "SD-201-L")
        #expect(fire.map { $0.fromMs > $0.onsetMs } == true)
    }

    @Test func smoulderingFireIsSmokeAndCOWithLittleHeat() throws {
        let g = try Fixtures.generate("smouldering_fire")
        let t = Fixtures.telemetry(g, device: "SD-101-L")
        let obsc = t.compactMap { $0.payload["smoke_obscuration_pct_per_m"]?.doubleValue }
        let temp = t.compactMap { $0.payload["temperature_c"]?.doubleValue }
        let co = t.compactMap { $0.payload["co_ppm"]?.doubleValue }
        #expect(obsc.max()! > 5)
        #expect(co.max()! > 70)
        #expect(temp.max()! - temp.min()! < 6)
    }

    @Test func cookingMakesSmokeButNoHeatOrCO() throws {
        let sc = try Fixtures.scenario("cooking_nuisance")
        let g = TrafficGenerator(scenario: sc).generate()
        for e in sc.events {
            let window = g.messages.filter { $0.topic.hasSuffix("/\(e.device!)/telemetry") && $0.tMs >= e.atMs - 120_000 && $0.tMs <= e.atMs + 20 * SimTime.minuteMs }
            let obsc = window.compactMap { $0.payload["smoke_obscuration_pct_per_m"]?.doubleValue }
            let temp = window.compactMap { $0.payload["temperature_c"]?.doubleValue }
            let co = window.compactMap { $0.payload["co_ppm"]?.doubleValue }
            #expect(obsc.max()! > 5, "a real nuisance crosses the alarm point")
            #expect(temp.max()! - temp.first! < 1.0, "cooking does not raise the temperature")
            #expect(co.max()! < 10, "cooking makes no CO")
        }
        #expect(g.truth.expectations.filter { $0.type == "fire" }.allSatisfy { $0.expect == .mustNot })
    }

    @Test func quietDetectorsStayFarBelowTheAlarmPoint() throws {
        let g = try Fixtures.generate("quiet_day")
        for m in g.messages where m.channel == "telemetry" {
            if let o = m.payload["smoke_obscuration_pct_per_m"]?.doubleValue { #expect(o < 3.3, "\(m.topic) \(o) %/m") }
            if let c = m.payload["co_ppm"]?.doubleValue { #expect(c < 15) }
        }
        #expect(g.truth.expectations.isEmpty)
    }
}

@Suite struct ChargerTests {
    /// A port's 1 s reports around ignition meet GB 38031-2020 App. A: ≥ 1 °C/s for ≥ 3 s
    /// with a voltage drop over 25 %; the precursors show minutes before.
    @Test func thermalRunawayMeetsGB38031() throws {
        let sc = try Fixtures.scenario("charger_thermal_runaway")
        let g = TrafficGenerator(scenario: sc).generate()
        let e = sc.events[0]
        let port = e.port!
        let series: [(t: Int64, temp: Double, v: Double, state: String)] = Fixtures.telemetry(g, device: "CH-1").compactMap { m in
            guard let p = m.payload["ports"]?.arrayValue?.first(where: { $0["port"]?.doubleValue == Double(port) }) else { return nil }
            return (m.tMs, p["temperature_c"]!.doubleValue!, p["voltage_v"]!.doubleValue!, p["state"]!.stringValue!)
        }
        let before = series.last { $0.t < e.atMs }!
        let early = series.last { $0.t < e.atMs - 6 * SimTime.minuteMs }!
        #expect(before.temp - early.temp > 5, "precursor self-heating before ignition")
        #expect(before.state == "charging")
        var signature: Int64? = nil
        for i in 3..<series.count {
            let w = series[(i - 3)...i]
            let rates = zip(w, w.dropFirst()).map { ($1.temp - $0.temp) / (Double($1.t - $0.t) / 1000) }
            let span = w.last!.t - w.first!.t
            if span >= 3_000, span <= 4_000, rates.allSatisfy({ $0 >= 1 }), w.last!.v < 0.75 * before.v || w.last!.temp >= 60 {
                signature = w.last!.t
                break
            }
        }
        #expect(signature != nil)
        if let s = signature { #expect(s >= e.atMs && s <= e.atMs + 30_000) }
        #expect(series.contains { $0.state == "fault" && $0.t > e.atMs })
        #expect(series.map(\.temp).max()! > 300)
        let truth = g.truth.expectations.first { $0.type == "charger_thermal_runaway" }
        #expect(truth?.port == port)
        #expect(truth.map { $0.fromMs >= e.atMs && $0.fromMs <= e.atMs + 10_000 } == true)
        // The detector above the station sees smoke.
        let sd = Fixtures.telemetry(g, device: "SD-GF-CH").compactMap { $0.payload["smoke_obscuration_pct_per_m"]?.doubleValue }
        #expect(sd.max()! > 5)
    }

    func portSeries(_ g: GeneratedTraffic, port: Int) -> [(t: Int64, p: JSONValue)] {
        Fixtures.telemetry(g, device: "CH-1").compactMap { m in
            m.payload["ports"]?.arrayValue?.first { $0["port"]?.doubleValue == Double(port) }.map { (m.tMs, $0) }
        }
    }

    @Test func overcurrentExceedsTheRating() throws {
        let g = try Fixtures.generate("charger_overcurrent")
        let s = portSeries(g, port: 3)
        #expect(s.compactMap { $0.p["current_a"]?.doubleValue }.max()! > 7.5)
        let x = g.truth.expectations.first { $0.type == "charger_overcurrent" }!
        #expect(x.toMs != nil && x.toMs! > x.fromMs)
    }

    @Test func hotPlugPassesSixtyFive() throws {
        let g = try Fixtures.generate("charger_overheat")
        let s = portSeries(g, port: 5)
        #expect(s.compactMap { $0.p["temperature_c"]?.doubleValue }.max()! > 70)
        let x = g.truth.expectations.first { $0.type == "charger_overheat" }!
        let atFrom = s.first { $0.t >= x.fromMs }!.p["temperature_c"]!.doubleValue!
        #expect(atFrom > 64)
    }

    @Test func noCutoffKeepsCurrentFlowingWhenFull() throws {
        let g = try Fixtures.generate("charger_no_cutoff")
        let full = portSeries(g, port: 4).filter { $0.p["state"]?.stringValue == "full" }
        #expect(full.count > 10)
        #expect(full.allSatisfy { ($0.p["power_w"]?.doubleValue ?? 0) > 45 })
    }

    @Test func overtimeSessionLastsPastTheLimit() throws {
        let g = try Fixtures.generate("charger_overtime")
        let x = g.truth.expectations.first { $0.type == "charger_overtime" }!
        #expect(x.fromMs - x.onsetMs == 8 * SimTime.hourMs)
        let charging = portSeries(g, port: 2).filter { $0.t > x.fromMs && $0.p["state"]?.stringValue == "charging" }
        #expect(charging.count > 10)
    }

    @Test func normalSessionsAreHealthy() throws {
        let g = try Fixtures.generate("quiet_day")
        var starts = 0
        for m in g.messages where m.channel == "event" {
            if m.payload["event"]?.stringValue == "session_start" { starts += 1 }
        }
        #expect(starts >= 3)
        for m in Fixtures.telemetry(g, device: "CH-1") {
            var total = 0.0
            for p in m.payload["ports"]!.arrayValue! {
                #expect(p["current_a"]!.doubleValue! <= 5.5)
                #expect(p["temperature_c"]!.doubleValue! < 50)
                if p["state"]?.stringValue == "full" { #expect(p["power_w"]!.doubleValue! <= 45) }
                total += p["power_w"]!.doubleValue!
            }
            #expect(total < 3000)
        }
    }

    @Test func stationOverloadPassesTheCap() throws {
        let g = try Fixtures.generate("station_overload")
        let peak = Fixtures.telemetry(g, device: "CH-1").map { m in m.payload["ports"]!.arrayValue!.reduce(0) { $0 + $1["power_w"]!.doubleValue! } }.max()!
        #expect(peak > 3000)
        #expect(g.truth.expectations.contains { $0.type == "station_overload" && $0.expect == .must })
    }
}

@Suite struct MeterEventTests {
    @Test func indoorChargingAddsASteadyNightLoad() throws {
        let sc = try Fixtures.scenario("indoor_ebike_charging")
        let g = TrafficGenerator(scenario: sc).generate()
        let e = sc.events[0]
        let x = g.truth.expectations.first { $0.type == "indoor_ebike_charging" }!
        #expect(x.toMs! - x.fromMs > 3 * SimTime.hourMs)
        // Between 01:00 and 03:00 local (charging, everyone asleep) the flat draws > 100 W.
        let night = Fixtures.telemetry(g, device: "PM-202").filter {
            let h = SimTime.localHour($0.tMs, utcOffsetMs: sc.utcOffsetMs)
            return $0.tMs > e.atMs && h >= 1 && h < 3
        }.compactMap { $0.payload["power_w"]?.doubleValue }
        #expect(!night.isEmpty)
        #expect(night.sorted()[night.count / 2] > 100)
    }

    @Test func leakageAndReplacement() throws {
        let g = try Fixtures.generate("leakage")
        #expect(Fixtures.telemetry(g, device: "PM-201").compactMap { $0.payload["residual_current_ma"]?.doubleValue }.max()! >= 300)
        let w = try Fixtures.generate("water_leak_and_meter_swap")
        let kwh = Fixtures.telemetry(w, device: "PM-201").compactMap { $0.payload["energy_kwh"]?.doubleValue }
        #expect(kwh.first! > 500 && kwh.last! < 50, "the register restarts near 0")
    }

    @Test func overcrowdedTruth() throws {
        let g = try Fixtures.generate("overcrowded_block")
        let must = Set(g.truth.expectations.filter { $0.type == "group_rental_suspected" && $0.expect == .must }.compactMap(\.unit))
        #expect(must == ["B103", "B104", "B201", "B202"])
        #expect(g.truth.expectations.contains { $0.type == "group_rental_suspected" && $0.expect == .may && $0.unit == "B102" })
        #expect(g.truth.occupancy.count == 8 * 3)
        #expect(g.truth.occupancy.first { $0.unit == "B201" }?.occupants == 12)
        // Water follows the true occupants: B201 (12) uses several times B101 (3).
        func litres(_ id: String) -> Double {
            let v = Fixtures.telemetry(g, device: id).compactMap { $0.payload["volume_l"]?.doubleValue }
            return v.last! - v.first!
        }
        let ratio = litres("WM-B201") / litres("WM-B101")
        #expect(ratio > 3 && ratio < 5, "\(ratio)")
    }

    @Test func groupRentalThresholds() {
        #expect(OccupancyTruth.isGroupRental(occupants: 4, areaM2: 39, completeFlat: true))
        #expect(!OccupancyTruth.isGroupRental(occupants: 4, areaM2: 40, completeFlat: true))
        #expect(!OccupancyTruth.isGroupRental(occupants: 3, areaM2: 20, completeFlat: true))
        #expect(OccupancyTruth.isGroupRental(occupants: 12, areaM2: 100, completeFlat: true))
        #expect(OccupancyTruth.isGroupRental(occupants: 3, areaM2: 12, completeFlat: false))
        #expect(!OccupancyTruth.isGroupRental(occupants: 1, areaM2: 4, completeFlat: false))
    }

    @Test func offlineWindowsSilenceTheDevice() throws {
        let sc = try Fixtures.scenario("device_offline")
        let g = TrafficGenerator(scenario: sc).generate()
        for e in sc.events {
            let end = e.atMs + e.durationMs!
            let inside = g.messages.filter { $0.topic.contains("/\(e.device!)/") && $0.tMs > e.atMs && $0.tMs < end }
            #expect(inside.isEmpty)
            let statuses = g.messages.filter { $0.topic.hasSuffix("/\(e.device!)/status") }.map { $0.payload["online"]!.boolValue! }
            #expect(statuses == (e.bool("announce", true) ? [true, false, true] : [true, true]))
        }
    }
}
