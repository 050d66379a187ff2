import Foundation
import RentGuardCore
import RentGuardStore

/// Which destinations a message goes to: every registry destination, and for alarms the
/// channels of the unit's landlord (severity floor; quiet hours defer minor alarms, never
/// fire or critical ones). Pure apart from the time zone of quiet hours.
public struct DeliveryPlan: Sendable {
    public struct LandlordChannel: Sendable, Equatable {
        public var landlord: String
        public var destination: String
    }

    public let config: BuildingConfig
    /// Names of the registry destinations (`registry-mqtt`, `registry-https`).
    public let registryDestinations: [String]
    let timeZone: TimeZone

    public init(config: BuildingConfig, registryDestinations: [String], timeZone: TimeZone = .current) {
        self.config = config
        self.registryDestinations = registryDestinations
        self.timeZone = timeZone
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
        let a = t.alarm
        guard let unitID = a.key.unit, let unit = config.unit(unitID), let landlordID = unit.landlord,
            let landlord = config.landlords.first(where: { $0.id == landlordID })
        else { return rows }
        let urgent = a.key.type == .fire || a.severity == .critical
        guard urgent || a.severity >= landlord.minSeverity else { return rows }
        var body = message.body
        if case var .object(m) = body {
            m.append(("summary", .string(AlarmSummary.text(a, config: config))))
            m.append(("landlord", .string(landlordID)))
            body = .object(m)
        }
        let landlordPayload = body.serialized()
        let notBefore = urgent ? nil : landlord.quietHours.flatMap { quietHoursEnd($0, at: createdAt) }
        for (i, _) in landlord.channels.enumerated() {
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

    /// If `at` falls inside quiet hours "HH:MM-HH:MM" (local time, may wrap midnight),
    /// the end of those quiet hours in Unix ms; otherwise nil.
    public func quietHoursEnd(_ spec: String, at: Int64) -> Int64? {
        let parts = spec.split(separator: "-").map { $0.split(separator: ":").compactMap { Int($0) } }
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2 else { return nil }
        let start = parts[0][0] * 60 + parts[0][1]
        let end = parts[1][0] * 60 + parts[1][1]
        let offsetMin = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at) / 1000)) / 60
        let localMin = Int(((at / 60_000 + Int64(offsetMin)) % 1440 + 1440) % 1440)
        let inside = start <= end ? (localMin >= start && localMin < end) : (localMin >= start || localMin < end)
        guard inside else { return nil }
        let untilEnd = (end - localMin + 1440) % 1440
        return (at / 60_000 + Int64(untilEnd)) * 60_000
    }
}
