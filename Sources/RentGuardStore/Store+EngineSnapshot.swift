import Foundation
import RentGuardCore

/// The detection core's learned state (`EngineSnapshot`) in the `engine_state` table (schema
/// v4), one row per part that changes on its own, so that the five-minutely snapshot rewrites
/// only what changed since the last one (docs/footprint.md §4):
///
/// | part | key | value (JSON) |
/// |---|---|---|
/// | `engine` | `` | version, building, event time, the alarm lifecycle (pending clears, raise times), commands awaiting confirmation, unregistered ids reported |
/// | `fingerprint` | device id | the device's configuration fingerprint (`DeviceConfig.stateFingerprint`) |
/// | `seen` | device id | event time of the device's newest message |
/// | `rule:<rule id>` | device id | that rule's learned state of the device (`PersistentRule.DeviceState`) |
/// | `occupancy` | `` | the occupancy estimator's part, when the snapshot carries it (the daemon keeps it in its own `kv` row instead) |
///
/// A save is one transaction: each row is written only when its text differs from the stored
/// one (`ON CONFLICT … WHERE value IS NOT excluded.value`, so an unchanged row leaves its page
/// untouched), and rows of devices and rules the snapshot no longer has are deleted. The rows
/// sort by part, so the rows that change with every reading (last seen times, a detector's
/// latest sample) share pages, and the learned baselines and fingerprints sit in pages that
/// stay clean. A load puts the rows back together as the one JSON document the snapshot was
/// before (`EngineSnapshot`'s own `Codable`), so a restore is exactly what it was.
///
/// A database written before schema v4 holds the snapshot as one `kv` row
/// (`engine.snapshot`: a header line `rentguard-engine-snapshot <version>`, then the JSON): it
/// is loaded from there until the first save, which writes the rows and deletes it in the same
/// transaction. A stored snapshot this build cannot read (another version, damaged text) is
/// reported, never a crash.
extension Store {
    static let engineSnapshotKey = "engine.snapshot"
    static let engineSnapshotMagic = "rentguard-engine-snapshot"

    public enum EngineSnapshotLoad: Sendable {
        case none
        case loaded(EngineSnapshot)
        /// There is a stored snapshot, but it cannot be used: why.
        case unreadable(String)
    }

    /// One stored row of the snapshot (`engine_state`).
    public struct EngineStateRow: Sendable, Equatable {
        public var part: String
        public var key: String
        public var value: String
    }

    /// What a save wrote.
    public struct EngineSnapshotWrite: Sendable, Equatable {
        /// Rows in the snapshot, and the bytes of their values.
        public var rows = 0, bytes = 0
        /// Rows written because they were new or their value changed, and those bytes.
        public var rowsWritten = 0, bytesWritten = 0
        /// Rows of devices or rules the snapshot no longer has, deleted.
        public var rowsDeleted = 0
    }

    /// The fields of `EngineSnapshot` that are not per device: the `engine` row.
    struct EngineSnapshotHeader: Codable {
        var version: Int
        var building: String
        var now: Int64
        var unregisteredReported: [String]
        var unregisteredOverflowReported: Bool
        var pendingCommands: [EngineSnapshot.PendingCommand]
        var book: AlarmBook.Snapshot
    }

    static func snapshotEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func snapshotDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// The snapshot as rows, sorted by part and key.
    public static func engineSnapshotRows(_ s: EngineSnapshot) throws -> [EngineStateRow] {
        let encoder = snapshotEncoder()
        func text(_ v: some Encodable) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
        var rows: [EngineStateRow] = []
        rows.reserveCapacity(1 + 2 * s.devices.count + s.rules.states.values.reduce(0) { $0 + $1.count })
        let header = EngineSnapshotHeader(
            version: s.version, building: s.building, now: s.now, unregisteredReported: s.unregisteredReported,
            unregisteredOverflowReported: s.unregisteredOverflowReported, pendingCommands: s.pendingCommands, book: s.book)
        rows.append(.init(part: "engine", key: "", value: try text(header)))
        for (id, f) in s.devices { rows.append(.init(part: "fingerprint", key: id, value: try text(f))) }
        for (id, t) in s.lastSeen { rows.append(.init(part: "seen", key: id, value: String(t))) }
        for (rule, states) in s.rules.states {
            for (id, state) in states { rows.append(.init(part: "rule:" + rule, key: id, value: try text(state))) }
        }
        if let o = s.occupancy { rows.append(.init(part: "occupancy", key: "", value: try text(o))) }
        rows.sort { ($0.part, $0.key) < ($1.part, $1.key) }
        return rows
    }

