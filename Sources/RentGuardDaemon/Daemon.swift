import AsyncHTTPClient
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

        var services: [any Service] = []
        let health = GatewayHealth(startedAt: wallClockMs())

        // The building broker: device traffic in, commands out.
        let buildingStatus = "\(config.ingest.topicPrefix)/\(gw.building)/\(gw.id)/status"
        let building = try MQTTClient(
            options: config.broker.clientOptions(
                clientID: "rentguardd-\(gw.id)-building", will: MQTTWill(topic: buildingStatus, payload: Array(#"{"online":false}"#.utf8)),
                qos0BufferLimit: config.ingest.qos0BufferLimit),
            logger: logger.labelled("mqtt.building"))
        services.append(MQTTClientService(client: building, onlineMessage: (buildingStatus, Array(#"{"online":true}"#.utf8)), logger: logger))

        // Destinations. Each has its own dispatcher (and doorbell), so that a slow landlord
        // webhook never holds up the registry.
        var registryDestinations: [any DeliveryDestination] = []
        var landlordDestinations: [any DeliveryDestination] = []
        var registryClient: MQTTClient?
        if let registryBroker = config.registry.mqtt {
            let registryStatus = "\(config.registry.topicPrefix)/\(gw.building)/status"
            let registry = try MQTTClient(
                options: registryBroker.clientOptions(
                    clientID: "rentguardd-\(gw.id)-registry", will: MQTTWill(topic: registryStatus, payload: Array(#"{"online":false}"#.utf8)),
                    qos0BufferLimit: 1000),
                logger: logger.labelled("mqtt.registry"))
            registryClient = registry
            services.append(MQTTClientService(client: registry, onlineMessage: (registryStatus, Array(#"{"online":true}"#.utf8)), logger: logger))
            registryDestinations.append(MQTTRegistryDestination(client: registry, topicPrefix: config.registry.topicPrefix, building: gw.building))
        }
        var httpClient: HTTPClient?
        func http() throws -> HTTPClient {
            if let httpClient { return httpClient }
            let c = try HTTPClient.forwarding(caFile: config.registry.https?.caFile)
            httpClient = c
            return c
        }
        var registrySecret: [UInt8]?
        if let https = config.registry.https {
            do {
                registrySecret = try https.secretFile.map(readSecret) ?? []
            } catch {
                throw DaemonError.startup("cannot read registry.https.secret_file: \(error)")
            }
            registryDestinations.append(HTTPSDestination.registry(
                client: try http(), baseURL: https.url, building: gw.building, secret: registrySecret ?? [],
                timeout: .milliseconds(Int64(https.timeoutSeconds * 1000))))
        }
        for landlord in config.landlords {
            for (i, channel) in landlord.channels.enumerated() {
                let name = DeliveryPlan.landlordDestination(landlord.id, channel: i)
                switch channel.type {
                case "webhook":
                    guard let url = channel.url else { continue }
                    let secret: [UInt8]
                    do {
                        secret = try channel.secretFile.map(readSecret) ?? registrySecret ?? []
                    } catch {
                        throw DaemonError.startup("cannot read the secret of landlord \(landlord.id): \(error)")
                    }
                    let hook = HTTPSDestination(name: name, client: try http(), secret: secret, timeout: .seconds(10)) { _ in url }
                    landlordDestinations.append(LandlordDigest(hook, building: gw.building, gateway: gw.id))
                case "mqtt":
                    guard let topic = channel.topic, let registry = registryClient else { continue }
                    landlordDestinations.append(LandlordDigest(
                        LandlordMQTTDestination(name: name, client: registry, topic: topic), building: gw.building, gateway: gw.id))
                default:
                    continue
                }
            }
        }
        if registryDestinations.isEmpty {
            logger.warning("no registry destination is configured: alarms are stored but not forwarded")
        }

        let destinations = registryDestinations + landlordDestinations
        let bells = destinations.map { _ in Doorbell() }
        let doorbells = Doorbells(bells)
        for (d, bell) in zip(destinations, bells) {
            services.append(OutboxDispatcher(destination: d, store: store, doorbell: bell, logger: logger.labelled("forward"), clock: wallClockMs))
        }
        services.append(HeartbeatService(
            config: config, store: store, health: health, registryDestinations: registryDestinations.map(\.name),
            allDestinations: destinations.map(\.name), doorbells: doorbells, logger: logger.labelled("heartbeat")))
        let plan = DeliveryPlan(config: config, registryDestinations: registryDestinations.map(\.name))
        let detection = DetectionService(
            config: config, options: .init(eventClock: settings.eventClock, plan: plan),
            building: building, store: store, doorbells: doorbells, health: health, logger: logger.labelled("pipeline"))
        services.append(detection)

        logger.info("rentguardd starting", metadata: [
            "version": "\(RentGuardVersion.current)", "gateway": "\(gw.id)", "building": "\(gw.building)",
            "broker": "\(config.broker.url)", "destinations": "\(destinations.map(\.name).joined(separator: ","))", "config": "\(settings.configPath)",
        ])
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger.labelled("lifecycle")))
        do {
            try await group.run()
        } catch {
            try? await httpClient?.shutdown()
            throw error
        }
        try? await httpClient?.shutdown()
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
