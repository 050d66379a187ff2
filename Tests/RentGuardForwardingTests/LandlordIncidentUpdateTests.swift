import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Issue 25: toward a landlord, an incident's first message goes at once, then at most one
/// update a minute with what changed. The plan (`DeliveryPlan`) and the merge
/// (`LandlordDigest`) driven on a virtual clock the way the dispatcher drives them: due rows
/// in one batch, one alarm's rows in order.
struct LandlordIncidentUpdateTests {
    actor Recorder: DeliveryDestination {
        nonisolated var name: String { "landlord:wang:0" }
        var sent: [(at: Int64, id: String, payload: String)] = []
        var now: Int64 = 0
        func setNow(_ t: Int64) { now = t }
        func waitUntilReady(timeout: Duration) async -> Bool { true }
        func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
            sent.append((now, message.messageID, payload))
            return .delivered
        }
    }

    static let t0: Int64 = 1_767_225_600_000
    static let config = BuildingConfig(
        gateway: GatewayIdentity(id: "gw", building: "demo", name: "Demo"),
        units: [UnitConfig(id: "101", floor: 1, areaM2: 40, registeredOccupants: 2, landlord: "wang")],
        devices: [
            DeviceConfig(id: "SD-101-1", kind: .smokeDetector, unit: "101", location: "101 bedroom", zone: .bedroom, reportIntervalSeconds: 60),
            DeviceConfig(id: "SD-101-2", kind: .smokeDetector, unit: "101", location: "101 kitchen", zone: .kitchen, reportIntervalSeconds: 60),
            DeviceConfig(id: "SD-102-1", kind: .smokeDetector, unit: "102", location: "102 room", zone: .room, reportIntervalSeconds: 60),
        ],
        landlords: [LandlordConfig(id: "wang", channels: [.init(type: "mqtt", topic: "landlords/wang")])])

    static func smoke(_ dev: String, _ ts: Int64, obs: Double, temp: Double, alarm: Bool) -> CoreInput {
        .reading(Reading(device: dev, ts: ts, observation: .telemetry(.smoke(SmokeTelemetry(
            obscurationPctPerM: obs, temperatureC: temp, coPpm: nil, batteryPct: nil, alarm: alarm)))))
    }

    /// Drives the engine with `inputs` (one per 5 s of event time) and delivers the landlord
    /// rows as the dispatcher would; returns the messages the landlord received.
    static func landlordMessages(_ inputs: [(Int64, CoreInput)], until end: Int64) async -> (sent: [(at: Int64, id: String, payload: String)], transitions: Int, owed: Int) {
        var engine = DetectionEngine(config: config)
        let plan = DeliveryPlan(config: config, registryDestinations: ["registry-mqtt"])
        var pending: [(row: NewOutboxMessage, id: Int64)] = []
        var nextID: Int64 = 1
        var transitions = 0
        let inner = Recorder()
        let digest = LandlordDigest(inner, building: "demo", gateway: "gw")
        var queue = inputs
        var now = t0
        // What the store does in the transition's transaction: insert its rows, release parked ones.
        func record(_ outputs: [CoreOutput]) {
            for o in outputs {
                guard case let .alarm(t) = o else { continue }
                transitions += 1
                for r in plan.rows(for: t, createdAt: now) where r.destination.hasPrefix("landlord:") {
                    pending.append((r, nextID))
                    nextID += 1
                }
                for release in plan.releases(for: t, createdAt: now) {
                    for i in pending.indices where pending[i].row.destination == release.destination && pending[i].row.notBefore == OutboxRelease.parked
                        && (try? JSONParser.parse(Array(pending[i].row.payload.utf8)))?["incident_id"]?.stringValue == release.incidentID
                    {
                        pending[i].row.notBefore = release.at
                    }
                }
            }
        }
        while now <= end {
            while let first = queue.first, first.0 <= now {
                queue.removeFirst()
                record(engine.handle(first.1))
            }
            record(engine.handle(.tick(now)))
            // Due rows, not behind an earlier row of their order key, in priority then id order.
            var blocked = Set<String>()
            var due: [(message: OutboxMessage, payload: String)] = []
            for p in pending {
                let ready = (p.row.notBefore ?? p.row.createdAt) <= now
                if let k = p.row.orderKey {
                    if blocked.contains(k) { continue }
                    blocked.insert(k)
                }
                guard ready else { continue }
                due.append((OutboxMessage(
                    rowID: p.id, messageID: p.row.messageID, destination: p.row.destination, kind: p.row.kind, topic: nil,
                    priority: p.row.priority, orderKey: p.row.orderKey, payload: p.row.payload, createdAt: p.row.createdAt,
                    attempts: 0, nextAttemptAt: p.row.notBefore ?? p.row.createdAt, state: .pending, deliveredAt: nil, lastError: nil), p.row.payload))
            }
            due.sort { $0.message.priority != $1.message.priority ? $0.message.priority > $1.message.priority : $0.message.rowID < $1.message.rowID }
            if !due.isEmpty {
                await inner.setNow(now)
                _ = await digest.deliver(batch: due)
                let done = Set(due.map(\.message.rowID))
                pending.removeAll { done.contains($0.id) }
            }
            now += 1000
        }
        return (await inner.sent, transitions, Int(nextID - 1))
    }

    /// The demo's fire: two detectors of flat 101 in alarm, heat rising, then back to normal.
    @Test func aTwoDetectorFireReachesItsLandlordInAtMostThreeMessages() async throws {
        var inputs: [(Int64, CoreInput)] = []
        for s in 0..<24 {
            let t = Self.t0 + Int64(s) * 5000
            let temp = 25 + Double(s) * 3
            inputs.append((t, Self.smoke("SD-101-1", t, obs: 6 + Double(s), temp: temp, alarm: true)))
            if s >= 3 { inputs.append((t + 1000, Self.smoke("SD-101-2", t + 1000, obs: 4 + Double(s), temp: temp - 10, alarm: true))) }
        }
        for s in 24..<200 {
            let t = Self.t0 + Int64(s) * 5000
            inputs.append((t, Self.smoke("SD-101-1", t, obs: 0.1, temp: 24, alarm: false)))
            inputs.append((t + 1000, Self.smoke("SD-101-2", t + 1000, obs: 0.1, temp: 24, alarm: false)))
        }
        let (sent, transitions, owed) = await Self.landlordMessages(inputs, until: Self.t0 + 16 * 60_000)
        let summary = sent.map { "+\(($0.at - Self.t0) / 1000)s \($0.id)" }
        print("landlord incident updates: \(transitions) alarm transitions, \(owed) for the landlord, \(sent.count) landlord messages: \(summary)")
        #expect(transitions >= 5, "the fire must give several transitions for this to test anything: \(summary)")
        #expect(sent.count <= 3, "\(summary)")
        // The first goes at once (the first reading), and nothing is lost: every landlord row is in a message.
        #expect(sent.first?.at == Self.t0)
        let carried = sent.reduce(0) { n, m in
            guard let v = try? JSONParser.parse(Array(m.payload.utf8)) else { return n }
            return n + (v["kind"]?.stringValue == "incident_update" ? (v["alarms"]?.arrayValue?.count ?? 0) : 1)
        }
        #expect(carried == owed, "\(summary)")
        // Updates at least a minute apart.
        let updates = sent.dropFirst().map(\.at)
        for (a, b) in zip(updates, updates.dropFirst()) { #expect(b - a >= 60_000, "\(summary)") }
    }

    /// Another flat's fire is another incident: its first message is not held.
    @Test func anotherFlatsFireIsItsOwnFirstMessage() async {
        let config = Self.config
        let plan = DeliveryPlan(config: config, registryDestinations: [])
        var engine = DetectionEngine(config: config)
        let a = engine.handle(Self.smoke("SD-101-1", Self.t0, obs: 8, temp: 25, alarm: true))
        let b = engine.handle(Self.smoke("SD-101-2", Self.t0 + 1000, obs: 8, temp: 25, alarm: true))
        func landlordRows(_ out: [CoreOutput], _ at: Int64) -> [NewOutboxMessage] {
            out.flatMap { o -> [NewOutboxMessage] in
                guard case let .alarm(t) = o else { return [] }
                return plan.rows(for: t, createdAt: at).filter { $0.destination.hasPrefix("landlord:") }
            }
        }
        let first = landlordRows(a, Self.t0)
        let second = landlordRows(b, Self.t0 + 1000)
        #expect(!first.isEmpty && first.allSatisfy { $0.notBefore == nil })
        #expect(!second.isEmpty && second.allSatisfy { $0.notBefore == Self.t0 + 60_000 && $0.orderKey == nil })
        #expect(DeliveryPlan.updateSlot(incidentStart: Self.t0, at: Self.t0 + 61_000) == Self.t0 + 120_000)
        #expect(DeliveryPlan.updateSlot(incidentStart: Self.t0 + 500_000, at: Self.t0) == Self.t0 + 60_000)
    }
}
