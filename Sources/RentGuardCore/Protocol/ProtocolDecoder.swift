/// Decodes and validates protocol v1 device messages (§1) into `Reading`s.
///
/// Pure: the caller passes the receive time. Every failure is a `Rejection` with a reason
/// that has its own counter, and a detail that names the field.
public struct ProtocolDecoder: Sendable {
    public struct Options: Sendable, Equatable {
        public var building: String
        public var topicPrefix: String
        public var maxPayloadBytes: Int
        /// A device timestamp more than this ahead of the receive time is rejected.
        /// `nil` turns the check off (replaying a recorded trace on event time).
        public var futureToleranceMs: Int64?

        public init(building: String, topicPrefix: String = "rg", maxPayloadBytes: Int = 16 * 1024, futureToleranceMs: Int64? = 300_000) {
            self.building = building
            self.topicPrefix = topicPrefix
            self.maxPayloadBytes = maxPayloadBytes
            self.futureToleranceMs = futureToleranceMs
        }
    }

    public var options: Options
    /// Registered devices: id → kind.
    public var registry: [String: DeviceKind]
    /// Chargers with a configured number of ports: id → `ports`. A port number above it is
    /// refused as out of range; a charger without `ports` accepts 1...`FieldLimits.portNumber`.
    public var portCounts: [String: Int]

    public init(options: Options, registry: [String: DeviceKind], portCounts: [String: Int] = [:]) {
        self.options = options
        self.registry = registry
        self.portCounts = portCounts
    }

    public init(config: BuildingConfig, futureCheck: Bool = true) {
        self.options = Options(
            building: config.gateway.building, topicPrefix: config.ingest.topicPrefix,
            maxPayloadBytes: config.ingest.maxPayloadBytes,
            futureToleranceMs: futureCheck ? Self.milliseconds(config.ingest.futureToleranceSeconds) : nil)
        var r: [String: DeviceKind] = [:]
        var p: [String: Int] = [:]
        for d in config.devices {
            r[d.id] = d.kind
            if d.kind == .charger, let ports = d.ports, ports >= 1 { p[d.id] = ports }
        }
        self.registry = r
        self.portCounts = p
    }

    /// The port numbers `device` may report: 1...its configured `ports`, else the protocol's limit.
    func portRange(_ device: String) -> ClosedRange<Int> {
        guard let n = portCounts[device] else { return FieldLimits.portNumber }
        return 1...min(n, FieldLimits.portNumber.upperBound)
    }

    /// Seconds → whole milliseconds, clamped to 0...1e15 so that no configured value can trap.
    static func milliseconds(_ seconds: Double) -> Int64 {
        let ms = seconds * 1000
        guard ms > 0 else { return 0 }  // negative and NaN
        return Int64(min(ms, 1e15))
    }

