import RentGuardCentre
import RentGuardCore
import RentGuardStore

/// Which destinations a message goes to: every registry destination, and for alarms the
/// channels of the unit's landlord. Toward a landlord, life-safety alarms
/// (`Alarm.isLifeSafety`: fire, smoke, heat and CO above warning, every critical alarm) go
/// at once whatever the landlord's severity floor and quiet hours; the rest are filtered by
/// `min_severity` and held until the end of the landlord's quiet hours, which are in the
/// gateway's local time (`gateway.timezone`). Pure: the time of each row is given.
public struct DeliveryPlan: Sendable {
    public struct LandlordChannel: Sendable, Equatable {
        public var landlord: String
        public var destination: String
    }

    public let config: BuildingConfig
    /// Names of the registry destinations (`registry-mqtt`, `registry-https`).
    public let registryDestinations: [String]
    /// The local time of quiet hours: the gateway's zone unless given.
    let timeZone: LocalTimeZone
    /// The fire-monitoring centre's destination (`centre`) when `registry.centre` is set: it
    /// gets the alarm transitions of `CentreReport.reported` (docs/centre-link.md).
    public let centreDestination: String?

    public init(config: BuildingConfig, registryDestinations: [String], timeZone: LocalTimeZone? = nil, centreDestination: String? = nil) {
        self.config = config
        self.registryDestinations = registryDestinations
        self.timeZone = timeZone ?? config.gateway.zone
        self.centreDestination = centreDestination
    }

    /// The destination name of a landlord's channel.
    public static func landlordDestination(_ landlord: String, channel index: Int) -> String {
        "landlord:\(landlord):\(index)"
    }

    /// Outbox rows for one alarm transition.
    public func rows(for t: AlarmTransition, createdAt: Int64) -> [NewOutboxMessage] {
        let building = config.gateway.building
        let message = RegistryMessage.alarm(t, building: building, gateway: config.gateway.id)
        let payload = message.body.serialized()
        var rows = registryDestinations.map {
            NewOutboxMessage(
                messageID: message.messageID, destination: $0, kind: message.kind, priority: message.priority,
                orderKey: message.orderKey, payload: payload, createdAt: createdAt)
        }
        if let centre = centreDestination, let c = config.registry.centre, let report = CentreReport.of(t, config: config, centre: c) {
            rows.append(NewOutboxMessage(
                messageID: message.messageID, destination: centre, kind: message.kind, priority: message.priority,
                orderKey: message.orderKey, payload: report.json.serialized(), createdAt: createdAt))
        }
        let a = t.alarm
        guard let unitID = a.key.unit, let unit = config.unit(unitID), let landlordID = unit.landlord,
            let landlord = config.landlords.first(where: { $0.id == landlordID })
        else { return rows }
        let lifeSafety = a.isLifeSafety
        guard lifeSafety || a.severity >= landlord.minSeverity else { return rows }
        var body = message.body
        if case var .object(m) = body {
            m.append(("summary", .string(AlarmSummary.text(a, config: config))))
            m.append(("landlord", .string(landlordID)))
            body = .object(m)
        }
        let landlordPayload = body.serialized()
        let notBefore = lifeSafety ? nil : landlord.quietHours.flatMap { quietHoursEnd($0, at: createdAt) }
        // An SMS channel gets only the start of a life-safety alarm (SMSDestination).
        for (i, channel) in landlord.channels.enumerated() where channel.type != "sms" || (lifeSafety && a.state == .raised) {
            rows.append(NewOutboxMessage(
                messageID: message.messageID, destination: Self.landlordDestination(landlordID, channel: i), kind: message.kind,
                priority: message.priority, orderKey: message.orderKey, payload: landlordPayload, createdAt: createdAt,
                notBefore: notBefore))
        }
        return rows
    }

    /// Outbox rows for an occupancy estimate: the registry only.
    public func rows(for e: OccupancyEstimate, createdAt: Int64) -> [NewOutboxMessage] {
        let m = RegistryMessage.occupancy(e, building: config.gateway.building, gateway: config.gateway.id)
        let payload = m.body.serialized()
        return registryDestinations.map {
            NewOutboxMessage(
                messageID: m.messageID, destination: $0, kind: m.kind, priority: m.priority, orderKey: m.orderKey,
                payload: payload, createdAt: createdAt)
        }
    }

    /// If `at` falls inside quiet hours "HH:MM-HH:MM" (the gateway's local time, may wrap
    /// midnight), the end of those quiet hours in Unix ms; otherwise nil.
    public func quietHoursEnd(_ spec: String, at: Int64) -> Int64? {
        let parts = spec.split(separator: "-").map { $0.split(separator: ":").compactMap { Int($0) } }
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2 else { return nil }
        let start = parts[0][0] * 60 + parts[0][1]
        let end = parts[1][0] * 60 + parts[1][1]
        let localMin = timeZone.localMinuteOfDay(at)
        let inside = start <= end ? (localMin >= start && localMin < end) : (localMin >= start || localMin < end)
        guard inside else { return nil }
        // The end is later today, or tomorrow when the window wraps past midnight.
        let endDay = timeZone.localDay(at) + (end > localMin ? 0 : 1)
        return timeZone.utc(fromLocal: endDay * 86_400_000 + Int64(end) * 60_000)
    }
}
