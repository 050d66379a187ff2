import Foundation
import Hummingbird
import ServiceLifecycle
import Logging
import Synchronization

/// A real HTTP server on a free loopback port standing in for the registry's HTTPS endpoint
/// or a landlord's webhook. It records every request and answers as told: accept, fail with
/// a status, stall (for client timeouts) or answer slowly. Tests change the behaviour while
/// it runs.
public final class TestHTTPReceiver: Sendable {
    public enum Behaviour: Sendable, Equatable {
        /// 200 OK.
        case accept
        /// Answer with this status (500, 503, 409, 422 …).
        case status(Int)
        /// Wait this long, then 200 OK.
        case slow(Duration)
        /// Answer with this status and this body (a vendor's JSON answer).
        case answer(Int, String)

        var delay: Duration? {
            if case let .slow(d) = self { return d }
            return nil
        }
    }

    public struct Request: Sendable, Equatable {
        public var method: String
        public var path: String
        /// The query string, without the `?` (nil when there is none).
        public var query: String?
        public var headers: [String: String]
        public var body: [UInt8]
        public var receivedAt: Date
        /// What the receiver answered (or will answer, after `delayed`).
        public var answered: Int
        /// How long the answer was held back (a client with a shorter timeout gave up).
        public var delayed: Duration?
    }

    public let port: Int
    private let shared = Shared()
    private let task: Task<Void, Error>
    private let group: ServiceGroup

    private final class Shared: Sendable {
        let behaviour = Mutex<(default: Behaviour, perRequest: [(suffix: String?, behaviour: Behaviour)])>((.accept, []))
        let log = Mutex<[Request]>([])
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init(_ initial: Behaviour = .accept) async throws {
        let port = try freeLoopbackPort()
        self.port = port
        let shared = self.shared
        shared.behaviour.withLock { $0.default = initial }
        let router = Router()
        // POST (the registry, webhooks, robots) and GET (Alibaba's RPC-style API), at any
        // path including the root (Tencent's and Alibaba's APIs).
        for (path, method) in [("/", HTTPRequest.Method.post), ("/", .get), ("/**", .post), ("/**", .get)] {
            router.on(RouterPath(path), method: method) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
                let path = request.uri.path
                let next = shared.behaviour.withLock { b -> Behaviour in
                    if let i = b.perRequest.firstIndex(where: { $0.suffix.map { path.hasSuffix($0) } ?? true }) {
                        return b.perRequest.remove(at: i).behaviour
                    }
                    return b.default
                }
                var status = 200
                var answer: String?
                if case let .status(s) = next { status = s }
                if case let .answer(s, text) = next { (status, answer) = (s, text) }
                // Header names are kept in lower case (HTTP names are case-insensitive).
                var headers: [String: String] = [:]
                for h in request.headers { headers[h.name.canonicalName.lowercased()] = h.value }
                // HTTP/1.1's Host header arrives as the request's authority.
                if let authority = request.head.authority { headers["host"] = authority }
                let r = Request(
                    method: "\(request.method)", path: request.uri.path, query: request.uri.query, headers: headers,
                    body: Array(buffer: body), receivedAt: Date(), answered: status, delayed: next.delay)
                shared.log.withLock { $0.append(r) }
                if let d = next.delay { try await Task.sleep(for: d) }
                return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: answer ?? (status < 300 ? "{}" : #"{"error":"test"}"#))))
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: {
            var l = Logger(label: "test-http-receiver")
            l.logLevel = .warning
            return l
        }())
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test-http-receiver")))
        self.group = group
        task = Task { try await group.run() }
        let deadline = Date().addingTimeInterval(10)
        while !isListening(port: port) {
            if Date() > deadline { throw TestingError("test HTTP receiver did not listen on \(port)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sets the answer for requests from now on.
    public func set(_ b: Behaviour) { shared.behaviour.withLock { $0.default = b } }

    /// Answers the next requests (to paths ending in `pathSuffix`, or any) in this order,
    /// then falls back to the default.
    public func queue(_ bs: [Behaviour], pathSuffix: String? = nil) {
        shared.behaviour.withLock { $0.perRequest.append(contentsOf: bs.map { (pathSuffix, $0) }) }
    }

    public var requests: [Request] { shared.log.withLock { $0 } }

    @discardableResult
    public func waitFor(timeout: Duration = .seconds(10), _ predicate: @Sendable ([Request]) -> Bool) async -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let r = requests
            if predicate(r) { return r }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return requests
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
