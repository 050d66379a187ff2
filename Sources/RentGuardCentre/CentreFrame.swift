/// One GB/T 26875.3-2011 packet (数据包, §6.6):
///
/// ```
/// '@@' | control unit (25 bytes)                                   | data unit | checksum | '##'
///        serial 2 LE | version 2 | time 6 | source 6 LE | dest 6 LE | length 2 LE | command 1
/// ```
///
/// The checksum is the sum of the 25 control-unit bytes and the application data unit,
/// modulo 256. Pure: encoding and decoding only.
public struct CentreFrame: Sendable, Equatable {
    /// 业务流水号: chosen by the side that starts an exchange, echoed by the answer.
    public var serial: UInt16
    /// 协议版本号: main version (fixed at 1 by §6.6) and user version.
    public var mainVersion: UInt8
    public var userVersion: UInt8
    /// When the packet was sent.
    public var time: CentreTime
    /// 源地址 and 目的地址, 6 bytes each (0 ... 2^48 - 1).
    public var source: UInt64
    public var destination: UInt64
    /// 命令字节 (kept raw: a peer may send a value this side does not know).
    public var command: UInt8
    /// The application data unit (may be empty, e.g. in a confirm or deny).
    public var data: [UInt8]

    public static let start: [UInt8] = [0x40, 0x40]  // "@@"
    public static let end: [UInt8] = [0x23, 0x23]  // "##"
    public static let controlUnitLength = 25
    /// §6.6: the application data unit is at most 1024 bytes.
    public static let maxDataLength = 1024
    /// Everything around the data unit: start 2 + control 25 + checksum 1 + end 2.
    public static let overhead = 30
    public static let addressMax: UInt64 = (1 << 48) - 1

    public init(
        serial: UInt16, mainVersion: UInt8 = 1, userVersion: UInt8 = 0, time: CentreTime, source: UInt64, destination: UInt64,
        command: UInt8, data: [UInt8] = []
    ) {
        self.serial = serial
        self.mainVersion = mainVersion
        self.userVersion = userVersion
        self.time = time
        self.source = source
        self.destination = destination
        self.command = command
        self.data = data
    }

    public init(
        serial: UInt16, userVersion: UInt8 = 0, time: CentreTime, source: UInt64, destination: UInt64, command: CentreCommand,
        data: [UInt8] = []
    ) {
        self.init(serial: serial, userVersion: userVersion, time: time, source: source, destination: destination, command: command.rawValue, data: data)
    }

    public var knownCommand: CentreCommand? { CentreCommand(rawValue: command) }

    /// The 25 control-unit bytes.
    public var controlUnit: [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(Self.controlUnitLength)
        b += [UInt8(serial & 0xFF), UInt8(serial >> 8)]
        b += [mainVersion, userVersion]
        b += time.bytes
        b += Self.address(source)
        b += Self.address(destination)
        b += [UInt8(data.count & 0xFF), UInt8(data.count >> 8 & 0xFF)]
        b.append(command)
        return b
    }

    public static func address(_ a: UInt64) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: a >> (8 * UInt64($0))) } }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 { bytes.reduce(UInt8(0)) { $0 &+ $1 } }

    /// The packet on the wire.
    public func encoded() -> [UInt8] {
        precondition(data.count <= Self.maxDataLength, "application data unit over 1024 bytes")
        let cu = controlUnit
        return Self.start + cu + data + [Self.checksum(cu) &+ Self.checksum(data)] + Self.end
    }

    /// What `decode` found at the start of a buffer.
    public enum Decoded: Sendable, Equatable {
        /// A whole valid packet, `length` bytes long.
        case frame(CentreFrame, length: Int)
        /// Not enough bytes yet.
        case incomplete
        /// Bytes that are not a valid packet: skip `skip` bytes and look again. A packet
        /// that could be delimited but failed its checks carries its serial number, so
        /// that it can be denied (§6.2-6.4: "舍弃所接收数据并发出否认回答").
        case invalid(reason: String, skip: Int, serial: UInt16?)
    }

    /// Decodes the packet at the start of `buffer`.
    public static func decode(_ buffer: ArraySlice<UInt8>) -> Decoded {
        let b = buffer
        let s = b.startIndex
        if b.count < 2 {
            if let first = b.first, first != 0x40 { return .invalid(reason: "no start '@@'", skip: 1, serial: nil) }
            return .incomplete
        }
        guard b[s] == 0x40, b[s + 1] == 0x40 else { return .invalid(reason: "no start '@@'", skip: 1, serial: nil) }
        guard b.count >= 2 + controlUnitLength else { return .incomplete }
        let serial = UInt16(b[s + 2]) | UInt16(b[s + 3]) << 8
        let length = Int(b[s + 24]) | Int(b[s + 25]) << 8
        guard length <= maxDataLength else {
            return .invalid(reason: "application data length \(length) over \(maxDataLength)", skip: 2, serial: serial)
        }
        let total = overhead + length
        guard b.count >= total else { return .incomplete }
        guard b[s + total - 2] == 0x23, b[s + total - 1] == 0x23 else {
            return .invalid(reason: "no end '##' where the length puts it", skip: 2, serial: serial)
        }
        let body = b[(s + 2)..<(s + 2 + controlUnitLength + length)]
        let sum = checksum(body)
        guard sum == b[s + total - 3] else {
            return .invalid(reason: "checksum \(b[s + total - 3]) but the bytes sum to \(sum)", skip: total, serial: serial)
        }
        func addr(_ at: Int) -> UInt64 { (0..<6).reduce(UInt64(0)) { $0 | UInt64(b[s + at + $1]) << (8 * UInt64($1)) } }
        guard let time = CentreTime(b[(s + 6)..<(s + 12)]) else { return .invalid(reason: "time tag", skip: total, serial: serial) }
        let frame = CentreFrame(
            serial: serial, mainVersion: b[s + 4], userVersion: b[s + 5], time: time, source: addr(12), destination: addr(18),
            command: b[s + 26], data: Array(b[(s + 27)..<(s + 27 + length)]))
        return .frame(frame, length: total)
    }
}

