import Logging
import RentGuardMQTT

extension DetectionService {
    /// The poison-message guard around the pipeline's batches: `PoisonGuard` decides,
    /// `InflightJournal` remembers the batch in hand across a crash.
    struct Quarantine {
        var guardState: PoisonGuard
        let journal: InflightJournal?
        let logger: Logger
        /// Logged once: a journal that cannot be written leaves the guard off, never ingest.
        var journalFailed = false

        /// Handles one batch from the broker: journalled, split where the previous run died,
        /// suspects alone, killers set aside. The caller acknowledges the batch afterwards.
        mutating func handle(_ batch: [MQTTMessage], receivedAt: Int64, pipeline: inout Pipeline) {
            guard let journal else {
                pipeline.handle(.messages(batch, receivedAt: receivedAt))
                return
            }
            for step in guardState.plan(batch) {
                switch step {
                case let .handle(messages, mode):
                    if mode == .single {
                        logger.warning("quarantine pass: handling a message of the batch the previous run stopped in, alone", metadata: [
                            "message_id": "\(MessageID(messages[0]))", "topic": "\(messages[0].topic.prefix(200))",
                        ])
                    }
                    write { try journal.record(messages, mode: mode) }
                    pipeline.handle(.messages(messages, receivedAt: receivedAt))
                case let .setAside(m, id):
                    pipeline.setAside(m, id: id, receivedAt: receivedAt)
                }
            }
            write { try journal.clear() }
            if guardState.isClear, quarantinePassOpen {
                quarantinePassOpen = false
                logger.notice("quarantine pass over: every message of the batch the previous run stopped in was handled or set aside")
            }
        }

        var quarantinePassOpen = false

        private mutating func write(_ body: () throws -> Void) {
            do {
                try body()
            } catch {
                if !journalFailed {
                    journalFailed = true
                    logger.error("the poison-message journal cannot be written; a message that stops the daemon may stop it again at every restart", metadata: [
                        "error": "\(error)",
                    ])
                }
            }
        }
    }

    func openPoisonGuard() -> Quarantine {
        guard let path = options.inflightJournal else {
            return Quarantine(guardState: PoisonGuard(previous: nil), journal: nil, logger: logger)
        }
        do {
            let (journal, previous) = try InflightJournal.open(path: path)
            var q = Quarantine(guardState: PoisonGuard(previous: previous), journal: journal, logger: logger)
            if let previous {
                q.quarantinePassOpen = true
                switch previous.mode {
                case .batch:
                    logger.warning("the previous run stopped while handling a batch; its messages will be handled one by one when the broker redelivers them (quarantine pass)", metadata: [
                        "messages": "\(previous.ids.count)", "journal": "\(path)",
                    ])
                case .single:
                    logger.critical("the previous run stopped while handling one message alone; it will be set aside when the broker redelivers it", metadata: [
                        "message_id": "\(previous.ids[0])", "topic": "\(previous.topics.first ?? "-")", "journal": "\(path)",
                    ])
                }
            }
            return q
        } catch {
            logger.error("the poison-message journal cannot be opened; running without the guard", metadata: ["error": "\(error)"])
            return Quarantine(guardState: PoisonGuard(previous: nil), journal: nil, logger: logger)
        }
    }
}
