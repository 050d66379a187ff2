import CMosquitto
import Foundation
import Logging

extension MQTTClient {
    /// The network thread: connect, run `mosquitto_loop`, and reconnect with backoff.
    func networkLoop() {
        let mosq = handle.raw
        var attempt = 0
        var version: MQTTProtocolVersion = options.protocolVersion == .v311 ? .v311 : .v5
        var nextAttempt = ContinuousClock.now
        var connectDeadline: ContinuousClock.Instant?
        var connected = false

        func scheduleRetry(_ why: String) {
            attempt += 1
            let delay = backoff(attempt: attempt)
            nextAttempt = .now + delay
            connectDeadline = nil
            connected = false
            setConnection(.disconnected)
            logger.warning("MQTT connection lost or refused; retrying", metadata: [
                "reason": "\(why)", "retry_in_ms": "\(delay.milliseconds)", "attempt": "\(attempt)",
            ])
        }

        while !state.withLock({ $0.stopRequested }) {
            if !connected, connectDeadline == nil {
                // Waiting to (re)connect.
                let now = ContinuousClock.now
                if now < nextAttempt {
                    Thread.sleep(forTimeInterval: min(0.05, (nextAttempt - now).seconds))
                    continue
                }
                setConnection(.connecting)
                state.withLock { s in
                    s.connackCode = nil
                    s.version = version
                }
                let rc = connect(mosq, version: version)
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    scheduleRetry(describeFailure(rc, errno: errno))
                    continue
                }
                connectDeadline = .now + options.connectTimeout
            }

            let rc = ioStep(mosq, timeoutMs: connected ? 100 : 20)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                let why = describeFailure(rc, errno: errno)
                if connected { logger.warning("MQTT connection lost", metadata: ["reason": "\(why)"]) }
                scheduleRetry(why)
                continue
            }

