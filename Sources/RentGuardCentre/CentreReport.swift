import RentGuardCore

/// One alarm transition as the centre gets it: a type-2 component status object, stored in
/// the outbox (as JSON, with the description as text) and encoded when sent. Pure.
public struct CentreReport: Sendable, Equatable {
    public var messageID: String
    public var address: CentreAddress
    public var status: ComponentStatusBits
    /// The description as text; encoded in GB 18030 and cut to 31 bytes when sent.
    public var description: String
    /// The local time of the transition.
    public var time: CentreTime

    public init(messageID: String, address: CentreAddress, status: ComponentStatusBits, description: String, time: CentreTime) {
        self.messageID = messageID
        self.address = address
        self.status = status
        self.description = description
        self.time = time
    }

    /// What the centre is told, per alarm type: the status bits while active, and the words
    /// of the description (docs/centre-link.md, "What is sent").
    public static let reported: [AlarmType: (bits: ComponentStatusBits, words: String)] = [
        .fire: (.fireAlarm, "火警"),
        .smoke: (.fireAlarm, "烟雾报警"),
        .heat: (.fireAlarm, "高温报警"),
        .co: (.fireAlarm, "一氧化碳报警"),
        .deviceFault: (.fault, "故障"),
        .deviceOffline: (.fault, "离线"),
        .tamper: (.fault, "防拆报警"),
        .batteryLow: ([.fault, .powerFault], "电池欠压"),
    ]

    /// The report of one transition, or nil when the centre is not told about it (a type it
    /// does not get, an acknowledgement, or no address).
    public static func of(_ t: AlarmTransition, config: BuildingConfig, centre: CentreConfig) -> CentreReport? {
        let a = t.alarm
        guard let r = reported[a.key.type], a.state != .acknowledged,
            let address = CentreAddress.of(alarm: a.key, config: config, centre: centre)
        else { return nil }
        let cleared = a.state == .cleared
        return CentreReport(
            messageID: t.messageID, address: address, status: cleared ? .normalOperation : r.bits.union(.normalOperation),
            description: address.label + r.words + (cleared ? "恢复" : ""),
            time: CentreTime(unixMs: a.updatedAt, zone: config.gateway.zone))
    }

    /// The outbox payload.
    public var json: JSONValue {
        .object([
            ("message_id", .string(messageID)),
            ("system_type", JSONValue(Int(address.systemType))), ("system_address", JSONValue(Int(address.systemAddress))),
            ("component_type", JSONValue(Int(address.componentType))), ("zone", JSONValue(Int(address.zone))),
            ("position", JSONValue(Int(address.position))), ("label", .string(address.label)),
            ("status", JSONValue(Int(status.rawValue))), ("description", .string(description)),
            ("time", .array(time.bytes.map { JSONValue(Int($0)) })),
        ])
    }

    /// Reads a payload back (extra members, such as `sent_at`, are ignored).
    public init?(json v: JSONValue) {
        func byte(_ k: String) -> UInt8? { v[k]?.doubleValue.flatMap { UInt8(exactly: $0) } }
        func word(_ k: String) -> UInt16? { v[k]?.doubleValue.flatMap { UInt16(exactly: $0) } }
        guard let id = v["message_id"]?.stringValue, let st = byte("system_type"), let sa = byte("system_address"),
            let ct = byte("component_type"), let zone = word("zone"), let pos = word("position"), let status = word("status"),
            let text = v["description"]?.stringValue, let tb = v["time"]?.arrayValue?.compactMap({ $0.doubleValue.flatMap { UInt8(exactly: $0) } }),
            let time = CentreTime(tb)
        else { return nil }
        self.init(
            messageID: id,
            address: CentreAddress(systemType: st, systemAddress: sa, componentType: ct, zone: zone, position: pos, label: v["label"]?.stringValue ?? ""),
            status: ComponentStatusBits(rawValue: status), description: text, time: time)
    }

    /// The type-2 object; nil when GB 18030 is not available in the C library.
    public func object() -> ComponentStatus? {
        guard let text = GB18030.encode(description, maxBytes: ComponentStatus.descriptionLength) else { return nil }
        return ComponentStatus(
            systemType: address.systemType, systemAddress: address.systemAddress, componentType: address.componentType, zone: address.zone,
            position: address.position, status: status, description: text, time: time)
    }
}