    /// The snapshot the rows hold, put back together as the JSON document `EngineSnapshot`
    /// decodes. `.none` without an `engine` row.
    public static func decodeEngineSnapshot(rows: [EngineStateRow]) -> EngineSnapshotLoad {
        guard let header = rows.first(where: { $0.part == "engine" && $0.key == "" }) else { return .none }
        let h = header.value.utf8
        guard h.first == UInt8(ascii: "{"), h.last == UInt8(ascii: "}") else { return .unreadable("damaged engine row: '\(header.value.prefix(60))'") }
        let keyEncoder = JSONEncoder()
        func key(_ s: String) -> String { (try? keyEncoder.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\"" }
        func object(_ members: [(String, String)]) -> String { "{" + members.map { key($0.0) + ":" + $0.1 }.joined(separator: ",") + "}" }
        var fingerprints: [(String, String)] = [], seen: [(String, String)] = [], rules: [String: [(String, String)]] = [:]
        var occupancy: String? = nil
        for r in rows {
            switch r.part {
            case "engine": continue
            case "fingerprint": fingerprints.append((r.key, r.value))
            case "seen": seen.append((r.key, r.value))
            case "occupancy": occupancy = r.value
            default:
                guard r.part.hasPrefix("rule:") else { return .unreadable("unknown part '\(r.part.prefix(60))'") }
                rules[String(r.part.dropFirst(5)), default: []].append((r.key, r.value))
            }
        }
        var doc = String(header.value.dropLast())
        doc += ",\"devices\":" + object(fingerprints) + ",\"lastSeen\":" + object(seen)
        doc += ",\"rules\":{" + rules.sorted { $0.key < $1.key }.map { key($0.key) + ":" + object($0.value) }.joined(separator: ",") + "}"
        if let occupancy { doc += ",\"occupancy\":" + occupancy }
        doc += "}"
        do {
            let s = try snapshotDecoder().decode(EngineSnapshot.self, from: Data(doc.utf8))
            guard s.version == EngineSnapshot.currentVersion else {
                return .unreadable("snapshot version \(s.version), this build reads version \(EngineSnapshot.currentVersion)")
            }
            return .loaded(s)
        } catch {
            return .unreadable("cannot decode: \(error)")
        }
    }

    /// Writes the snapshot's rows that changed since the stored ones, deletes those it no
    /// longer has, and the `kv` row of a snapshot written before schema v4: one transaction.
    @discardableResult
    public func saveEngineSnapshot(_ s: EngineSnapshot, at: Int64) throws -> EngineSnapshotWrite {
        let rows = try Self.engineSnapshotRows(s)
        return try withConnection { db in
            try db.transaction {
                var w = EngineSnapshotWrite()
                for r in rows {
                    let changed = try db.run("""
                        INSERT INTO engine_state (part, key, value) VALUES (?, ?, ?)
                        ON CONFLICT (part, key) DO UPDATE SET value = excluded.value WHERE engine_state.value IS NOT excluded.value
                        """, [r.part, r.key, r.value])
                    let bytes = r.value.utf8.count
                    w.rows += 1
                    w.bytes += bytes
                    if changed > 0 {
                        w.rowsWritten += 1
                        w.bytesWritten += bytes
                    }
                }
                let stored = try db.query("SELECT part, key FROM engine_state") { EngineStateRow(part: $0.string(0), key: $0.string(1), value: "") }
                var keep = Set<String>(minimumCapacity: rows.count)
                for r in rows { keep.insert(r.part + "\u{0}" + r.key) }
                for r in stored where !keep.contains(r.part + "\u{0}" + r.key) {
                    w.rowsDeleted += try db.run("DELETE FROM engine_state WHERE part = ? AND key = ?", [r.part, r.key])
                }
                _ = try db.run("DELETE FROM kv WHERE key = ?", [Self.engineSnapshotKey])
                return w
            }
        }
    }

    public func loadEngineSnapshot() -> EngineSnapshotLoad {
        do {
            let rows = try engineStateRows()
            if !rows.isEmpty { return Self.decodeEngineSnapshot(rows: rows) }
            guard let text = try value(forKey: Self.engineSnapshotKey) else { return .none }
            return Self.decodeEngineSnapshot(text)
        } catch {
            return .unreadable("cannot read: \(error)")
        }
    }

    /// The stored rows, sorted by part and key.
    public func engineStateRows() throws -> [EngineStateRow] {
        try withConnection { db in
            try db.query("SELECT part, key, value FROM engine_state ORDER BY part, key") {
                EngineStateRow(part: $0.string(0), key: $0.string(1), value: $0.string(2))
            }
        }
    }

    /// A snapshot as the one `kv` row of schemas v1 to v3: `rentguard-engine-snapshot <version>\n<json>`.
    public static func encodeEngineSnapshot(_ s: EngineSnapshot) throws -> String {
        "\(engineSnapshotMagic) \(s.version)\n" + String(decoding: try snapshotEncoder().encode(s), as: UTF8.self)
    }

    /// Reads the `kv` row of a snapshot written before schema v4.
    public static func decodeEngineSnapshot(_ text: String) -> EngineSnapshotLoad {
        guard let newline = text.firstIndex(of: "\n") else { return .unreadable("no header line") }
        let header = text[..<newline].split(separator: " ")
        guard header.count == 2, header[0] == engineSnapshotMagic, let version = Int(header[1]) else {
            return .unreadable("unknown header '\(text[..<newline].prefix(60))'")
        }
        guard version == EngineSnapshot.currentVersion else {
            return .unreadable("snapshot version \(version), this build reads version \(EngineSnapshot.currentVersion)")
        }
        do {
            return .loaded(try snapshotDecoder().decode(EngineSnapshot.self, from: Data(text[text.index(after: newline)...].utf8)))
        } catch {
            return .unreadable("cannot decode: \(error)")
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
        "\(occupancySnapshotMagic) 1\n" + String(decoding: try snapshotEncoder().encode(o), as: UTF8.self)
    }

    /// Nil without a stored part; an unusable one decodes as `Occupancy(unreadable:)`.
    public static func decodeOccupancySnapshot(_ text: String) -> EngineSnapshot.Occupancy {
        guard let newline = text.firstIndex(of: "\n"), text[..<newline] == "\(occupancySnapshotMagic) 1" else {
            return .init(unreadable: "unknown header '\(text.prefix(60))'")
        }
        do {
            return try snapshotDecoder().decode(EngineSnapshot.Occupancy.self, from: Data(text[text.index(after: newline)...].utf8))
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
