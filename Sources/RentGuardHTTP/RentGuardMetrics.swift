import Metrics
import Prometheus
import RentGuardStore
import Synchronization

/// The process's metrics: swift-metrics bootstrapped with a Prometheus registry.
public enum RentGuardMetrics {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with a Prometheus factory on the first call, and returns the
    /// registry that `/metrics` exposes. Later calls return the same registry and do nothing
    /// else, so it is safe to call from several places (tests included).
    ///
    /// Call it first thing in `main`, before anything creates a `Counter` or `Timer`:
    /// metrics created before the bootstrap go to swift-metrics' no-op handler for good.
    /// Never call `MetricsSystem.bootstrap` elsewhere in the process: swift-metrics allows one
    /// bootstrap per process and traps on a second.
    ///
    /// Timers become histograms in seconds with `latencyBuckets`; every metric in
    /// `catalogue` gets its `# HELP` line.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        bootstrapped.withLock { existing in
            if let existing { return existing }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(RentGuardMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
    }

    /// Histogram buckets for timers (delivery latency): from 5 ms on a LAN to an hour of
    /// registry outage.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]

    /// Buckets for value histograms (swift-metrics `Recorder(aggregate: true)`).
    public static let valueBuckets: [Double] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    /// HELP text of the metrics the daemon emits. A metric not listed has no HELP line.
    public static let catalogue: [String: String] = [
        "rentguard_messages_in_total": "Device messages received, by device kind and channel.",
        "rentguard_messages_rejected_total": "Device messages refused, by reason.",
        "rentguard_alarm_transitions_total": "Alarm state changes, by alarm type and new state.",
        "rentguard_outbox_delivered_total": "Outbox messages confirmed by their destination and marked delivered in the store (each counted once).",
        "rentguard_outbox_store_errors_total": "Failed outbox reads and writes (disk full, I/O error); delivery pauses with backoff after each.",
        "rentguard_alarm_transitions_unpersisted": "Alarm transitions held in memory because the database refused them; retried every second, never dropped.",
        "rentguard_outbox_retries_total": "Failed delivery attempts that will be retried.",
        "rentguard_outbox_dead_letter_total": "Outbox messages refused for good by their destination.",
        "rentguard_outbox_evicted_total": "Low-priority outbox messages evicted to keep the disk budget.",
        "rentguard_delivery_latency_seconds": "Time from an outbox message being stored to its delivery being confirmed.",
        "rentguard_outbox_pending": "Undelivered outbox messages, by destination.",
        "rentguard_outbox_dead": "Outbox messages kept after a permanent refusal, by destination.",
        "rentguard_outbox_oldest_pending_age_seconds": "Age of the oldest undelivered outbox message, by destination (0 when none).",
        "rentguard_broker_connected": "1 while the MQTT connection is up, by broker (building, registry).",
        "rentguard_broker_dropped_messages_total": "Messages the building broker reported dropping ($SYS/broker/publish/messages/dropped rising, all its clients) since the daemon started.",
        "rentguard_broker_sys_available": "1 while the building broker's $SYS counters arrive, 0 before the first and where it publishes none.",
        "rentguard_broker_stored_messages": "Messages in the building broker's store, retained and queued ($SYS/broker/store/messages/count).",
        "rentguard_http_connections_shed_total": "Connections the operations endpoint closed to stay under its limit (idle or unauthenticated ones first, never one with a request in flight).",
        "rentguard_centre_bad_packets_total": "Bad packets and garbage runs received from the fire-monitoring centre, answered or not.",
        "rentguard_database_size_bytes": "Size of the SQLite database and its write-ahead log.",
        "rentguard_active_alarms": "Active (not cleared) alarms, by severity.",
        "rentguard_devices": "Registered devices by state (online, offline, never_seen).",
        "rentguard_build_info": "Always 1, labelled with the running version.",
        "rentguard_start_time_seconds": "Start time of the daemon, Unix seconds.",
    ]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: catalogue[name] ?? "")
    }
}

