import Foundation
import Logging
import RentGuardMQTT

/// A real MQTT client that subscribes to a topic filter and collects what arrives, for
/// assertions. `waitFor` polls the collected messages until a predicate holds or time runs out.
public final class TestSubscriber: Sendable {
    public let client: MQTTClient
    private let collected = Collected()
    private let task: Task<Void, Never>

    public init(port: Int, filter: String, clientID: String = "test-sub-\(UUID().uuidString.prefix(6))", cleanStart: Bool = true) async throws {
        var logger = Logger(label: "test-subscriber")
        logger.logLevel = .warning
        client = try MQTTClient(
            options: MQTTClientOptions(
                host: "127.0.0.1", port: port, clientID: clientID, cleanStart: cleanStart, protocolVersion: .v5,
                reconnectMin: .milliseconds(100), reconnectMax: .seconds(1)),
            logger: logger)
        client.subscribe(filter, qos: 1)
        client.start()
        let messages = client.messages
        let collected = self.collected
        task = Task {
            for await m in messages { await collected.append(m) }
        }
        try await client.waitUntilConnected(timeout: .seconds(10))
        // The SUBACK must be back before the test publishes.
        try await client.waitUntilSubscribed(timeout: .seconds(10))
    }

    public var messages: [MQTTMessage] { get async { await collected.items } }

    /// Waits until `predicate` holds for the collected messages; returns them.
    @discardableResult
    public func waitFor(timeout: Duration = .seconds(10), _ predicate: @Sendable ([MQTTMessage]) -> Bool) async -> [MQTTMessage] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let items = await collected.items
            if predicate(items) { return items }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await collected.items
    }

    public func stop() async {
        await client.shutdown()
        task.cancel()
    }
}

actor Collected {
    var items: [MQTTMessage] = []
    func append(_ m: MQTTMessage) { items.append(m) }
}
