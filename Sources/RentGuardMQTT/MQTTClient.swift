import CMosquitto
import Foundation
import Logging
import Synchronization

/// An MQTT client over libmosquitto with an async Swift API.
///
/// - A dedicated network thread runs `mosquitto_loop` and owns connecting and reconnecting
///   (capped exponential backoff with jitter, a timeout on every CONNACK, v5 → 3.1.1 fallback).
/// - The thread drives libmosquitto's read, write and housekeeping steps itself (not
///   `mosquitto_loop`), so that received messages are handed to the `MQTTInbound` in batches
///   and their acknowledgements are written only after the inbound has handled them
///   (see `MQTTInbound`). Callbacks run on that thread and copy what they get.
/// - QoS 1 `publish` returns when the broker's PUBACK arrives, not when the bytes are sent.
/// - Subscriptions are remembered and sent again after every reconnect.
public final class MQTTClient: Sendable {
    public let options: MQTTClientOptions
    let logger: Logger
    let handle: MosquittoHandle
    let state = Mutex(ClientState())
    let inbound: any MQTTInbound
    /// The default inbound, when the owner installed none.
    let buffer: MQTTMessageBuffer?
    /// Messages parsed by the current read, waiting to be handed to the inbound. Touched only
    /// on the network thread (the lock is uncontended).
    let readBatch = Mutex(ReadBatch())
    /// Wakes the network thread's poll when another thread queues a packet.
    let wake: WakeSignal
    let counters = Counters()
    /// libmosquitto's TLS error lines, for the cause of a failed TLS connection.
    let tlsDiagnostics = TLSDiagnostics()

