import Foundation
import RentGuardConfig
import RentGuardCore

/// What a scenario injects into the building's normal life.
public enum ScenarioEventType: String, Sendable, CaseIterable, Equatable {
    // Smoke detectors (`device:` a smoke detector).
    case flamingFire = "flaming_fire"
    case smoulderingFire = "smouldering_fire"
    case cooking
    case showerSteam = "shower_steam"
    case smokeDrift = "smoke_drift"
    case heatRise = "heat_rise"
    case coLeak = "co_leak"
    case testButton = "test_button"
    case batteryLow = "battery_low"
    // Any registered device (`device:`).
    case tamper
    case offline
    case deviceFault = "device_fault"
    // A device id that is NOT registered (`device:`).
    case unregisteredDevice = "unregistered_device"
    // Charging stations (`device:` a charger, `port:`).
    case chargeSession = "charge_session"
    case chargerOvercurrent = "charger_overcurrent"
    case hotPlug = "hot_plug"
    case noCutoff = "no_cutoff"
    case overtime
    case thermalRunaway = "thermal_runaway"
    case stationOverload = "station_overload"
    // Flats (`unit:`).
    case indoorCharging = "indoor_ebike_charging"
    case overload
    case leakage
    case meterReplacement = "meter_replacement"
    case waterLeak = "water_leak"

    enum Target { case smokeDetector, anyDevice, unregistered, charger, chargerPort, unit }

    /// Parameter names this event accepts.
    public var parameters: [String] { knownParams }

    /// One line for `rentguard-sim events`: the target and the parameters.
    public static func help(_ t: ScenarioEventType) -> String {
        let target: String
        switch t.target {
        case .smokeDetector: target = "device: <smoke detector>"
        case .anyDevice: target = "device: <any device>"
        case .unregistered: target = "device: <an id NOT in the building>"
        case .charger: target = "device: <charger>"
        case .chargerPort: target = "device: <charger>, port: n"
        case .unit: target = "unit: <unit>"
        }
        return target + (t.knownParams.isEmpty ? "" : "; params: " + t.knownParams.joined(separator: ", "))
    }

    var target: Target {
        switch self {
        case .flamingFire, .smoulderingFire, .cooking, .showerSteam, .smokeDrift, .heatRise, .coLeak, .testButton, .batteryLow: return .smokeDetector
        case .tamper, .offline, .deviceFault: return .anyDevice
        case .unregisteredDevice: return .unregistered
        case .chargeSession, .chargerOvercurrent, .hotPlug, .noCutoff, .overtime, .thermalRunaway: return .chargerPort
        case .stationOverload: return .charger
        case .indoorCharging, .overload, .leakage, .meterReplacement, .waterLeak: return .unit
        }
    }

    /// Parameters each event accepts (all optional; defaults documented in docs/simulator.md).
    var knownParams: [String] {
        switch self {
        case .flamingFire: return ["growth", "alpha_kw_per_s2", "incubation_s", "max_kw", "ceiling_m", "distance_m", "spread", "spread_delay_s", "spread_factor", "od_per_k", "co_ppm_per_k"]
        case .smoulderingFire: return ["ramp_min", "peak_pct_per_m", "peak_co_ppm", "peak_rise_c", "spread"]
        case .cooking: return ["peak_pct_per_m", "rise_c"]
        case .showerSteam: return ["peak_pct_per_m", "rise_c"]
        case .smokeDrift: return ["peak_pct_per_m", "rise_min"]
        case .heatRise: return ["rate_c_per_min", "peak_c", "smoke_pct_per_m"]
        case .coLeak: return ["peak_ppm", "ramp_min"]
        case .testButton: return []
        case .batteryLow: return ["level_pct", "repeat_h"]
        case .tamper: return []
        case .offline: return ["announce"]
        case .deviceFault: return ["detail"]
        case .unregisteredDevice: return ["kind", "interval_s"]
        case .chargeSession: return ["pack_v", "cells", "capacity_ah", "current_a", "soc", "unplug_after_h"]
        case .chargerOvercurrent: return ["current_a", "pack_v", "cells", "capacity_ah", "soc"]
        case .hotPlug: return ["peak_c", "ramp_min", "current_a", "pack_v", "cells", "capacity_ah", "soc"]
        case .noCutoff: return ["current_a", "full_current_a", "pack_v", "cells", "capacity_ah", "soc"]
        case .overtime: return ["current_a", "limit_h", "pack_v", "cells", "capacity_ah"]
        case .thermalRunaway: return ["precursor_min", "peak_c", "rate_c_per_s", "max_operating_c", "pack_v", "cells", "capacity_ah", "current_a", "soc", "near_smoke"]
        case .stationOverload: return ["current_a", "pack_v", "cells"]
        case .indoorCharging: return ["pack_v", "cells", "capacity_ah", "current_a", "soc", "efficiency"]
        case .overload: return ["factor"]
        case .leakage: return ["ma"]
        case .meterReplacement: return ["new_kwh"]
        case .waterLeak: return ["l_per_min"]
        }
    }
}

