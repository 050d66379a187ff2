import RentGuardMQTT
import RentGuardStore

/// A landlord's MQTT channel: a topic on the registry broker, QoS 1.
public struct LandlordMQTTDestination: DeliveryDestination {
    public let name: String
    let client: MQTTClient
    let topic: String

    public init(name: String, client: MQTTClient, topic: String) {
        self.name = name
        self.client = client
        self.topic = topic
    }

    public func waitUntilReady(timeout: Duration) async -> Bool {
        if client.connectionState.isConnected { return true }
        return (try? await client.waitUntilConnected(timeout: timeout)) != nil
    }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        do {
            try await client.publish(topic: message.topic ?? topic, payload: Array(payload.utf8), qos: 1, timeout: .seconds(10))
            return .delivered
        } catch {
            return .retry("\(error)")
        }
    }
}
