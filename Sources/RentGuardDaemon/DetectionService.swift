import Foundation
import Logging
import RentGuardCore
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import RentGuardSystemd
import ServiceLifecycle

/// The ingest → detect → store pipeline, on one task:
/// device messages from the building broker are decoded and validated, fed with clock
/// ticks to the pure detection core, and every alarm transition is written with its outbox
/// rows in one SQLite transaction before the delivery services are woken.
public final class DetectionService: Service, Sendable {
    public struct Options: Sendable {
        /// Run on event time: the core's clock follows the newest device timestamp, with no
        /// wall-clock ticks and no future-timestamp check, so a recorded trace replays at any
        /// speed with the same detections.
        public var eventClock: Bool
        public var tickInterval: Duration

        public init(eventClock: Bool = false, tickInterval: Duration = .seconds(1)) {
            self.eventClock = eventClock
            self.tickInterval = tickInterval
        }
    }

    let initialConfig: BuildingConfig
    let options: Options
    let building: MQTTClient
    let store: Store
    let routing: Routing
    let health: GatewayHealth
    let monitor: ProgressMonitor?
    let logger: Logger
    let statistics = IngestStatistics()
    let events: AsyncStream<PipelineEvent>
    let eventSink: AsyncStream<PipelineEvent>.Continuation

    enum PipelineEvent: Sendable {
        case message(MQTTMessage, receivedAt: Int64)
        case tick(Int64)
        case input(CoreInput)
        case reconfigure(BuildingConfig)
    }

    public init(config: BuildingConfig, options: Options, building: MQTTClient, store: Store, routing: Routing, health: GatewayHealth, monitor: ProgressMonitor? = nil, logger: Logger) {
        self.monitor = monitor
        self.initialConfig = config
        self.options = options
        self.building = building
        self.store = store
        self.routing = routing
        self.health = health
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: PipelineEvent.self, bufferingPolicy: .unbounded)
    }

    /// Hands an input to the core from outside (an operator's acknowledgement).
    public func submit(_ input: CoreInput) { eventSink.yield(.input(input)) }

    /// Applies a reloaded configuration between two messages; active alarms are kept.
    public func reconfigure(_ config: BuildingConfig) { eventSink.yield(.reconfigure(config)) }

    public func run() async throws {
        var pipeline = try Pipeline(service: self)
        let config = initialConfig
        let prefix = config.ingest.topicPrefix
        let buildingID = config.gateway.building
        building.subscribe("\(prefix)/\(buildingID)/+/telemetry", qos: 1)
        building.subscribe("\(prefix)/\(buildingID)/+/event", qos: 1)
        building.subscribe("\(prefix)/\(buildingID)/+/status", qos: 1)

        let sink = eventSink
        let messages = building.messages
        let pump = Task {
            for await m in messages { sink.yield(.message(m, receivedAt: wallClockMs())) }
        }
        let ticker: Task<Void, Never>? = options.eventClock ? nil : Task { [interval = options.tickInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                sink.yield(.tick(wallClockMs()))
            }
        }
        logger.info("pipeline running", metadata: [
            "building": "\(buildingID)", "devices": "\(config.devices.count)", "units": "\(config.units.count)",
            "active_alarms": "\(pipeline.engine.activeAlarms.count)", "event_clock": "\(options.eventClock)",
        ])

        await withGracefulShutdownHandler {
            monitor?.beat("pipeline")
            for await event in events {
                pipeline.handle(event)
                monitor?.beat("pipeline")
            }
        } onGracefulShutdown: {
            sink.finish()
        }
        pump.cancel()
        ticker?.cancel()
        pipeline.flush(now: wallClockMs())
        logger.info("pipeline stopped", metadata: ["summary": "\(pipeline.summary())"])
    }
}
