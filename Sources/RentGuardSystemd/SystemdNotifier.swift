import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The service manager's notification protocol (`sd_notify(3)`), without libsystemd: one
/// datagram of `KEY=VALUE` lines per notification, sent to the unix socket named by
/// `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket).
///
/// Outside systemd (no `NOTIFY_SOCKET`) every call does nothing and returns false. A
/// notification that cannot be sent never throws: the daemon must keep running whatever
/// happens to its supervisor's socket.
public struct SystemdNotifier: Sendable {
    /// `$NOTIFY_SOCKET` as given, if it names a socket this notifier can use.
    public let socketPath: String?
    /// `$WATCHDOG_USEC` as a duration, when the watchdog is on for this process
    /// (`$WATCHDOG_PID`, when set, must be our pid).
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let path = environment["NOTIFY_SOCKET"], path.count > 1, path.hasPrefix("/") || path.hasPrefix("@"),
            path.utf8.count < SystemdNotifier.maxPathLength
        {
            socketPath = path
        } else {
            socketPath = nil
        }
        watchdogInterval = SystemdNotifier.watchdogInterval(environment: environment, pid: getpid())
    }

    /// Whether notifications go anywhere (the process runs under systemd with `Type=notify`
    /// or `NotifyAccess=` granting it).
    public var isEnabled: Bool { socketPath != nil }

    /// Sends one notification: the fields as `KEY=VALUE` lines (sorted by key, so that the
    /// datagram is deterministic; `READY`, `RELOADING` and `STOPPING` go first as systemd's
    /// own tools do). Returns whether the datagram was sent.
    @discardableResult
    public func notify(_ fields: [String: String]) -> Bool {
        let first = ["READY", "RELOADING", "STOPPING"]
        let keys = fields.keys.sorted { a, b in
            let ia = first.firstIndex(of: a) ?? first.count
            let ib = first.firstIndex(of: b) ?? first.count
            return ia != ib ? ia < ib : a < b
        }
        return send(keys.map { "\($0)=\(Self.sanitized(fields[$0]!))" }.joined(separator: "\n"))
    }

    /// `READY=1`: start-up is complete (or a reload has finished), with an optional `STATUS=`.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        var f = ["READY": "1"]
        if let status { f["STATUS"] = status }
        return notify(f)
    }

    /// `STATUS=…`: one line shown by `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool { notify(["STATUS": text]) }

    /// `WATCHDOG=1`: the keep-alive ping.
    @discardableResult
    public func watchdog() -> Bool { notify(["WATCHDOG": "1"]) }

    /// `STOPPING=1`: a graceful shutdown has begun.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        var f = ["STOPPING": "1"]
        if let status { f["STATUS"] = status }
        return notify(f)
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC now, as systemd 253+ requires
    /// to match the reload to its request). Send `ready()` when the reload is done, whether
    /// the new configuration was taken or refused.
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        var f = ["RELOADING": "1", "MONOTONIC_USEC": "\(Self.monotonicMicroseconds())"]
        if let status { f["STATUS"] = status }
        return notify(f)
    }

    /// `EXTEND_TIMEOUT_USEC=`: asks for more time for the start-up, reload or shutdown in progress.
    @discardableResult
    public func extendTimeout(_ duration: Duration) -> Bool {
        notify(["EXTEND_TIMEOUT_USEC": "\(Self.microseconds(duration))"])
    }

    /// Sends `message` as one datagram, as is. Returns whether it was sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Self.datagramType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        // An abstract name is exactly its bytes; a path is NUL-terminated.
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == bytes.count
    }

    // MARK: - Helpers

    static let maxPathLength = 108

    #if os(Linux)
    static let datagramType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    #else
    static let datagramType = SOCK_DGRAM
    #endif

    static func watchdogInterval(environment: [String: String], pid: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0, usec < UInt64(Int64.max) else {
            return nil
        }
        if let pidText = environment["WATCHDOG_PID"], !pidText.isEmpty {
            guard let watched = pid_t(pidText), watched == pid else { return nil }
        }
        return .microseconds(Int64(usec))
    }

    /// A value on one line: a newline would start another field.
    static func sanitized(_ value: String) -> String {
        value.contains(where: \.isNewline) ? value.split(whereSeparator: \.isNewline).joined(separator: " ") : value
    }

    static func monotonicMicroseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000 + UInt64(t.tv_nsec) / 1000
    }

    static func microseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return max(0, c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000)
    }
}