/// One injected event.
public struct ScenarioEvent: Sendable, Equatable {
    public var type: ScenarioEventType
    public var device: String?
    public var unit: String?
    public var port: Int?
    /// When it starts, Unix ms.
    public var atMs: Int64
    /// How long it lasts; `nil`: its natural length or until the end of the scenario.
    public var durationMs: Int64?
    public var params: [(String, JSONValue)]
    /// Position in the file, for stable ordering and ids.
    public var index: Int

    public init(type: ScenarioEventType, device: String? = nil, unit: String? = nil, port: Int? = nil, atMs: Int64, durationMs: Int64? = nil, params: [(String, JSONValue)] = [], index: Int = 0) {
        self.type = type
        self.device = device
        self.unit = unit
        self.port = port
        self.atMs = atMs
        self.durationMs = durationMs
        self.params = params
        self.index = index
    }

    public static func == (a: ScenarioEvent, b: ScenarioEvent) -> Bool {
        a.type == b.type && a.device == b.device && a.unit == b.unit && a.port == b.port && a.atMs == b.atMs
            && a.durationMs == b.durationMs && JSONValue.object(a.params) == JSONValue.object(b.params) && a.index == b.index
    }

    public func double(_ key: String) -> Double? {
        for (k, v) in params where k == key { return v.doubleValue }
        return nil
    }
    public func double(_ key: String, _ fallback: Double) -> Double { double(key) ?? fallback }
    public func string(_ key: String) -> String? {
        for (k, v) in params where k == key { return v.stringValue ?? v.doubleValue.map { String($0) } }
        return nil
    }
    public func bool(_ key: String, _ fallback: Bool) -> Bool {
        for (k, v) in params where k == key { return v.boolValue ?? fallback }
        return fallback
    }
}

/// An expectation written by hand in a scenario (in addition to the ones the simulator
/// derives from the events).
public struct ScenarioExpectation: Sendable, Equatable {
    public var type: String
    public var expect: Expectation.Kind
    public var device: String?
    public var unit: String?
    public var port: Int?
    public var fromMs: Int64
    public var toMs: Int64?
    public var note: String?
}

/// A building, a duration, a seed and a timeline of injected events.
public struct Scenario: Sendable {
    public var name: String
    public var description: String
    /// Where the building came from (for the ground truth and messages).
    public var buildingPath: String
    public var building: BuildingConfig
    public var seed: UInt64
    /// Scenario clock at the start, Unix ms. Device `ts` follows this clock.
    public var startMs: Int64
    public var durationMs: Int64
    /// Local time offset used for time-of-day behaviour (China: +8 h).
    public var utcOffsetMs: Int64
    /// True occupants of each unit, per local day of the scenario (the last value repeats).
    /// Units not listed have their registered number.
    public var occupants: [String: [Int]]
    public var household: HouseholdOptions
    public var chargers: ChargerOptions
    public var smoke: SmokeOptions
    /// Telemetry interval per kind, in ms (a device's `report_interval_s` overrides).
    public var intervalsMs: [DeviceKind: Int64]
    public var events: [ScenarioEvent]
    public var expectations: [ScenarioExpectation]

