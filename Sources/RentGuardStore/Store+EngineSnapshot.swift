import Foundation
import RentGuardCore

/// The detection core's learned state (`EngineSnapshot`) in the `kv` table: one row, a
/// header line naming the format and its version, then the snapshot as JSON. A row this
/// build cannot read (another version, damaged text) is reported, never a crash.
extension Store {
    static let engineSnapshotKey = "engine.snapshot"
    static let engineSnapshotMagic = "rentguard-engine-snapshot"

    public enum EngineSnapshotLoad: Sendable {
        case none
        case loaded(EngineSnapshot)
        /// There is a stored snapshot, but it cannot be used: why.
        case unreadable(String)
    }

    /// The snapshot as stored: `rentguard-engine-snapshot <version>\n<json>`.
    public static func encodeEngineSnapshot(_ s: EngineSnapshot) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(s), as: UTF8.self)
        return "\(engineSnapshotMagic) \(s.version)\n\(json)"
    }

    public static func decodeEngineSnapshot(_ text: String) -> EngineSnapshotLoad {
        guard let newline = text.firstIndex(of: "\n") else { return .unreadable("no header line") }
        let header = text[..<newline].split(separator: " ")
        guard header.count == 2, header[0] == engineSnapshotMagic, let version = Int(header[1]) else {
            return .unreadable("unknown header '\(text[..<newline].prefix(60))'")
        }
        guard version == EngineSnapshot.currentVersion else {
            return .unreadable("snapshot version \(version), this build reads version \(EngineSnapshot.currentVersion)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return .loaded(try decoder.decode(EngineSnapshot.self, from: Data(text[text.index(after: newline)...].utf8)))
        } catch {
            return .unreadable("cannot decode: \(error)")
        }
    }

    public func saveEngineSnapshot(_ s: EngineSnapshot, at: Int64) throws {
        try setValue(try Self.encodeEngineSnapshot(s), forKey: Self.engineSnapshotKey, at: at)
    }

    public func loadEngineSnapshot() -> EngineSnapshotLoad {
        do {
            guard let text = try value(forKey: Self.engineSnapshotKey) else { return .none }
            return Self.decodeEngineSnapshot(text)
        } catch {
            return .unreadable("cannot read: \(error)")
        }
    }
}

/// The occupancy estimator's part of the snapshot in a row of its own (`engine.occupancy`),
/// so that the five-minutely snapshot does not rewrite it: its windows change only when a
/// day closes, and it is most of the snapshot's size (docs/footprint.md §4). A meter's open
/// day goes with it; after a crash the first reading after the restart spreads the register's
/// difference over the gap, so no volume is lost.
extension Store {
    static let occupancySnapshotKey = "engine.occupancy"
    static let occupancySnapshotMagic = "rentguard-occupancy-snapshot"

    public static func encodeOccupancySnapshot(_ o: EngineSnapshot.Occupancy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return "\(occupancySnapshotMagic) 1\n" + String(decoding: try encoder.encode(o), as: UTF8.self)
    }

    /// Nil without a stored part; an unusable one decodes as `Occupancy(unreadable:)`.
    public static func decodeOccupancySnapshot(_ text: String) -> EngineSnapshot.Occupancy {
        guard let newline = text.firstIndex(of: "\n"), text[..<newline] == "\(occupancySnapshotMagic) 1" else {
            return .init(unreadable: "unknown header '\(text.prefix(60))'")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(EngineSnapshot.Occupancy.self, from: Data(text[text.index(after: newline)...].utf8))
        } catch {
            return .init(unreadable: "cannot decode: \(error)")
        }
    }

    public func saveOccupancySnapshot(_ o: EngineSnapshot.Occupancy, at: Int64) throws {
        try setValue(try Self.encodeOccupancySnapshot(o), forKey: Self.occupancySnapshotKey, at: at)
    }

    public func loadOccupancySnapshot() -> EngineSnapshot.Occupancy? {
        do {
            guard let text = try value(forKey: Self.occupancySnapshotKey) else { return nil }
            return Self.decodeOccupancySnapshot(text)
        } catch {
            return .init(unreadable: "cannot read: \(error)")
        }
    }
}