    public func decode(topic: String, payload: [UInt8], receivedAt: Int64) -> Result<Reading, Rejection> {
        let parsedTopic: DeviceTopic
        switch DeviceTopic.parse(topic, prefix: options.topicPrefix) {
        case let .success(t): parsedTopic = t
        case let .failure(r): return .failure(r)
        }
        let device = parsedTopic.device
        guard parsedTopic.building == options.building else {
            return .failure(Rejection(.badTopic, "message for building '\(parsedTopic.building)', this gateway serves '\(options.building)'", device: device))
        }
        guard let kind = registry[device] else {
            return .failure(Rejection(.unknownDevice, "device '\(device)' is not in the device registry", device: device))
        }
        guard payload.count <= options.maxPayloadBytes else {
            return .failure(Rejection(.payloadTooLarge, "payload of \(payload.count) bytes exceeds the limit of \(options.maxPayloadBytes)", device: device))
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch where error.isDuplicateKey {
            return .failure(Rejection(.duplicateKey, "payload names a member twice: \(Rejection.printable(error.description, limit: 120))", device: device))
        } catch {
            return .failure(Rejection(.malformedJSON, "payload is not JSON: \(error)", device: device))
        }
        guard case let .object(members) = json else {
            return .failure(Rejection(.notAnObject, "payload is a JSON \(json.typeName), not an object", device: device))
        }
        let fields = Fields(members: members, device: device)
        do {
            let ts = try timestamp(fields, receivedAt: receivedAt)
            let observation: Reading.Observation
            switch parsedTopic.channel {
            case .telemetry: observation = .telemetry(try Self.telemetry(kind: kind, fields, ports: portRange(device)))
            case .event: observation = .event(try Self.event(kind: kind, fields, ports: portRange(device)))
            case .status:
                guard let online = try fields.bool("online") else {
                    throw Rejection(.missingField, "status payload has no 'online'", device: device)
                }
                observation = .status(online: online)
            case .cmd:
                throw Rejection(.badTopic, "cmd topics are gateway → device only", device: device)
            }
            return .success(Reading(device: device, ts: ts.value, timestampFromDevice: ts.fromDevice, observation: observation))
        } catch let r as Rejection {
            return .failure(r)
        } catch {
            return .failure(Rejection(.malformedJSON, "\(error)", device: device))
        }
    }

    private func timestamp(_ f: Fields, receivedAt: Int64) throws -> (value: Int64, fromDevice: Bool) {
        guard let v = f.value("ts") else { return (receivedAt, false) }
        guard case let .number(n) = v else {
            throw Rejection(.wrongType, "'ts' must be an integer (Unix ms), got a \(v.typeName)", device: f.device)
        }
        guard n == n.rounded() else {
            throw Rejection(.wrongType, "'ts' must be an integer number of milliseconds, got \(Rejection.number(n))", device: f.device)
        }
        guard abs(n) < 9.0e15 else {
            throw Rejection(.implausibleTimestamp, "'ts' \(Rejection.number(n)) is not a plausible Unix time in milliseconds", device: f.device)
        }
        let ts = Int64(n)
        guard ts >= FieldLimits.minTimestampMs else {
            throw Rejection(.implausibleTimestamp, "'ts' \(ts) is before 2001: the device clock is not set (or sent seconds, not ms)", device: f.device)
        }
        // Overflow-safe: `receivedAt` comes from the caller and `tol` from configuration.
        if let tol = options.futureToleranceMs {
            let (limit, overflow) = receivedAt.addingReportingOverflow(tol)
            if !overflow, ts > limit {
                let ahead = (Double(ts) - Double(receivedAt)) / 1000
                throw Rejection(.futureTimestamp, "'ts' \(ts) is \(Int64(ahead)) s ahead of the gateway clock (limit \(tol / 1000) s)", device: f.device)
            }
        }
        return (ts, true)
    }

    /// - Parameter ports: the port numbers this charger has (`portRange`).
    static func telemetry(kind: DeviceKind, _ f: Fields, ports portNumbers: ClosedRange<Int> = FieldLimits.portNumber) throws -> Telemetry {
        switch kind {
        case .smokeDetector:
            // v1.1: what the detector's own `alarm` decision is about; smoke when absent.
            var kind = AlarmKind.smoke
            if let k = try f.string("alarm_kind") {
                guard let parsed = AlarmKind(rawValue: k) else {
                    throw Rejection(.outOfRange, "'alarm_kind' '\(Rejection.printable(k, limit: 40))' is not smoke, heat or co", device: f.device)
                }
                kind = parsed
            }
            let t = SmokeTelemetry(
                obscurationPctPerM: try f.number("smoke_obscuration_pct_per_m", FieldLimits.obscurationPctPerM),
                temperatureC: try f.number("temperature_c", FieldLimits.temperatureC),
                coPpm: try f.number("co_ppm", FieldLimits.coPpm),
                batteryPct: try f.number("battery_pct", FieldLimits.batteryPct),
                alarm: try f.bool("alarm"), alarmKind: kind)
            guard t.obscurationPctPerM != nil || t.temperatureC != nil || t.coPpm != nil || t.alarm != nil || t.batteryPct != nil else {
                throw Rejection(.missingField, "smoke_detector telemetry has none of smoke_obscuration_pct_per_m, temperature_c, co_ppm, battery_pct, alarm", device: f.device)
            }
            return .smoke(t)
        case .charger:
            guard let portsValue = f.value("ports") else {
                throw Rejection(.missingField, "charger telemetry has no 'ports'", device: f.device)
            }
            guard case let .array(items) = portsValue else {
                throw Rejection(.wrongType, "'ports' must be an array, got a \(portsValue.typeName)", device: f.device)
            }
            guard items.count <= FieldLimits.maxPorts else {
                throw Rejection(.outOfRange, "'ports' has \(items.count) entries (limit \(FieldLimits.maxPorts))", device: f.device)
            }
            var ports: [ChargerPortReading] = []
            ports.reserveCapacity(items.count)
            var seen = Set<Int>()
            for (i, item) in items.enumerated() {
                guard case let .object(m) = item else {
                    throw Rejection(.wrongType, "ports[\(i)] must be an object, got a \(item.typeName)", device: f.device)
                }
                let p = Fields(members: m, device: f.device, path: "ports[\(i)].")
                guard let port = try p.integer("port", FieldLimits.portNumber) else {
                    throw Rejection(.missingField, "ports[\(i)] has no 'port'", device: f.device)
                }
                guard portNumbers.contains(port) else {
                    throw Rejection(.outOfRange, "ports[\(i)].port \(port) is beyond the charger's configured ports (1...\(portNumbers.upperBound))", device: f.device)
                }
                guard seen.insert(port).inserted else {
                    throw Rejection(.outOfRange, "ports[\(i)]: port \(port) appears twice", device: f.device)
                }
                guard let stateString = try p.string("state") else {
                    throw Rejection(.missingField, "ports[\(i)] has no 'state'", device: f.device)
                }
                guard let state = PortState(rawValue: stateString) else {
                    throw Rejection(.outOfRange, "ports[\(i)].state '\(Rejection.printable(stateString, limit: 40))' is not idle, charging, full or fault", device: f.device)
                }
                ports.append(ChargerPortReading(
                    port: port, state: state,
                    voltageV: try p.number("voltage_v", FieldLimits.portVoltageV),
                    currentA: try p.number("current_a", FieldLimits.portCurrentA),
                    powerW: try p.number("power_w", FieldLimits.portPowerW),
                    temperatureC: try p.number("temperature_c", FieldLimits.temperatureC),
                    energyWh: try p.number("energy_wh", FieldLimits.portEnergyWh)))
            }
            return .charger(ChargerTelemetry(ports: ports, ambientC: try f.number("ambient_c", FieldLimits.temperatureC)))
        case .powerMeter:
            let t = PowerTelemetry(
                powerW: try f.number("power_w", FieldLimits.meterPowerW),
                voltageV: try f.number("voltage_v", FieldLimits.meterVoltageV),
                currentA: try f.number("current_a", FieldLimits.meterCurrentA),
                energyKWh: try f.number("energy_kwh", FieldLimits.meterEnergyKWh),
                residualCurrentMA: try f.number("residual_current_ma", FieldLimits.residualCurrentMA))
            guard t.powerW != nil || t.currentA != nil || t.energyKWh != nil || t.residualCurrentMA != nil else {
                throw Rejection(.missingField, "power_meter telemetry has none of power_w, current_a, energy_kwh, residual_current_ma", device: f.device)
            }
            return .power(t)
        case .waterMeter:
            let t = WaterTelemetry(
                volumeL: try f.number("volume_l", FieldLimits.waterVolumeL),
                flowLPerMin: try f.number("flow_l_per_min", FieldLimits.waterFlowLPerMin))
            guard t.volumeL != nil || t.flowLPerMin != nil else {
                throw Rejection(.missingField, "water_meter telemetry has neither volume_l nor flow_l_per_min", device: f.device)
            }
            return .water(t)
        case .gasMeter:
            let t = GasTelemetry(
                volumeM3: try f.number("volume_m3", FieldLimits.gasVolumeM3),
                flowM3PerH: try f.number("flow_m3_per_h", FieldLimits.gasFlowM3PerH))
            guard t.volumeM3 != nil || t.flowM3PerH != nil else {
                throw Rejection(.missingField, "gas_meter telemetry has neither volume_m3 nor flow_m3_per_h", device: f.device)
            }
            return .gas(t)
        }
    }

    static func event(kind: DeviceKind, _ f: Fields, ports portNumbers: ClosedRange<Int> = FieldLimits.portNumber) throws -> DeviceEvent {
        guard let name = try f.string("event") else {
            throw Rejection(.missingField, "event payload has no 'event'", device: f.device)
        }
        guard let n = DeviceEvent.Name(rawValue: name) else {
            throw Rejection(.unknownEvent, "event '\(Rejection.printable(name, limit: 40))' is not one of \(DeviceEvent.Name.allCases.map(\.rawValue).joined(separator: ", "))", device: f.device)
        }
        let port = try f.integer("port", FieldLimits.portNumber)
        if let port, !portNumbers.contains(port) {
            throw Rejection(.outOfRange, "'port' \(port) is beyond the charger's configured ports (1...\(portNumbers.upperBound))", device: f.device)
        }
        if kind == .charger, n == .sessionStart || n == .sessionEnd, port == nil {
            throw Rejection(.missingField, "charger event '\(n.rawValue)' has no 'port'", device: f.device)
        }
        let detail = try f.string("detail").map { truncated($0, toUTF8Bytes: FieldLimits.maxDetailLength) }
        return DeviceEvent(name: n, port: port, detail: detail)
    }

    /// `s` cut to at most `limit` UTF-8 bytes, at a character boundary.
    static func truncated(_ s: String, toUTF8Bytes limit: Int) -> String {
        guard s.utf8.count > limit else { return s }
        var bytes = 0
        var end = s.startIndex
        for c in s {
            let n = c.utf8.count
            guard bytes + n <= limit else { break }
            bytes += n
            end = s.index(after: end)
        }
        return String(s[..<end])
    }
}

/// Typed access to a payload's members, throwing a `Rejection` that names the field.
struct Fields {
    let members: [(String, JSONValue)]
    let device: String
    var path: String = ""

