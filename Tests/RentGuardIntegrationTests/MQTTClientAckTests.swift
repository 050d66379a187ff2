import Foundation
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The client's acknowledgement bookkeeping against a real mosquitto: acknowledgements nobody
/// waits for (QoS 0 callbacks, a PUBACK that comes after its publisher gave up) are dropped,
/// so they neither pile up nor complete a later publish that reuses their 16-bit id.
@Suite(.serialized)
struct MQTTClientAckTests {
    @Test func acknowledgementsNobodyAwaitsAreDroppedAndNeverCompleteALaterPublish() async throws {
        let broker = try MosquittoBroker(persistence: false)
        defer {
            broker.signal(SIGCONT)
            broker.shutdown()
        }
        let c = try MQTTClientTests.client(broker, id: "acks", cleanStart: true)
        c.start()
        try await c.waitUntilConnected(timeout: .seconds(5))

        // 65,600 QoS 0 messages: libmosquitto's ids wrap around, and each one's "published"
        // callback used to leave an early ack behind for whoever reused its id.
        for i in 0..<65_600 {
            try await c.publish(topic: "q0/x", payload: [UInt8(i & 0xff)], qos: 0)
        }
        // A QoS 1 message behind them: once it is acknowledged, every one before it was written.
        try await c.publish(topic: "q1/x", payload: [1], qos: 1, timeout: .seconds(10))
        #expect(c.ackBookkeeping == (awaited: 0, early: 0, parked: 0), "after QoS 0 traffic: \(c.ackBookkeeping)")

        // A frozen broker acknowledges nothing: a QoS 1 publish must time out, not be completed
        // by a stale acknowledgement of an earlier message with the same id.
        broker.signal(SIGSTOP)
        var timedOut = 0
        for _ in 0..<5 {
            do {
                try await c.publish(topic: "q1/frozen", payload: [2], qos: 1, timeout: .milliseconds(300))
                Issue.record("a publish to a frozen broker was reported acknowledged")
            } catch MQTTError.timedOut {
                timedOut += 1
            }
        }
        #expect(timedOut == 5)
        #expect(c.ackBookkeeping == (awaited: 0, early: 0, parked: 0), "abandoned publishes are forgotten: \(c.ackBookkeeping)")

        // The broker wakes up and acknowledges the five late: those acks are dropped.
        broker.signal(SIGCONT)
        try await c.publish(topic: "q1/after", payload: [3], qos: 1, timeout: .seconds(10))
        #expect(c.ackBookkeeping == (awaited: 0, early: 0, parked: 0), "late acknowledgements are not kept: \(c.ackBookkeeping)")
        await c.shutdown()
    }
}