/// A swift-metrics factory over a Prometheus registry: the same mapping as
/// swift-prometheus' `PrometheusMetricsFactory` (counters, gauges, timers as duration
/// histograms in seconds), with RentGuard's buckets and HELP texts.
public struct RentGuardMetricsFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions, buckets: RentGuardMetrics.valueBuckets)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: RentGuardMetrics.descriptor(label), labels: dimensions, buckets: RentGuardMetrics.latencyBuckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
        if let h = handler as? ValueHistogram { registry.unregisterValueHistogram(h) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let h = handler as? DurationHistogram { registry.unregisterDurationHistogram(h) }
    }
}

/// Gauges the daemon sets: outbox depth and age per destination, broker connections,
/// database size, active alarms, devices. Cheap to create; create one and keep it.
public struct GatewayGauges: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func gauge(_ name: String, _ labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: RentGuardMetrics.descriptor(name), labels: labels)
    }

    /// `rentguard_outbox_pending`, `rentguard_outbox_dead` and
    /// `rentguard_outbox_oldest_pending_age_seconds` for one destination; `now` in Unix ms.
    public func outbox(destination: String, stats: OutboxStats, now: Int64) {
        let l = [("destination", destination)]
        gauge("rentguard_outbox_pending", l).set(to: Double(stats.pending))
        gauge("rentguard_outbox_dead", l).set(to: Double(stats.dead))
        let age = stats.oldestPendingCreatedAt.map { max(0, Double(now - $0) / 1000) } ?? 0
        gauge("rentguard_outbox_oldest_pending_age_seconds", l).set(to: age)
    }

    /// `rentguard_broker_connected{broker}`: 1 or 0.
    public func brokerConnected(_ broker: String, _ connected: Bool) {
        gauge("rentguard_broker_connected", [("broker", broker)]).set(to: connected ? 1 : 0)
    }

    /// `rentguard_broker_sys_available` and, once read, `rentguard_broker_stored_messages`.
    public func brokerSys(available: Bool, stored: Int64?) {
        gauge("rentguard_broker_sys_available").set(to: available ? 1 : 0)
        if let stored { gauge("rentguard_broker_stored_messages").set(to: Double(stored)) }
    }

    /// `rentguard_database_size_bytes` (pass `store.databaseSizeBytes()`).
    public func databaseSize(bytes: Int64) {
        gauge("rentguard_database_size_bytes").set(to: Double(bytes))
    }

    /// `rentguard_active_alarms{severity}`; severities not given are set to 0.
    public func activeAlarms(bySeverity counts: [String: Int]) {
        for s in ["warning", "minor", "major", "critical"] + counts.keys.sorted() {
            gauge("rentguard_active_alarms", [("severity", s)]).set(to: Double(counts[s] ?? 0))
        }
    }

    /// `rentguard_alarm_transitions_unpersisted`: alarm transitions the pipeline holds in
    /// memory because writing them failed (`GatewayHealth.unpersistedTransitions`).
    public func unpersistedTransitions(_ count: Int) {
        gauge("rentguard_alarm_transitions_unpersisted").set(to: Double(count))
    }

    /// `rentguard_devices{state}`.
    public func devices(online: Int, offline: Int, neverSeen: Int) {
        gauge("rentguard_devices", [("state", "online")]).set(to: Double(online))
        gauge("rentguard_devices", [("state", "offline")]).set(to: Double(offline))
        gauge("rentguard_devices", [("state", "never_seen")]).set(to: Double(neverSeen))
    }

    /// `rentguard_build_info{version} 1` and `rentguard_start_time_seconds`; call once at start.
    public func started(version: String, at unixMs: Int64) {
        gauge("rentguard_build_info", [("version", version)]).set(to: 1)
        gauge("rentguard_start_time_seconds").set(to: Double(unixMs) / 1000)
    }
}
