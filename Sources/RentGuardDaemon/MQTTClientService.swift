import Logging
import RentGuardMQTT
import ServiceLifecycle

/// Runs an MQTT client for the service group's lifetime, and disconnects it cleanly on shutdown.
public struct MQTTClientService: Service {
    public let client: MQTTClient
    /// Published retained when connected (e.g. `{"online": true}` on the gateway's status topic).
    let onlineMessage: (topic: String, payload: [UInt8])?
    let logger: Logger

    public init(client: MQTTClient, onlineMessage: (topic: String, payload: [UInt8])?, logger: Logger) {
        self.client = client
        self.onlineMessage = onlineMessage
        self.logger = logger
    }

    public func run() async throws {
        client.start()
        // The detection and delivery services have stopped by the time a graceful shutdown
        // reaches this one: the service group stops services in reverse order, and this one
        // was added first. The pipeline's last acknowledgements go out with the disconnect.
        await cancelWhenGracefulShutdown {
            for await state in client.connectionStates() {
                if state.isConnected, let m = onlineMessage {
                    try? await client.publish(topic: m.topic, payload: m.payload, qos: 1, retain: true, timeout: .seconds(5))
                }
                if state == .stopped || Task.isCancelled { break }
            }
        }
        // QoS 0: the client reads nothing more once the pipeline has stopped (so that nothing
        // is acknowledged unhandled), so it would never see a PUBACK. TCP delivers the
        // message before the DISCONNECT that follows it.
        if let m = onlineMessage, client.connectionState.isConnected {
            try? await client.publish(topic: m.topic, payload: Array(#"{"online":false}"#.utf8), qos: 0, retain: true)
        }
        await client.shutdown()
    }
}
