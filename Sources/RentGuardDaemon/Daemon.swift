import Foundation
import Logging
import RentGuardConfig
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import Prometheus
import RentGuardHTTP
import RentGuardSystemd
import ServiceLifecycle

/// Wires the adapters and the core together as services with a graceful lifecycle. Nothing
/// here decides anything: detection is in the core, delivery in the forwarders.
public struct Daemon {
    public struct Settings: Sendable {
        public var config: BuildingConfig
        public var configPath: String
        public var eventClock: Bool
        /// Command-line overrides, applied again to a reloaded configuration.
        public var overrides: Overrides

        public init(config: BuildingConfig, configPath: String, eventClock: Bool = false, overrides: Overrides = .init()) {
            self.config = config
            self.configPath = configPath
            self.eventClock = eventClock
            self.overrides = overrides
        }
    }

    /// `--broker`, `--registry-broker`, `--state-dir`.
    public struct Overrides: Sendable {
        public var broker: String?
        public var registryBroker: String?
        public var stateDir: String?
        public var httpListen: String?

        public init(broker: String? = nil, registryBroker: String? = nil, stateDir: String? = nil, httpListen: String? = nil) {
            self.broker = broker
            self.registryBroker = registryBroker
            self.stateDir = stateDir
            self.httpListen = httpListen
        }

        public func apply(to c: inout BuildingConfig) {
            if let broker { c.broker.url = broker }
            if let registryBroker {
                var r = c.registry.mqtt ?? BrokerConfig()
                r.url = registryBroker
                c.registry.mqtt = r
            }
            if let stateDir { c.storage.stateDir = stateDir }
            if let httpListen { c.http.listen = httpListen }
        }
    }

    /// Loads and validates the configuration file, with the command-line overrides applied.
    public static func loadConfig(path: String, overrides: Overrides) throws(ConfigError) -> BuildingConfig {
        var c = try ConfigLoader.load(path: path, knownThresholds: RuleCatalog.knownThresholds)
        overrides.apply(to: &c)
        return c
    }

    public let settings: Settings
    public let logger: Logger
    /// The Prometheus registry behind swift-metrics (`RentGuardMetrics.bootstrap()`).
    public let metrics: PrometheusCollectorRegistry