    /// - Parameter inbound: where received messages go; nil buffers them for `messages`.
    public init(options: MQTTClientOptions, logger: Logger, inbound: (any MQTTInbound)? = nil) throws {
        guard options.port > 0, options.port < 65536 else { throw MQTTError.invalidArgument("port \(options.port) is out of range") }
        guard !options.clientID.isEmpty, options.clientID.utf8.count <= 65535 else { throw MQTTError.invalidArgument("client id must not be empty") }
        MosquittoLibrary.initialize()
        self.options = options
        var logger = logger
        logger[metadataKey: "mqtt.broker"] = "\(options.host):\(options.port)"
        logger[metadataKey: "mqtt.client_id"] = "\(options.clientID)"
        self.logger = logger
        if let inbound {
            self.inbound = inbound
            buffer = nil
        } else {
            let b = MQTTMessageBuffer(capacity: options.inboundBatchLimit)
            self.inbound = b
            buffer = b
        }
        wake = try WakeSignal()

        guard let mosq = mosquitto_new(options.clientID, options.cleanStart, nil) else {
            throw MQTTError.library(code: MOSQ_ERR_NOMEM.rawValue, message: "mosquitto_new failed")
        }
        handle = MosquittoHandle(raw: mosq)
        mosquitto_user_data_set(mosq, Unmanaged.passUnretained(self).toOpaque())
        _ = mosquitto_threaded_set(mosq, true)
        _ = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1)
        if let u = options.username {
            let rc = mosquitto_username_pw_set(mosq, u, options.password)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { mosquitto_destroy(mosq); throw MQTTError.library(rc) }
        }
        if let tls = options.tls {
            let rc = mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                mosquitto_destroy(mosq)
                throw Self.tlsSetupError(tls, host: options.host, port: options.port, rc: rc)
            }
            _ = mosquitto_tls_insecure_set(mosq, tls.insecureSkipHostnameCheck)
            installTLSDiagnostics(mosq)
        }
        if let will = options.will {
            let rc = will.payload.withUnsafeBytes { p in
                mosquitto_will_set(mosq, will.topic, Int32(p.count), p.baseAddress, Int32(will.qos), will.retain)
            }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { mosquitto_destroy(mosq); throw MQTTError.library(rc) }
        }
        installCallbacks(mosq)
        state.withLock { $0.version = options.protocolVersion == .v311 ? .v311 : .v5 }
    }

    deinit {
        // `shutdown()` joins the network thread; if the owner forgot, stop it here so that
        // libmosquitto never calls back into freed memory.
        let thread = state.withLock { s -> Bool in
            s.stopRequested = true
            return s.threadRunning
        }
        if thread { loopFinished.wait() }
        mosquitto_destroy(handle.raw)
        buffer?.finish()
    }

    let loopFinished = DispatchSemaphore(value: 0)

    // MARK: - Public API

    /// Starts the network thread: connects, and reconnects whenever the connection drops.
    public func start() {
        let shouldStart = state.withLock { s -> Bool in
            guard !s.threadRunning, !s.stopRequested else { return false }
            s.threadRunning = true
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in self.networkLoop() }
        thread.name = "mqtt-\(options.clientID)"
        thread.start()
    }

    public var connectionState: MQTTConnectionState { state.withLock { $0.connection } }

    /// A stream of connection state changes, starting with the current state.
    public func connectionStates() -> AsyncStream<MQTTConnectionState> {
        let (stream, cont) = AsyncStream.makeStream(of: MQTTConnectionState.self, bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        let current = state.withLock { s -> MQTTConnectionState in
            s.stateObservers[id] = cont
            return s.connection
        }
        cont.yield(current)
        cont.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.stateObservers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Waits until the client is connected, or throws `MQTTError.timedOut`.
    public func waitUntilConnected(timeout: Duration) async throws {
        if connectionState.isConnected { return }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await s in self.connectionStates() {
                    if s.isConnected { return true }
                    if s == .stopped { throw MQTTError.shutdown }
                }
                return false
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let ok = try await group.next() ?? false
            group.cancelAll()
            if !ok { throw MQTTError.timedOut }
        }
    }

    /// Subscribes now (if connected) and after every reconnect.
    public func subscribe(_ filter: String, qos: Int = 1) {
        let connected = state.withLock { s -> Bool in
            s.subscriptions[filter] = qos
            return s.connection.isConnected
        }
        if connected { sendSubscribe(filter, qos: qos) }
    }

    /// Messages received on the subscriptions, when the client was made without an inbound of
    /// its own (otherwise an empty, finished sequence). Iterate it from one task only.
    public var messages: MQTTMessageBuffer {
        if let buffer { return buffer }
        let empty = MQTTMessageBuffer(capacity: 1)
        empty.finish()
        return empty
    }

    /// Waits until the broker has acknowledged every subscription (SUBACK) on the current
    /// connection, or throws `MQTTError.timedOut`.
    public func waitUntilSubscribed(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isSubscribed {
            if state.withLock({ $0.stopRequested }) { throw MQTTError.shutdown }
            if ContinuousClock.now >= deadline { throw MQTTError.timedOut }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Connected, and every subscription acknowledged by the broker on this connection.
    public var isSubscribed: Bool {
        state.withLock { s in
            s.connection.isConnected && s.pendingSubscribes.isEmpty && s.refusedSubscribes == 0 && (s.subscriptions.isEmpty || s.subscribedOnce)
        }
    }

    /// Publishes a message. QoS 0 returns once libmosquitto has queued it; QoS 1 and 2 return
    /// when the broker has acknowledged it (PUBACK/PUBCOMP), and throw if the broker refuses
    /// it or `timeout` passes first. A timed-out message may still be delivered later:
    /// callers that need certainty retry, and receivers de-duplicate.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false, timeout: Duration = .seconds(30)) async throws {
        guard (0...2).contains(qos) else { throw MQTTError.invalidArgument("QoS must be 0, 1 or 2") }
        if state.withLock({ $0.stopRequested }) { throw MQTTError.shutdown }
        let (rc, mid) = queuePublish(topic: topic, payload: payload, qos: qos, retain: retain)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            if rc == MOSQ_ERR_NO_CONN.rawValue { throw MQTTError.notConnected }
            throw MQTTError.library(rc)
        }
        counters.published.add(1, ordering: .relaxed)
        wake.signal()
        if qos == 0 { return }
        try await awaitAck(mid: mid, timeout: timeout)
    }

    /// Queues several QoS 1 messages in order without waiting between them, then waits for
    /// every acknowledgement: MQTT keeps one connection's messages in order, and the round
    /// trips overlap. Returns one result per message, in order.
    public func publishBatch(_ messages: [(topic: String, payload: [UInt8])], qos: Int = 1, timeout: Duration = .seconds(30)) async -> [Result<Void, MQTTError>] {
        guard qos > 0 else {
            var out: [Result<Void, MQTTError>] = []
            for m in messages {
                do { try await publish(topic: m.topic, payload: m.payload, qos: 0) ; out.append(.success(())) }
                catch { out.append(.failure(error as? MQTTError ?? .timedOut)) }
            }
            return out
        }
        var mids: [Result<Int32, MQTTError>] = []
        for m in messages {
            if state.withLock({ $0.stopRequested }) { mids.append(.failure(.shutdown)); continue }
            let (rc, mid) = queuePublish(topic: m.topic, payload: m.payload, qos: qos, retain: false)
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                counters.published.add(1, ordering: .relaxed)
                mids.append(.success(mid))
            } else {
                mids.append(.failure(rc == MOSQ_ERR_NO_CONN.rawValue ? .notConnected : .library(rc)))
            }
        }
        wake.signal()
        var results: [Result<Void, MQTTError>] = []
        for r in mids {
            switch r {
            case let .failure(e): results.append(.failure(e))
            case let .success(mid):
                do {
                    try await awaitAck(mid: mid, timeout: timeout)
                    results.append(.success(()))
                } catch {
                    results.append(.failure(error as? MQTTError ?? .timedOut))
                }
            }
        }
        return results
    }

    /// Disconnects cleanly (the broker does not publish the Will), stops the network thread,
    /// and fails any publish still waiting for its acknowledgement.
    public func shutdown() async {
        let running = state.withLock { s -> Bool in
            s.stopRequested = true
            return s.threadRunning
        }
        if running {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    self.loopFinished.wait()
                    self.loopFinished.signal()
                    c.resume()
                }
            }
        }
        let pending = state.withLock { s -> [CheckedContinuation<Void, Error>] in
            let p = Array(s.pendingAcks.values)
            s.pendingAcks.removeAll()
            s.awaitedAcks.removeAll()
            s.earlyAcks.removeAll()
            s.threadRunning = false
            return p
        }
        for c in pending { c.resume(throwing: MQTTError.shutdown) }
        setConnection(.stopped)
        buffer?.finish()
    }

    public struct Statistics: Sendable, Equatable {
        public var received: Int
        public var published: Int
        /// Messages waiting in the default buffer for its reader.
        public var buffered: Int
        public var connects: Int
    }

    public var statistics: Statistics {
        Statistics(
            received: counters.received.load(ordering: .relaxed), published: counters.published.load(ordering: .relaxed),
            buffered: buffer?.depth ?? 0,
            connects: counters.connects.load(ordering: .relaxed))
    }

    // MARK: - Internals

    /// Waits for the broker's acknowledgement of `mid`, at most `timeout`: the wait and the
    /// timer are two children of one task group, and the first to finish ends both.
    func awaitAck(mid: Int32, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.ack(mid: mid) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw MQTTError.timedOut
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Hands a message to libmosquitto. A QoS 1 or 2 message's id is registered as awaited
    /// under the state lock, in the same step as libmosquitto assigns it, so that its PUBACK
    /// (which the network thread may read before `publish` goes on) always finds it, and a
    /// PUBACK for an id nobody awaits (a QoS 0 message's callback, or a late one after its
    /// publisher gave up) is dropped: it can never complete a later publish that reuses the
    /// 16-bit id, and what is kept is bounded by the publishes in flight.
    func queuePublish(topic: String, payload: [UInt8], qos: Int, retain: Bool) -> (rc: Int32, mid: Int32) {
        var mid: Int32 = 0
        func send() -> Int32 {
            payload.withUnsafeBytes { p in
                mosquitto_publish_v5(handle.raw, &mid, topic, Int32(p.count), p.baseAddress, Int32(qos), retain, nil)
            }
        }
        guard qos > 0 else { return (send(), mid) }
        // libmosquitto calls the PUBACK callback holding only its callback mutex, which
        // mosquitto_publish_v5 never takes: calling it under our lock cannot deadlock.
        let rc = state.withLock { s -> Int32 in
            let rc = send()
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                s.awaitedAcks.insert(mid)
                s.earlyAcks.removeValue(forKey: mid)
            }
            return rc
        }
        return (rc, mid)
    }

    private func ack(mid: Int32) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                // Checked under the lock that `abandonAck` takes, so a cancellation is seen
                // either here or by the handler, never by neither.
                let early = state.withLock { s -> Result<Void, Error>? in
                    if let r = s.earlyAcks.removeValue(forKey: mid) {
                        s.awaitedAcks.remove(mid)
                        return r
                    }
                    // Shut down (which forgets every awaited id) since it was published.
                    guard s.awaitedAcks.contains(mid) else { return .failure(MQTTError.shutdown) }
                    if Task.isCancelled {
                        s.awaitedAcks.remove(mid)
                        return .failure(CancellationError())
                    }
                    s.pendingAcks[mid] = c
                    return nil
                }
                if let early { c.resume(with: early) }
            }
        } onCancel: {
            self.abandonAck(mid: mid, error: CancellationError())
        }
    }

    /// Called from the network thread when the broker acknowledges (or refuses) `mid`, and
    /// by libmosquitto for every QoS 0 message once it is written.
    func ackArrived(mid: Int32, result: Result<Void, Error>) {
        let c = state.withLock { s -> CheckedContinuation<Void, Error>? in
            if let c = s.pendingAcks.removeValue(forKey: mid) {
                s.awaitedAcks.remove(mid)
                return c
            }
            // The ack beat the publisher to registering its continuation: kept for it. Any
            // other (QoS 0, abandoned, stale) is dropped.
            if s.awaitedAcks.contains(mid) { s.earlyAcks[mid] = result }
            return nil
        }
        c?.resume(with: result)
    }

    /// Called when the publisher stops waiting (timeout or cancellation): its id is no longer
    /// awaited, so a late acknowledgement is dropped.
    func abandonAck(mid: Int32, error: Error) {
        let c = state.withLock { s -> CheckedContinuation<Void, Error>? in
            s.awaitedAcks.remove(mid)
            s.earlyAcks.removeValue(forKey: mid)
            return s.pendingAcks.removeValue(forKey: mid)
        }
        c?.resume(throwing: error)
    }

    /// What the client holds for acknowledgements: ids awaited, early acks kept for their
    /// publisher, publishers parked. All three are bounded by the publishes in flight.
    public var ackBookkeeping: (awaited: Int, early: Int, parked: Int) {
        state.withLock { ($0.awaitedAcks.count, $0.earlyAcks.count, $0.pendingAcks.count) }
    }

    func sendSubscribe(_ filter: String, qos: Int) {
        var mid: Int32 = 0
        // Registered before the SUBSCRIBE can go out, so that the SUBACK finds it.
        let rc = state.withLock { s -> Int32 in
            let rc = mosquitto_subscribe_v5(handle.raw, &mid, filter, Int32(qos), 0, nil)
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                s.pendingSubscribes.insert(mid)
                s.subscribedOnce = true
            }
            return rc
        }
        wake.signal()
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            logger.warning("subscribe failed", metadata: ["filter": "\(filter)", "error": "\(String(cString: mosquitto_strerror(rc)))"])
        }
    }

    func setConnection(_ new: MQTTConnectionState) {
        let observers = state.withLock { s -> [AsyncStream<MQTTConnectionState>.Continuation] in
            guard s.connection != new else { return [] }
            s.connection = new
            return Array(s.stateObservers.values)
        }
        for o in observers { o.yield(new) }
    }
}

