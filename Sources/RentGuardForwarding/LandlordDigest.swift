import RentGuardCore
import RentGuardStore

/// Flood control toward a landlord: when many alarm messages are due at once (a storm of
/// device faults, a reconnect after an outage), they go as one digest notice instead of a
/// message each. Life-safety alarms (`AlarmType.isLifeSafety(severity:)`: fire, smoke, heat
/// and CO above warning, every critical alarm) are never folded into a digest: each goes on
/// its own, first. (Toward the registry nothing is ever grouped.)
public struct LandlordDigest: DeliveryDestination {
    public var name: String { inner.name }
    let inner: any DeliveryDestination
    /// More than this many non-urgent messages due at once become one digest.
    let threshold: Int
    let building: String
    let gateway: String

    public init(_ inner: any DeliveryDestination, building: String, gateway: String, threshold: Int = 3) {
        self.inner = inner
        self.threshold = threshold
        self.building = building
        self.gateway = gateway
    }

    public func waitUntilReady(timeout: Duration) async -> Bool { await inner.waitUntilReady(timeout: timeout) }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        await inner.deliver(message, payload: payload)
    }

    public func deliver(batch: [(message: OutboxMessage, payload: String)]) async -> [DeliveryOutcome] {
        let bodies = batch.map { try? JSONParser.parse($0.payload) }
        // An incident's updates (held to its next minute by `DeliveryPlan`) go as one message
        // per incident: what changed since the last one.
        var updates: [String: [Int]] = [:]
        var updateOrder: [String] = []
        for (i, b) in bodies.enumerated() {
            guard let b, b["incident_update"] == .bool(true), let incident = b["incident_id"]?.stringValue else { continue }
            if updates[incident] == nil { updateOrder.append(incident) }
            updates[incident, default: []].append(i)
        }
        let isUpdate = Set(updates.values.joined())
        let lifeSafety = batch.map { Self.isLifeSafety($0.message, payload: $0.payload) }
        let urgent = batch.indices.filter { lifeSafety[$0] && !isUpdate.contains($0) }
        let rest = batch.indices.filter { !lifeSafety[$0] && !isUpdate.contains($0) }
        var outcomes = [DeliveryOutcome](repeating: .retry("not attempted"), count: batch.count)
        for i in urgent { outcomes[i] = await inner.deliver(batch[i].message, payload: batch[i].payload) }
        for incident in updateOrder {
            let members = updates[incident]!
            let (message, payload) = Self.incidentUpdate(members.map { batch[$0] }, incident: incident, building: building, gateway: gateway)
            let outcome = await inner.deliver(message, payload: payload)
            for i in members { outcomes[i] = outcome }
        }
        if rest.count > threshold {
            let items = rest.map { batch[$0] }
            let (digest, payload) = Self.digest(items, building: building, gateway: gateway)
            let outcome = await inner.deliver(digest, payload: payload)
            for i in rest { outcomes[i] = outcome }
        } else {
            for i in rest { outcomes[i] = await inner.deliver(batch[i].message, payload: batch[i].payload) }
        }
        return outcomes
    }

    /// Whether a landlord's message is a life-safety alarm, which is never folded into a
    /// digest: fire and critical alarms by their priority, the others by the alarm's type
    /// and severity in the payload.
    static func isLifeSafety(_ message: OutboxMessage, payload: String) -> Bool {
        if message.priority >= RegistryMessage.Priority.critical { return true }
        guard message.kind == "alarms", let body = try? JSONParser.parse(payload),
            let type = body["type"]?.stringValue, let severity = body["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
        else { return false }
        return AlarmType(type).isLifeSafety(severity: severity)
    }

    /// One incident's updates as one message: the transitions' bodies and one summary line
    /// each, oldest first. Its id is stable for the same rows (a retry sends the same id).
    static func incidentUpdate(_ items: [(message: OutboxMessage, payload: String)], incident: String, building: String, gateway: String) -> (OutboxMessage, String) {
        let sorted = items.sorted { $0.message.rowID < $1.message.rowID }
        let bodies = sorted.map { (try? JSONParser.parse($0.payload)) ?? .string($0.payload) }
        let summaries = bodies.compactMap { $0["summary"]?.stringValue }
        let first = sorted[0].message
        let id = "update:\(incident):\(first.messageID)+\(sorted.count)"
        let worst = bodies.compactMap { $0["severity"]?.stringValue.flatMap(Severity.init(rawValue:)) }.max()
        let body: JSONValue = .object([
            ("message_id", .string(id)),
            ("building", .string(building)),
            ("gateway", .string(gateway)),
            ("sent_at", bodies.last?["sent_at"] ?? .null),
            ("kind", "incident_update"),
            ("incident_id", .string(incident)),
            ("unit", bodies.first?["unit"] ?? .null),
            ("severity", worst.map { .string($0.rawValue) } ?? .null),
            ("count", JSONValue(sorted.count)),
            ("summary", .string("事件更新 / Incident update (\(sorted.count)): " + summaries.joined(separator: "; "))),
            ("alarms", .array(bodies)),
        ])
        var m = first
        m.messageID = id
        return (m, body.serialized())
    }

    /// One notice for several alarm messages: their bodies, and one summary line each.
    static func digest(_ items: [(message: OutboxMessage, payload: String)], building: String, gateway: String) -> (OutboxMessage, String) {
        let bodies = items.map { (try? JSONParser.parse($0.payload)) ?? .string($0.payload) }
        let summaries = bodies.compactMap { $0["summary"]?.stringValue }
        let first = items[0].message
        let id = "digest:\(first.messageID)+\(items.count)"
        let body: JSONValue = .object([
            ("message_id", .string(id)),
            ("building", .string(building)),
            ("gateway", .string(gateway)),
            ("sent_at", bodies.first?["sent_at"] ?? .null),
            ("kind", "alarm_digest"),
            ("count", JSONValue(items.count)),
            ("summary", .string("\(items.count) 条报警 / \(items.count) alarms: " + summaries.joined(separator: "; "))),
            ("alarms", .array(bodies)),
        ])
        var m = first
        m.messageID = id
        return (m, body.serialized())
    }
}