    public init(settings: Settings, logger: Logger, metrics: PrometheusCollectorRegistry) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// Opens the database and builds every service from the configuration and `clock`,
    /// without running anything: the composition root. Pieces get their dependencies
    /// explicitly, so each can also be built alone in a test.
    public func build(clock: any GatewayClock = WallClock()) throws -> Components {
        let config = settings.config
        let gw = config.gateway
        let dbPath = URL(fileURLWithPath: config.storage.stateDir).appendingPathComponent(Store.fileName).path
        let store: Store
        do {
            store = try Store.openRecovering(path: dbPath, logger: logger.labelled("store"))
        } catch {
            throw DaemonError.startup("cannot open the database \(dbPath): \(error)")
        }
        logger.info("database open", metadata: ["path": "\(dbPath)", "size_bytes": "\(store.databaseSizeBytes())"])

        var services: [any Service] = []
        let health = GatewayHealth(startedAt: clock.nowMs())
        let ledger = DeviceLedger()
        let statistics = IngestStatistics()
        // systemd: READY once the store is open and the pipeline runs; the watchdog is fed
        // only while the pipeline and a database probe make progress.
        let notifier = SystemdNotifier()
        let monitor = ProgressMonitor()
        monitor.register("pipeline")
        monitor.register("database")

        // The building broker: device traffic in (through the pipeline's inbox, which holds
        // each batch's acknowledgements until it is handled), commands out.
        let inbox = PipelineInbox(clock: clock)
        let buildingStatus = "\(config.ingest.topicPrefix)/\(gw.building)/\(gw.id)/status"
        let building = try MQTTClient(
            options: config.broker.clientOptions(
                clientID: "rentguardd-\(gw.id)-building", will: MQTTWill(topic: buildingStatus, payload: Array(#"{"online":false}"#.utf8)),
                inboundBatchLimit: config.ingest.qos0BufferLimit),
            logger: logger.labelled("mqtt.building"), inbound: inbox)
        services.append(MQTTClientService(client: building, onlineMessage: (buildingStatus, Array(#"{"online":true}"#.utf8)), logger: logger))
        let commands = CommandService(client: building, logger: logger.labelled("commands"))
        services.append(commands)

        // Everything on the way out: registry connections, landlords, one dispatcher each.
        let forwarding = ForwardingService(config: config, store: store, logger: logger.labelled("forward"))
        services.append(forwarding)
        services.append(HeartbeatService(
            config: config, store: store, health: health, devices: ledger, statistics: statistics, routing: forwarding.routing,
            logger: logger.labelled("heartbeat")))
        let dependencies = PipelineDependencies(
            store: store, routing: forwarding.routing, health: health, devices: ledger, statistics: statistics, clock: clock,
            commands: { commands.enqueue($0) }, eventClock: settings.eventClock, logger: logger.labelled("pipeline"))
        let journal = InflightJournal.defaultPath(stateDir: config.storage.stateDir, runtimeDirectory: environment("RUNTIME_DIRECTORY"))
        let detection = DetectionService(
            config: config, options: .init(eventClock: settings.eventClock, inflightJournal: journal), inbox: inbox, dependencies: dependencies,
            subscribe: { building.subscribe($0, qos: 1) }, monitor: monitor)
        services.append(detection)
        if let q = store.quarantined {
            // Through the core like any alarm: stored with its outbox rows, sent to the registry.
            detection.submit(.gatewayFault(fault: "database_corrupt", evidence: .object([
                ("detail", "the database was corrupt; it was moved aside and the gateway started on an empty one"),
                ("moved_to", .string(q.movedTo)), ("sqlite", .string(q.reason)), ("size_bytes", JSONValue(q.sizeBytes)),
            ]), at: clock.nowMs()))
        }
        services.append(ReloadService(
            settings: settings, detection: detection, forwarding: forwarding, notifier: notifier, logger: logger.labelled("reload")))
        services.append(ProbeService(name: "database", monitor: monitor, interval: .seconds(1), logger: logger.labelled("probe")) {
            // The newest row by its index: constant cost, however many alarms are active
            // (the active list sorts by severity, 8 ms for 30,000 active alarms).
            _ = try store.alarms(activeOnly: false, limit: 1)
        })

        // The local HTTP endpoint: metrics, health, the operator's API.
        let gauges = GatewayGauges(registry: metrics)
        gauges.started(version: RentGuardVersion.current, at: clock.nowMs())
        if config.http.enabled {
            let (host, port): (String, Int)
            do {
                (host, port) = try OperationsServer.parseListenAddress(config.http.listen)
            } catch {
                throw DaemonError.startup("http.listen: \(error)")
            }
            var token: String?
            if let file = config.http.tokenFile {
                do {
                    token = String(decoding: try readSecret(file), as: UTF8.self)
                } catch {
                    throw DaemonError.startup("cannot read http.token_file \(file): \(error)")
                }
            }
            let api = DaemonAPI(
                config: config, store: store, health: health, devices: ledger, statistics: statistics, detection: detection,
                inbox: inbox, routing: forwarding.routing, building: building, monitor: monitor, gauges: gauges, clock: clock)
            do {
                services.append(try OperationsServer(host: host, port: port, token: token, api: api, registry: metrics, logger: logger.labelled("http")))
            } catch {
                throw DaemonError.startup("http endpoint on \(config.http.listen): \(error)")
            }
        }
        // The ledger: occupancy over time, and a report at the end of each period (issue 17).
        services.append(ReportService(
            config: config, store: store, health: health, devices: ledger, routing: forwarding.routing, clock: clock,
            eventClock: settings.eventClock, logger: logger.labelled("ledger")))
        // Last, so that it is the first to stop (STOPPING=1) on shutdown.
        services.append(WatchdogService(
            notifier: notifier, monitor: monitor, configuration: .init(readyWhen: ["pipeline", "database"]), logger: logger.labelled("watchdog")
        ) {
            let h = health.snapshot
            let c = ledger.census(config)
            let stats = statistics.snapshot
            let received = stats.filter { $0.key.hasPrefix("in.") }.values.reduce(0, +)
            let rejected = stats.filter { $0.key.hasPrefix("reject.") }.values.reduce(0, +)
            return "devices \(c.online)/\(c.registered) online, \(h.activeAlarms) active alarms, \(received) messages in, \(rejected) rejected"
        })
        return Components(store: store, services: services, building: building, inbox: inbox, detection: detection)
    }

    /// What `build` made: the services in start order (they stop in reverse).
    public struct Components {
        public let store: Store
        public let services: [any Service]
        public let building: MQTTClient
        public let inbox: PipelineInbox
        public let detection: DetectionService
    }

    public func run() async throws {
        let config = settings.config
        let gw = config.gateway
        let components = try build()
        defer { components.store.close() }
        logger.info("rentguardd starting", metadata: [
            "version": "\(RentGuardVersion.current)", "gateway": "\(gw.id)", "building": "\(gw.building)",
            "broker": "\(config.broker.url)", "config": "\(settings.configPath)",
        ])
        var groupConfig = ServiceGroupConfiguration(
            services: components.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger.labelled("lifecycle"))
        // Never hang on the way out (systemd's TimeoutStopSec is 30 s): a graceful shutdown
        // that takes too long becomes a cancellation, and a cancellation that does not
        // finish ends the process (a crash, so systemd restarts it).
        groupConfig.maximumGracefulShutdownDuration = .seconds(15)
        groupConfig.maximumCancellationDuration = .seconds(10)
        try await ServiceGroup(configuration: groupConfig).run()
        logger.info("rentguardd stopped")
    }
}

/// An environment variable, nil when unset or empty.
func environment(_ name: String) -> String? {
    guard let v = getenv(name), v.pointee != 0 else { return nil }
    return String(cString: v)
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
