import Foundation
import Logging
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardSystemd
import ServiceLifecycle

/// The ingest → detect → store pipeline as a service, on one task: batches of device
/// messages from the building broker (through the `PipelineInbox`, which holds the broker's
/// acknowledgements until a batch is handled) and clock ticks go to the pure detection core;
/// every alarm transition is written with its outbox rows in one SQLite transaction before
/// the batch is released and the delivery services are woken.
///
/// Shutdown order: stop reading from the broker, handle and commit the batch already read,
/// flush device state; the MQTT service then writes the last acknowledgements and
/// disconnects.
public final class DetectionService: Service, Sendable {
    public struct Options: Sendable {
        /// Run on event time: the core's clock follows the newest device timestamp, with no
        /// wall-clock ticks and no future-timestamp check, so a recorded trace replays at any
        /// speed with the same detections.
        public var eventClock: Bool
        public var tickInterval: Duration
        /// The poison-message guard's journal (`InflightJournal`); nil: no guard.
        public var inflightJournal: String?

        public init(eventClock: Bool = false, tickInterval: Duration = .seconds(1), inflightJournal: String? = nil) {
            self.eventClock = eventClock
            self.tickInterval = tickInterval
            self.inflightJournal = inflightJournal
        }
    }

    let initialConfig: BuildingConfig
    let options: Options
    let inbox: PipelineInbox
    let dependencies: PipelineDependencies
    /// Subscribes the topics the pipeline needs (the building client's `subscribe`).
    let subscribe: @Sendable (String) -> Void
    let monitor: ProgressMonitor?
    var logger: Logger { dependencies.logger }

    public init(
        config: BuildingConfig, options: Options, inbox: PipelineInbox, dependencies: PipelineDependencies,
        subscribe: @escaping @Sendable (String) -> Void, monitor: ProgressMonitor? = nil
    ) {
        self.initialConfig = config
        self.options = options
        self.inbox = inbox
        self.dependencies = dependencies
        self.subscribe = subscribe
        self.monitor = monitor
    }

    /// Hands an input to the core from outside (an operator's acknowledgement). False when
    /// the pipeline's input queue is full or the pipeline has stopped.
    @discardableResult
    public func submit(_ input: CoreInput) -> Bool { inbox.submit(input) }

    /// Applies a reloaded configuration between two batches; active alarms are kept.
    public func reconfigure(_ config: BuildingConfig) { inbox.reconfigure(config) }

    /// The topic filters the pipeline reads: protocol v1's, and each profile device's own.
    public static func topicFilters(_ config: BuildingConfig) -> [String] {
        IngestDecoder.subscriptions(for: config)
    }

    public func run() async throws {
        var pipeline: Pipeline
        do {
            pipeline = try Pipeline(config: initialConfig, dependencies: dependencies)
        } catch {
            logger.critical("the pipeline cannot start", metadata: ["error": "\(error)"])
            inbox.abandon()
            throw error
        }
        // Whatever ends this run, nothing read afterwards is acknowledged unhandled.
        defer { inbox.abandon() }
        var quarantine = openPoisonGuard()
        for filter in Self.topicFilters(initialConfig) { subscribe(filter) }
        logger.info("pipeline running", metadata: [
            "building": "\(initialConfig.gateway.building)", "devices": "\(initialConfig.devices.count)",
            "units": "\(initialConfig.units.count)", "active_alarms": "\(pipeline.engine.activeAlarms.count)",
            "event_clock": "\(options.eventClock)",
        ])
        let inbox = self.inbox
        let clock = dependencies.clock
        await withDiscardingTaskGroup { group in
            if !options.eventClock {
                group.addTask { [interval = options.tickInterval] in
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { return }
                        inbox.tick(clock.nowMs())
                    }
                }
            }
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    monitor?.beat("pipeline")
                    while let event = await inbox.next() {
                        // A reloaded configuration may name new profile devices with topics of their own.
                        if case let .reconfigure(new) = event { for filter in Self.topicFilters(new) { subscribe(filter) } }
                        if case let .messages(batch, receivedAt) = event {
                            quarantine.handle(batch, receivedAt: receivedAt, pipeline: &pipeline)
                            inbox.batchDone()
                        } else {
                            pipeline.handle(event)
                        }
                        monitor?.beat("pipeline")
                    }
                } onGracefulShutdown: {
                    inbox.stop()
                }
            } onCancel: {
                inbox.stop()
            }
            group.cancelAll()
        }
        pipeline.flush(now: clock.nowMs(), all: true)
        logger.info("pipeline stopped", metadata: ["summary": "\(pipeline.summary())"])
    }
}
