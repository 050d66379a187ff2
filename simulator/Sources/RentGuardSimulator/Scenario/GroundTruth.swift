import Foundation
import RentGuardCore

/// One thing that should (or should not) be detected.
public struct Expectation: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Must be detected: counts for recall, and delay is measured.
        case must
        /// Acceptable either way (a smoke alarm during a fire, a kitchen smoke alarm on
        /// cooking): matching alarms are neither true nor false positives.
        case may
        /// Must not be raised: a matching alarm is a false positive and a violation.
        case mustNot = "must_not"
    }

    public var id: String
    /// Alarm type of protocol v1 §3.1.
    public var type: String
    public var expect: Kind
    public var device: String?
    public var unit: String?
    public var port: Int?
    /// When the cause began (the injected event's start).
    public var onsetMs: Int64
    /// When the published signature became present (domain.md criteria); detection delay
    /// is measured from here. An alarm between `onsetMs` and here still counts.
    public var fromMs: Int64
    /// When the condition ended; `nil`: lasts to the end of the scenario.
    public var toMs: Int64?
    /// The scenario event that caused it, e.g. `flaming_fire`.
    public var cause: String
    public var note: String?

    public init(id: String, type: String, expect: Kind, device: String? = nil, unit: String? = nil, port: Int? = nil, onsetMs: Int64, fromMs: Int64, toMs: Int64? = nil, cause: String, note: String? = nil) {
        self.id = id
        self.type = type
        self.expect = expect
        self.device = device
        self.unit = unit
        self.port = port
        self.onsetMs = onsetMs
        self.fromMs = fromMs
        self.toMs = toMs
        self.cause = cause
        self.note = note
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [("id", .string(id)), ("type", .string(type)), ("expect", .string(expect.rawValue))]
        m.append(("device", JSONValue(device)))
        m.append(("unit", JSONValue(unit)))
        m.append(("port", port.map { JSONValue($0) } ?? .null))
        m.append(("onset_ms", JSONValue(onsetMs)))
        m.append(("from_ms", JSONValue(fromMs)))
        m.append(("to_ms", toMs.map { JSONValue($0) } ?? .null))
        m.append(("cause", .string(cause)))
        if let note { m.append(("note", .string(note))) }
        return .object(m)
    }
}

/// The true number of occupants of one unit on one local day.
public struct OccupancyTruth: Sendable, Equatable {
    public var unit: String
    public var day: Int
    public var dayStartMs: Int64
    public var dayEndMs: Int64
    public var occupants: Int
    public var registered: Int
    public var areaM2: Double
    public var completeFlat: Bool
    /// Over the ordinance's group-rental threshold (domain.md), as the simulator reads it.
    public var groupRental: Bool

    public var json: JSONValue {
        [
            "unit": .string(unit), "day": JSONValue(day), "day_start_ms": JSONValue(dayStartMs), "day_end_ms": JSONValue(dayEndMs),
            "occupants": JSONValue(occupants), "registered": JSONValue(registered), "area_m2": .number(areaM2),
            "complete_flat": .bool(completeFlat), "group_rental": .bool(groupRental),
        ]
    }

    /// The ordinance (domain.md "Group rental"): a complete flat with 4 or more tenants and
    /// under 10 m² each; a non-complete dwelling with 2 or more and under 5 m² each (the
    /// "more than 2 people per room" reading of Shanghai's rule is not modelled). 10 or
    /// more tenants also need the area condition ("in each case").
    public static func isGroupRental(occupants: Int, areaM2: Double, completeFlat: Bool) -> Bool {
        guard occupants > 0 else { return false }
        let perPerson = areaM2 / Double(occupants)
        return completeFlat ? (occupants >= 4 && perPerson < 10) : (occupants >= 2 && perPerson < 5)
    }
}

/// What a scenario should produce at the registry: written by `record`/`run --truth`, read by `score`.
public struct GroundTruth: Sendable, Equatable {
    public var scenario: String
    public var building: String
    public var seed: UInt64
    public var startMs: Int64
    public var endMs: Int64
    public var deviceCount: Int
    public var unitCount: Int
    public var expectations: [Expectation]
    public var occupancy: [OccupancyTruth]

    public init(scenario: String, building: String, seed: UInt64, startMs: Int64, endMs: Int64, deviceCount: Int, unitCount: Int, expectations: [Expectation], occupancy: [OccupancyTruth]) {
        self.scenario = scenario
        self.building = building
        self.seed = seed
        self.startMs = startMs
        self.endMs = endMs
        self.deviceCount = deviceCount
        self.unitCount = unitCount
        self.expectations = expectations
        self.occupancy = occupancy
    }

    public var deviceDays: Double { Double(deviceCount) * Double(endMs - startMs) / Double(SimTime.dayMs) }

