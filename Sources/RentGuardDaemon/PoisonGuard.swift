import RentGuardMQTT

/// The poison-message guard's decisions, pure (issue 27, item 0): a gateway that one message
/// can stop is worse than none, because the broker redelivers the unacknowledged message at
/// every restart and the daemon dies again, forwarding nothing, until systemd gives up.
///
/// Before the pipeline handles a batch, the daemon writes the batch's message ids to a small
/// journal (`InflightJournal`) and empties it once the batch is handled. A start that finds
/// the journal not empty knows that the previous run died inside that batch:
/// - a batch (`Mode.batch`): its messages are suspects. When the broker redelivers them, each
///   is handled alone, journalled alone (`Mode.single`): the quarantine pass.
/// - a message handled alone (`Mode.single`): it stopped the daemon twice. When the broker
///   redelivers it, it is set aside: acknowledged without being handled, stored, counted,
///   logged, and a major `gateway_fault` raised.
///
/// A message's id is a hash of its topic and payload (`MessageID`), which a redelivery keeps:
/// MQTT's own packet ids are per connection. The price of a `kill -9` or a power cut during a
/// batch is one quarantine pass (the suspects handle normally); a second stop while one
/// suspect is handled alone sets it aside, stored for the operator to look at.
public struct PoisonGuard: Sendable {
    /// How the batch in hand is handled (journalled beside its ids).
    public enum Mode: String, Sendable, Equatable {
        case batch
        case single
    }

    /// What to do with the messages of a batch, in their order.
    public enum Step: Sendable, Equatable {
        /// Handle these together (journalled as `mode`).
        case handle([MQTTMessage], mode: Mode)
        /// Set this message aside: it stopped the daemon when handled alone.
        case setAside(MQTTMessage, id: MessageID)
    }

    /// Messages of the batch the previous run died in, not yet redelivered.
    public private(set) var suspects: Set<MessageID>
    /// Messages that stopped the daemon while handled alone, not yet redelivered.
    public private(set) var killers: Set<MessageID>

    /// - Parameter previous: the journal the previous run left (nil: it ended cleanly).
    public init(previous: InflightJournal.Record?) {
        suspects = []
        killers = []
        guard let previous else { return }
        switch previous.mode {
        case .batch: suspects = Set(previous.ids)
        case .single: killers = Set(previous.ids)
        }
    }

    /// Nothing to watch for: every batch is handled whole.
    public var isClear: Bool { suspects.isEmpty && killers.isEmpty }

    /// Splits `batch` into steps: runs of ordinary messages stay together; a suspect is
    /// handled alone; a killer is set aside. Each id is watched for once.
    public mutating func plan(_ batch: [MQTTMessage]) -> [Step] {
        if isClear { return batch.isEmpty ? [] : [.handle(batch, mode: .batch)] }
        var steps: [Step] = []
        var run: [MQTTMessage] = []
        func flush() {
            if !run.isEmpty { steps.append(.handle(run, mode: .batch)) }
            run.removeAll()
        }
        for m in batch {
            let id = MessageID(m)
            if killers.remove(id) != nil {
                flush()
                steps.append(.setAside(m, id: id))
            } else if suspects.remove(id) != nil {
                flush()
                steps.append(.handle([m], mode: .single))
            } else {
                run.append(m)
            }
        }
        flush()
        return steps
    }
}

/// A message's identity across redeliveries: FNV-1a (64 bits) of its topic and payload.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt64

    public init(value: UInt64) { self.value = value }

    public init(_ m: MQTTMessage) { self.init(topic: m.topic, payload: m.payload) }

    public init(topic: String, payload: [UInt8]) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ b: UInt8) {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        for b in topic.utf8 { mix(b) }
        mix(0xFF)  // not in UTF-8: the topic/payload boundary
        for b in payload { mix(b) }
        value = h
    }

    /// 16 hex digits.
    public var description: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public init?(hex: Substring) {
        guard hex.count == 16, let v = UInt64(hex, radix: 16) else { return nil }
        value = v
    }
}
