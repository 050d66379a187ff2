import Logging
import ServiceLifecycle

/// Keeps systemd informed, for the service group's lifetime:
///
/// - `READY=1` once every component named in `readyWhen` has beaten (the store is open and
///   the pipeline runs), with the first status line;
/// - `WATCHDOG=1` every `WATCHDOG_USEC / 2`, but only while no component of the
///   `ProgressMonitor` is stalled: a stuck ingest loop or a wedged database stops the pings,
///   and systemd restarts the daemon once `WatchdogSec=` has passed without one. The first
///   stall is logged once, with the components and how long they have been silent; so is
///   the recovery;
/// - `STATUS=` with a one-line health summary every `statusInterval`, and at once when a
///   component stalls or recovers;
/// - `STOPPING=1` when graceful shutdown begins (add this service last to the group: the
///   group shuts services down in reverse order, so it hears of the shutdown first).
///
/// Without `NOTIFY_SOCKET` it sends nothing but still logs stalls. It returns only on
/// graceful shutdown or cancellation.
public struct WatchdogService: Service {
    public struct Configuration: Sendable {
        /// How old a component's last beat may be before it counts as stalled. Default:
        /// half the watchdog interval (30 s when systemd's watchdog is off).
        public var maxAge: Duration?
        /// How often to send `WATCHDOG=1`. Default: half the watchdog interval.
        public var pingInterval: Duration?
        /// How often to send `STATUS=`.
        public var statusInterval: Duration
        /// Send `READY=1` once each of these components has beaten once; nil: never send
        /// `READY=1` (the daemon calls `SystemdNotifier.ready()` itself).
        public var readyWhen: [String]?

        public init(maxAge: Duration? = nil, pingInterval: Duration? = nil, statusInterval: Duration = .seconds(10), readyWhen: [String]? = nil) {
            self.maxAge = maxAge
            self.pingInterval = pingInterval
            self.statusInterval = statusInterval
            self.readyWhen = readyWhen
        }
    }

    public let notifier: SystemdNotifier
    public let monitor: ProgressMonitor
    public let configuration: Configuration
    let summary: @Sendable () -> String
    let logger: Logger

    /// - Parameters:
    ///   - summary: one line of health for `STATUS=` (e.g. "42 devices, 1 offline, 0 active alarms, outbox 0").
    public init(
        notifier: SystemdNotifier, monitor: ProgressMonitor, configuration: Configuration = .init(),
        logger: Logger, summary: @escaping @Sendable () -> String = { "running" }
    ) {
        self.notifier = notifier
        self.monitor = monitor
        self.configuration = configuration
        self.summary = summary
        self.logger = logger
    }

    /// The ping interval in use: the configured one, else half of `WATCHDOG_USEC`, else nil (no pings).
    public var pingInterval: Duration? {
        guard notifier.watchdogInterval != nil || configuration.pingInterval != nil else { return nil }
        return configuration.pingInterval ?? notifier.watchdogInterval.map { $0 / 2 }
    }

    /// The stall threshold in use.
    public var maxAge: Duration {
        configuration.maxAge ?? notifier.watchdogInterval.map { $0 / 2 } ?? .seconds(30)
    }

    public func run() async throws {
        if notifier.isEnabled {
            logger.info("systemd notification on", metadata: [
                "watchdog": "\(notifier.watchdogInterval.map { "\($0)" } ?? "off")",
                "ping_every": "\(pingInterval.map { "\($0)" } ?? "-")", "stall_after": "\(maxAge)",
            ])
        }
        await cancelWhenGracefulShutdown { await self.loop() }
        notifier.stopping(status: "stopping")
        logger.info("watchdog stopped; STOPPING=1 sent", metadata: ["notified": "\(notifier.isEnabled)"])
    }

    /// Pings, status and readiness until cancelled.
    func loop() async {
        let ping = pingInterval
        let maxAge = self.maxAge
        let statusInterval = max(configuration.statusInterval, .milliseconds(10))
        // Wake often enough to notice readiness and stalls promptly, and no more.
        var step = Duration.milliseconds(250)
        if let ping { step = min(step, ping / 2) }
        step = max(min(step, maxAge / 2), .milliseconds(5))

        let clock = ContinuousClock()
        var readySent = configuration.readyWhen == nil
        var reportedStalled: [String] = []
        var nextPing = clock.now
        var nextStatus = clock.now + statusInterval

        while !Task.isCancelled {
            let now = clock.now
            let stalled = monitor.stalled(now: now, maxAge: maxAge)
            if stalled != reportedStalled {
                if stalled.isEmpty {
                    logger.notice("watchdog: progress resumed, pinging systemd again", metadata: ["recovered": "\(reportedStalled.joined(separator: ","))"])
                    nextPing = now
                } else {
                    logger.critical("watchdog: no progress, no longer pinging systemd (it will restart the daemon)", metadata: [
                        "stalled": "\(describe(stalled, now: now))", "max_age": "\(maxAge)",
                    ])
                }
                reportedStalled = stalled
                nextStatus = now
            }
            if !readySent, let names = configuration.readyWhen, monitor.haveBeaten(names) {
                notifier.ready(status: statusLine(stalled: stalled, now: now))
                logger.info("ready", metadata: ["notified": "\(notifier.isEnabled)"])
                readySent = true
                nextStatus = now + statusInterval
            }
            if let ping, now >= nextPing {
                if stalled.isEmpty { notifier.watchdog() }
                nextPing = now + ping
            }
            if now >= nextStatus {
                notifier.status(statusLine(stalled: stalled, now: now))
                nextStatus = now + statusInterval
            }
            var wake = min(nextStatus, now + step)
            if ping != nil { wake = min(wake, nextPing) }
            do {
                try await Task.sleep(until: wake, clock: clock)
            } catch {
                return
            }
        }
    }

    /// `ok: <summary>`, or `STALLED pipeline (42s): <summary>`, on one line of at most 240 characters.
    func statusLine(stalled: [String], now: ContinuousClock.Instant) -> String {
        var line = stalled.isEmpty ? summary() : "STALLED \(describe(stalled, now: now)): \(summary())"
        line = line.split(whereSeparator: \.isNewline).joined(separator: " ")
        if line.count > 240 { line = String(line.prefix(239)) + "…" }
        return line
    }

    func describe(_ names: [String], now: ContinuousClock.Instant) -> String {
        names.map { name in
            guard let age = monitor.age(of: name, now: now) else { return "\(name) (never)" }
            return "\(name) (\(age.components.seconds)s)"
        }.joined(separator: ", ")
    }
}
