import Foundation
import Logging
import RentGuardSystemd
import RentGuardTesting
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify through a real unix datagram socket standing in for systemd.
@Suite struct SystemdNotifierTests {
    @Test func disabledWithoutNotifySocket() {
        let n = SystemdNotifier(environment: [:])
        #expect(!n.isEnabled)
        #expect(n.watchdogInterval == nil)
        #expect(!n.ready())
        #expect(!n.watchdog())
        // Relative paths and other schemes are not sockets we can use.
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative.sock"]).isEnabled)
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"]).isEnabled)
    }

    @Test func readyStatusWatchdogStoppingOnAPathSocket() async throws {
        let systemd = try NotifySocket()
        let n = SystemdNotifier(environment: systemd.environment())
        #expect(n.isEnabled)
        #expect(n.ready())
        #expect(await systemd.receive() == "READY=1")
        #expect(n.ready(status: "12 devices, 0 alarms"))
        #expect(await systemd.receive() == "READY=1\nSTATUS=12 devices, 0 alarms")
        #expect(n.status("outbox 3 pending\nsecond line"))
        #expect(await systemd.receive() == "STATUS=outbox 3 pending second line")
        #expect(n.watchdog())
        #expect(await systemd.receive() == "WATCHDOG=1")
        #expect(n.stopping())
        #expect(await systemd.receive() == "STOPPING=1")
        #expect(n.notify(["STATUS": "x", "ERRNO": "5"]))
        #expect(await systemd.receive() == "ERRNO=5\nSTATUS=x")
        #expect(n.extendTimeout(.seconds(20)))
        #expect(await systemd.receive() == "EXTEND_TIMEOUT_USEC=20000000")
    }

    @Test func reloadingCarriesMonotonicUsec() async throws {
        let systemd = try NotifySocket()
        let n = SystemdNotifier(environment: systemd.environment())
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        #expect(n.reloading())
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)
        let message = try #require(await systemd.receive())
        let lines = message.split(separator: "\n").map(String.init)
        #expect(lines.first == "RELOADING=1")
        let usecLine = try #require(lines.first { $0.hasPrefix("MONOTONIC_USEC=") })
        let usec = try #require(UInt64(usecLine.dropFirst("MONOTONIC_USEC=".count)))
        let lo = UInt64(before.tv_sec) * 1_000_000 + UInt64(before.tv_nsec) / 1000
        let hi = UInt64(after.tv_sec) * 1_000_000 + UInt64(after.tv_nsec) / 1000
        #expect(usec >= lo && usec <= hi)
    }

    @Test func abstractSocketName() async throws {
        let name = "rentguard-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        let systemd = try NotifySocket(abstractName: name)
        let n = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(n.isEnabled)
        #expect(n.ready(status: "abstract"))
        #expect(await systemd.receive() == "READY=1\nSTATUS=abstract")
    }

    @Test func missingSocketFailsQuietly() throws {
        let dir = try TemporaryDirectory(prefix: "rg-notify")
        defer { dir.remove() }
        let n = SystemdNotifier(environment: ["NOTIFY_SOCKET": dir.file("nobody-listens.sock")])
        #expect(n.isEnabled)
        #expect(!n.ready())
    }

    @Test func watchdogIntervalFromEnvironment() {
        let me = getpid()
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(30))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(me)"]).watchdogInterval == .seconds(30))
        // The watchdog is some other process's (e.g. a shell that started us).
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(me + 1)"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"]).watchdogInterval == nil)
    }
}

@Suite struct ProgressMonitorTests {
    @Test func stalledListsComponentsOlderThanMaxAge() {
        let m = ProgressMonitor()
        let t0 = ContinuousClock.now
        m.register("pipeline", at: t0)
        m.beat("database", at: t0)
        #expect(m.stalled(now: t0 + .seconds(5), maxAge: .seconds(10)).isEmpty)
        // Registered but never beaten: stalled once maxAge has passed since registration.
        #expect(m.stalled(now: t0 + .seconds(11), maxAge: .seconds(10)) == ["database", "pipeline"])
        m.beat("pipeline", at: t0 + .seconds(10))
        #expect(m.stalled(now: t0 + .seconds(15), maxAge: .seconds(10)) == ["database"])
        // An older beat never moves the last beat back.
        m.beat("pipeline", at: t0)
        #expect(m.stalled(now: t0 + .seconds(15), maxAge: .seconds(10)) == ["database"])
        #expect(m.haveBeaten(["pipeline", "database"]))
        #expect(!m.haveBeaten(["pipeline", "ingest"]))
        m.unregister("database")
        #expect(m.stalled(now: t0 + .seconds(15), maxAge: .seconds(10)).isEmpty)
        #expect(m.components == ["pipeline"])
    }
}