    /// The member named `key` (the first, if the key repeats); `null` counts as absent.
    func value(_ key: String) -> JSONValue? {
        for (k, v) in members where k == key {
            // Not `v == .null ? nil : v`: JSONValue is ExpressibleByNilLiteral, so that `nil`
            // would become `.null`.
            if case .null = v { return nil }
            return v
        }
        return nil
    }

    func number(_ key: String, _ range: ClosedRange<Double>) throws -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .null: return nil
        case let .number(n):
            guard range.contains(n) else {
                throw Rejection(.outOfRange, "'\(path)\(key)' = \(Rejection.number(n)) is outside \(Rejection.number(range.lowerBound))...\(Rejection.number(range.upperBound))", device: device)
            }
            return n
        default:
            throw Rejection(.wrongType, "'\(path)\(key)' must be a number, got a \(v.typeName)", device: device)
        }
    }

    func integer(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .null: return nil
        case let .number(n):
            guard n == n.rounded() else {
                throw Rejection(.wrongType, "'\(path)\(key)' must be an integer, got \(Rejection.number(n))", device: device)
            }
            // Compare as Double before converting, so that a huge integer is out of range, not a trap.
            guard n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
                throw Rejection(.outOfRange, "'\(path)\(key)' = \(Rejection.number(n)) is outside \(range.lowerBound)...\(range.upperBound)", device: device)
            }
            return Int(n)
        default:
            throw Rejection(.wrongType, "'\(path)\(key)' must be an integer, got a \(v.typeName)", device: device)
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        switch v {
        case .null: return nil
        case let .bool(b): return b
        default: throw Rejection(.wrongType, "'\(path)\(key)' must be true or false, got a \(v.typeName)", device: device)
        }
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        switch v {
        case .null: return nil
        case let .string(s): return s
        default: throw Rejection(.wrongType, "'\(path)\(key)' must be a string, got a \(v.typeName)", device: device)
        }
    }
}
