import Foundation
import RentGuardCore

/// JSON Lines traces: one message per line, `{"t_ms": …, "topic": "…", "payload": {…}}`.
///
/// `t_ms` is device time for recorded scenarios and receive time for captures. A captured
/// payload that is not JSON is kept as a string under `payload_text`.
public enum Trace {
    public static func line(_ m: SimMessage) -> String {
        JSONValue.object([("t_ms", JSONValue(m.tMs)), ("topic", .string(m.topic)), ("payload", m.payload)]).serialized()
    }

    /// A captured message: the payload parsed when it is JSON, kept as text otherwise.
    public static func capturedLine(tMs: Int64, topic: String, payload: [UInt8]) -> String {
        if let v = try? JSONParser.parse(payload, maxDepth: 64) {
            return line(SimMessage(tMs: tMs, topic: topic, payload: v))
        }
        let text = String(decoding: payload, as: UTF8.self)
        return JSONValue.object([("t_ms", JSONValue(tMs)), ("topic", .string(topic)), ("payload_text", .string(text))]).serialized()
    }

    public static func parseLine(_ text: Substring, lineNumber: Int, file: String) throws -> SimMessage {
        let v: JSONValue
        do { v = try JSONParser.parse(String(text), maxDepth: 64) } catch {
            throw ScenarioError(file: file, "line \(lineNumber): not JSON (\(error))")
        }
        guard let t = v["t_ms"]?.doubleValue, t == t.rounded() else {
            throw ScenarioError(file: file, "line \(lineNumber): needs an integer 't_ms'")
        }
        guard let topic = v["topic"]?.stringValue, !topic.isEmpty else {
            throw ScenarioError(file: file, "line \(lineNumber): needs a 'topic'")
        }
        let payload = v["payload"] ?? v["payload_text"] ?? .null
        return SimMessage(tMs: Int64(t), topic: topic, payload: payload)
    }

    /// Reads a whole trace (blank lines and lines starting with `#` are skipped).
    public static func read(path: String) throws -> [SimMessage] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(file: path, "cannot read the trace (no such file?)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String = "") throws -> [SimMessage] {
        var out: [SimMessage] = []
        var n = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            let l = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if l.allSatisfy({ $0 == " " || $0 == "\t" }) || l.hasPrefix("#") { continue }
            out.append(try parseLine(l, lineNumber: n, file: file))
        }
        return out
    }

    public static func serialize(_ messages: [SimMessage]) -> String {
        var s = ""
        for m in messages {
            s += line(m)
            s += "\n"
        }
        return s
    }
}

/// Appends JSON Lines to a file (or standard output for `-`), buffered.
public final class TraceWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let ownsHandle: Bool
    public private(set) var count = 0

    public init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardOutput
            ownsHandle = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ScenarioError(file: path, "cannot create the file (does its folder exist?)")
            }
            guard let h = FileHandle(forWritingAtPath: path) else { throw ScenarioError(file: path, "cannot open the file for writing") }
            handle = h
            ownsHandle = true
        }
        buffer.reserveCapacity(1 << 16)
    }

    public func write(line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        count += 1
        if buffer.count >= 1 << 16 { flush() }
    }

    public func write(_ m: SimMessage) { write(line: Trace.line(m)) }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        if ownsHandle { try? handle.close() }
    }
}