    public var json: JSONValue {
        [
            "format": "rentguard-sim-truth/1",
            "scenario": .string(scenario), "building": .string(building), "seed": .number(Double(seed)),
            "start_ms": JSONValue(startMs), "end_ms": JSONValue(endMs),
            "device_count": JSONValue(deviceCount), "unit_count": JSONValue(unitCount),
            "expected": .array(expectations.map(\.json)),
            "occupants": .array(occupancy.map(\.json)),
        ]
    }

    /// Pretty enough to read and diff: one expectation or occupancy row per line.
    public func serialized() -> String {
        guard case let .object(members) = json else { return json.serialized() }
        var out = "{\n"
        for (i, (k, v)) in members.enumerated() {
            out += "  " + JSONValue.string(k).serialized() + ": "
            if case let .array(items) = v, !items.isEmpty {
                out += "[\n" + items.map { "    " + $0.serialized() }.joined(separator: ",\n") + "\n  ]"
            } else {
                out += v.serialized()
            }
            out += i == members.count - 1 ? "\n" : ",\n"
        }
        return out + "}\n"
    }

    /// Shifted in time (a run that re-bases the scenario clock on the wall clock).
    public func shifted(by d: Int64) -> GroundTruth {
        var g = self
        g.startMs += d
        g.endMs += d
        g.expectations = expectations.map { e in
            var e = e
            e.onsetMs += d
            e.fromMs += d
            e.toMs = e.toMs.map { $0 + d }
            return e
        }
        g.occupancy = occupancy.map { o in
            var o = o
            o.dayStartMs += d
            o.dayEndMs += d
            return o
        }
        return g
    }

    public static func parse(_ text: String, file: String) throws -> GroundTruth {
        let root: JSONValue
        do { root = try JSONParser.parse(text, maxDepth: 16) } catch { throw ScenarioError(file: file, "not JSON: \(error)") }
        func int64(_ v: JSONValue?, _ what: String) throws -> Int64 {
            guard let d = v?.doubleValue, d == d.rounded() else { throw ScenarioError(file: file, "'\(what)' must be a whole number") }
            return Int64(d)
        }
        guard case .object = root else { throw ScenarioError(file: file, "a truth file is a JSON object") }
        var expectations: [Expectation] = []
        for (i, e) in (root["expected"]?.arrayValue ?? []).enumerated() {
            guard let type = e["type"]?.stringValue, let kindText = e["expect"]?.stringValue, let kind = Expectation.Kind(rawValue: kindText) else {
                throw ScenarioError(file: file, "expected[\(i)] needs 'type' and 'expect' (must, may, must_not)")
            }
            let from = try int64(e["from_ms"], "expected[\(i)].from_ms")
            let onset = e["onset_ms"]?.doubleValue.map { Int64($0) } ?? from
            expectations.append(Expectation(
                id: e["id"]?.stringValue ?? "e\(i)", type: type, expect: kind, device: e["device"]?.stringValue, unit: e["unit"]?.stringValue,
                port: e["port"]?.doubleValue.map { Int($0) }, onsetMs: onset, fromMs: from,
                toMs: e["to_ms"]?.doubleValue.map { Int64($0) }, cause: e["cause"]?.stringValue ?? "", note: e["note"]?.stringValue))
        }
        var occupancy: [OccupancyTruth] = []
        for (i, o) in (root["occupants"]?.arrayValue ?? []).enumerated() {
            guard let unit = o["unit"]?.stringValue else { throw ScenarioError(file: file, "occupants[\(i)] needs 'unit'") }
            occupancy.append(OccupancyTruth(
                unit: unit, day: Int(o["day"]?.doubleValue ?? 0), dayStartMs: try int64(o["day_start_ms"], "occupants[\(i)].day_start_ms"),
                dayEndMs: try int64(o["day_end_ms"], "occupants[\(i)].day_end_ms"), occupants: Int(o["occupants"]?.doubleValue ?? 0),
                registered: Int(o["registered"]?.doubleValue ?? 0), areaM2: o["area_m2"]?.doubleValue ?? 0,
                completeFlat: o["complete_flat"]?.boolValue ?? true, groupRental: o["group_rental"]?.boolValue ?? false))
        }
        return GroundTruth(
            scenario: root["scenario"]?.stringValue ?? "", building: root["building"]?.stringValue ?? "",
            seed: UInt64(max(0, root["seed"]?.doubleValue ?? 0)), startMs: try int64(root["start_ms"], "start_ms"),
            endMs: try int64(root["end_ms"], "end_ms"), deviceCount: Int(root["device_count"]?.doubleValue ?? 0),
            unitCount: Int(root["unit_count"]?.doubleValue ?? 0), expectations: expectations, occupancy: occupancy)
    }

    public static func load(path: String) throws -> GroundTruth {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, "cannot read the truth file")
        }
        return try parse(text, file: path)
    }
}
