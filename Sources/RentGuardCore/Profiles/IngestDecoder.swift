/// The decoder the daemon's ingest path calls for every message on the building broker:
/// messages on a profile device's own topics go to that device's profile; everything else
/// goes to the protocol v1 decoder (`ProtocolDecoder`), unchanged.
///
/// Pure: the caller passes the receive time. One message gives zero or more readings (a
/// zigbee2mqtt state message is telemetry plus an event per raised flag), or a `Rejection`
/// with its own counter, as for protocol v1.
public struct IngestDecoder: Sendable {
    public let v1: ProtocolDecoder
    /// Profile devices, in configuration order.
    public let profiles: [any DeviceProfile]
    /// Devices whose profile settings cannot work (configuration validation reports them
    /// first); their messages are not subscribed to.
    public let problems: [(device: String, error: ProfileError)]
    private let exact: [String: Int]
    private let wildcard: [(filter: String, index: Int)]
    private let byDevice: [String: Int]
    private let maxPayloadBytes: Int
    private let topicPrefix: String
    private let building: String

    public init(config: BuildingConfig, futureCheck: Bool = true) {
        v1 = ProtocolDecoder(config: config, futureCheck: futureCheck)
        let env = ProfileEnvironment(futureToleranceMs: v1.options.futureToleranceMs)
        var profiles: [any DeviceProfile] = []
        var problems: [(String, ProfileError)] = []
        var seen = Set<String>()
        for d in config.devices where !d.source.isProtocolV1 && seen.insert(d.id).inserted {
            do {
                if let p = try ProfileName.make(d, environment: env) { profiles.append(p) }
            } catch {
                problems.append((d.id, error))
            }
        }
        var exact: [String: Int] = [:]
        var wildcard: [(String, Int)] = []
        var byDevice: [String: Int] = [:]
        for (i, p) in profiles.enumerated() {
            byDevice[p.device.id] = i
            for f in p.subscriptions {
                if TopicFilter.hasWildcard(f) {
                    wildcard.append((f, i))
                } else if exact[f] == nil {
                    exact[f] = i
                }
            }
        }
        self.profiles = profiles
        self.problems = problems
        self.exact = exact
        self.wildcard = wildcard
        self.byDevice = byDevice
        self.maxPayloadBytes = config.ingest.maxPayloadBytes
        self.topicPrefix = config.ingest.topicPrefix
        self.building = config.gateway.building
    }

    /// Every topic filter the daemon must subscribe to (QoS 1) for `config`: protocol v1's
    /// three per-building filters, then each profile device's own topics, without repeats.
    public static func subscriptions(for config: BuildingConfig) -> [String] {
        let prefix = config.ingest.topicPrefix, b = config.gateway.building
        var out = ["\(prefix)/\(b)/+/telemetry", "\(prefix)/\(b)/+/event", "\(prefix)/\(b)/+/status"]
        var seen = Set(out)
        for p in IngestDecoder(config: config).profiles {
            for f in p.subscriptions where seen.insert(f).inserted { out.append(f) }
        }
        return out
    }

    /// The subscriptions of this decoder's configuration.
    public var subscriptions: [String] {
        var out = ["\(topicPrefix)/\(building)/+/telemetry", "\(topicPrefix)/\(building)/+/event", "\(topicPrefix)/\(building)/+/status"]
        var seen = Set(out)
        for p in profiles {
            for f in p.subscriptions where seen.insert(f).inserted { out.append(f) }
        }
        return out
    }

    /// The profile device that owns `topic`, if any.
    public func profile(for topic: String) -> (any DeviceProfile)? {
        if let i = exact[topic] { return profiles[i] }
        for (f, i) in wildcard where TopicFilter.matches(f, topic) { return profiles[i] }
        return nil
    }

    public func decode(topic: String, payload: [UInt8], receivedAt: Int64) -> Result<[Reading], Rejection> {
        guard let p = profile(for: topic) else {
            return v1.decode(topic: topic, payload: payload, receivedAt: receivedAt).map { [$0] }
        }
        guard payload.count <= maxPayloadBytes else {
            return .failure(Rejection(.payloadTooLarge, "payload of \(payload.count) bytes exceeds the limit of \(maxPayloadBytes)", device: p.device.id))
        }
        return p.decode(topic: topic, payload: payload, receivedAt: receivedAt)
    }

    /// A command as the device receives it: through its profile, or protocol v1 §2 on
    /// `<prefix>/<building>/<device>/cmd`. `nil` when the device's profile cannot carry it
    /// out (the alarm then records the command as `timed_out`).
    public func encode(_ c: DeviceCommand) -> OutgoingMessage? {
        if let i = byDevice[c.device] { return profiles[i].encode(c) }
        var body: [(String, JSONValue)] = [("ts", JSONValue(c.ts)), ("cmd", .string(c.command))]
        if let p = c.port { body.append(("port", JSONValue(p))) }
        body.append(("reason", .string(c.reason)))
        if let id = c.alarmID { body.append(("alarm_id", .string(id))) }
        return OutgoingMessage(topic: "\(topicPrefix)/\(building)/\(c.device)/cmd", text: JSONValue.object(body).serialized())
    }
}
