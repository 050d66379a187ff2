import Logging
import Metrics
import NIOCore
import NIOPosix
import RentGuardCentre
import RentGuardCore
import RentGuardStore
import Synchronization

/// The city fire-monitoring centre over TCP, GB/T 26875.3-2011 (docs/centre-link.md):
/// rentguardd is the building's user information transmission device.
///
/// `run()` owns the link: it connects (with a timeout), reconnects with capped exponential
/// backoff, sends the device's running status (type 21) every `heartbeat_interval_s` and
/// drops a link whose heartbeat goes unanswered. It answers the centre's queries (types 81,
/// 85, 88), confirms clock synchronisation (90, logged, the system clock is not changed)
/// and roll calls (91), and denies what it does not implement or cannot check.
///
/// `deliver` sends each outbox row as one type-2 frame with its own serial number (all of a
/// batch pipelined) and maps the centre's answer for that serial: confirm (3) → delivered,
/// deny (6) → dead letter, nothing within `answer_timeout_s` or a dropped link → retry.
public final class CentreDestination: DeliveryDestination, Sendable {
    public let name: String
    let config: CentreConfig
    let zone: LocalTimeZone
    let clock: @Sendable () -> Int64
    let status: @Sendable () -> DeviceRunningStatus
    let version: (major: UInt8, minor: UInt8)
    let logger: Logger
    let state = Mutex(LinkState())
    /// Bad packets and garbage runs from the centre, answered or not.
    let badPackets = Counter(label: "rentguard_centre_bad_packets_total")

    /// What the centre answered for one serial number.
    enum Answer: Sendable, Equatable {
        case confirmed, denied, timedOut, linkClosed
    }

    struct Waiter {
        var result: Answer?
        var continuation: CheckedContinuation<Answer, Never>?
        var callback: (@Sendable (Answer) -> Void)?
        var timeout: Scheduled<Void>?
    }

    struct LinkState {
        var channel: (any Channel)?
        var nextSerial: UInt16 = 0
        var waiters: [UInt16: Waiter] = [:]
        var heartbeat: RepeatedTask?
    }