/// Splits a TCP byte stream into packets (TCP may split or join them).
///
/// Bytes that are not a valid packet are skipped as one garbage run: from the first bad
/// byte to the next plausible start (a `@@` at which `CentreFrame.decode` finds a whole
/// packet, or needs more bytes and no whole valid packet follows inside what is held), and
/// `next()` reports each run once, as one `.invalid`
/// carrying the first reason and the first serial number met in it. A run ends at a valid
/// packet, or when it has consumed everything received so far. So a stream of `@` bytes,
/// where every pair looks like a start with an impossible length, is one run (it was one
/// `.invalid`, and one deny and one log line, per two bytes: 32,755 of each for a 64 KiB read).
public struct CentreFrameReader: Sendable {
    var buffer: [UInt8] = []
    /// Where the unread bytes start in `buffer` (compacted when over half is read).
    var head = 0
    /// Inside a garbage run already reported.
    var inGarbage = false

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if head > 0, head >= buffer.count / 2 {
            buffer.removeFirst(head)
            head = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next packet or garbage run, or nil when more bytes are needed.
    public mutating func next() -> CentreFrame.Decoded? {
        while head < buffer.count {
            let d = CentreFrame.decode(buffer[head...])
            switch d {
            case .incomplete:
                // Inside a garbage run a start still arriving may be garbage too: a whole
                // valid packet further on, inside the length it claims, wins.
                if inGarbage, let j = firstValidPacket(after: head) {
                    head = j
                    continue
                }
                return nil
            case let .frame(_, length):
                head += length
                inGarbage = false
                return d
            case let .invalid(reason, _, serial):
                let start = head
                var firstSerial = serial
                head = plausibleStart(after: head, serial: &firstSerial)
                let reported = inGarbage
                // A run that used up everything received so far ends here; one that stops at
                // a partial start goes on if that start turns out bad too.
                inGarbage = head < buffer.count
                if reported { continue }
                return .invalid(reason: reason, skip: head - start, serial: firstSerial)
            }
        }
        return nil
    }

    /// The first index after `from` where a packet could start: `decode` gives a frame or
    /// asks for more bytes. Records the first serial number of a delimited bad packet.
    private func plausibleStart(after from: Int, serial: inout UInt16?) -> Int {
        var i = from + 1
        while i < buffer.count {
            if buffer[i] == 0x40 {
                switch CentreFrame.decode(buffer[i...]) {
                case .frame: return i
                case .incomplete: return firstValidPacket(after: i) ?? i
                case let .invalid(_, _, s): if serial == nil { serial = s }
                }
            }
            i += 1
        }
        return buffer.count
    }

    /// The first index after `from` where a whole valid packet starts, if any.
    private func firstValidPacket(after from: Int) -> Int? {
        var i = from + 1
        while i < buffer.count {
            if buffer[i] == 0x40, case .frame = CentreFrame.decode(buffer[i...]) { return i }
            i += 1
        }
        return nil
    }

    /// Bytes held while waiting for the rest of a packet.
    public var pending: Int { buffer.count - head }
}
