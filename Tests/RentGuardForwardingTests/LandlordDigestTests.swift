import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import Testing

/// Flood control never folds a life-safety alarm into a digest.
struct LandlordDigestTests {
    actor Recorder: DeliveryDestination {
        nonisolated var name: String { "landlord:wang:0" }
        var sent: [String] = []
        func waitUntilReady(timeout: Duration) async -> Bool { true }
        func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
            sent.append(message.messageID)
            return .delivered
        }
    }

    static func row(_ id: String, _ type: AlarmType, _ severity: Severity) -> (message: OutboxMessage, payload: String) {
        let key = AlarmKey(type: type, device: "SD-1", unit: "101")
        let a = Alarm(id: id, key: key, state: .raised, severity: severity, location: nil, startedAt: 1, updatedAt: 1, evidence: [:])
        let m = RegistryMessage.alarm(AlarmTransition(alarm: a), building: "b", gateway: "gw")
        let payload = m.body.serialized()
        let message = OutboxMessage(
            rowID: 1, messageID: id, destination: "landlord:wang:0", kind: m.kind, topic: nil, priority: m.priority,
            orderKey: m.orderKey, payload: payload, createdAt: 1, attempts: 0, nextAttemptAt: 1, state: .pending, deliveredAt: nil,
            lastError: nil)
        return (message, payload)
    }

    @Test func smokeAtMajorGoesOnItsOwnAndTheRestBecomeOneDigest() async {
        let inner = Recorder()
        let digest = LandlordDigest(inner, building: "b", gateway: "gw")
        let batch = [
            Self.row("battery-1", .batteryLow, .minor), Self.row("smoke", .smoke, .major), Self.row("offline-1", .deviceOffline, .minor),
            Self.row("battery-2", .batteryLow, .minor), Self.row("heat", .heat, .major), Self.row("fault-1", .deviceFault, .minor),
        ]
        let outcomes = await digest.deliver(batch: batch)
        #expect(outcomes.allSatisfy { $0 == .delivered })
        let sent = await inner.sent
        #expect(Array(sent.prefix(2)) == ["smoke", "heat"], "life-safety alarms first, each on its own: \(sent)")
        #expect(sent.count == 3)
        #expect(sent[2].hasPrefix("digest:battery-1+4"))
    }
}
