import CMosquitto

/// libmosquitto's C callbacks. They run on the network thread, find the client through the
/// userdata pointer (passed unretained: the client outlives its network thread), copy what
/// they need and return at once.
extension MQTTClient {
    func installCallbacks(_ mosq: OpaquePointer) {
        mosquitto_connect_v5_callback_set(mosq) { _, userdata, rc, _, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.state.withLock { $0.connackCode = rc }
        }
        mosquitto_disconnect_v5_callback_set(mosq) { _, userdata, rc, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.state.withLock { $0.disconnectedByBroker = rc != 0 }
        }
        mosquitto_publish_v5_callback_set(mosq) { _, userdata, mid, reasonCode, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            if reasonCode >= 0x80 {
                let message = String(cString: mosquitto_reason_string(reasonCode))
                client.ackArrived(mid: mid, result: .failure(MQTTError.publishRefused(reasonCode: reasonCode, message: message)))
            } else {
                client.ackArrived(mid: mid, result: .success(()))
            }
        }
        mosquitto_subscribe_v5_callback_set(mosq) { _, userdata, mid, count, granted, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            var refused = false
            if let granted { for i in 0..<Int(count) where granted[i] >= 0x80 { refused = true } }
            let (allDone, count) = client.state.withLock { s -> (Bool, Int) in
                guard s.pendingSubscribes.remove(mid) != nil else { return (false, 0) }
                if refused {
                    s.refusedSubscribes += 1
                    return (false, s.subscriptions.count)
                }
                s.acknowledgedSubscribes += 1
                return (s.pendingSubscribes.isEmpty && s.acknowledgedSubscribes >= s.subscriptions.count, s.subscriptions.count)
            }
            if refused {
                client.logger.error("the broker refused a subscription (check its ACL): messages on that filter will not arrive", metadata: ["mid": "\(mid)"])
            }
            if allDone { client.logger.info("MQTT subscriptions acknowledged", metadata: ["filters": "\(count)"]) }
        }
        mosquitto_message_v5_callback_set(mosq) { _, userdata, message, _ in
            guard let userdata, let message else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            let m = message.pointee
            let topic = m.topic.map { String(cString: $0) } ?? ""
            let length = Int(m.payloadlen)
            let payload: [UInt8]
            if length > 0, let p = m.payload {
                payload = Array(UnsafeRawBufferPointer(start: p, count: length))
            } else {
                payload = []
            }
            client.deliver(MQTTMessage(topic: topic, payload: payload, qos: Int(m.qos), retain: m.retain))
        }
    }

    /// Adds a parsed message to the current read's batch (network thread only).
    func deliver(_ message: MQTTMessage) {
        counters.received.add(1, ordering: .relaxed)
        readBatch.withLock { b in
            b.messages.append(message)
            b.bytes += message.payload.count + message.topic.utf8.count
        }
    }
}
