import Foundation
import Logging
import ServiceLifecycle

/// Runs a blocking check (e.g. a one-row query on the store) on a thread of its own every
/// `interval`, and beats `name` on the `ProgressMonitor` each time the check returns
/// without throwing.
///
/// A wedged database (a lock never released, an fsync that never returns) hangs only this
/// thread, never the cooperative pool, and the missing beats stop the watchdog's pings. A
/// check that throws is logged (once per failure streak) and does not beat either.
public struct ProbeService: Service {
    public let name: String
    public let monitor: ProgressMonitor
    public let interval: Duration
    let check: @Sendable () throws -> Void
    let logger: Logger

    public init(name: String, monitor: ProgressMonitor, interval: Duration = .seconds(5), logger: Logger, check: @escaping @Sendable () throws -> Void) {
        self.name = name
        self.monitor = monitor
        self.interval = interval
        self.check = check
        self.logger = logger
    }

    public func run() async throws {
        monitor.register(name)
        let stop = ProbeStopFlag()
        let thread = Thread { [name, monitor, interval, check, logger] in
            var failing = false
            while !stop.isSet {
                do {
                    try check()
                    monitor.beat(name)
                    if failing {
                        logger.notice("probe succeeds again", metadata: ["probe": "\(name)"])
                        failing = false
                    }
                } catch {
                    if !failing {
                        logger.error("probe failed", metadata: ["probe": "\(name)", "error": "\(error)"])
                        failing = true
                    }
                }
                stop.wait(interval)
            }
        }
        thread.name = "probe-\(name)"
        thread.start()
        // Returns on graceful shutdown (or cancellation); a hung check keeps its thread,
        // which ends with the process.
        try? await gracefulShutdown()
        stop.set()
        monitor.unregister(name)
    }
}

/// A flag a sleeping thread wakes up for.
final class ProbeStopFlag: @unchecked Sendable {
    // NSCondition guards `flag`.
    private let c = NSCondition()
    private var flag = false

    var isSet: Bool {
        c.lock()
        defer { c.unlock() }
        return flag
    }

    func set() {
        c.lock()
        flag = true
        c.broadcast()
        c.unlock()
    }

    /// Sleeps for `d`, or until `set()`.
    func wait(_ d: Duration) {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        let deadline = Date().addingTimeInterval(seconds)
        c.lock()
        while !flag, c.wait(until: deadline) {}
        c.unlock()
    }
}
