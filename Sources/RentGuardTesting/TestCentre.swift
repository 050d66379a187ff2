import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A city fire-monitoring centre for tests: a TCP server on loopback speaking GB/T
/// 26875.3-2011 as the centre side. It decodes packets with its own code (not the daemon's
/// codec), records them, and answers each type-2 "send data" packet as told: confirm, deny, stall
/// (no answer) or drop the connection. It can be stopped and started on the same port (a
/// centre outage) and can send the device requests and control commands.
public final class TestCentre: @unchecked Sendable {
    public enum Mode: Sendable, Equatable {
        case confirm, deny, stall, drop
    }

    /// One type-2 information object as the centre reads it (46 bytes).
    public struct ComponentObject: Sendable, Equatable {
        public var systemType: UInt8
        public var systemAddress: UInt8
        public var componentType: UInt8
        public var zone: UInt16
        public var position: UInt16
        public var status: UInt16
        public var description: String
        public var time: [UInt8]
    }

    /// One packet the centre received.
    public struct Packet: Sendable {
        public var serial: UInt16
        public var version: [UInt8]
        public var time: [UInt8]
        public var source: UInt64
        public var destination: UInt64
        public var command: UInt8
        public var data: [UInt8]
        /// Unix ms when it arrived.
        public var receivedAt: Int64
        /// How the centre answered it.
        public var answered: Mode?
        /// Which connection (1, 2, ...) it came on.
        public var connection: Int

        public var typeFlag: UInt8? { data.first }
        /// The type-2 objects, decoded (empty for other types).
        public var components: [ComponentObject] {
            guard data.count >= 2, data[0] == 2 else { return [] }
            var out: [ComponentObject] = []
            var i = 2
            for _ in 0..<Int(data[1]) where i + 46 <= data.count {
                let o = Array(data[i..<(i + 46)])
                out.append(ComponentObject(
                    systemType: o[0], systemAddress: o[1], componentType: o[2], zone: UInt16(o[3]) | UInt16(o[4]) << 8,
                    position: UInt16(o[5]) | UInt16(o[6]) << 8, status: UInt16(o[7]) | UInt16(o[8]) << 8,
                    description: TestCentre.gb18030ToString(Array(o[9..<40])), time: Array(o[40..<46])))
                i += 46
            }
            return out
        }
    }

    public let port: Int
    /// The centre's own address, sent as the source of its packets.
    public let address: UInt64
    struct State {
        var mode: Mode = .confirm
        var packets: [Packet] = []
        var rejected: [String] = []
        var listener: Int32 = -1
        var clients: [Int: Int32] = [:]
        var connectionCount = 0
        var nextSerial: UInt16 = 0
        var running = false
    }
    let state = Mutex(State())

    public init(port: Int? = nil, address: UInt64 = 0x0001_5B38) throws {
        self.port = try port ?? freeLoopbackPort()
        self.address = address
        try start()
    }

    deinit { stop() }

    public var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    public var packets: [Packet] { state.withLock { $0.packets } }
    /// Byte stretches the centre could not decode, with why.
    public var rejected: [String] { state.withLock { $0.rejected } }
    public var connectionCount: Int { state.withLock { $0.connectionCount } }
    public var connectedClients: Int { state.withLock { $0.clients.count } }

    /// Listens (again) on `port`.
    public func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestingError("socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestingError("cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        state.withLock {
            $0.listener = fd
            $0.running = true
        }
        Thread.detachNewThread { [self] in acceptLoop(fd) }
    }

    /// A centre outage: stops listening and closes every connection.
    public func stop() {
        let (l, clients) = state.withLock { s -> (Int32, [Int32]) in
            let r = (s.listener, Array(s.clients.values))
            s.listener = -1
            s.clients = [:]
            s.running = false
            return r
        }
        if l >= 0 { shutdown(l, Int32(SHUT_RDWR)); close(l) }
        for c in clients { shutdown(c, Int32(SHUT_RDWR)) }
    }

    /// Closes the current connections but keeps listening.
    public func dropConnections() {
        let clients = state.withLock { s -> [Int32] in
            let c = Array(s.clients.values)
            s.clients = [:]
            return c
        }
        for c in clients { shutdown(c, Int32(SHUT_RDWR)) }
    }

