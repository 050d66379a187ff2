import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import RentGuardCore
import ServiceLifecycle
import Synchronization

/// Why an `OperationsServer` cannot be created.
public enum OperationsServerError: Error, Equatable, CustomStringConvertible {
    /// Listening beyond loopback without a token would let anyone on the network acknowledge alarms.
    case tokenRequired(host: String)
    case emptyToken
    case invalidPort(Int)

    public var description: String {
        switch self {
        case let .tokenRequired(host):
            return "the operations endpoint listens on \(host), which is not a loopback address: configure a token (http.token_file) or listen on 127.0.0.1"
        case .emptyToken:
            return "the operations endpoint's token is empty"
        case let .invalidPort(p):
            return "invalid port \(p) for the operations endpoint (0-65535)"
        }
    }
}

/// The gateway's local HTTP endpoint (Hummingbird 2), run as a service:
///
/// - `GET /metrics`: Prometheus text exposition of `registry`;
/// - `GET /healthz`: 200 while live, 503 otherwise; never needs the token;
/// - `GET /readyz`: 200 when ready, 503 with the problems otherwise;
/// - `GET /api/v1/status`, `GET /api/v1/alarms?active=true&limit=N`,
///   `POST /api/v1/alarms/{id}/ack` (body `{"by": "…", "note": "…"}`: 202, 404, 409),
///   `GET /api/v1/devices?offline=true`, `GET /api/v1/occupancy`, `GET /api/v1/outbox`.
///
/// It listens on loopback by default. Any other address needs a token, and with a token
/// every request but `/healthz` needs `Authorization: Bearer <token>` (401 otherwise), on
/// loopback too. Errors are JSON: `{"error": "…"}`.
///
/// A failure to listen (port taken) is logged and retried every 30 s: the safety pipeline
/// keeps running without its operations endpoint rather than stopping.
///
/// Connections are bounded (`Limits`): a connection that has not sent a complete request
/// head within `idleTimeout`, or stays idle that long between requests, is closed
/// (Hummingbird's idle timeout counts from the last complete HTTP part, so it is also the
/// header timeout: a client trickling header bytes is cut off too), and at most
/// `maxConnections` are open at once. A new connection is always accepted; past the limit
/// `ConnectionGuard` closes the oldest connection that has not completed a request or was
/// last refused for its token, then the oldest idle one, never one with a request in
/// flight. Idle or unauthenticated clients, however many, therefore never keep `/healthz`
/// (or the operator) waiting.
public struct OperationsServer: Service {
    public struct Limits: Sendable, Equatable {
        /// Close a connection that sends no complete request head (or nothing more) for this long.
        public var idleTimeout: Duration
        /// Open connections at most; the local endpoint's users are a scraper and an operator.
        public var maxConnections: Int

        public init(idleTimeout: Duration = .seconds(5), maxConnections: Int = 256) {
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    public let host: String
    public let port: Int
    let token: String?
    let api: any GatewayAPI
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let state = BindState()
    let retryAfter: Duration
    public let limits: Limits

    public init(
        host: String = "127.0.0.1", port: Int = 9464, token: String?, api: any GatewayAPI,
        registry: PrometheusCollectorRegistry, logger: Logger, limits: Limits = .init()
    ) throws {
        try self.init(host: host, port: port, token: token, api: api, registry: registry, logger: logger, retryAfter: .seconds(30), limits: limits)
    }

    init(
        host: String, port: Int, token: String?, api: any GatewayAPI, registry: PrometheusCollectorRegistry, logger: Logger,
        retryAfter: Duration, limits: Limits = .init()
    ) throws {
        guard (0...65535).contains(port) else { throw OperationsServerError.invalidPort(port) }
        var token = token?.trimmingCharacters(in: .whitespacesAndNewlines)
        if token?.isEmpty == true { token = nil }
        if token == nil, !Self.isLoopback(host) { throw OperationsServerError.tokenRequired(host: host) }
        self.host = host
        self.port = port
        self.token = token
        self.api = api
        self.registry = registry
        self.logger = logger
        self.retryAfter = retryAfter
        self.limits = limits
    }

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        var addr = in_addr()
        if inet_pton(AF_INET, h, &addr) == 1 {
            return UInt32(bigEndian: addr.s_addr) >> 24 == 127
        }
        return false
    }

    /// Parses `--http-listen HOST:PORT` (`127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464`, `:9464` for loopback).
    public static func parseListenAddress(_ text: String) throws -> (host: String, port: Int) {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ListenAddressError(text: text)
        }
        var host = String(s[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { throw ListenAddressError(text: text) }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw ListenAddressError(text: text)  // an IPv6 address needs brackets
        }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// The port the server listens on once it does (the kernel's choice when `port` is 0).
    /// Waits up to `timeout`; throws if the server has not started listening by then.
    public func boundPort(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let p = state.port { return p }
            if ContinuousClock.now >= deadline {
                throw NotListening(host: host, port: port, lastError: state.lastError)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func run() async throws {
        let router = OperationsRouter(token: token, api: api, registry: registry, logger: logger).build()
        let state = self.state
        let logger = self.logger
        let address = "\(host):\(port)"
        let token = self.token
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "rentguardd")
        // Every connection is accepted; past the limit the guard closes an idle or
        // unauthenticated one (never one with a request in flight), so that a flood never
        // keeps /healthz waiting in the listen backlog.
        let connections = ConnectionGuard(maxConnections: limits.maxConnections, logger: logger)
        let idleTimeout = TimeAmount.nanoseconds(
            Int64(limits.idleTimeout.components.seconds) * 1_000_000_000 + limits.idleTimeout.components.attoseconds / 1_000_000_000)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [connections.handler()], idleTimeout: idleTimeout)),
            configuration: configuration,
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                state.bound(bound)
                logger.info("operations endpoint listening", metadata: [
                    "address": "\(address)", "port": "\(bound)", "token": "\(token == nil ? "none" : "required")",
                ])
            },
            logger: quietLogger(logger))
        while true {
            do {
                try await app.run()
                return
            } catch {
                state.failed("\(error)")
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.error("operations endpoint cannot listen; retrying (the daemon keeps running)", metadata: [
                    "address": "\(address)", "error": "\(error)", "retry_in": "\(retryAfter)",
                ])
                do {
                    try await gracefulShutdownOrSleep(retryAfter)
                } catch {
                    return
                }
            }
        }
    }

    /// Sleeps for `d`; throws at graceful shutdown or cancellation.
    func gracefulShutdownOrSleep(_ d: Duration) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: d) }
    }

    /// Hummingbird logs each request at info; keep the daemon's log for the daemon.
    func quietLogger(_ logger: Logger) -> Logger {
        var l = logger
        if l.logLevel < .notice { l.logLevel = .notice }
        l[metadataKey: "component"] = "http"
        return l
    }
}

/// `--http-listen` is not `HOST:PORT`.
public struct ListenAddressError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "invalid listen address '\(text)': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464" }
}

/// The server has not started listening.
public struct NotListening: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var lastError: String?
    public var description: String {
        "the operations endpoint is not listening on \(host):\(port)" + (lastError.map { ": \($0)" } ?? "")
    }
}

/// The listening port, once known.
final class BindState: Sendable {
    private struct S {
        var port: Int?
        var lastError: String?
    }

    private let s = Mutex(S())
    var port: Int? { s.withLock { $0.port } }
    var lastError: String? { s.withLock { $0.lastError } }
    func bound(_ p: Int) { s.withLock { $0.port = p; $0.lastError = nil } }
    func failed(_ e: String) { s.withLock { $0.port = nil; $0.lastError = e } }
}
