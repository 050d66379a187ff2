import Foundation
import Logging
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The libmosquitto client against a real mosquitto on a free loopback port.
@Suite(.serialized)
struct MQTTClientTests {
    static func client(_ broker: MosquittoBroker, id: String, version: MQTTProtocolVersion = .v5, cleanStart: Bool = false) throws -> MQTTClient {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try MQTTClient(
            options: MQTTClientOptions(
                host: "127.0.0.1", port: broker.port, clientID: id, cleanStart: cleanStart, protocolVersion: version,
                connectTimeout: .seconds(2), reconnectMin: .milliseconds(50), reconnectMax: .milliseconds(500)),
            logger: logger)
    }

    @Test func qos1PublishCompletesOnPubackAndIsReceived() async throws {
        let broker = try MosquittoBroker()
        defer { broker.shutdown() }
        let sub = try await TestSubscriber(port: broker.port, filter: "t/#")
        let pub = try Self.client(broker, id: "pub")
        pub.start()
        try await pub.waitUntilConnected(timeout: .seconds(5))
        try await pub.publish(topic: "t/a", payload: Array("hello".utf8), qos: 1)
        let got = await sub.waitFor { $0.count == 1 }
        #expect(got.map(\.topic) == ["t/a"])
        #expect(got.first?.payload == Array("hello".utf8))
        #expect(got.first?.qos == 1)
        await pub.shutdown()
        await sub.stop()
    }

    @Test func speaksMQTT311WhenAsked() async throws {
        let broker = try MosquittoBroker()
        defer { broker.shutdown() }
        let c = try Self.client(broker, id: "v311", version: .v311)
        c.start()
        try await c.waitUntilConnected(timeout: .seconds(5))
        #expect(c.connectionState == .connected(.v311))
        try await c.publish(topic: "t/x", payload: [1], qos: 1)
        await c.shutdown()
        #expect(c.connectionState == .stopped)
    }

    @Test func persistentSessionReceivesMessagesQueuedWhileAway() async throws {
        let broker = try MosquittoBroker()
        defer { broker.shutdown() }
        // First life: subscribe with a persistent session, then go away.
        let first = try Self.client(broker, id: "durable")
        first.subscribe("q/#", qos: 1)
        first.start()
        try await first.waitUntilConnected(timeout: .seconds(5))
        // The session holds the subscription once the broker has acknowledged it.
        try await first.waitUntilSubscribed(timeout: .seconds(5))
        await first.shutdown()

        let pub = try Self.client(broker, id: "pub2")
        pub.start()
        try await pub.waitUntilConnected(timeout: .seconds(5))
        for i in 0..<5 { try await pub.publish(topic: "q/\(i)", payload: [UInt8(i)], qos: 1) }
        await pub.shutdown()

        // Second life, same client id: the queued messages arrive.
        let second = try Self.client(broker, id: "durable")
        second.start()
        var received: [String] = []
        let task = Task {
            var out: [String] = []
            for await m in second.messages {
                out.append(m.topic)
                if out.count == 5 { break }
            }
            return out
        }
        try await second.waitUntilConnected(timeout: .seconds(5))
        let arrived = await HardeningTests.waitUntil(timeout: .seconds(10)) { second.statistics.received >= 5 }
        #expect(arrived, "the 5 queued messages arrived: \(second.statistics.received)")
        if !arrived { await second.shutdown() }  // ends the message stream, so the task returns what it has
        received = await task.value
        #expect(received == (0..<5).map { "q/\($0)" })
        await second.shutdown()
    }

    @Test func reconnectsAndResubscribesAfterBrokerRestart() async throws {
        let broker = try MosquittoBroker()
        defer { broker.shutdown() }
        let c = try Self.client(broker, id: "restarter", cleanStart: true)
        c.subscribe("r/#", qos: 1)
        c.start()
        try await c.waitUntilConnected(timeout: .seconds(5))
        broker.stop()
        #expect(await HardeningTests.waitUntil(timeout: .seconds(5)) { !c.connectionState.isConnected }, "the client noticed the broker go")
        try broker.start()
        try await c.waitUntilConnected(timeout: .seconds(10))
        #expect(c.statistics.connects >= 2)
        try await c.waitUntilSubscribed(timeout: .seconds(5))  // re-subscribed: SUBACK on the new connection

        let pub = try Self.client(broker, id: "pub3")
        pub.start()
        try await pub.waitUntilConnected(timeout: .seconds(5))
        try await pub.publish(topic: "r/after", payload: [7], qos: 1)
        var it = c.messages.makeAsyncIterator()
        let m = await it.next()
        #expect(m?.topic == "r/after")
        await pub.shutdown()
        await c.shutdown()
    }

    @Test func publishWhileBrokerDownFailsOrTimesOutInsteadOfHanging() async throws {
        let broker = try MosquittoBroker()
        defer { broker.shutdown() }
        let c = try Self.client(broker, id: "down")
        c.start()
        try await c.waitUntilConnected(timeout: .seconds(5))
        broker.stop()
        #expect(await HardeningTests.waitUntil(timeout: .seconds(5)) { !c.connectionState.isConnected }, "the client noticed the broker go")
        await #expect(throws: MQTTError.self) {
            try await c.publish(topic: "d/x", payload: [1], qos: 1, timeout: .milliseconds(500))
        }
        await c.shutdown()
    }
}