    public init(
        name: String = "centre", config: CentreConfig, zone: LocalTimeZone, version: String, logger: Logger, clock: @escaping @Sendable () -> Int64,
        status: @escaping @Sendable () -> DeviceRunningStatus
    ) {
        self.name = name
        self.config = config
        self.zone = zone
        self.clock = clock
        self.status = status
        let parts = version.split(separator: ".").map { UInt8($0) ?? 0 }
        self.version = (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        var logger = logger
        logger[metadataKey: "centre"] = "\(config.host):\(config.port)"
        self.logger = logger
    }

    var answerTimeout: TimeAmount { .milliseconds(Int64(config.answerTimeoutSeconds * 1000)) }

    // MARK: - The link

    /// Keeps the link up until cancelled (or graceful shutdown cancels it).
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let channel = try await connect()
                logger.notice("centre link up", metadata: ["after_failures": "\(failures)"])
                failures = 0
                linkUp(channel)
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
                linkDown(channel)
                logger.warning("centre link closed; reconnecting")
            } catch {
                failures += 1
                // The first failure of a streak is a warning; later ones only at debug level.
                let md: Logger.Metadata = ["error": "\(error)", "failures": "\(failures)"]
                if failures == 1 { logger.warning("cannot connect to the centre; retrying with backoff", metadata: md) } else { logger.debug("centre connect failed", metadata: md) }
            }
            let step = min(config.reconnectMaxSeconds, config.reconnectMinSeconds * Double(1 << min(max(failures - 1, 0), 16)))
            let delay = failures == 0 ? config.reconnectMinSeconds : step * Double.random(in: 0.5...1.0)
            do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { break }
        }
        if let c = state.withLock({ $0.channel }) { try? await c.close() }
    }

    func connect() async throws -> any Channel {
        let link = self
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(config.connectTimeoutSeconds * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CentreFrameHandler(link: link))
                }
            }
            .connect(host: config.host, port: config.port).get()
    }

    func linkUp(_ channel: any Channel) {
        let interval = TimeAmount.milliseconds(Int64(config.heartbeatIntervalSeconds * 1000))
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { [self] _ in
            sendHeartbeat(on: channel)
        }
        state.withLock { s in
            s.channel = channel
            s.nextSerial = 0  // §6.6: the serial number starts at 0 when the connection is made
            s.heartbeat = task
        }
    }

    func linkDown(_ channel: any Channel) {
        let waiters = state.withLock { s -> [UInt16: Waiter] in
            guard s.channel === channel else { return [:] }
            s.channel = nil
            s.heartbeat?.cancel()
            s.heartbeat = nil
            let w = s.waiters
            s.waiters = [:]
            return w
        }
        for w in waiters.values { Self.finish(w, .linkClosed) }
    }

    /// Sends the device's running status; an unanswered one closes the link.
    func sendHeartbeat(on channel: any Channel) {
        let now = clock()
        let data = CentreDataUnit.deviceStatus(status(), at: CentreTime(unixMs: now, zone: zone))
        let log = logger
        _ = send(.sendData, data: data.bytes, on: channel) { answer in
            switch answer {
            case .confirmed: log.trace("centre confirmed the running status")
            case .denied: log.warning("centre denied the running status (type 21)")
            case .timedOut:
                log.warning("no answer to the running status within the answer timeout; dropping the link")
                channel.close(promise: nil)
            case .linkClosed: break
            }
        }
    }

    /// Frames and writes one exchange we start; its answer goes to the waiter of its serial.
    func send(_ command: CentreCommand, data: [UInt8], on channel: any Channel, callback: (@Sendable (Answer) -> Void)? = nil) -> UInt16 {
        let serial = state.withLock { s -> UInt16 in
            let n = s.nextSerial
            s.nextSerial &+= 1
            s.waiters[n] = Waiter(callback: callback)
            return n
        }
        let timeout = channel.eventLoop.scheduleTask(in: answerTimeout) { [self] in resolve(serial, .timedOut) }
        state.withLock { $0.waiters[serial]?.timeout = timeout }
        write(frame(serial: serial, command: command, data: data), on: channel)
        return serial
    }

    func frame(serial: UInt16, command: CentreCommand, data: [UInt8]) -> CentreFrame {
        CentreFrame(
            serial: serial, userVersion: UInt8(clamping: config.userVersion), time: CentreTime(unixMs: clock(), zone: zone),
            source: config.sourceAddress, destination: config.destinationAddress, command: command, data: data)
    }

    func write(_ f: CentreFrame, on channel: any Channel) {
        var buffer = channel.allocator.buffer(capacity: CentreFrame.overhead + f.data.count)
        buffer.writeBytes(f.encoded())
        channel.writeAndFlush(buffer, promise: nil)
    }

    func resolve(_ serial: UInt16, _ answer: Answer) {
        let done = state.withLock { s -> Waiter? in
            guard var w = s.waiters[serial] else { return nil }
            if w.continuation != nil || w.callback != nil {
                s.waiters[serial] = nil
                return w
            }
            // Answered before `deliver` started waiting: keep the result for it.
            if w.result == nil { w.result = answer }
            s.waiters[serial] = w
            return nil
        }
        if let done { Self.finish(done, answer) }
    }

    static func finish(_ w: Waiter, _ answer: Answer) {
        w.timeout?.cancel()
        w.continuation?.resume(returning: answer)
        w.callback?(answer)
    }

    func answer(_ serial: UInt16) async -> Answer {
        await withCheckedContinuation { (c: CheckedContinuation<Answer, Never>) in
            let ready = state.withLock { s -> Answer? in
                guard var w = s.waiters[serial] else { return .linkClosed }
                if let r = w.result {
                    s.waiters[serial] = nil
                    w.timeout?.cancel()
                    return r
                }
                w.continuation = c
                s.waiters[serial] = w
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    // MARK: - What the centre sends

    /// A packet from the centre (called on the channel's event loop).
    func received(_ f: CentreFrame, on channel: any Channel) {
        guard let command = f.knownCommand else {
            logger.warning("centre sent an unknown command; denied", metadata: ["command": "\(f.command)", "serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .deny, data: []), on: channel)
            return
        }
        switch command {
        case .confirm: resolve(f.serial, .confirmed)
        case .deny: resolve(f.serial, .denied)
        case .response: logger.debug("centre sent a response we did not ask for", metadata: ["serial": "\(f.serial)"])
        case .request: answerRequest(f, on: channel)
        case .control: answerControl(f, on: channel)
        case .sendData:
            logger.warning("centre sent data (command 2), which a device does not take; denied", metadata: ["serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .deny, data: []), on: channel)
        }
    }

    /// Queries (request/response mode, §6.4): the answer carries the request's serial.
    func answerRequest(_ f: CentreFrame, on channel: any Channel) {
        let now = clock()
        let type = CentreDataUnit(f.data)?.type
        let reply: CentreDataUnit?
        switch type {
        case CentreDataUnit.TypeFlag.readDeviceStatus: reply = .deviceStatus(status(), at: CentreTime(unixMs: now, zone: zone))
        case CentreDataUnit.TypeFlag.readDeviceTime: reply = .deviceTime(CentreTime(unixMs: now, zone: zone))
        case CentreDataUnit.TypeFlag.readDeviceSoftwareVersion: reply = .deviceSoftwareVersion(major: version.major, minor: version.minor)
        default: reply = nil
        }
        if let reply {
            logger.info("answered a centre query", metadata: ["type": "\(type ?? 0)", "serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .response, data: reply.bytes), on: channel)
        } else {
            logger.warning("centre query not implemented; denied", metadata: ["type": "\(type.map { "\($0)" } ?? "none")", "serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .deny, data: []), on: channel)
        }
    }

    /// Control commands (send/confirm mode, §6.2).
    func answerControl(_ f: CentreFrame, on channel: any Channel) {
        let unit = CentreDataUnit(f.data)
        switch unit?.type {
        case CentreDataUnit.TypeFlag.syncDeviceClock:
            // The gateway's clock is kept by NTP; the daemon does not set it. It records how
            // far the centre's clock is from ours and confirms.
            if let u = unit, let t = CentreTime(u.objects.prefix(6)), t.isValid {
                let offset = t.unixMs(zone: zone) - clock()
                let md: Logger.Metadata = ["centre_time": "\(t)", "offset_ms": "\(offset)", "serial": "\(f.serial)"]
                if abs(offset) > 60_000 {
                    logger.warning("centre clock synchronisation: the gateway's clock is more than a minute off the centre's (not changed; check NTP)", metadata: md)
                } else {
                    logger.notice("centre clock synchronisation received (the system clock is kept by NTP)", metadata: md)
                }
                write(frame(serial: f.serial, command: .confirm, data: []), on: channel)
            } else {
                logger.warning("centre clock synchronisation without a valid time; denied", metadata: ["serial": "\(f.serial)"])
                write(frame(serial: f.serial, command: .deny, data: []), on: channel)
            }
        case CentreDataUnit.TypeFlag.rollCall:
            logger.notice("centre roll call (查岗) received; the operator's answer is not implemented", metadata: ["serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .confirm, data: []), on: channel)
        default:
            logger.warning("centre control command not implemented; denied", metadata: ["type": "\(unit.map { "\($0.type)" } ?? "none")", "serial": "\(f.serial)"])
            write(frame(serial: f.serial, command: .deny, data: []), on: channel)
        }
    }

    /// A packet that failed its checks, or a run of bytes that are no packet: denied when it
    /// carries a serial (§6.2-6.4). `skipped` bytes were thrown away; `suppressed` earlier
    /// runs went unanswered (`CentreFrameHandler` answers at most one run a second).
    func rejected(_ reason: String, serial: UInt16?, skipped: Int = 0, suppressed: Int = 0, on channel: any Channel) {
        badPackets.increment()
        logger.warning("bad packet from the centre", metadata: [
            "reason": "\(reason)", "serial": "\(serial.map { "\($0)" } ?? "none")", "skipped_bytes": "\(skipped)",
            "unanswered_before": "\(suppressed)",
        ])
        if let serial { write(frame(serial: serial, command: .deny, data: []), on: channel) }
    }

    // MARK: - DeliveryDestination

    public func waitUntilReady(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if state.withLock({ $0.channel != nil }) { return true }
            if ContinuousClock.now >= deadline || Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        await deliver(batch: [(message, payload)])[0]
    }

    /// Pipelined: every frame of the batch is written, then each answer is awaited.
    public func deliver(batch: [(message: OutboxMessage, payload: String)]) async -> [DeliveryOutcome] {
        guard let channel = state.withLock({ $0.channel }) else { return batch.map { _ in .retry("centre link down") } }
        var sent: [(serial: UInt16?, outcome: DeliveryOutcome?)] = []
        for item in batch {
            guard let v = try? JSONParser.parse(item.payload), let report = CentreReport(json: v) else {
                sent.append((nil, .rejected("not a centre report payload")))
                continue
            }
            guard let object = report.object() else {
                sent.append((nil, .rejected("no GB 18030 converter in the C library")))
                continue
            }
            let serial = send(.sendData, data: CentreDataUnit.componentStatus([object]).bytes, on: channel)
            logger.debug("sent to the centre", metadata: ["message_id": "\(item.message.messageID)", "serial": "\(serial)"])
            sent.append((serial, nil))
        }
        var out: [DeliveryOutcome] = []
        for s in sent {
            if let o = s.outcome { out.append(o); continue }
            guard let serial = s.serial else { continue }
            switch await answer(serial) {
            case .confirmed: out.append(.delivered)
            case .denied: out.append(.rejected("centre denied the packet (command 6), serial \(serial)"))
            case .timedOut: out.append(.retry("no answer from the centre within \(config.answerTimeoutSeconds) s, serial \(serial)"))
            case .linkClosed: out.append(.retry("centre link closed before its answer, serial \(serial)"))
            }
        }
        return out
    }
}

/// Splits the centre's byte stream into packets and hands them to the destination.
///
/// Garbage is answered at a bounded rate: the reader makes one `.invalid` of each garbage
/// run, and of those at most one a second gets a deny and a log line; the others are
/// counted (`rentguard_centre_bad_packets_total`) and named in the next line.
final class CentreFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let link: CentreDestination
    var reader = CentreFrameReader()
    /// One answered garbage run per `rejectInterval`.
    static let rejectInterval = TimeAmount.seconds(1)
    var lastRejectAnswered: NIODeadline?
    var unanswered = 0

    init(link: CentreDestination) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { reader.append(bytes) }
        while let d = reader.next() {
            switch d {
            case let .frame(f, _): link.received(f, on: context.channel)
            case let .invalid(reason, skip, serial):
                let now = NIODeadline.now()
                if let last = lastRejectAnswered, now - last < Self.rejectInterval {
                    unanswered += 1
                    link.badPackets.increment()
                    continue
                }
                lastRejectAnswered = now
                link.rejected(reason, serial: serial, skipped: skip, suppressed: unanswered, on: context.channel)
                unanswered = 0
            case .incomplete: break
            }
        }
        // A peer that sends an endless partial packet cannot grow the buffer without bound.
        if reader.pending > 4 * (CentreFrame.overhead + CentreFrame.maxDataLength) {
            link.rejected("over \(reader.pending) bytes without a whole packet; dropping the link", serial: nil, on: context.channel)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        link.logger.warning("centre link error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
