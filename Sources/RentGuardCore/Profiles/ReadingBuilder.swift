/// Collects what one device message says (telemetry fields, events, status) and turns it
/// into protocol v1 `Reading`s with the same checks as the v1 decoder: plausible ranges
/// (`FieldLimits`) and at least one field for a telemetry reading.
public struct ReadingBuilder: Sendable {
    public let device: String
    public let kind: DeviceKind
    private var values: [TelemetryField: Double] = [:]
    /// The message's `alarm` (its kind from `alarm_kind`, smoke by default).
    private var flag: Bool?
    private var flagKind: AlarmKind?
    /// Decisions whose kind the mapping fixes (`co_alarm`, …).
    private var decisions: [AlarmKind: Bool] = [:]
    private var events: [DeviceEvent] = []
    private var online: Bool?
    private var ports: [ChargerPortReading] = []

    public init(device: String, kind: DeviceKind) {
        self.device = device
        self.kind = kind
    }

    public var isEmpty: Bool { values.isEmpty && flag == nil && decisions.isEmpty && events.isEmpty && online == nil && ports.isEmpty }

    /// A number for `field`, checked against its range; `source` names it in a rejection.
    public mutating func set(_ field: TelemetryField, _ value: Double, source: String) throws(Rejection) {
        guard field.kinds.contains(kind) else { return }  // a field this kind does not have: ignored
        guard value.isFinite else {
            throw Rejection(.wrongType, "'\(source)' is not a finite number", device: device)
        }
        guard field.range.contains(value) else {
            throw Rejection(.outOfRange, "'\(source)' = \(Rejection.number(value)) is outside \(Rejection.number(field.range.lowerBound))...\(Rejection.number(field.range.upperBound)) for \(field.rawValue)", device: device)
        }
        values[field] = value
    }

    /// The message's `alarm`: any key mapped to it that is true makes the decision true.
    public mutating func setFlag(_ value: Bool) {
        flag = (flag ?? false) || value
    }

    /// A decision about `kind` (`smoke_alarm`, `heat_alarm`, `co_alarm`): any key mapped to
    /// it that is true makes it true.
    public mutating func setDecision(_ kind: AlarmKind, _ value: Bool) {
        decisions[kind] = (decisions[kind] ?? false) || value
    }

    /// What the message's `alarm` is about (`alarm_kind`).
    public mutating func setAlarmKind(_ kind: AlarmKind) { flagKind = kind }

    public mutating func event(_ name: DeviceEvent.Name, port: Int? = nil, detail: String? = nil) {
        events.append(DeviceEvent(name: name, port: port, detail: detail))
    }

    public mutating func status(online: Bool) { self.online = online }

    public mutating func port(_ p: ChargerPortReading) throws(Rejection) {
        guard FieldLimits.portNumber.contains(p.port) else {
            throw Rejection(.outOfRange, "port \(p.port) is outside \(FieldLimits.portNumber)", device: device)
        }
        ports.append(p)
    }

    /// Applies `target` to a JSON value, with `mapping`'s scale, offset and `when`.
    public mutating func apply(_ target: ObservationTarget, _ value: JSONValue, mapping: FieldMapping? = nil, source: String) throws(Rejection) {
        if case .null = value { return }
        switch target {
        case .ignore:
            return
        case let .field(f) where f.isFlag:
            setFlag(try Self.flag(value, when: mapping?.when, source: source, device: device))
        case let .decision(k):
            setDecision(k, try Self.flag(value, when: mapping?.when, source: source, device: device))
        case .alarmKind:
            guard let s = value.stringValue else {
                throw Rejection(.wrongType, "'\(source)' must be smoke, heat or co, got a \(value.typeName)", device: device)
            }
            guard let k = AlarmKind(rawValue: s.lowercased()) else {
                throw Rejection(.outOfRange, "'\(source)' '\(Rejection.printable(s, limit: 40))' is not smoke, heat or co", device: device)
            }
            setAlarmKind(k)
        case let .field(f):
            let n = try Self.number(value, source: source, device: device)
            try set(f, n * (mapping?.scale ?? 1) + (mapping?.offset ?? 0), source: source)
        case let .event(e):
            if try Self.flag(value, when: mapping?.when, source: source, device: device) { event(e) }
        case .online:
            status(online: try Self.flag(value, when: mapping?.when ?? (value.stringValue != nil ? "online" : nil), source: source, device: device))
        }
    }

