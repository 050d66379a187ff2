import Logging
import Metrics
import RentGuardCore
import RentGuardMQTT
import ServiceLifecycle

/// Device commands (a charger port off) on their way to the building broker. The pipeline
/// queues them without waiting; this service publishes them at QoS 1, one at a time, so a
/// slow broker never holds up detection. The queue is bounded: a command that does not fit
/// is logged at error level and counted (the alarm that caused it is still raised and its
/// command outcome times out, so the operator sees it).
public final class CommandService: Service, Sendable {
    public struct Outgoing: Sendable {
        public var device: String
        public var command: String
        public var topic: String
        public var payload: [UInt8]
    }

    let client: MQTTClient
    let logger: Logger
    let stream: AsyncStream<Outgoing>
    let sink: AsyncStream<Outgoing>.Continuation
    let dropped = Counter(label: "rentguard_commands_dropped_total")

    public init(client: MQTTClient, capacity: Int = 256, logger: Logger) {
        self.client = client
        self.logger = logger
        (stream, sink) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    /// Queues a command; never blocks.
    public func enqueue(_ c: Outgoing) {
        if case .dropped = sink.yield(c) {
            dropped.increment()
            logger.error("device command queue full: command not sent", metadata: ["device": "\(c.device)", "cmd": "\(c.command)"])
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await c in self.stream {
                do {
                    try await self.client.publish(topic: c.topic, payload: c.payload, qos: 1, timeout: .seconds(10))
                } catch {
                    self.logger.error("device command not delivered to the building broker", metadata: [
                        "device": "\(c.device)", "cmd": "\(c.command)", "error": "\(error)",
                    ])
                }
            }
        }
    }
}
