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

            let rc = mosquitto_loop(mosq, connected ? 100 : 20, 1)
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
                        let subs = state.withLock { $0.subscriptions }
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
            _ = mosquitto_disconnect(mosq)
            // Let the DISCONNECT packet go out.
            for _ in 0..<5 where mosquitto_loop(mosq, 10, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        setConnection(.disconnected)
        loopFinished.signal()
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