    public var endMs: Int64 { startMs + durationMs }
    public var topicPrefix: String { building.ingest.topicPrefix }

    public static let defaultIntervalsS: [DeviceKind: Double] = [
        .smokeDetector: 60, .charger: 60, .powerMeter: 60, .waterMeter: 300, .gasMeter: 300,
    ]

    public init(
        name: String, description: String = "", buildingPath: String = "", building: BuildingConfig, seed: UInt64,
        startMs: Int64, durationMs: Int64, utcOffsetMs: Int64 = 8 * SimTime.hourMs, occupants: [String: [Int]] = [:],
        household: HouseholdOptions = .init(), chargers: ChargerOptions = .init(), smoke: SmokeOptions = .init(),
        intervalsMs: [DeviceKind: Int64] = [:], events: [ScenarioEvent] = [], expectations: [ScenarioExpectation] = []
    ) {
        self.name = name
        self.description = description
        self.buildingPath = buildingPath
        self.building = building
        self.seed = seed
        self.startMs = startMs
        self.durationMs = durationMs
        self.utcOffsetMs = utcOffsetMs
        self.occupants = occupants
        self.household = household
        self.chargers = chargers
        self.smoke = smoke
        var iv: [DeviceKind: Int64] = [:]
        for (k, s) in Self.defaultIntervalsS { iv[k] = Int64(s * 1000) }
        for (k, v) in intervalsMs { iv[k] = v }
        self.intervalsMs = iv
        self.events = events
        self.expectations = expectations
    }

    /// Number of local days the scenario touches (at least 1).
    public var dayCount: Int {
        let firstMidnight = SimTime.localMidnight(startMs, utcOffsetMs: utcOffsetMs)
        return Int((endMs - 1 - firstMidnight) / SimTime.dayMs) + 1
    }

    /// True occupants of `unit` on scenario day `day` (0 = the local day of the start).
    public func occupants(unit: String, day: Int) -> Int {
        if let list = occupants[unit], !list.isEmpty { return list[min(max(day, 0), list.count - 1)] }
        return building.unit(unit)?.registeredOccupants ?? 0
    }

    /// Telemetry interval of a device, ms.
    public func intervalMs(for device: DeviceConfig) -> Int64 {
        if let s = device.reportIntervalSeconds, s > 0 { return Int64(s * 1000) }
        return intervalsMs[device.kind] ?? 60_000
    }

    // MARK: Loading

