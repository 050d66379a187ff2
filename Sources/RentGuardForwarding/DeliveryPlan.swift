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
        // An incident's first message goes at once; what follows (more rooms, escalations,
        // acknowledgements, clears) is an update, held to the incident's next minute so that
        // the landlord gets at most one update a minute (`LandlordDigest` merges them).
        let update = Self.isIncidentUpdate(a)
        var body = message.body
        if case var .object(m) = body {
            m.append(("summary", .string(AlarmSummary.text(a, config: config))))
            m.append(("landlord", .string(landlordID)))
            if update { m.append(("incident_update", .bool(true))) }
            body = .object(m)
        }
        let landlordPayload = body.serialized()
        var notBefore = lifeSafety ? nil : landlord.quietHours.flatMap { quietHoursEnd($0, at: createdAt) }
        if update {
            if a.state == .cleared, t.incidentContinues {
                notBefore = OutboxRelease.parked  // told with the incident's end (`releases(for:)`)
            } else {
                let slot = Self.updateSlot(incidentStart: IncidentGrouping.startedAt(ofIncident: a.incidentID) ?? createdAt, at: createdAt)
                notBefore = max(notBefore ?? slot, slot)
            }
        }
        // An SMS channel gets only the start of an incident, and only of a life-safety one
        // (texts cost money and phones ring; SMSDestination also holds one text per unit).
        for (i, channel) in landlord.channels.enumerated() where channel.type != "sms" || (lifeSafety && a.state == .raised && !update) {
            rows.append(NewOutboxMessage(
                messageID: message.messageID, destination: Self.landlordDestination(landlordID, channel: i), kind: message.kind,
                priority: message.priority, orderKey: update ? nil : message.orderKey, payload: landlordPayload, createdAt: createdAt,
                notBefore: notBefore))
        }
        return rows
    }

    /// The parked clears (`OutboxRelease`) that the last clear of an incident makes due with
    /// itself, on each of the unit's landlord's channels.
    public func releases(for t: AlarmTransition, createdAt: Int64) -> [OutboxRelease] {
        let a = t.alarm
        guard a.state == .cleared, !t.incidentContinues, let incident = a.incidentID,
            let unitID = a.key.unit, let landlordID = config.unit(unitID)?.landlord,
            let landlord = config.landlords.first(where: { $0.id == landlordID })
        else { return [] }
        let slot = Self.updateSlot(incidentStart: IncidentGrouping.startedAt(ofIncident: incident) ?? createdAt, at: createdAt)
        let at = max(slot, a.isLifeSafety ? slot : landlord.quietHours.flatMap { quietHoursEnd($0, at: createdAt) } ?? slot)
        return landlord.channels.indices.map { OutboxRelease(destination: Self.landlordDestination(landlordID, channel: $0), incidentID: incident, at: at) }
    }

    /// How often a landlord hears of an incident after its first message (ISA-18.2's
    /// flood limit is 10 alarms in 10 minutes for a trained operator; a landlord is not one).
    public static let landlordUpdateIntervalMs: Int64 = 60_000

    /// Whether a transition is an update of its incident toward a landlord (anything but the
    /// incident's first alarm being raised).
    public static func isIncidentUpdate(_ a: Alarm) -> Bool {
        guard let incident = a.incidentID else { return false }
        return !(a.state == .raised && incident == "inc:\(a.id)")
    }

    /// The end of the incident's minute that `at` falls in (the first minute starts with the
    /// incident), never more than one interval after `at` (a device clock ahead of ours).
    public static func updateSlot(incidentStart: Int64, at: Int64) -> Int64 {
        let step = landlordUpdateIntervalMs
        let elapsed = at - incidentStart
        let slot = elapsed < 0 ? at + step : incidentStart + (elapsed / step + 1) * step
        return min(slot, at + step)
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
