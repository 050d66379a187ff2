import RentGuardForwarding
import RentGuardMQTT
import Synchronization

/// Where messages go right now: the delivery plan and the dispatchers' doorbells. Replaced
/// as a whole when the configuration is reloaded; read by the pipeline and the heartbeat.
public final class Routing: Sendable {
    public struct Current: Sendable {
        public var plan: DeliveryPlan
        public var doorbells: Doorbells
        public var registryDestinations: [String]
        public var allDestinations: [String]
        /// The registry's MQTT connection, when there is one (for health and metrics).
        public var registryClient: MQTTClient?

        public init(
            plan: DeliveryPlan, doorbells: Doorbells, registryDestinations: [String], allDestinations: [String], registryClient: MQTTClient? = nil
        ) {
            self.plan = plan
            self.doorbells = doorbells
            self.registryDestinations = registryDestinations
            self.allDestinations = allDestinations
            self.registryClient = registryClient
        }
    }

    private let state: Mutex<Current>

    public init(_ current: Current) { state = Mutex(current) }

    public var current: Current { state.withLock { $0 } }

    public func replace(_ new: Current) { state.withLock { $0 = new } }

    public func ring() { current.doorbells.ring() }
}