/// libmosquitto's handle. libmosquitto is built thread-safe; publish and subscribe may be
/// called from any thread while the network thread runs the loop.
struct MosquittoHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

struct ClientState {
    var connection: MQTTConnectionState = .disconnected
    var version: MQTTProtocolVersion = .v5
    var subscriptions: [String: Int] = [:]
    var pendingAcks: [Int32: CheckedContinuation<Void, Error>] = [:]
    /// QoS 1/2 message ids published and not yet acknowledged or given up on.
    var awaitedAcks: Set<Int32> = []
    /// Acknowledgements that arrived before their publisher waited (ids in `awaitedAcks` only).
    var earlyAcks: [Int32: Result<Void, Error>] = [:]
    var stateObservers: [UUID: AsyncStream<MQTTConnectionState>.Continuation] = [:]
    var stopRequested = false
    var threadRunning = false
    /// Set by the CONNACK callback: nil while waiting, then the result code.
    var connackCode: Int32?
    var disconnectedByBroker = false
    /// SUBSCRIBEs sent on this connection and not yet acknowledged.
    var pendingSubscribes: Set<Int32> = []
    var subscribedOnce = false
    var acknowledgedSubscribes = 0
    /// Subscriptions the broker refused on this connection (SUBACK reason ≥ 0x80).
    var refusedSubscribes = 0
    /// The inbound said it is stopping: nothing more is read from the socket.
    var inboundClosed = false
}

/// What the current read has parsed so far.
struct ReadBatch {
    var messages: [MQTTMessage] = []
    var bytes = 0
}

final class Counters: Sendable {
    let received = Atomic<Int>(0)
    let published = Atomic<Int>(0)
    let connects = Atomic<Int>(0)
}

enum MosquittoLibrary {
    private static let once: Void = { _ = mosquitto_lib_init() }()
    static func initialize() { _ = once }
}