    /// Loads a scenario file (YAML or JSON). `building:` is a path relative to the scenario
    /// file, loaded and validated by the daemon's own `ConfigLoader`.
    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, "cannot read the scenario file (no such file, or not UTF-8 text)")
        }
        let dir = (path as NSString).deletingLastPathComponent
        return try parse(text: text, file: path, baseDirectory: dir.isEmpty ? "." : dir)
    }

    /// Parses scenario text; `baseDirectory` resolves a relative `building:` path.
    /// `buildingOverride` skips loading the file (tests).
    public static func parse(text: String, file: String, baseDirectory: String, buildingOverride: BuildingConfig? = nil) throws -> Scenario {
        let root = try YAMLToJSON.parse(text, file: file)
        var r = try ObjectReader(root, file: file, path: "")
        let name = try r.string("name") ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let description = try r.string("description") ?? ""

        guard let buildingRef = try r.string("building") else {
            throw ScenarioError(file: file, "missing 'building': the path of a building configuration (relative to this file), e.g. building: buildings/block-a.yaml")
        }
        let buildingPath = buildingRef.hasPrefix("/") ? buildingRef : (baseDirectory as NSString).appendingPathComponent(buildingRef)
        let building: BuildingConfig
        if let buildingOverride {
            building = buildingOverride
        } else {
            do {
                building = try ConfigLoader.load(path: buildingPath)
            } catch {
                throw ScenarioError(file: file, "building '\(buildingRef)': \(error)")
            }
        }

        let seedValue = try r.double("seed") ?? 1
        guard seedValue >= 0, seedValue == seedValue.rounded(), seedValue < 9e15 else {
            throw ScenarioError(file: file, "'seed' must be a whole number ≥ 0")
        }
        let seed = UInt64(seedValue)

        var startMs: Int64 = 1_772_380_800_000  // 2026-03-02T00:00:00+08:00
        if let v = r.value("start") {
            switch v {
            case let .number(n): startMs = Int64(n)
            case let .string(s):
                if let n = Int64(s) { startMs = n } else if let ms = SimTime.parseISO8601(s) { startMs = ms } else {
                    throw ScenarioError(file: file, "'start' = \"\(s)\" is neither Unix milliseconds nor ISO 8601 (e.g. \"2026-03-02T00:00:00+08:00\")")
                }
            default: throw ScenarioError(file: file, "'start' must be Unix ms or an ISO 8601 time")
            }
        }
        guard startMs >= FieldLimits.minTimestampMs else {
            throw ScenarioError(file: file, "'start' \(startMs) is before 2001: give Unix milliseconds, not seconds")
        }
        guard let durationMs = try r.duration("duration"), durationMs > 0 else {
            throw ScenarioError(file: file, "missing or non-positive 'duration' (e.g. duration: 6h)")
        }
        guard durationMs <= 60 * SimTime.dayMs else { throw ScenarioError(file: file, "'duration' is over 60 days") }
        let utcOffsetH = try r.double("utc_offset_h") ?? 8
        let utcOffsetMs = Int64(utcOffsetH * 3_600_000)

        // Occupants.
        var occupants: [String: [Int]] = [:]
        if let ov = r.value("occupants") {
            var o = try ObjectReader(ov, file: file, path: "occupants")
            for (unit, v) in o.members {
                _ = o.value(unit)
                guard building.unit(unit) != nil else {
                    throw ScenarioError(file: file, "'occupants.\(unit)': no unit '\(unit)' in the building (units: \(building.units.map(\.id).joined(separator: ", ")))")
                }
                switch v {
                case let .number(n) where n >= 0 && n == n.rounded(): occupants[unit] = [Int(n)]
                case let .array(items):
                    var list: [Int] = []
                    for it in items {
                        guard let n = it.doubleValue, n >= 0, n == n.rounded() else {
                            throw ScenarioError(file: file, "'occupants.\(unit)' must be a whole number or a list of them (one per day)")
                        }
                        list.append(Int(n))
                    }
                    guard !list.isEmpty else { throw ScenarioError(file: file, "'occupants.\(unit)' is an empty list") }
                    occupants[unit] = list
                default: throw ScenarioError(file: file, "'occupants.\(unit)' must be a whole number ≥ 0 or a list of them (one per day)")
                }
            }
            try o.finish()
        }

        var household = HouseholdOptions()
        if let hv = r.value("household") {
            var h = try ObjectReader(hv, file: file, path: "household")
            household.waterLitresPerPersonDay = try h.double("water_l_per_person_day") ?? household.waterLitresPerPersonDay
            household.electricKWhPerPersonDay = try h.double("electric_kwh_per_person_day") ?? household.electricKWhPerPersonDay
            if let wh = try h.string("water_heater") {
                guard let v = HouseholdOptions.WaterHeater(rawValue: wh) else {
                    throw ScenarioError(file: file, "'household.water_heater' must be auto, gas or electric")
                }
                household.waterHeater = v
            }
            household.workingShare = try h.double("working_share") ?? household.workingShare
            try h.finish()
            guard household.waterLitresPerPersonDay > 0, household.waterLitresPerPersonDay < 2000 else {
                throw ScenarioError(file: file, "'household.water_l_per_person_day' must be in 0…2000")
            }
        }
        var chargers = ChargerOptions()
        if let cv = r.value("chargers") {
            var c = try ObjectReader(cv, file: file, path: "chargers")
            chargers.sessionsPerPortPerDay = try c.double("sessions_per_port_per_day") ?? chargers.sessionsPerPortPerDay
            chargers.fastIntervalMs = try c.duration("fast_interval") ?? chargers.fastIntervalMs
            try c.finish()
        }
        var smoke = SmokeOptions()
        if let sv = r.value("smoke") {
            var c = try ObjectReader(sv, file: file, path: "smoke")
            smoke.reportsAlarm = try c.bool("detector_alarm") ?? smoke.reportsAlarm
            smoke.alarmThresholdPctPerM = try c.double("detector_alarm_pct_per_m") ?? smoke.alarmThresholdPctPerM
            smoke.fastIntervalMs = try c.duration("fast_interval") ?? smoke.fastIntervalMs
            smoke.reportsCO = try c.bool("co") ?? smoke.reportsCO
            smoke.indoorMeanC = try c.double("indoor_mean_c") ?? smoke.indoorMeanC
            try c.finish()
        }
        var intervals: [DeviceKind: Int64] = [:]
        if let iv = r.value("intervals") {
            var c = try ObjectReader(iv, file: file, path: "intervals")
            for k in DeviceKind.allCases {
                if let ms = try c.duration(k.rawValue) {
                    guard ms >= 100 else { throw ScenarioError(file: file, "'intervals.\(k.rawValue)' must be at least 0.1 s") }
                    intervals[k] = ms
                }
            }
            try c.finish()
        }

        // Events.
        var events: [ScenarioEvent] = []
        if let ev = r.value("events") {
            guard case let .array(items) = ev else { throw ScenarioError(file: file, "'events' must be a list") }
            for (i, item) in items.enumerated() {
                events.append(try parseEvent(item, index: i, file: file, building: building, startMs: startMs, utcOffsetMs: utcOffsetMs, durationMs: durationMs))
            }
        }
        var expectations: [ScenarioExpectation] = []
        if let xv = r.value("expect") {
            guard case let .array(items) = xv else { throw ScenarioError(file: file, "'expect' must be a list") }
            for (i, item) in items.enumerated() {
                let path = "expect[\(i)]"
                var x = try ObjectReader(item, file: file, path: path)
                guard let type = try x.string("type") else { throw ScenarioError(file: file, "'\(path).type' is missing") }
                let kindText = try x.string("expect") ?? "must"
                guard let kind = Expectation.Kind(rawValue: kindText) else {
                    throw ScenarioError(file: file, "'\(path).expect' must be must, may or must_not")
                }
                let from = try x.value("from").map { v throws(ScenarioError) in try parseAt(v, file: file, path: "\(path).from", startMs: startMs, utcOffsetMs: utcOffsetMs) } ?? startMs
                let to = try x.value("to").map { v throws(ScenarioError) in try parseAt(v, file: file, path: "\(path).to", startMs: startMs, utcOffsetMs: utcOffsetMs) }
                expectations.append(ScenarioExpectation(
                    type: type, expect: kind, device: try x.string("device"), unit: try x.string("unit"), port: try x.int("port"),
                    fromMs: from, toMs: to, note: try x.string("note")))
                try x.finish()
            }
        }
        try r.finish()

        return Scenario(
            name: name, description: description, buildingPath: buildingPath, building: building, seed: seed,
            startMs: startMs, durationMs: durationMs, utcOffsetMs: utcOffsetMs, occupants: occupants,
            household: household, chargers: chargers, smoke: smoke, intervalsMs: intervals, events: events,
            expectations: expectations)
    }

    /// `at:` — an offset from the start (`90`, `"2h30m"`), a local time on the first day
    /// (`"22:30"`), or on a later day (`"d1 07:15"`, day 0 being the first).
    static func parseAt(_ v: JSONValue, file: String, path: String, startMs: Int64, utcOffsetMs: Int64) throws(ScenarioError) -> Int64 {
        switch v {
        case let .number(n): return startMs + Int64((n * 1000).rounded())
        case let .string(raw):
            let s = raw.trimmingCharacters(in: .whitespaces)
            var day = 0
            var clock = s
            if s.hasPrefix("d"), let sp = s.firstIndex(of: " "), let d = Int(s[s.index(after: s.startIndex)..<sp]) {
                day = d
                clock = String(s[s.index(after: sp)...]).trimmingCharacters(in: .whitespaces)
            }
            let parts = clock.split(separator: ":")
            if parts.count >= 2, parts.count <= 3, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) {
                let sec = parts.count == 3 ? (Int(parts[2]) ?? -1) : 0
                guard (0..<60).contains(sec) else { break }
                let midnight = SimTime.localMidnight(startMs, utcOffsetMs: utcOffsetMs)
                return midnight + Int64(day) * SimTime.dayMs + Int64(h) * SimTime.hourMs + Int64(m) * SimTime.minuteMs + Int64(sec) * 1000
            }
            if day == 0, let ms = SimTime.parseDuration(s) { return startMs + ms }
        default: break
        }
        throw ScenarioError(file: file, "'\(path)' must be an offset from the start (90, \"2h30m\"), a local time (\"22:30\") or a day and time (\"d1 07:15\")")
    }

    static func parseEvent(_ item: JSONValue, index: Int, file: String, building: BuildingConfig, startMs: Int64, utcOffsetMs: Int64, durationMs: Int64) throws(ScenarioError) -> ScenarioEvent {
        let path = "events[\(index)]"
        var r = try ObjectReader(item, file: file, path: path)
        guard let typeText = try r.string("type") else { throw ScenarioError(file: file, "'\(path).type' is missing") }
        guard let type = ScenarioEventType(rawValue: typeText) else {
            let all = ScenarioEventType.allCases.map(\.rawValue)
            let best = all.min { ObjectReader.distance($0, typeText) < ObjectReader.distance($1, typeText) } ?? ""
            throw ScenarioError(file: file, "'\(path).type' = '\(typeText)' is not an event type (did you mean '\(best)'?); types: \(all.joined(separator: ", "))")
        }
        guard let atV = r.value("at") else { throw ScenarioError(file: file, "'\(path).at' is missing") }
        let at = try parseAt(atV, file: file, path: "\(path).at", startMs: startMs, utcOffsetMs: utcOffsetMs)
        guard at >= startMs, at < startMs + durationMs else {
            throw ScenarioError(file: file, "'\(path).at' is outside the scenario (\(SimTime.format(at - startMs)) after the start; duration \(SimTime.format(durationMs)))")
        }
        let duration = try r.duration("duration")
        if let duration, duration <= 0 { throw ScenarioError(file: file, "'\(path).duration' must be positive") }
        var device = try r.string("device")
        var unit = try r.string("unit")
        let port = try r.int("port")
        var params: [(String, JSONValue)] = []
        if let pv = r.value("params") {
            let p = try ObjectReader(pv, file: file, path: "\(path).params")
            let known = Set(type.knownParams)
            for (k, v) in p.members {
                guard known.contains(k) else {
                    throw ScenarioError(file: file, "'\(path).params.\(k)' is not a parameter of \(type.rawValue); known: \(type.knownParams.isEmpty ? "(none)" : type.knownParams.joined(separator: ", "))")
                }
                params.append((k, v))
            }
        }
        try r.finish()

        func need(_ kinds: [DeviceKind]) throws(ScenarioError) -> DeviceConfig {
            guard let id = device else { throw ScenarioError(file: file, "'\(path)': \(type.rawValue) needs 'device:'") }
            guard let d = building.device(id) else {
                throw ScenarioError(file: file, "'\(path).device' = '\(id)' is not a registered device of building '\(building.gateway.building)'")
            }
            guard kinds.isEmpty || kinds.contains(d.kind) else {
                throw ScenarioError(file: file, "'\(path)': \(type.rawValue) needs a \(kinds.map(\.rawValue).joined(separator: " or ")), '\(id)' is a \(d.kind.rawValue)")
            }
            return d
        }
        switch type.target {
        case .smokeDetector:
            let d = try need([.smokeDetector])
            unit = unit ?? d.unit
        case .anyDevice:
            let d = try need([])
            unit = unit ?? d.unit
        case .unregistered:
            guard let id = device, DeviceTopic.isValidID(id) else {
                throw ScenarioError(file: file, "'\(path)': unregistered_device needs 'device:' (an id of [A-Za-z0-9_.-]{1,64} that is not registered)")
            }
            guard building.device(id) == nil else { throw ScenarioError(file: file, "'\(path).device' = '\(id)' is registered; pick an id the building does not know") }
        case .charger:
            _ = try need([.charger])
        case .chargerPort:
            let d = try need([.charger])
            guard let port else { throw ScenarioError(file: file, "'\(path)': \(type.rawValue) needs 'port:'") }
            let ports = d.ports ?? 10
            guard (1...ports).contains(port) else { throw ScenarioError(file: file, "'\(path).port' = \(port): charger '\(d.id)' has ports 1…\(ports)") }
        case .unit:
            if unit == nil, let id = device, let d = building.device(id) { unit = d.unit }
            guard let u = unit else { throw ScenarioError(file: file, "'\(path)': \(type.rawValue) needs 'unit:'") }
            guard building.unit(u) != nil else { throw ScenarioError(file: file, "'\(path).unit' = '\(u)' is not a unit of the building") }
            let needsMeter: DeviceKind = type == .waterLeak ? .waterMeter : .powerMeter
            guard let meter = building.devices.first(where: { $0.unit == u && $0.kind == needsMeter }) else {
                throw ScenarioError(file: file, "'\(path)': unit '\(u)' has no \(needsMeter.rawValue) to show \(type.rawValue)")
            }
            if device == nil { device = meter.id }
        }
        return ScenarioEvent(type: type, device: device, unit: unit, port: port, atMs: at, durationMs: duration, params: params, index: index)
    }
}

