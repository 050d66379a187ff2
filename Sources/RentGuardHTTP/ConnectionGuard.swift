import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps the operations endpoint answerable under a connection flood (issue 27 item 5).
///
/// Before, at most `maxConnections` were open and further ones waited in the listen backlog,
/// so 300 idle TCP connections (reopened as the server closed them) made every `/healthz`
/// wait 4.5–4.9 s for a slot: the slots were taken before any token was checked.
///
/// Now every connection is accepted at once, and when more than `maxConnections` are open
/// the guard closes the one that has proved least, oldest first:
/// 1. connections that have not completed a request, or whose last answer was 401 (no
///    valid token): idle and unauthenticated clients;
/// 2. connections idle between answered requests.
///
/// A connection with a request in flight is never closed for a newcomer, so a request that
/// has been read (a `/healthz`, the watchdog's check, an operator's call) is answered
/// whatever else connects; a newcomer is itself refused only when every other connection is
/// busy. Closed connections are counted (`rentguard_http_connections_shed_total`) and
/// logged at most once a minute.
final class ConnectionGuard: Sendable {
    enum Standing: Int, Comparable, Sendable {
        /// No complete request yet, or the last answer was 401.
        case unproven = 0
        /// Answered at least one authorised request; idle now.
        case idle = 1
        /// A request is being handled.
        case busy = 2

        static func < (a: Standing, b: Standing) -> Bool { a.rawValue < b.rawValue }
    }

    struct Entry {
        var channel: any Channel
        var standing: Standing
    }

    struct State {
        var nextID: UInt64 = 0
        /// By id; ids grow with time, so the smallest id is the oldest connection.
        var open: [UInt64: Entry] = [:]
        var shedSinceLog = 0
        var lastLog: NIODeadline?
    }

    let maxConnections: Int
    let logger: Logger
    private let state = Mutex(State())
    private let shed = Counter(label: "rentguard_http_connections_shed_total")

    init(maxConnections: Int, logger: Logger) {
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    /// Connections open now.
    var openCount: Int { state.withLock { $0.open.count } }

    /// Registers a new connection; closes one if over the limit. Returns its id.
    func opened(_ channel: any Channel) -> UInt64 {
        let (id, victim, logLine) = state.withLock { s -> (UInt64, (any Channel)?, Int?) in
            let id = s.nextID
            s.nextID += 1
            s.open[id] = Entry(channel: channel, standing: .unproven)
            guard s.open.count > maxConnections else { return (id, nil, nil) }
            // The lowest standing, then the oldest; never a busy one, and the newcomer only
            // when every other connection is busy.
            var pick: (id: UInt64, standing: Standing)?
            for (k, e) in s.open where e.standing != .busy && k != id {
                if let p = pick, (p.standing, p.id) <= (e.standing, k) { continue }
                pick = (k, e.standing)
            }
            guard let victim = s.open.removeValue(forKey: pick?.id ?? id) else { return (id, nil, nil) }
            s.shedSinceLog += 1
            let now = NIODeadline.now()
            var line: Int?
            if s.lastLog.map({ now - $0 >= .seconds(60) }) ?? true {
                line = s.shedSinceLog
                s.shedSinceLog = 0
                s.lastLog = now
            }
            return (id, victim.channel, line)
        }
        if let victim {
            shed.increment()
            victim.close(promise: nil)
        }
        if let logLine {
            logger.warning("operations endpoint: more connections than allowed; closing the idle and unauthenticated ones first", metadata: [
                "max_connections": "\(maxConnections)", "closed_since_last_line": "\(logLine)",
            ])
        }
        return id
    }

    func set(_ id: UInt64, _ standing: Standing) {
        state.withLock { s in s.open[id]?.standing = standing }
    }

    func closed(_ id: UInt64) {
        _ = state.withLock { $0.open.removeValue(forKey: id) }
    }

    /// A handler for each connection, after HTTP decoding: tells the guard what it has seen.
    func handler() -> ConnectionGuardHandler { ConnectionGuardHandler(guard: self) }
}

/// Follows one connection's requests and answers for its `ConnectionGuard`.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let connections: ConnectionGuard
    var id: UInt64?
    var unauthorised = false

    init(guard connections: ConnectionGuard) { self.connections = connections }

    func handlerAdded(context: ChannelHandlerContext) {
        if id == nil { id = connections.opened(context.channel) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let id { connections.closed(id) }
        id = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let id { connections.closed(id) }
        id = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data), let id { connections.set(id, .busy) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case let .head(response):
            unauthorised = response.status == .unauthorized
        case .end:
            if let id { connections.set(id, unauthorised ? .unproven : .idle) }
        case .body:
            break
        }
        context.write(data, promise: promise)
    }
}
