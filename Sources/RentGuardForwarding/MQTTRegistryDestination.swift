import RentGuardMQTT
import RentGuardStore

/// The registry's MQTT broker (protocol v1 §3): `<prefix>/<building>/<kind>`, QoS 1,
/// delivered once the broker's PUBACK arrives.
public struct MQTTRegistryDestination: DeliveryDestination {
    public let name: String
    public let client: MQTTClient
    public let topicPrefix: String
    public let building: String
    public let ackTimeout: Duration

    public init(name: String = "registry-mqtt", client: MQTTClient, topicPrefix: String, building: String, ackTimeout: Duration = .seconds(10)) {
        self.name = name
        self.client = client
        self.topicPrefix = topicPrefix
        self.building = building
        self.ackTimeout = ackTimeout
    }

    public func topic(for message: OutboxMessage) -> String {
        message.topic ?? "\(topicPrefix)/\(building)/\(message.kind)"
    }

    public func waitUntilReady(timeout: Duration) async -> Bool {
        if client.connectionState.isConnected { return true }
        do {
            try await client.waitUntilConnected(timeout: timeout)
            return true
        } catch {
            return false
        }
    }

    /// Pipelined: all of the batch is queued in order, then the PUBACKs are awaited.
    public func deliver(batch: [(message: OutboxMessage, payload: String)]) async -> [DeliveryOutcome] {
        let results = await client.publishBatch(batch.map { (topic(for: $0.message), Array($0.payload.utf8)) }, qos: 1, timeout: ackTimeout)
        return results.map {
            switch $0 {
            case .success: return .delivered
            case let .failure(e): return .retry(e.description)
            }
        }
    }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        do {
            try await client.publish(topic: topic(for: message), payload: Array(payload.utf8), qos: 1, retain: false, timeout: ackTimeout)
            return .delivered
        } catch let e as MQTTError {
            return .retry(e.description)
        } catch {
            return .retry("\(error)")
        }
    }
}
