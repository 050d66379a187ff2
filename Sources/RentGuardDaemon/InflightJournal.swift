#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RentGuardMQTT

/// The ids of the batch the pipeline is handling, in a small file, for the poison-message
/// guard (`PoisonGuard`): written before a batch is handled, emptied after.
///
/// It guards against the process dying, not the machine: the kernel keeps what was written
/// when the process is killed, so nothing is synced. Under systemd the file lives in the
/// service's `RuntimeDirectory` (tmpfs, kept across restarts by `RuntimeDirectoryPreserve=restart`),
/// so its two writes per batch never reach the flash card; elsewhere in the state directory.
///
/// Format (text, for an operator who looks): a header line `rentguard-inflight 1 <mode>`,
/// then one line per message, `<16 hex digits id> <payload bytes> <topic>`.
public final class InflightJournal {
    public struct Record: Sendable, Equatable {
        public var mode: PoisonGuard.Mode
        public var ids: [MessageID]
        /// Each message's topic, for the log (newlines replaced).
        public var topics: [String]

        public init(mode: PoisonGuard.Mode, ids: [MessageID], topics: [String]) {
            self.mode = mode
            self.ids = ids
            self.topics = topics
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case open(path: String, errno: Int32)
        case write(path: String, errno: Int32)

        public var description: String {
            switch self {
            case let .open(path, e): "cannot open \(path): \(String(cString: strerror(e)))"
            case let .write(path, e): "cannot write \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    public static let fileName = "inflight-batch"

    /// systemd's `RuntimeDirectory` (the first, if it names several) when the daemon runs
    /// under it, else the state directory.
    public static func defaultPath(stateDir: String, runtimeDirectory: String?) -> String {
        let dir = runtimeDirectory.flatMap { $0.split(separator: ":").first.map(String.init) } ?? stateDir
        return dir.hasSuffix("/") ? dir + fileName : dir + "/" + fileName
    }
    static let header = "rentguard-inflight 1"

    public let path: String
    private let fd: Int32
    /// Whether the file holds a record (so that `clear` costs nothing when it is already empty).
    private var holding = false

    /// Opens (creating) the journal and reads what the previous run left in it.
    public static func open(path: String) throws(Failure) -> (journal: InflightJournal, previous: Record?) {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 16 << 20 { break }  // not ours: a journal is a batch's ids
        }
        let journal = InflightJournal(path: path, fd: fd)
        journal.holding = !bytes.isEmpty
        return (journal, parse(bytes))
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Writes `messages`' ids before they are handled.
    public func record(_ messages: [MQTTMessage], mode: PoisonGuard.Mode) throws(Failure) {
        var text = "\(Self.header) \(mode.rawValue)\n"
        for m in messages {
            let topic = m.topic.count > 256 ? String(m.topic.prefix(256)) : m.topic
            text += "\(MessageID(m)) \(m.payload.count) \(topic.replacingNewlines)\n"
        }
        var bytes = Array(text.utf8)
        let written = bytes.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else { throw .write(path: path, errno: errno) }
        bytes.removeAll()
        holding = true
    }

    /// The batch is handled: nothing in hand.
    public func clear() throws(Failure) {
        guard holding else { return }
        guard ftruncate(fd, 0) == 0 else { throw .write(path: path, errno: errno) }
        holding = false
    }

    /// A journal's text → its record; nil for an empty file or one that is not a journal.
    public static func parse(_ bytes: [UInt8]) -> Record? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first, first.hasPrefix(header + " "),
            let mode = PoisonGuard.Mode(rawValue: String(first.dropFirst(header.count + 1)))
        else { return nil }
        var record = Record(mode: mode, ids: [], topics: [])
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = MessageID(hex: parts[0]) else { continue }
            record.ids.append(id)
            record.topics.append(String(parts[2]))
        }
        return record.ids.isEmpty ? nil : record
    }
}

extension String {
    fileprivate var replacingNewlines: String {
        guard contains(where: { $0 == "\n" || $0 == "\r" }) else { return self }
        return String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