            if !connected, let deadline = connectDeadline {
                let code = state.withLock { $0.connackCode }
                if let code {
                    if code == 0 {
                        connected = true
                        connectDeadline = nil
                        attempt = 0
                        counters.connects.add(1, ordering: .relaxed)
                        logger.info("MQTT connected", metadata: ["protocol": "\(version == .v5 ? "5" : "3.1.1")"])
                        setConnection(.connected(version))
                        let subs = state.withLock { s -> [String: Int] in
                            s.pendingSubscribes.removeAll()
                            s.subscribedOnce = false
                            s.acknowledgedSubscribes = 0
                            s.refusedSubscribes = 0
                            return s.subscriptions
                        }
                        for (filter, qos) in subs.sorted(by: { $0.key < $1.key }) { sendSubscribe(filter, qos: qos) }
                    } else {
                        let refusedVersion = code == 1 || code == 0x84  // 3.1.1 / v5 "unsupported protocol version"
                        _ = mosquitto_disconnect(mosq)
                        if refusedVersion, options.protocolVersion == .auto, version == .v5 {
                            logger.notice("broker refused MQTT v5; falling back to 3.1.1")
                            version = .v311
                            connectDeadline = nil
                            nextAttempt = .now
                            continue
                        }
                        scheduleRetry("CONNACK refused: " + String(cString: mosquitto_connack_string(code)))
                    }
                } else if ContinuousClock.now > deadline {
                    _ = mosquitto_disconnect(mosq)
                    if options.protocolVersion == .auto, version == .v5 {
                        logger.notice("no CONNACK to an MQTT v5 CONNECT; falling back to 3.1.1", metadata: [
                            "timeout_ms": "\(options.connectTimeout.milliseconds)",
                        ])
                        version = .v311
                        connectDeadline = nil
                        nextAttempt = .now
                        continue
                    }
                    scheduleRetry("no CONNACK within \(options.connectTimeout.milliseconds) ms")
                }
            }
        }

        if connected {
            // The acknowledgements of everything handled go out first, then DISCONNECT.
            _ = mosquitto_disconnect(mosq)
            for _ in 0..<50 where mosquitto_want_write(mosq) {
                guard mosquitto_loop_write(mosq, 1) == MOSQ_ERR_SUCCESS.rawValue else { break }
                if mosquitto_want_write(mosq) { waitWritable(mosquitto_socket(mosq), timeoutMs: 10) }
            }
        }
        setConnection(.disconnected)
        loopFinished.signal()
    }

    /// One round of I/O, in place of `mosquitto_loop`: wait until the socket is readable, the
    /// client must write, or another thread wakes us; read a batch of messages and hand it to
    /// the inbound (which may block until it has handled them); only then write what is
    /// queued, acknowledgements included; then keepalive and retries.
    func ioStep(_ mosq: OpaquePointer, timeoutMs: Int32) -> Int32 {
        let sock = mosquitto_socket(mosq)
        guard sock >= 0 else { return MOSQ_ERR_NO_CONN.rawValue }
        let receiving = state.withLock { !$0.inboundClosed }
        var fds = [
            pollfd(fd: sock, events: Int16(receiving ? POLLIN : 0) | Int16(mosquitto_want_write(mosq) ? POLLOUT : 0), revents: 0),
            pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0),
        ]
        let n = poll(&fds, 2, timeoutMs)
        if n < 0, errno != EINTR { return MOSQ_ERR_ERRNO.rawValue }
        if fds[1].revents != 0 { wake.drain() }
        var rc = MOSQ_ERR_SUCCESS.rawValue
        // Not reading any more (the consumer stopped): a hung-up socket would make poll
        // return at once forever; treat it as the lost connection it is.
        if !receiving, fds[0].revents & Int16(POLLHUP | POLLERR) != 0 { return MOSQ_ERR_CONN_LOST.rawValue }
        if receiving, fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            if inbound.shouldReceive() {
                rc = readBatchAndHandOver(mosq, sock: sock)
            } else {
                state.withLock { $0.inboundClosed = true }
                logger.info("the consumer is stopping: no longer reading messages from the broker")
            }
        }
        if rc == MOSQ_ERR_SUCCESS.rawValue, mosquitto_want_write(mosq) {
            rc = mosquitto_loop_write(mosq, 1)
        }
        if rc == MOSQ_ERR_SUCCESS.rawValue {
            rc = mosquitto_loop_misc(mosq)
        }
        return rc
    }

    /// Reads what the socket holds, up to the batch limits, and hands it to the inbound.
    private func readBatchAndHandOver(_ mosq: OpaquePointer, sock: Int32) -> Int32 {
        var rc = mosquitto_loop_read(mosq, 1)
        while rc == MOSQ_ERR_SUCCESS.rawValue {
            let (count, bytes) = readBatch.withLock { ($0.messages.count, $0.bytes) }
            guard count < options.inboundBatchLimit, bytes < options.inboundBatchBytes, readable(sock) else { break }
            rc = mosquitto_loop_read(mosq, 1)
        }
        let batch = readBatch.withLock { b -> [MQTTMessage] in
            let m = b.messages
            b = ReadBatch()
            return m
        }
        if !inbound.receive(batch) {
            // Not handled: drop the connection before the acknowledgements can go out.
            state.withLock { $0.inboundClosed = true }
            logger.error("the consumer stopped without handling received messages; dropping the connection so the broker keeps them", metadata: [
                "messages": "\(batch.count)",
            ])
            Glibc.shutdown(sock, Int32(SHUT_RDWR))
            return MOSQ_ERR_CONN_LOST.rawValue
        }
        return rc
    }

    private func readable(_ sock: Int32) -> Bool {
        var fd = pollfd(fd: sock, events: Int16(POLLIN), revents: 0)
        return poll(&fd, 1, 0) > 0 && fd.revents & Int16(POLLIN) != 0
    }

    private func waitWritable(_ sock: Int32, timeoutMs: Int32) {
        guard sock >= 0 else { return }
        var fd = pollfd(fd: sock, events: Int16(POLLOUT), revents: 0)
        _ = poll(&fd, 1, timeoutMs)
    }

    private func connect(_ mosq: OpaquePointer, version: MQTTProtocolVersion) -> Int32 {
        _ = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, version == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311)
        if version == .v5, !options.cleanStart {
            var props: OpaquePointer? = nil
            _ = mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpirySeconds)
            defer { mosquitto_property_free_all(&props) }
            return mosquitto_connect_bind_v5(mosq, options.host, Int32(options.port), Int32(options.keepaliveSeconds), nil, props)
        }
        return mosquitto_connect_bind_v5(mosq, options.host, Int32(options.port), Int32(options.keepaliveSeconds), nil, nil)
    }

    /// Capped exponential backoff with full jitter in [50 %, 100 %] of the step.
    func backoff(attempt: Int) -> Duration {
        let minMs = max(1, options.reconnectMin.milliseconds)
        let maxMs = max(minMs, options.reconnectMax.milliseconds)
        let step = min(Double(maxMs), Double(minMs) * pow(2, Double(min(attempt - 1, 30))))
        let jittered = step * Double.random(in: 0.5...1.0)
        return .milliseconds(Int64(jittered))
    }
}

extension Duration {
    var milliseconds: Int64 {
        let c = components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }

    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