@Suite struct WatchdogServiceTests {
    /// Beats `name` every 20 ms until cancelled: a component making progress (the sleep is the
    /// component's own rhythm, not a wait for something).
    func beating(_ monitor: ProgressMonitor, _ name: String) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                monitor.beat(name)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func readyThenPingsOnlyWhileProgressingThenStopping() async throws {
        let systemd = try NotifySocket()
        // WATCHDOG_USEC=400ms: a ping every 200 ms.
        let notifier = SystemdNotifier(environment: systemd.environment(watchdogUsec: 400_000, watchdogPID: getpid()))
        #expect(notifier.watchdogInterval == .milliseconds(400))
        let monitor = ProgressMonitor()
        monitor.register("pipeline")
        monitor.register("database")
        let logs = CapturedLogs()
        let watchdog = WatchdogService(
            notifier: notifier, monitor: monitor,
            configuration: .init(maxAge: .seconds(2), statusInterval: .milliseconds(300), readyWhen: ["pipeline", "database"]),
            logger: logs.logger("watchdog"), summary: { "3 devices, 0 active alarms" })
        #expect(watchdog.pingInterval == .milliseconds(200))
        let group = ServiceGroup(configuration: .init(services: [watchdog], logger: quietLogger()))
        let running = Task { try await group.run() }

        // Not ready until both components have beaten.
        let pipeline = beating(monitor, "pipeline")
        // Two status lines (300 ms apart, so from two loop passes) after the pipeline's first
        // beat: the second pass began after that beat, so the watchdog has checked readiness
        // with only the pipeline beating. No READY=1 up to then.
        #expect(await eventually { monitor.haveBeaten(["pipeline"]) })
        let drained = systemd.drain()
        var afterBeat: [String] = []
        let twoStatuses = await systemd.waitFor { m in
            afterBeat.append(m)
            return afterBeat.filter { $0.hasPrefix("STATUS=") }.count >= 2
        }
        #expect(twoStatuses.match != nil, "\(afterBeat)")
        #expect(!(drained + afterBeat).contains { $0.hasPrefix("READY=1") }, "\(drained + afterBeat)")
        let database = beating(monitor, "database")
        let ready = await systemd.waitFor { $0.hasPrefix("READY=1") }
        #expect(ready.match == "READY=1\nSTATUS=3 devices, 0 active alarms")

        // Progressing: pings and status lines (wait for three pings and a status line).
        var progressing: [String] = []
        let progressed = await systemd.waitFor { m in
            progressing.append(m)
            return progressing.filter { $0 == "WATCHDOG=1" }.count >= 3 && progressing.contains("STATUS=3 devices, 0 active alarms")
        }
        #expect(progressed.match != nil, "\(progressing)")
        #expect(progressing.filter { $0 == "WATCHDOG=1" }.count >= 3, "\(progressing)")
        #expect(progressing.contains("STATUS=3 devices, 0 active alarms"))

        // The database stops making progress: the next status names it, then no more pings.
        database.cancel()
        let stalledStatus = await systemd.waitFor(timeout: .seconds(10)) { $0.hasPrefix("STATUS=STALLED database") }
        #expect(stalledStatus.match != nil, "\(stalledStatus.seen)")
        // While stalled: four more status lines, 300 ms apart (four loop passes past at least
        // four ping deadlines, 200 ms apart), and no ping among them. The window is counted in
        // the watchdog's own status lines rather than a fixed pause.
        var whileStalled: [String] = []
        let fourStatuses = await systemd.waitFor { m in
            whileStalled.append(m)
            return whileStalled.filter { $0.hasPrefix("STATUS=") }.count >= 4
        }
        #expect(fourStatuses.match != nil, "\(whileStalled)")
        #expect(!whileStalled.contains("WATCHDOG=1"), "\(whileStalled)")
        #expect(whileStalled.contains { $0.hasPrefix("STATUS=STALLED database") })
        // Logged once, with the component's name.
        let stallLogs = logs.messages(containing: "no progress")
        #expect(stallLogs.count == 1)
        #expect(stallLogs.first?.level == .critical)
        #expect(stallLogs.first?.metadata.contains("database") == true)

        // Progress again: pings resume.
        let database2 = beating(monitor, "database")
        let resumed = await systemd.waitFor(timeout: .seconds(10)) { $0 == "WATCHDOG=1" }
        #expect(resumed.match != nil)
        #expect(logs.messages(containing: "progress resumed").count == 1)

        // Graceful shutdown: STOPPING=1.
        await group.triggerGracefulShutdown()
        let stopping = await systemd.waitFor { $0.hasPrefix("STOPPING=1") }
        #expect(stopping.match != nil, "\(stopping.seen)")
        try await running.value
        pipeline.cancel()
        database2.cancel()
    }

