/// Anything else that publishes JSON: the configuration maps JSON pointers (RFC 6901) in
/// the payload of the device's `topic` onto observations, with a linear scale
/// (`value × scale + offset`), and optionally a timestamp pointer and an availability topic.
///
/// ```yaml
/// profile: generic_json
/// topic: site/flat101/meter
/// mapping:
///   timestamp: /time          # optional; unit ms (default), s or iso8601
///   timestamp_unit: s
///   fields:
///     - {pointer: /em/p_w, to: power_w}
///     - {pointer: /em/e_wh, to: energy_kwh, scale: 0.001}
///     - {pointer: /alarm, to: alarm, when: "FIRE"}
///   availability_topic: site/flat101/meter/lwt
///   online_payload: up
///   offline_payload: down
/// ```
/// Commands: none.
public struct GenericJSONProfile: DeviceProfile {
    public let device: DeviceConfig
    public let topic: String
    public let utcOffsetMinutes: Int
    public let environment: ProfileEnvironment
    let mapping: GenericJSONMapping
    let fields: [(JSONPointer, ObservationTarget, FieldMapping)]
    let timestamp: JSONPointer?

    public init(device: DeviceConfig, topic: String, utcOffsetMinutes: Int, environment: ProfileEnvironment) throws(ProfileError) {
        guard let mapping = device.source.mapping else {
            throw ProfileError("profile 'generic_json' needs a 'mapping' with its 'fields'")
        }
        guard !mapping.fields.isEmpty else { throw ProfileError("mapping.fields is empty") }
        var out: [(JSONPointer, ObservationTarget, FieldMapping)] = []
        for (i, f) in mapping.fields.enumerated() {
            guard let p = JSONPointer(f.pointer) else {
                throw ProfileError("mapping.fields[\(i)].pointer '\(f.pointer)' is not a JSON pointer (RFC 6901: '' or '/a/b', '~0' for '~', '~1' for '/')")
            }
            guard let t = ObservationTarget(f.mapping.to) else {
                throw ProfileError("mapping.fields[\(i)].to: unknown target '\(f.mapping.to)'")
            }
            guard t.applies(to: device.kind) else {
                throw ProfileError("mapping.fields[\(i)].to: \(f.mapping.to) is not a field of a \(device.kind.rawValue)")
            }
            out.append((p, t, f.mapping))
        }
        if let ts = mapping.timestamp {
            guard let p = JSONPointer(ts) else { throw ProfileError("mapping.timestamp '\(ts)' is not a JSON pointer") }
            timestamp = p
        } else {
            timestamp = nil
        }
        if let a = mapping.availabilityTopic, !TopicFilter.isValidTopic(a) {
            throw ProfileError("mapping.availability_topic '\(a)' is not a topic (no wildcards)")
        }
        self.device = device
        self.topic = topic
        self.utcOffsetMinutes = utcOffsetMinutes
        self.environment = environment
        self.mapping = mapping
        self.fields = out
    }

    public var subscriptions: [String] { [topic] + (mapping.availabilityTopic.map { [$0] } ?? []) }

    public func decode(topic t: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        result { () throws(Rejection) -> [Reading] in
            var b = ReadingBuilder(device: device.id, kind: device.kind)
            if t == mapping.availabilityTopic, t != topic {
                let s = text(payload)
                if s == mapping.onlinePayload {
                    b.status(online: true)
                } else if s == mapping.offlinePayload {
                    b.status(online: false)
                } else {
                    throw Rejection(.outOfRange, "availability '\(Rejection.printable(s, limit: 40))' is neither '\(mapping.onlinePayload)' nor '\(mapping.offlinePayload)'", device: device.id)
                }
                return try b.readings(ts: receivedAt, fromDevice: false)
            }
            guard t == topic else { throw unknownTopic(t) }
            let root = try json(payload)
            var ts = receivedAt
            var fromDevice = false
            if let p = timestamp, let v = p.resolve(in: root), v != .null {
                let src = "timestamp \(p)"
                switch (mapping.timestampUnit, v) {
                case let (.ms, .number(n)): ts = try environment.checked(milliseconds: n, receivedAt: receivedAt, device: device.id, field: src)
                case let (.s, .number(n)): ts = try environment.checked(seconds: n, receivedAt: receivedAt, device: device.id, field: src)
                case let (.iso8601, .string(s)):
                    guard let ms = DeviceTime.parse(s, defaultOffsetMinutes: utcOffsetMinutes) else {
                        throw Rejection(.wrongType, "\(src) '\(Rejection.printable(s, limit: 40))' is not an ISO 8601 time", device: device.id)
                    }
                    ts = try environment.checked(ms, receivedAt: receivedAt, device: device.id, field: src)
                default:
                    throw Rejection(.wrongType, "\(src) must be a \(mapping.timestampUnit == .iso8601 ? "string" : "number"), got a \(v.typeName)", device: device.id)
                }
                fromDevice = true
            }
            var found = false
            for (p, target, m) in fields {
                guard let v = p.resolve(in: root) else { continue }
                found = true
                try b.apply(target, v, mapping: m, source: p.description)
            }
            guard found else {
                throw Rejection(.missingField, "none of the mapped pointers (\(fields.map(\.0.description).joined(separator: ", "))) is in the payload", device: device.id)
            }
            return try b.readings(ts: ts, fromDevice: fromDevice)
        }
    }

    public func encode(_ command: DeviceCommand) -> OutgoingMessage? { nil }
}
