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

    func deliver(_ message: MQTTMessage) {
        counters.received.add(1, ordering: .relaxed)
        if message.qos == 0 {
            guard qos0Queued.tryIncrement(limit: options.qos0BufferLimit) else {
                counters.droppedQoS0.add(1, ordering: .relaxed)
                return
            }
        }
        messageContinuation.yield(message)
    }
}
