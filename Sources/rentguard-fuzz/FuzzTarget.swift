import Foundation
import RentGuardCentre
import RentGuardConfig
import RentGuardCore

/// The decoders of untrusted input, one fuzz target each (docs/fuzzing.md). Each takes raw
/// bytes and must return for every input: a crash, a trap or a hang is the finding.
enum FuzzTarget: String, CaseIterable {
    /// A message from the building broker: the first line is the topic, the rest the payload.
    /// Goes through `IngestDecoder` (protocol v1 and every device profile of `FuzzBuilding`)
    /// and every reading it gives through a fresh `DetectionEngine`, so that a value the
    /// decoders let through cannot trap in a rule either.
    case ingest
    /// `JSONParser` on the bytes; what parses must serialise and parse back to the same value.
    case json
    /// A TCP stream from the fire-monitoring centre (GB/T 26875.3-2011) in the chunks the
    /// first byte chooses, through `CentreFrameReader`; each frame's application data through
    /// `CentreDataUnit`.
    case centre
    /// A configuration file through `ConfigLoader.parse` (YAML, strict decoding, validation).
    case config

    func run(_ bytes: [UInt8]) {
        switch self {
        case .ingest: Self.ingest(bytes)
        case .json: Self.json(bytes)
        case .centre: Self.centre(bytes)
        case .config: Self.config(bytes)
        }
    }

    static func ingest(_ bytes: [UInt8]) {
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let topic = String(decoding: bytes[..<newline], as: UTF8.self)
        let payload = newline < bytes.endIndex ? Array(bytes[(newline + 1)...]) : []
        guard case let .success(readings) = FuzzBuilding.decoder.decode(topic: topic, payload: payload, receivedAt: FuzzBuilding.now)
        else { return }
        var engine = DetectionEngine(config: FuzzBuilding.config)
        var out: [CoreOutput] = []
        engine.handle(.tick(FuzzBuilding.now - 60_000), into: &out)
        for r in readings {
            precondition(FuzzBuilding.config.devices.contains { $0.id == r.device }, "a reading for an unknown device '\(r.device)'")
            engine.handle(.reading(r), into: &out)
        }
        engine.handle(.tick(FuzzBuilding.now + 3_600_000), into: &out)
        _ = engine.snapshot()
    }

    static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let text = value.serialized()
        guard let back = try? JSONParser.parse(text) else { preconditionFailure("'\(text)' does not parse back") }
        precondition(back == value, "'\(text)' parses back to another value")
    }

    static func centre(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 64) + 1
        var reader = CentreFrameReader()
        var rest = bytes.dropFirst()
        var steps = 0
        while true {
            let piece = rest.prefix(chunk)
            rest = rest.dropFirst(piece.count)
            reader.append(piece)
            while let d = reader.next() {
                steps += 1
                precondition(steps <= bytes.count + 1, "the reader does not advance")
                if case let .frame(f, length) = d {
                    precondition(length == f.encoded().count, "a frame of \(length) bytes re-encodes to \(f.encoded().count)")
                    _ = CentreDataUnit(f.data)
                }
            }
            precondition(reader.pending <= bytes.count, "the reader holds more than it was given")
            if piece.isEmpty { break }
        }
    }

    static func config(_ bytes: [UInt8]) {
        let yaml = String(decoding: bytes, as: UTF8.self)
        _ = try? ConfigLoader.parse(yaml: yaml, file: "fuzz.yaml")
    }
}