    func acceptLoop(_ listener: Int32) {
        while true {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 100)
            if !state.withLock({ $0.running && $0.listener == listener }) { return }
            guard r > 0 else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            let n = state.withLock { s -> Int in
                s.connectionCount += 1
                s.clients[s.connectionCount] = fd
                return s.connectionCount
            }
            Thread.detachNewThread { [self] in readLoop(fd, connection: n) }
        }
    }

    func readLoop(_ fd: Int32, connection: Int) {
        defer {
            close(fd)
            state.withLock { s in if s.clients[connection] == fd { s.clients[connection] = nil } }
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            buffer += chunk[0..<n]
            while let decoded = decodeOne(&buffer, connection: connection) {
                guard var packet = decoded.0 else { continue }
                // The mode applies to type-2 packets (the alarms); anything else the device
                // sends as data (its running status) is confirmed, so the link stays up.
                let mode = packet.typeFlag == 2 ? state.withLock { $0.mode } : .confirm
                // The centre answers what the device sends; confirms and responses of ours are only recorded.
                if packet.command == 2 {
                    packet.answered = mode
                    state.withLock { $0.packets.append(packet) }
                    switch mode {
                    case .confirm: writeAll(fd, frame(serial: packet.serial, command: 3, data: []))
                    case .deny: writeAll(fd, frame(serial: packet.serial, command: 6, data: []))
                    case .stall: break
                    case .drop:
                        shutdown(fd, Int32(SHUT_RDWR))
                        return
                    }
                } else {
                    state.withLock { $0.packets.append(packet) }
                }
            }
        }
    }

    /// Takes one packet (or one undecodable stretch, as nil) off the front of `buffer`.
    func decodeOne(_ buffer: inout [UInt8], connection: Int) -> (Packet?, Int)? {
        guard let start = buffer.firstIndex(of: 0x40) else {
            buffer.removeAll()
            return nil
        }
        if start > 0 {
            state.withLock { $0.rejected.append("\(start) bytes before '@'") }
            buffer.removeFirst(start)
        }
        guard buffer.count >= 27 else { return nil }
        guard buffer[1] == 0x40 else {
            buffer.removeFirst(1)
            return (nil, 1)
        }
        let length = Int(buffer[24]) + Int(buffer[25]) * 256
        let total = 2 + 25 + length + 1 + 2
        guard buffer.count >= total else { return nil }
        var sum = 0
        for b in buffer[2..<(27 + length)] { sum += Int(b) }
        let ok = buffer[total - 2] == 0x23 && buffer[total - 1] == 0x23 && UInt8(sum % 256) == buffer[27 + length]
        defer { buffer.removeFirst(total) }
        guard ok else {
            state.withLock { $0.rejected.append("bad packet: end or checksum (sum \(sum % 256), given \(buffer[27 + length]))") }
            return (nil, total)
        }
        var source: UInt64 = 0
        var destination: UInt64 = 0
        for i in 0..<6 {
            source += UInt64(buffer[12 + i]) << (8 * UInt64(i))
            destination += UInt64(buffer[18 + i]) << (8 * UInt64(i))
        }
        let packet = Packet(
            serial: UInt16(buffer[2]) + UInt16(buffer[3]) * 256, version: [buffer[4], buffer[5]], time: Array(buffer[6..<12]), source: source,
            destination: destination, command: buffer[26], data: Array(buffer[27..<(27 + length)]),
            receivedAt: Int64(Date().timeIntervalSince1970 * 1000), answered: nil, connection: connection)
        return (packet, total)
    }

    /// A packet from the centre (source: the centre, destination 0 as a placeholder).
    public func frame(serial: UInt16, command: UInt8, data: [UInt8], time: [UInt8]? = nil) -> [UInt8] {
        var body: [UInt8] = [UInt8(serial & 0xFF), UInt8(serial >> 8), 1, 0]
        body += time ?? Self.localTime(Date())
        for i in 0..<6 { body.append(UInt8((address >> (8 * UInt64(i))) & 0xFF)) }
        body += [0, 0, 0, 0, 0, 0]
        body += [UInt8(data.count & 0xFF), UInt8(data.count >> 8), command]
        body += data
        let sum = body.reduce(0) { ($0 + Int($1)) % 256 }
        return [0x40, 0x40] + body + [UInt8(sum), 0x23, 0x23]
    }

    /// Sends a request (4) or control (1) packet to every connected device; returns its serial.
    @discardableResult
    public func send(command: UInt8, data: [UInt8]) -> UInt16 {
        let (serial, fds) = state.withLock { s -> (UInt16, [Int32]) in
            let n = s.nextSerial
            s.nextSerial &+= 1
            return (n, Array(s.clients.values))
        }
        for fd in fds { writeAll(fd, frame(serial: serial, command: command, data: data)) }
        return serial
    }

    /// Writes raw bytes to every connected device (for malformed-input tests).
    public func sendRaw(_ bytes: [UInt8]) {
        for fd in state.withLock({ Array($0.clients.values) }) { writeAll(fd, bytes) }
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Waits until `condition` holds for the received packets, or `timeout` passes.
    public func waitFor(timeout: Duration, _ condition: @Sendable ([Packet]) -> Bool) async -> [Packet] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let p = packets
            if condition(p) { return p }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return packets
    }

    /// Local (UTC+8, China) second, minute, hour, day, month, year-2000.
    public static func localTime(_ date: Date) -> [UInt8] {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let d = c.dateComponents([.second, .minute, .hour, .day, .month, .year], from: date)
        return [d.second!, d.minute!, d.hour!, d.day!, d.month!, d.year! % 100].map { UInt8($0) }
    }

    /// GB 18030 bytes (NUL padded) as text, through iconv: the decoding direction, written
    /// apart from the daemon's encoder.
    public static func gb18030ToString(_ bytes: [UInt8]) -> String {
        var b = bytes
        while b.last == 0 { b.removeLast() }
        guard let cd = iconv_open("UTF-8", "GB18030"), cd != iconv_t(bitPattern: -1) else { return "<no iconv>" }
        defer { iconv_close(cd) }
        var input = b.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: b.count * 3 + 4)
        let used: Int = input.withUnsafeMutableBufferPointer { ib in
            output.withUnsafeMutableBufferPointer { ob in
                var ip = ib.baseAddress, il = ib.count, op = ob.baseAddress, ol = ob.count
                _ = iconv(cd, &ip, &il, &op, &ol)
                return il == 0 ? ob.count - ol : -1
            }
        }
        guard used >= 0 else { return "<invalid GB18030>" }
        return String(decoding: output[0..<used].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
