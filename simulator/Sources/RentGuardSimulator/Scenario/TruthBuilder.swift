import Foundation
import RentGuardCore

/// Derives the ground truth of a scenario from its events and from moments the models
/// found (markers): what must, may and must not be detected, from when.
struct TruthBuilder {
    let scenario: Scenario
    let markers: [ModelMarker]
    let smokeModels: [String: SmokeDetectorModel]

    func marker(_ e: ScenarioEvent, _ name: String) -> Int64? {
        markers.first { $0.eventIndex == e.index && $0.name == name }?.tMs
    }

    /// Deterministic reading of a detector (background without noise + overlays).
    func reading(_ m: SmokeDetectorModel, _ t: Int64) -> (obsc: Double, temp: Double, co: Double) {
        let s = m.signal(t)
        let od = SmokeContribution.opticalDensity(obscurationPct: 0.25) + s.opticalDensityPerM
        return (SmokeContribution.obscurationPct(opticalDensity: od), m.baselineC(t) + s.temperatureRiseC, 1 + s.coPpm)
    }

    /// First time on a 1 s grid in [from, to) where `cond` holds.
    func first(from: Int64, to: Int64, _ cond: (Int64) -> Bool) -> Int64? {
        var t = from
        while t < to {
            if cond(t) { return t }
            t += 1_000
        }
        return nil
    }

    /// domain.md heat criteria: ≥ 57 °C, or > 4 °C/min with ≥ 46 °C, or ≥ 9 °C/min.
    func heatCriterion(_ m: SmokeDetectorModel, _ t: Int64) -> Bool {
        let now = reading(m, t).temp
        let rate = now - reading(m, t - 60_000).temp
        return now >= 57 || (rate > 4 && now >= 46) || rate >= 9
    }