public struct HouseholdOptions: Sendable, Equatable {
    public enum WaterHeater: String, Sendable, Equatable {
        /// Gas when the flat has a gas meter, electric otherwise.
        case auto, gas, electric
    }
    /// GB/T 50331-2002 zone 3 (Jiangsu, Zhejiang, Shanghai): 120–180 L/person/day; mid value.
    public var waterLitresPerPersonDay: Double = 150
    /// Appliances other than water heating and the fridge, per person (domain.md: ~2.6 kWh
    /// per person per day in China, 2023, minus the fridge and standby share; assumed split).
    public var electricKWhPerPersonDay: Double = 2.0
    public var waterHeater: WaterHeater = .auto
    /// Share of adults out at work during the day (assumed).
    public var workingShare: Double = 0.7
    public init() {}
}

public struct ChargerOptions: Sendable, Equatable {
    /// Background sessions per port per day (assumed: a busy block's station).
    public var sessionsPerPortPerDay: Double = 1.0
    /// Reporting interval while a port's temperature moves fast or a port is in fault.
    public var fastIntervalMs: Int64 = 1_000
    public init() {}
}

public struct SmokeOptions: Sendable, Equatable {
    /// Include the detector's own `alarm` decision in telemetry.
    public var reportsAlarm: Bool = false
    /// The detector's own alarm point (NIST TN 1455-1: ≈ 5 %/m average; listed 3.3–13 %/m).
    public var alarmThresholdPctPerM: Double = 8
    /// Reporting interval while readings move (report-on-change).
    public var fastIntervalMs: Int64 = 10_000
    /// Combined smoke/CO detectors.
    public var reportsCO: Bool = true
    /// Indoor mean temperature (assumed; heated/cooled flat).
    public var indoorMeanC: Double = 21
    public init() {}
}
