#if canImport(Glibc)
import Glibc
#endif
import Logging
import RentGuardCore
import RentGuardMQTT
import RentGuardStore

extension Pipeline {
    /// Sets aside a message that stopped the daemon when it was handled alone (`PoisonGuard`):
    /// it is stored whole, counted, logged, and a major `gateway_fault` raised through the
    /// core like any alarm; the caller then acknowledges it to the broker with its batch.
    mutating func setAside(_ m: MQTTMessage, id: MessageID, receivedAt: Int64) {
        let reason = "the daemon stopped twice while handling this message (once in its batch, once alone); it was acknowledged to the broker without being handled"
        deps.statistics.rejected(.poisonMessage)
        var stored = true
        do {
            try deps.store.quarantine(.init(messageID: "\(id)", topic: m.topic, payload: m.payload, setAsideAt: receivedAt, reason: reason))
        } catch {
            stored = false
            logger.error("cannot store a set-aside message; its evidence is in the gateway_fault alarm", metadata: [
                "message_id": "\(id)", "error": "\(error)",
            ])
        }
        logger.critical("message set aside: it stopped the daemon twice", metadata: [
            "message_id": "\(id)", "topic": "\(m.topic.prefix(200))", "payload_bytes": "\(m.payload.count)",
            "payload": "\(Rejection.printable(String(decoding: m.payload.prefix(200), as: UTF8.self), limit: 200))",
            "stored": "\(stored ? "quarantined_messages" : "no")",
        ])
        run(.gatewayFault(fault: "poison_message", evidence: .object([
            ("detail", .string("a device message stopped the daemon twice and was set aside: \(reason)")),
            ("message_id", .string("\(id)")), ("topic", .string(String(m.topic.prefix(200)))),
            ("payload_bytes", JSONValue(m.payload.count)),
            ("payload_excerpt", .string(Rejection.printable(String(decoding: m.payload.prefix(200), as: UTF8.self), limit: 200))),
            ("stored_in", stored ? "quarantined_messages" : .null),
        ]), at: deps.clock.nowMs()))
    }

    #if DEBUG
    /// Test builds only: a payload containing `RENTGUARD_TEST_CRASH_MARKER` stops the process
    /// as a real bug would, so that the poison-message guard is tested on the real daemon.
    /// Release builds have no such hook.
    static let testCrashMarker: [UInt8]? = {
        guard let v = getenv("RENTGUARD_TEST_CRASH_MARKER"), v.pointee != 0 else { return nil }
        return Array(String(cString: v).utf8)
    }()

    static func crashIfTestMarker(_ payload: [UInt8]) {
        guard let marker = testCrashMarker, payload.count >= marker.count else { return }
        for start in 0...(payload.count - marker.count) where payload[start..<(start + marker.count)].elementsEqual(marker) {
            fatalError("RENTGUARD_TEST_CRASH_MARKER found in a payload (test build)")
        }
    }
    #endif
}
