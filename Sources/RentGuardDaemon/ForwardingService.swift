import AsyncHTTPClient
import Logging
import RentGuardCentre
import RentGuardConfig
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import ServiceLifecycle

/// Owns everything on the way out: the registry's MQTT connection, the HTTP client, and
/// one outbox dispatcher per destination (registry MQTT and HTTPS, each landlord channel),
/// so that a slow destination never holds up another. On reload it rebuilds them from the
/// new configuration; the outbox keeps what is owed in between.
public final class ForwardingService: Service, Sendable {
    let store: Store
    let routing: Routing
    let logger: Logger
    let reloads: AsyncStream<BuildingConfig>
    let reloadSink: AsyncStream<BuildingConfig>.Continuation
    let initial: BuildingConfig

    public init(config: BuildingConfig, store: Store, logger: Logger) {
        self.initial = config
        self.store = store
        self.logger = logger
        self.routing = Routing(.init(
            plan: DeliveryPlan(config: config, registryDestinations: []), doorbells: Doorbells(), registryDestinations: [], allDestinations: []))
        (reloads, reloadSink) = AsyncStream.makeStream(of: BuildingConfig.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Applies a new configuration's forwarding part (targets, landlords, secrets).
    public func reload(_ config: BuildingConfig) { reloadSink.yield(config) }

    /// The destinations and clients of one configuration.
    struct Generation {
        var destinations: [any DeliveryDestination] = []
        var registryNames: [String] = []
        var mqttClients: [(client: MQTTClient, status: String?)] = []
        var httpClient: HTTPClient?
        /// The client toward the landlords' vendors (robots, SMS): the system's CAs.
        var vendorClient: HTTPClient?
        /// The fire-monitoring centre's link (`registry.centre`), run beside the dispatchers.
        var centre: CentreDestination?
    }

    /// Builds the destinations of `config` and publishes the new routing. Throws
    /// `DaemonError.startup` on a missing secret or bad TLS settings.
    func build(_ config: BuildingConfig) throws -> Generation {
        let gw = config.gateway
        var g = Generation()
        var registryClient: MQTTClient?
        if let registryBroker = config.registry.mqtt {
            let status = "\(config.registry.topicPrefix)/\(gw.building)/status"
            let client = try MQTTClient(
                options: registryBroker.clientOptions(
                    clientID: "rentguardd-\(gw.id)-registry", will: MQTTWill(topic: status, payload: Array(#"{"online":false}"#.utf8))),
                logger: logger.labelled("mqtt.registry"))
            registryClient = client
            g.mqttClients.append((client, status))
            g.destinations.append(MQTTRegistryDestination(client: client, topicPrefix: config.registry.topicPrefix, building: gw.building))
        }
        func http() throws -> HTTPClient {
            if let c = g.httpClient { return c }
            let c = try HTTPClient.forwarding(caFile: config.registry.https?.caFile)
            g.httpClient = c
            return c
        }
        var registrySecret: [UInt8]?
        if let https = config.registry.https {
            do {
                registrySecret = try https.secretFile.map(readSecret) ?? []
            } catch {
                throw DaemonError.startup("cannot read registry.https.secret_file: \(error)")
            }
            g.destinations.append(HTTPSDestination.registry(
                client: try http(), baseURL: https.url, building: gw.building, secret: registrySecret ?? [],
                timeout: .milliseconds(Int64(https.timeoutSeconds * 1000))))
        }
        g.registryNames = g.destinations.map(\.name)
        if let c = config.registry.centre {
            g.centre = try centreDestination(c, config: config)
            g.destinations.append(g.centre!)
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
                    g.destinations.append(LandlordDigest(hook, building: gw.building, gateway: gw.id))
                case "mqtt":
                    guard let topic = channel.topic, let registry = registryClient else { continue }
                    g.destinations.append(LandlordDigest(
                        LandlordMQTTDestination(name: name, client: registry, topic: topic), building: gw.building, gateway: gw.id))
                default:
                    func vendor() throws -> HTTPClient {
                        if let c = g.vendorClient { return c }
                        let c = try HTTPClient.forwarding(caFile: nil)
                        g.vendorClient = c
                        return c
                    }
                    if let d = try robotDestination(channel, name: name, landlord: landlord.id, config: config, client: vendor) {
                        g.destinations.append(d)
                    }
                }
            }
        }
        return g
    }

    public func run() async throws {
        var config = initial
        var generation = try build(config)
        while true {
            let reloaded = try await run(generation, config: config)
            guard let next = reloaded else { return }
            do {
                let g = try build(next)
                generation = g
                config = next
                logger.notice("forwarding reconfigured", metadata: ["destinations": "\(g.destinations.map(\.name).joined(separator: ","))"])
            } catch {
                logger.error("new forwarding configuration refused; keeping the running one", metadata: ["error": "\(error)"])
                generation = try build(config)
            }
        }
    }

    /// Runs one generation until shutdown (returns nil) or a reload (returns the new config).
    func run(_ g: Generation, config: BuildingConfig) async throws -> BuildingConfig? {
        if g.registryNames.isEmpty {
            logger.warning("no registry destination is configured: alarms are stored but not forwarded")
        }
        let bells = g.destinations.map { _ in Doorbell() }
        routing.replace(.init(
            plan: DeliveryPlan(config: config, registryDestinations: g.registryNames, centreDestination: g.centre?.name), doorbells: Doorbells(bells),
            registryDestinations: g.registryNames, allDestinations: g.destinations.map(\.name),
            registryClient: g.mqttClients.first?.client))
        for (client, _) in g.mqttClients { client.start() }
        let online = Array(#"{"online":true}"#.utf8)
        let dispatchers = zip(g.destinations, bells).map { d, bell in
            OutboxDispatcher(destination: d, store: store, doorbell: bell, logger: logger.labelled("forward"), clock: wallClockMs)
        }
        // Structured: the status publishers and the dispatchers are child tasks, so a
        // cancellation of this service (another service failed) reaches all of them.
        let next: BuildingConfig? = await withTaskGroup(of: Void.self) { statusGroup in
            for c in g.mqttClients {
                guard let topic = c.status else { continue }
                statusGroup.addTask {
                    for await s in c.client.connectionStates() where s.isConnected {
                        try? await c.client.publish(topic: topic, payload: online, qos: 1, retain: true, timeout: .seconds(5))
                    }
                }
            }
            let next = await withTaskGroup(of: Void.self) { dispatchGroup -> BuildingConfig? in
                // Dispatchers stop on graceful shutdown (with a bounded last flush) or when a
                // reload cancels them.
                for d in dispatchers { dispatchGroup.addTask { try? await d.run() } }
                if let centre = g.centre { dispatchGroup.addTask { await cancelWhenGracefulShutdown { await centre.run() } } }
                var reloadIterator = reloads.makeAsyncIterator()
                let next: BuildingConfig? = await withGracefulShutdownHandler {
                    await withTaskCancellationHandler {
                        await reloadIterator.next()
                    } onCancel: {
                        self.reloadSink.finish()
                    }
                } onGracefulShutdown: {
                    self.reloadSink.finish()
                }
                if next != nil { dispatchGroup.cancelAll() }
                await dispatchGroup.waitForAll()
                return next
            }
            statusGroup.cancelAll()
            return next
        }
        for (client, status) in g.mqttClients {
            if let status, next == nil, client.connectionState.isConnected {
                try? await client.publish(topic: status, payload: Array(#"{"online":false}"#.utf8), qos: 1, retain: true, timeout: .seconds(2))
            }
            await client.shutdown()
        }
        try? await g.httpClient?.shutdown()
        try? await g.vendorClient?.shutdown()
        return next
    }
}

extension ForwardingService {
    /// The centre link of `registry.centre`; its running status (type 21) reports active
    /// fire/CO alarms and device faults from the store.
    func centreDestination(_ c: CentreConfig, config: BuildingConfig) throws -> CentreDestination {
        guard GB18030.isAvailable else {
            throw DaemonError.startup("registry.centre needs GB 18030 text, but the C library has no GB18030 iconv converter (glibc's gconv modules)")
        }
        let store = self.store
        return CentreDestination(
            config: c, zone: config.gateway.zone, version: RentGuardVersion.current, logger: logger.labelled("centre"), clock: wallClockMs,
            status: {
                var s: DeviceRunningStatus = .monitoring
                let active = (try? store.activeAlarms()) ?? []
                if active.contains(where: { $0.key.type.isFireOrCOHazard }) { s.insert(.fireAlarm) }
                let faults: Set<AlarmType> = [.deviceFault, .deviceOffline, .gatewayFault, .tamper, .batteryLow]
                if active.contains(where: { faults.contains($0.key.type) }) { s.insert(.fault) }
                return s
            })
    }
}