    @Test func aStuckComponentStopsPingsWithTheDefaultThreshold() async throws {
        // Default maxAge = WATCHDOG_USEC / 2: a component silent for longer stops the pings.
        let systemd = try NotifySocket()
        let notifier = SystemdNotifier(environment: systemd.environment(watchdogUsec: 600_000))
        let monitor = ProgressMonitor()
        let watchdog = WatchdogService(notifier: notifier, monitor: monitor, configuration: .init(statusInterval: .seconds(60)), logger: quietLogger())
        #expect(watchdog.maxAge == .milliseconds(300))
        let group = ServiceGroup(configuration: .init(services: [watchdog], logger: quietLogger()))
        let running = Task { try await group.run() }
        let ingest = beating(monitor, "ingest")
        let first = await systemd.waitFor { $0 == "WATCHDOG=1" }
        #expect(first.match != nil)
        // The ingest loop hangs (it never beats again).
        ingest.cancel()
        monitor.beat("ingest", at: .now - .seconds(10))
        _ = await systemd.waitFor(timeout: .seconds(2)) { $0.hasPrefix("STATUS=STALLED ingest") }
        _ = systemd.drain()
        // Kept as a window: this watchdog sends nothing at all while stalled (no status line
        // for a minute), so the only evidence that pings stopped is their absence over more
        // than three ping intervals (150 ms each).
        let after = await systemd.collect(for: .milliseconds(1000))
        #expect(!after.contains("WATCHDOG=1"), "\(after)")
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(systemd.drain().contains { $0.hasPrefix("STOPPING=1") })
    }

    @Test func withoutSystemdItRunsUntilShutdown() async throws {
        let monitor = ProgressMonitor()
        let logs = CapturedLogs()
        let watchdog = WatchdogService(
            notifier: SystemdNotifier(environment: [:]), monitor: monitor, configuration: .init(maxAge: .milliseconds(100)), logger: logs.logger("watchdog"))
        #expect(watchdog.pingInterval == nil)
        let group = ServiceGroup(configuration: .init(services: [watchdog], logger: quietLogger()))
        let running = Task { try await group.run() }
        // Running, not returned at once: without systemd it still watches, and logs a stall.
        monitor.beat("ingest", at: .now - .seconds(10))
        #expect(await eventually { !logs.messages(containing: "no progress").isEmpty }, "the watchdog loop runs without systemd")
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func probeBeatsWhileItsCheckReturnsAndStopsWhenItHangs() async throws {
        let monitor = ProgressMonitor()
        let gate = ProbeGate()
        let probe = ProbeService(name: "database", monitor: monitor, interval: .milliseconds(20), logger: quietLogger()) {
            try gate.pass()
        }
        let group = ServiceGroup(configuration: .init(services: [probe], logger: quietLogger()))
        let running = Task { try await group.run() }
        #expect(await eventually { monitor.haveBeaten(["database"]) })
        #expect(monitor.stalled(maxAge: .milliseconds(500)).isEmpty)
        // The check hangs (a wedged database): no more beats.
        gate.block()
        #expect(await eventually { monitor.stalled(maxAge: .milliseconds(300)) == ["database"] })
        gate.release()
        #expect(await eventually { monitor.stalled(maxAge: .milliseconds(300)).isEmpty })
        // A failing check does not beat either.
        gate.fail(true)
        #expect(await eventually { monitor.stalled(maxAge: .milliseconds(300)) == ["database"] })
        gate.fail(false)
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

/// A check that can be made to hang or fail.
final class ProbeGate: @unchecked Sendable {
    private let c = NSCondition()
    private var blocked = false
    private var failing = false

    struct Failure: Error {}

    func pass() throws {
        c.lock()
        defer { c.unlock() }
        while blocked { c.wait() }
        if failing { throw Failure() }
    }

    func block() { c.lock(); blocked = true; c.unlock() }
    func release() { c.lock(); blocked = false; c.broadcast(); c.unlock() }
    func fail(_ f: Bool) { c.lock(); failing = f; c.unlock() }
}