    func build() -> GroundTruth {
        let sc = scenario
        let b = sc.building
        var ex: [Expectation] = []
        var n = 0
        func add(_ type: AlarmType, _ kind: Expectation.Kind, device: String? = nil, unit: String? = nil, port: Int? = nil, onset: Int64, from: Int64? = nil, to: Int64? = nil, cause: String, note: String? = nil) {
            n += 1
            ex.append(Expectation(id: "x\(n)", type: type.rawValue, expect: kind, device: device, unit: unit, port: port, onsetMs: onset, fromMs: max(onset, from ?? onset), toMs: to.map { min($0, sc.endMs) }, cause: cause, note: note))
        }
        let horizon: Int64 = 6 * SimTime.hourMs

        for e in sc.events {
            let cause = e.type.rawValue
            let dev = e.device
            let unit = e.unit ?? dev.flatMap { b.device($0)?.unit }
            let end = e.durationMs.map { e.atMs + $0 }
            let scanTo = min(sc.endMs, e.atMs + horizon)
            switch e.type {
            case .flamingFire, .smoulderingFire:
                guard let id = dev, let m = smokeModels[id] else { break }
                let others = smokeModels.values.filter { $0.device.id != id && $0.overlays.contains { $0.onsetMs >= e.atMs } }
                let smokeAt = first(from: e.atMs, to: scanTo) { reading(m, $0).obsc >= 5 }
                let fireAt = first(from: e.atMs, to: scanTo) { t in
                    let r = reading(m, t)
                    guard r.obsc >= 5 else { return false }
                    if r.co >= 70 || heatCriterion(m, t) { return true }
                    return others.contains { reading($0, t).obsc >= 5 }
                }
                let heatAt = first(from: e.atMs, to: scanTo) { heatCriterion(m, $0) }
                let coAt = first(from: e.atMs, to: scanTo) { reading(m, $0).co >= 70 }
                add(.fire, .must, device: id, unit: unit, onset: e.atMs, from: fireAt ?? smokeAt, to: end, cause: cause,
                    note: fireAt == nil ? "the multi-criteria signature was not reached within the scenario; delay is measured from smoke ≥ 5 %/m" : "from: smoke ≥ 5 %/m together with heat, CO ≥ 70 ppm or a second detector (domain.md)")
                add(.smoke, .may, device: id, unit: unit, onset: e.atMs, from: smokeAt, to: end, cause: cause)
                add(.heat, .may, device: id, unit: unit, onset: e.atMs, from: heatAt, to: end, cause: cause)
                add(.co, .may, device: id, unit: unit, onset: e.atMs, from: coAt, to: end, cause: cause)
                for o in others.sorted(by: { $0.device.id < $1.device.id }) {
                    for t in [AlarmType.fire, .smoke, .heat, .co] {
                        add(t, .may, device: o.device.id, unit: o.device.unit, onset: e.atMs, to: end, cause: cause)
                    }
                }
            case .cooking, .showerSteam:
                guard let id = dev else { break }
                let to = (end ?? e.atMs + (e.type == .cooking ? 4 : 10) * SimTime.minuteMs) + 15 * SimTime.minuteMs
                add(.fire, .mustNot, device: id, unit: unit, onset: e.atMs, to: to, cause: cause, note: "nuisance: must not become a fire alarm")
                add(.heat, .mustNot, device: id, unit: unit, onset: e.atMs, to: to, cause: cause)
                add(.co, .mustNot, device: id, unit: unit, onset: e.atMs, to: to, cause: cause)
                add(.smoke, .may, device: id, unit: unit, onset: e.atMs, to: to, cause: cause, note: "a smoke alarm on a nuisance in a nuisance-prone zone is tolerated (counted apart)")
            case .smokeDrift:
                guard let id = dev, let m = smokeModels[id] else { break }
                let to = (end ?? e.atMs + 15 * SimTime.minuteMs) + 20 * SimTime.minuteMs
                let level = sc.smoke.reportsAlarm ? sc.smoke.alarmThresholdPctPerM : 5
                let smokeAt = first(from: e.atMs, to: scanTo) { reading(m, $0).obsc >= level }
                add(.smoke, .must, device: id, unit: unit, onset: e.atMs, from: smokeAt, to: to, cause: cause,
                    note: sc.smoke.reportsAlarm ? "from: the detector's own alarm (obscuration ≥ \(level) %/m, 'alarm': true)" : "from: obscuration ≥ 5 %/m (NIST TN 1455-1) without heat or CO")
                add(.fire, .mustNot, device: id, unit: unit, onset: e.atMs, to: to, cause: cause, note: "smoke without heat or CO is not a fire")
            case .heatRise:
                guard let id = dev, let m = smokeModels[id] else { break }
                let heatAt = first(from: e.atMs, to: scanTo) { heatCriterion(m, $0) }
                add(.heat, .must, device: id, unit: unit, onset: e.atMs, from: heatAt, to: end.map { $0 + 15 * SimTime.minuteMs }, cause: cause, note: "from: ≥ 57 °C, or > 4 °C/min with ≥ 46 °C, or ≥ 9 °C/min (domain.md)")
                add(.fire, .may, device: id, unit: unit, onset: e.atMs, cause: cause)
                add(.smoke, .may, device: id, unit: unit, onset: e.atMs, cause: cause)
            case .coLeak:
                guard let id = dev, let m = smokeModels[id] else { break }
                let coAt = first(from: e.atMs, to: scanTo) { reading(m, $0).co >= 70 }
                add(.co, .must, device: id, unit: unit, onset: e.atMs, from: coAt, to: end.map { $0 + 30 * SimTime.minuteMs }, cause: cause,
                    note: "from: CO ≥ 70 ppm; UL 2034 allows 4–15 min at 400 ppm, 10–50 min at 150 ppm, 60–240 min at 70 ppm")
                add(.fire, .mustNot, device: id, unit: unit, onset: e.atMs, to: end.map { $0 + 30 * SimTime.minuteMs }, cause: cause, note: "CO without smoke is not a fire")
            case .testButton:
                add(.fire, .mustNot, device: dev, unit: unit, onset: e.atMs, to: e.atMs + 5 * SimTime.minuteMs, cause: cause)
                add(.smoke, .mustNot, device: dev, unit: unit, onset: e.atMs, to: e.atMs + 5 * SimTime.minuteMs, cause: cause, note: "a test press is recorded, not alarmed")
            case .batteryLow:
                add(.batteryLow, .must, device: dev, unit: unit, onset: e.atMs, cause: cause)
            case .tamper:
                add(.tamper, .must, device: dev, unit: unit, onset: e.atMs, to: e.atMs + SimTime.hourMs, cause: cause)
            case .offline:
                let to = min(sc.endMs, e.atMs + (e.durationMs ?? 2 * SimTime.hourMs))
                let announced = e.bool("announce", true)
                add(.deviceOffline, .must, device: dev, unit: unit, onset: e.atMs, to: to, cause: cause,
                    note: announced ? "announced: status online=false at from_ms" : "silent: only missing reports show it (detection after the supervision window)")
            case .deviceFault:
                add(.deviceFault, .must, device: dev, unit: unit, port: e.port, onset: e.atMs, cause: cause)
            case .unregisteredDevice:
                add(.unregisteredDevice, .must, device: dev, onset: e.atMs, to: e.atMs + (e.durationMs ?? SimTime.hourMs), cause: cause)
            case .chargeSession:
                break
            case .chargerOvercurrent:
                let from = marker(e, "over_rated")
                add(.chargerOvercurrent, .must, device: dev, port: e.port, onset: e.atMs, from: from, to: marker(e, "under_rated") ?? marker(e, "session_end"), cause: cause,
                    note: "from: port current above the rated \(b.device(dev ?? "")?.ratedPortCurrentA ?? 5.5) A")
            case .hotPlug:
                add(.chargerOverheat, .must, device: dev, port: e.port, onset: e.atMs, from: marker(e, "over65"), to: marker(e, "session_end").map { $0 + 30 * SimTime.minuteMs }, cause: cause,
                    note: "from: port temperature above 65 °C (field practice, domain.md)")
            case .noCutoff:
                add(.chargerNoCutoff, .must, device: dev, port: e.port, onset: e.atMs, from: marker(e, "full"), to: marker(e, "session_end"), cause: cause,
                    note: "from: the port reports full while current keeps flowing")
            case .overtime:
                let limit = Int64(e.double("limit_h", 8) * 3_600_000)
                add(.chargerOvertime, .must, device: dev, port: e.port, onset: e.atMs, from: e.atMs + limit, to: marker(e, "session_end"), cause: cause,
                    note: "from: \(e.double("limit_h", 8)) h of charging (Beijing group standard 2021: 8 h; Shenzhen 10 h; field code 12 h)")
            case .thermalRunaway:
                let pre = Int64(e.double("precursor_min", 8) * 60_000)
                add(.chargerThermalRunaway, .must, device: dev, port: e.port, onset: e.atMs - pre, from: marker(e, "gb38031") ?? e.atMs, cause: cause,
                    note: "from: GB 38031-2020 App. A signature (≥ 1 °C/s for ≥ 3 s with > 25 % voltage drop or the maximum temperature); ignition at \(e.atMs)")
                add(.chargerOverheat, .may, device: dev, port: e.port, onset: e.atMs - pre, cause: cause)
                add(.deviceFault, .may, device: dev, port: e.port, onset: e.atMs, cause: cause)
                add(.fire, .may, device: dev, port: e.port, onset: e.atMs, cause: cause, note: "a burning pack is a fire at the station")
                add(.smoke, .may, device: dev, port: e.port, onset: e.atMs, cause: cause)
                if let d = dev.flatMap({ b.device($0) }), e.bool("near_smoke", true) {
                    for nid in d.near {
                        for t in [AlarmType.fire, .smoke, .heat, .co] {
                            add(t, .may, device: nid, unit: b.device(nid)?.unit, onset: e.atMs, cause: cause)
                        }
                    }
                }
            case .stationOverload:
                add(.stationOverload, .must, device: dev, onset: e.atMs, from: marker(e, "over_cap"), to: marker(e, "under_cap"), cause: cause,
                    note: "from: the station's total power above its cap (\(b.device(dev ?? "")?.stationPowerCapW ?? 8700) W)")
            case .indoorCharging:
                add(.indoorEbikeCharging, .must, device: dev, unit: unit, onset: e.atMs, to: marker(e, "charge_end"), cause: cause,
                    note: "a steady 100–300 W for hours (domain.md); detection needs a while by nature")
            case .overload:
                add(.overload, .must, device: dev, unit: unit, onset: e.atMs, to: e.atMs + (e.durationMs ?? 15 * SimTime.minuteMs), cause: cause)
            case .leakage:
                add(.leakage, .must, device: dev, unit: unit, onset: e.atMs, from: marker(e, "over300"), to: end, cause: cause, note: "from: residual current ≥ 300 mA (GB 50116-2013 §9.2.3)")
            case .meterReplacement:
                add(.abnormalConsumption, .mustNot, device: dev, unit: unit, onset: e.atMs, to: e.atMs + SimTime.dayMs, cause: cause, note: "a register reset is not consumption")
            case .waterLeak:
                add(.abnormalConsumption, .must, device: dev, unit: unit, onset: e.atMs, to: end, cause: cause, note: "continuous flow day and night")
            }
        }

        // Occupancy and group rental.
        var occ: [OccupancyTruth] = []
        let firstMidnight = SimTime.localMidnight(sc.startMs, utcOffsetMs: sc.utcOffsetMs)
        for u in b.units {
            var allOver = true
            var anyAbove = false
            for day in 0..<sc.dayCount {
                let n = sc.occupants(unit: u.id, day: day)
                let over = OccupancyTruth.isGroupRental(occupants: n, areaM2: u.areaM2, completeFlat: u.completeFlat)
                allOver = allOver && over
                anyAbove = anyAbove || over || n > u.registeredOccupants
                let ds = max(sc.startMs, firstMidnight + Int64(day) * SimTime.dayMs)
                let de = min(sc.endMs, firstMidnight + Int64(day + 1) * SimTime.dayMs)
                occ.append(OccupancyTruth(unit: u.id, day: day, dayStartMs: ds, dayEndMs: de, occupants: n, registered: u.registeredOccupants, areaM2: u.areaM2, completeFlat: u.completeFlat, groupRental: over))
            }
            if allOver {
                let n = sc.occupants(unit: u.id, day: 0)
                add(.groupRentalSuspected, .must, unit: u.id, onset: sc.startMs, cause: "occupants",
                    note: "\(n) occupants (\(u.registeredOccupants) registered) in \(u.areaM2) m², \(u.completeFlat ? "complete flat" : "non-complete dwelling")")
            } else if anyAbove {
                add(.groupRentalSuspected, .may, unit: u.id, onset: sc.startMs, cause: "occupants", note: "more occupants than registered, under the ordinance's thresholds")
            }
            if anyAbove {
                // Many people on one supply: heavy coincident loads are real, not false.
                let meter = b.devices.first { $0.unit == u.id && $0.kind == .powerMeter }
                add(.overload, .may, device: meter?.id, unit: u.id, onset: sc.startMs, cause: "occupants", note: "an overcrowded unit may overload its supply")
            }
        }

        for (i, x) in sc.expectations.enumerated() {
            ex.append(Expectation(id: "u\(i + 1)", type: x.type, expect: x.expect, device: x.device, unit: x.unit, port: x.port, onsetMs: x.fromMs, fromMs: x.fromMs, toMs: x.toMs, cause: "scenario", note: x.note))
        }

        return GroundTruth(
            scenario: sc.name, building: b.gateway.building, seed: sc.seed, startMs: sc.startMs, endMs: sc.endMs,
            deviceCount: b.devices.count, unitCount: b.units.count, expectations: ex, occupancy: occ)
    }
}
