import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A unix datagram socket standing in for systemd's notification socket.
public final class NotifySocket: @unchecked Sendable {
    public let fd: Int32
    /// What `NOTIFY_SOCKET` must be set to: a path, or `@name` for an abstract socket.
    public let address: String
    public let directory: TemporaryDirectory?

    /// A socket file in a fresh temporary directory.
    public convenience init() throws {
        let dir = try TemporaryDirectory(prefix: "rg-notify")
        try self.init(address: dir.file("notify.sock"), directory: dir)
    }

    /// An abstract socket (`@name`).
    public convenience init(abstractName: String) throws {
        try self.init(address: "@" + abstractName, directory: nil)
    }

    private init(address: String, directory: TemporaryDirectory?) throws {
        self.address = address
        self.directory = directory
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestingError("socket: errno \(errno)") }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &sa.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let len = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else {
            close(fd)
            throw TestingError("bind \(address): errno \(errno)")
        }
    }

    deinit {
        close(fd)
        directory?.remove()
    }

    /// The environment a notifier under systemd would see.
    public func environment(watchdogUsec: Int? = nil, watchdogPID: Int32? = nil) -> [String: String] {
        var env = ["NOTIFY_SOCKET": address]
        if let watchdogUsec { env["WATCHDOG_USEC"] = "\(watchdogUsec)" }
        if let watchdogPID { env["WATCHDOG_PID"] = "\(watchdogPID)" }
        return env
    }

    /// One datagram if one is waiting.
    public func tryReceive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// The next datagram, waiting up to `timeout` without blocking a thread.
    public func receive(timeout: Duration = .seconds(5)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let m = tryReceive() { return m }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return tryReceive()
    }

    /// Every datagram received during `duration`.
    public func collect(for duration: Duration) async -> [String] {
        let deadline = ContinuousClock.now + duration
        var out: [String] = []
        while ContinuousClock.now < deadline {
            if let m = tryReceive() { out.append(m); continue }
            try? await Task.sleep(for: .milliseconds(5))
        }
        while let m = tryReceive() { out.append(m) }
        return out
    }

    /// Reads datagrams until one satisfies `predicate`; returns it and those before it.
    public func waitFor(timeout: Duration = .seconds(10), _ predicate: (String) -> Bool) async -> (match: String?, seen: [String]) {
        let deadline = ContinuousClock.now + timeout
        var seen: [String] = []
        while ContinuousClock.now < deadline {
            if let m = tryReceive() {
                if predicate(m) { return (m, seen) }
                seen.append(m)
                continue
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return (nil, seen)
    }

    public func drain() -> [String] {
        var out: [String] = []
        while let m = tryReceive() { out.append(m) }
        return out
    }
}

