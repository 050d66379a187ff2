/// A device profile: how one device that does not speak protocol v1 (a zigbee2mqtt
/// detector, a Tasmota or Shelly meter, a generic JSON device) maps onto protocol v1.
///
/// A profile value is bound to one configured device. Pure: the caller passes the receive
/// time; every failure is a `Rejection` with its own counter, as for protocol v1.
public protocol DeviceProfile: Sendable {
    /// The configured device this profile decodes for.
    var device: DeviceConfig { get }
    /// MQTT topic filters the gateway must subscribe to for this device (may hold `+`).
    var subscriptions: [String] { get }
    /// One message on one of `subscriptions` → zero or more readings (telemetry, events,
    /// status), all with the same timestamp. A message that carries nothing the gateway
    /// uses (another Tasmota `stat/` reply, a Shelly `NotifyEvent`) gives no readings.
    func decode(topic: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection>
    /// A command (protocol v1 §2) in the device's own terms, or `nil` when the device cannot
    /// carry it out through this profile.
    func encode(_ command: DeviceCommand) -> OutgoingMessage?
}

/// A message the gateway publishes on the building broker.
public struct OutgoingMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool

    public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    public init(topic: String, text: String, qos: Int = 1) {
        self.init(topic: topic, payload: Array(text.utf8), qos: qos)
    }

    public var payloadText: String { String(decoding: payload, as: UTF8.self) }
}

/// What every profile shares: the timestamp rules of the gateway.
public struct ProfileEnvironment: Sendable, Equatable {
    /// A device timestamp more than this ahead of the receive time is rejected; `nil` turns
    /// the check off (replaying a recorded trace on event time).
    public var futureToleranceMs: Int64?

    public init(futureToleranceMs: Int64? = 300_000) {
        self.futureToleranceMs = futureToleranceMs
    }

    /// A device timestamp (Unix ms), checked as protocol v1 checks `ts`.
    func checked(_ ts: Int64, receivedAt: Int64, device: String, field: String) throws(Rejection) -> Int64 {
        guard ts >= FieldLimits.minTimestampMs else {
            throw Rejection(.implausibleTimestamp, "'\(field)' \(ts) is before 2001: the device clock is not set", device: device)
        }
        if let tol = futureToleranceMs {
            let (limit, overflow) = receivedAt.addingReportingOverflow(tol)
            if !overflow, ts > limit {
                throw Rejection(.futureTimestamp, "'\(field)' \(ts) is \((ts - receivedAt) / 1000) s ahead of the gateway clock (limit \(tol / 1000) s)", device: device)
            }
        }
        return ts
    }

    /// Seconds (possibly fractional) since the epoch → checked ms.
    func checked(seconds: Double, receivedAt: Int64, device: String, field: String) throws(Rejection) -> Int64 {
        guard seconds.isFinite, abs(seconds) < 9e12 else {
            throw Rejection(.implausibleTimestamp, "'\(field)' is not a plausible Unix time in seconds", device: device)
        }
        return try checked(Int64((seconds * 1000).rounded()), receivedAt: receivedAt, device: device, field: field)
    }

    /// Milliseconds since the epoch (a JSON number) → checked ms.
    func checked(milliseconds: Double, receivedAt: Int64, device: String, field: String) throws(Rejection) -> Int64 {
        guard milliseconds.isFinite, milliseconds == milliseconds.rounded(), abs(milliseconds) < 9e15 else {
            throw Rejection(.implausibleTimestamp, "'\(field)' is not a plausible Unix time in milliseconds", device: device)
        }
        return try checked(Int64(milliseconds), receivedAt: receivedAt, device: device, field: field)
    }
}

extension DeviceProfile {
    /// Parses a JSON payload (the core's strict parser) or rejects it.
    func json(_ payload: [UInt8]) throws(Rejection) -> JSONValue {
        do {
            return try JSONParser.parse(payload)
        } catch {
            throw Rejection(.malformedJSON, "payload is not JSON: \(error)", device: device.id)
        }
    }

    /// Parses a JSON object payload or rejects it.
    func object(_ payload: [UInt8]) throws(Rejection) -> [(String, JSONValue)] {
        let v = try json(payload)
        guard case let .object(m) = v else {
            throw Rejection(.notAnObject, "payload is a JSON \(v.typeName), not an object", device: device.id)
        }
        return m
    }

    /// A plain-text payload (LWT, `online`), trimmed.
    func text(_ payload: [UInt8]) -> String {
        var s = Substring(String(decoding: payload, as: UTF8.self))
        while let f = s.first, f.isWhitespace || f == "\"" { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace || l == "\"" { s = s.dropLast() }
        return String(s)
    }

    func unknownTopic(_ topic: String) -> Rejection {
        Rejection(.badTopic, "topic '\(Rejection.printable(topic, limit: 200))' is not one of \(device.source.profile ?? "the profile")'s topics for '\(device.id)'", device: device.id)
    }

    /// Wraps a throwing decode body into a `Result`.
    func result(_ body: () throws(Rejection) -> [Reading]) -> Result<[Reading], Rejection> {
        do { return .success(try body()) } catch { return .failure(error) }
    }
}
