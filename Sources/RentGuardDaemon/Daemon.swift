import Foundation
import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import ServiceLifecycle

/// Wires the adapters and the core together as services with a graceful lifecycle. Nothing
/// here decides anything: detection is in the core, delivery in the forwarders.
public struct Daemon {
    public struct Settings: Sendable {
        public var config: BuildingConfig
        public var configPath: String
        public var eventClock: Bool

        public init(config: BuildingConfig, configPath: String, eventClock: Bool = false) {
            self.config = config
            self.configPath = configPath
            self.eventClock = eventClock
        }
    }

    public let settings: Settings
    public let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        let config = settings.config
        let gw = config.gateway
        let dbPath = URL(fileURLWithPath: config.storage.stateDir).appendingPathComponent(Store.fileName).path
        let store: Store
        do {
            store = try Store(path: dbPath, logger: logger)
        } catch {
            throw DaemonError.startup("cannot open the database \(dbPath): \(error)")
        }
        defer { store.close() }
        logger.info("database open", metadata: ["path": "\(dbPath)", "size_bytes": "\(store.databaseSizeBytes())"])

        let doorbell = Doorbell()
        var services: [any Service] = []

        // The building broker: device traffic in, commands out.
        let buildingStatus = "\(config.ingest.topicPrefix)/\(gw.building)/\(gw.id)/status"
        let building = try MQTTClient(
            options: config.broker.clientOptions(
                clientID: "rentguardd-\(gw.id)-building", will: MQTTWill(topic: buildingStatus, payload: Array(#"{"online":false}"#.utf8)),
                qos0BufferLimit: config.ingest.qos0BufferLimit),
            logger: logger.labelled("mqtt.building"))
        services.append(MQTTClientService(client: building, onlineMessage: (buildingStatus, Array(#"{"online":true}"#.utf8)), logger: logger))

        // The registry over MQTT: its own connection, QoS 1, persistent session.
        var destinations: [any DeliveryDestination] = []
        if let registryBroker = config.registry.mqtt {
            let registryStatus = "\(config.registry.topicPrefix)/\(gw.building)/status"
            let registry = try MQTTClient(
                options: registryBroker.clientOptions(
                    clientID: "rentguardd-\(gw.id)-registry", will: MQTTWill(topic: registryStatus, payload: Array(#"{"online":false}"#.utf8)),
                    qos0BufferLimit: 1000),
                logger: logger.labelled("mqtt.registry"))
            services.append(MQTTClientService(client: registry, onlineMessage: (registryStatus, Array(#"{"online":true}"#.utf8)), logger: logger))
            destinations.append(MQTTRegistryDestination(client: registry, topicPrefix: config.registry.topicPrefix, building: gw.building))
        } else {
            logger.warning("no registry destination is configured: alarms are stored but not forwarded")
        }

        for d in destinations {
            services.append(OutboxDispatcher(destination: d, store: store, doorbell: doorbell, logger: logger.labelled("forward"), clock: wallClockMs))
        }
        let detection = DetectionService(
            config: config, options: .init(eventClock: settings.eventClock, alarmDestinations: destinations.map(\.name)),
            building: building, store: store, doorbell: doorbell, logger: logger.labelled("pipeline"))
        services.append(detection)

        logger.info("rentguardd starting", metadata: [
            "version": "\(RentGuardVersion.current)", "gateway": "\(gw.id)", "building": "\(gw.building)",
            "broker": "\(config.broker.url)", "registry": "\(config.registry.mqtt?.url ?? "-")", "config": "\(settings.configPath)",
        ])
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger.labelled("lifecycle")))
        try await group.run()
        logger.info("rentguardd stopped")
    }
}

extension Logger {
    /// The same handler and level under another label.
    func labelled(_ label: String) -> Logger {
        var l = self
        l[metadataKey: "component"] = "\(label)"
        return l
    }
}

public enum RentGuardVersion {
    public static let current = "0.1.0"
}