    /// The readings, all at `ts`: telemetry first, then events, then status.
    public func readings(ts: Int64, fromDevice: Bool) throws(Rejection) -> [Reading] {
        var out: [Reading] = []
        if let t = try telemetry() {
            out.append(Reading(device: device, ts: ts, timestampFromDevice: fromDevice, observation: .telemetry(t)))
        }
        for e in events {
            out.append(Reading(device: device, ts: ts, timestampFromDevice: fromDevice, observation: .event(e)))
        }
        if let online {
            out.append(Reading(device: device, ts: ts, timestampFromDevice: fromDevice, observation: .status(online: online)))
        }
        return out
    }

    private func telemetry() throws(Rejection) -> Telemetry? {
        let v = values
        switch kind {
        case .smokeDetector:
            var d = decisions
            if let flag { d[flagKind ?? .smoke] = (d[flagKind ?? .smoke] ?? false) || flag }
            guard !v.isEmpty || !d.isEmpty else { return nil }
            return .smoke(SmokeTelemetry(
                obscurationPctPerM: v[.smokeObscuration], temperatureC: v[.temperature], coPpm: v[.coPpm],
                batteryPct: v[.batteryPct], decisions: d))
        case .powerMeter:
            // Voltage alone is not a power reading (protocol v1 requires one of the others).
            guard v[.powerW] != nil || v[.currentA] != nil || v[.energyKWh] != nil || v[.residualCurrentMA] != nil else { return nil }
            return .power(PowerTelemetry(
                powerW: v[.powerW], voltageV: v[.voltageV], currentA: v[.currentA], energyKWh: v[.energyKWh],
                residualCurrentMA: v[.residualCurrentMA]))
        case .waterMeter:
            guard !v.isEmpty else { return nil }
            return .water(WaterTelemetry(volumeL: v[.volumeL], flowLPerMin: v[.flowLPerMin]))
        case .gasMeter:
            guard !v.isEmpty else { return nil }
            return .gas(GasTelemetry(volumeM3: v[.volumeM3], flowM3PerH: v[.flowM3PerH]))
        case .charger:
            guard !ports.isEmpty else { return nil }
            return .charger(ChargerTelemetry(ports: ports.sorted { $0.port < $1.port }))
        }
    }

    // MARK: - Value conversions

    static func number(_ v: JSONValue, source: String, device: String) throws(Rejection) -> Double {
        switch v {
        case let .number(n): return n
        case let .string(s):
            // Some firmwares send numbers as text ("230.1"); accept plain decimals only.
            if let n = Double(s), n.isFinite, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }) { return n }
            throw Rejection(.wrongType, "'\(source)' must be a number, got the string '\(Rejection.printable(s, limit: 40))'", device: device)
        default:
            throw Rejection(.wrongType, "'\(source)' must be a number, got a \(v.typeName)", device: device)
        }
    }

    /// A flag: a JSON boolean, or (with `when`) a value equal to `when` (as text, any case).
    static func flag(_ v: JSONValue, when: String?, source: String, device: String) throws(Rejection) -> Bool {
        if let when {
            switch v {
            case let .string(s): return s.lowercased() == when.lowercased()
            case let .number(n): return Rejection.number(n) == when
            case let .bool(b): return String(b) == when.lowercased()
            default: break
            }
            throw Rejection(.wrongType, "'\(source)' must be a string, number or boolean, got a \(v.typeName)", device: device)
        }
        guard case let .bool(b) = v else {
            throw Rejection(.wrongType, "'\(source)' must be true or false, got a \(v.typeName)", device: device)
        }
        return b
    }
}
