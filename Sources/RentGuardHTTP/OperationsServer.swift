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
/// `maxConnections` are open at once (beyond that, new ones wait in the listen backlog).
/// Idle clients, even 100 of them, therefore never keep `/healthz` from answering.
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
        let responder = OperationsResponder(token: token, api: api, registry: registry, logger: logger)
        let state = self.state
        let logger = self.logger
        let address = "\(host):\(port)"
        var configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "rentguardd")
        configuration.availableConnectionsDelegate = MaximumAvailableConnections(limits.maxConnections)
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000 + limits.idleTimeout.components.attoseconds / 1_000_000_000))),
            configuration: configuration,
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                state.bound(bound)
                logger.info("operations endpoint listening", metadata: [
                    "address": "\(address)", "port": "\(bound)", "token": "\(responder.token == nil ? "none" : "required")",
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

/// Routes, authentication and JSON errors.
struct OperationsResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let token: String?
    let api: any GatewayAPI
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    static let maxBodyBytes = 16 * 1024
    static let defaultAlarmLimit = 100
    static let maxAlarmLimit = 1000

    struct Failure: Error {
        var status: HTTPResponse.Status
        var message: String
        var headers: HTTPFields = [:]
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await route(request, context: context)
        } catch let f as Failure {
            return Self.error(f.status, f.message, headers: f.headers)
        } catch {
            logger.error("operations request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.error(.internalServerError, "internal error: \(error)")
        }
    }

    func route(_ request: Request, context: Context) async throws -> Response {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if segments == ["healthz"] {
            try Self.allow(request, [.get])
            let h = await api.health()
            return Self.json(h.live ? .ok : .serviceUnavailable, .object([("live", .bool(h.live)), ("problems", Self.strings(h.problems))]))
        }
        let isPage = segments.isEmpty || segments == ["status"] || segments == ["favicon.ico"]
        try authorize(request, challenge: isPage ? .basic : .bearer)
        switch segments {
        case [], ["status"]:
            try Self.allow(request, [.get])
            return StatusPage.response()
        case ["favicon.ico"]:
            return Response(status: .noContent)
        case let s where s.count >= 3 && s[0] == "api" && s[1] == "v1" && ["reports", "report", "occupancy"].contains(s[2]) && s != ["api", "v1", "occupancy"]:
            try Self.allow(request, [.get])
            return try await ledger(s, request: request)
        case ["metrics"]:
            try Self.allow(request, [.get])
            await api.willScrapeMetrics()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        case ["readyz"]:
            try Self.allow(request, [.get])
            let h = await api.health()
            return Self.json(h.ready ? .ok : .serviceUnavailable, .object([("ready", .bool(h.ready)), ("problems", Self.strings(h.problems))]))
        case ["api", "v1", "status"]:
            try Self.allow(request, [.get])
            return try Self.json(.ok, await api.status())
        case ["api", "v1", "alarms"]:
            try Self.allow(request, [.get])
            let q = request.uri.queryParameters
            let active = try Self.flag(q["active"].map(String.init), name: "active")
            let limit = try Self.limit(q["limit"].map(String.init))
            let alarms = try await api.alarms(activeOnly: active, limit: limit)
            var body: [(String, JSONValue)] = [("alarms", .array(alarms.map(AlarmJSON.encode)))]
            // The exact totals, so that a client showing `limit` rows can say how many it left out.
            if let counts = try await api.activeAlarmCounts() {
                let ordered = Severity.allCases.sorted(by: >).map { ($0.rawValue, JSONValue(counts[$0] ?? 0)) }
                body.append(("active_counts", .object(ordered)))
                body.append(("active_total", JSONValue(counts.values.reduce(0, +))))
            }
            return Self.json(.ok, .object(body))
        case let s where s.count == 5 && s[0] == "api" && s[1] == "v1" && s[2] == "alarms" && s[4] == "ack":
            try Self.allow(request, [.post])
            return try await acknowledge(alarmID: s[3], request: request)
        case ["api", "v1", "devices"]:
            try Self.allow(request, [.get])
            let offline = try Self.flag(request.uri.queryParameters["offline"].map(String.init), name: "offline")
            return try Self.json(.ok, DevicesBody(devices: await api.devices(offlineOnly: offline)))
        case ["api", "v1", "occupancy"]:
            try Self.allow(request, [.get])
            return try Self.json(.ok, OccupancyBody(units: await api.occupancy()))
        case ["api", "v1", "outbox"]:
            try Self.allow(request, [.get])
            return try Self.json(.ok, OutboxBody(destinations: await api.outbox()))
        default:
            throw Failure(status: .notFound, message: "no such endpoint: \(request.uri.path)")
        }
    }

    func acknowledge(alarmID: String, request: Request) async throws -> Response {
        guard !alarmID.isEmpty else { throw Failure(status: .badRequest, message: "missing alarm id") }
        // JSON only: a browser cannot send it cross-site without a CORS preflight, which this
        // server never grants, so a web page cannot acknowledge alarms behind the operator's back.
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw Failure(status: .unsupportedMediaType, message: "the body must be JSON (Content-Type: application/json)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw Failure(status: .contentTooLarge, message: "request body larger than \(Self.maxBodyBytes) bytes")
        }
        let body: JSONValue
        do {
            body = try JSONParser.parse(Array(buffer.readableBytesView), maxDepth: 4)
        } catch {
            throw Failure(status: .badRequest, message: "the body must be a JSON object {\"by\": \"…\", \"note\": \"…\"}: \(error)")
        }
        guard case .object = body else {
            throw Failure(status: .badRequest, message: "the body must be a JSON object {\"by\": \"…\", \"note\": \"…\"}")
        }
        guard let by = body["by"]?.stringValue?.trimmingCharacters(in: .whitespaces), !by.isEmpty else {
            throw Failure(status: .badRequest, message: "\"by\" (who acknowledges) is required")
        }
        guard by.count <= 64, !by.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw Failure(status: .badRequest, message: "\"by\" must be one line of at most 64 characters")
        }
        var note: String?
        switch body["note"] {
        case nil, .null?: note = nil
        case let .string(s)?:
            guard s.count <= 500 else { throw Failure(status: .badRequest, message: "\"note\" is limited to 500 characters") }
            note = s.isEmpty ? nil : s
        default:
            throw Failure(status: .badRequest, message: "\"note\" must be a string")
        }
        let result = try await api.acknowledge(alarmID: alarmID, by: by, note: note)
        logger.notice("alarm acknowledgement", metadata: ["alarm_id": "\(alarmID)", "by": "\(by)", "result": "\(result.rawValue)"])
        switch result {
        case .accepted:
            return Self.json(.accepted, .object([("alarm_id", .string(alarmID)), ("result", .string(result.rawValue)), ("by", .string(by))]))
        case .notFound:
            throw Failure(status: .notFound, message: "no alarm \(alarmID)")
        case .alreadyAcknowledged:
            throw Failure(status: .conflict, message: "alarm \(alarmID) is already acknowledged")
        case .cleared:
            throw Failure(status: .conflict, message: "alarm \(alarmID) is cleared")
        }
    }

    /// How a missing or wrong token is challenged: `Bearer` for the API (rentguardctl),
    /// `Basic` for the status page, so that a browser asks for it (any user name, the token
    /// as the password) and sends it with the page's own requests.
    enum Challenge { case bearer, basic }

    func authorize(_ request: Request, challenge: Challenge = .bearer) throws {
        guard let token else { return }
        let given = request.headers[.authorization] ?? ""
        guard let presented = Self.presentedToken(given), Self.constantTimeEqual(presented, Array(token.utf8)) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = challenge == .basic ? "Basic realm=\"rentguardd\", charset=\"UTF-8\"" : "Bearer realm=\"rentguardd\""
            throw Failure(
                status: .unauthorized, message: given.isEmpty ? "a bearer token is required" : "invalid token", headers: headers)
        }
    }

    /// The token of `Authorization: Bearer TOKEN`, or the password of `Authorization: Basic
    /// base64(USER:TOKEN)` (what a browser sends for the status page); nil otherwise.
    static func presentedToken(_ header: String) -> [UInt8]? {
        let lower = header.lowercased()
        if lower.hasPrefix("bearer "), header.utf8.count > 7 { return Array(header.utf8.dropFirst(7)) }
        if lower.hasPrefix("basic "), let data = Data(base64Encoded: header.dropFirst(6).trimmingCharacters(in: .whitespaces)),
            case let decoded = [UInt8](data), let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        {
            let password = Array(decoded[(colon + 1)...])
            return password.isEmpty ? nil : password
        }
        return nil
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }

    static func allow(_ request: Request, _ methods: [HTTPRequest.Method]) throws {
        guard methods.contains(request.method) else {
            var headers = HTTPFields()
            headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
            throw Failure(status: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed here", headers: headers)
        }
    }

    static func flag(_ value: String?, name: String) throws -> Bool {
        switch value?.lowercased() {
        case nil, "0", "false", "no": return false
        case "", "1", "true", "yes": return true  // `?active` alone means true
        default: throw Failure(status: .badRequest, message: "\(name) must be true or false")
        }
    }

    static func limit(_ value: String?) throws -> Int {
        guard let value else { return defaultAlarmLimit }
        guard let n = Int(value), n > 0 else { throw Failure(status: .badRequest, message: "limit must be a positive integer") }
        return min(n, maxAlarmLimit)
    }

    static func strings(_ s: [String]) -> JSONValue { .array(s.map { .string($0) }) }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let text = value.serialized() + "\n"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, .object([("error", .string(message))]), headers: headers)
    }
}

struct DevicesBody: Encodable { var devices: [DeviceStatus] }
struct OccupancyBody: Encodable { var units: [OccupancyRow] }
struct OutboxBody: Encodable { var destinations: [OutboxSummary] }
