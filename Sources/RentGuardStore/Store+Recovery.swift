import CSQLite
import Foundation
import Logging

/// A database file that was found damaged when the daemon opened it, and moved aside.
public struct QuarantinedDatabase: Sendable, Equatable {
    /// Where the database was (and where the fresh one now is).
    public var path: String
    /// Where the damaged file is kept (its `-wal` and `-shm` next to it, with the same name).
    public var movedTo: String
    /// What SQLite said.
    public var reason: String
    /// The damaged file's size.
    public var sizeBytes: Int64
}

extension Store {
    /// Opens the database at `path` as `init(path:logger:)` does, but never refuses a damaged
    /// file: a database that fails `PRAGMA quick_check`, or that SQLite reports as corrupt or
    /// as not a database, is renamed to `<name>.corrupt-<UTC time>` (with its `-wal` and
    /// `-shm`), logged at error level with both paths, and a fresh database is created in its
    /// place; the returned store's `quarantined` says so, for the daemon's `gateway_fault`
    /// alarm. A database written by a newer build is still refused (`schemaTooNew`): it is
    /// not damaged.
    ///
    /// An existing file of 0 bytes (SQLite would silently start it as a new database) is
    /// logged at error level too: whatever it held is gone.
    public static func openRecovering(path: String, logger: Logger, now: Date = Date()) throws -> Store {
        if FileManager.default.fileExists(atPath: path), fileSize(path) == 0 {
            logger.error("the database file is empty (0 bytes): whatever it held is gone; starting a fresh database in its place", metadata: [
                "path": "\(path)", "wal_bytes": "\(fileSize(path + "-wal"))",
            ])
        }
        do {
            return try Store(path: path, logger: logger)
        } catch let StoreError.corrupt(_, reason) {
            let size = fileSize(path)
            let movedTo = try quarantine(path: path, now: now)
            logger.error("the database is corrupt: moved it aside and starting on a fresh database (its active alarms and undelivered messages are not restored)", metadata: [
                "path": "\(path)", "moved_to": "\(movedTo)", "reason": "\(reason)", "size_bytes": "\(size)",
            ])
            return try Store(path: path, logger: logger, quarantined: QuarantinedDatabase(path: path, movedTo: movedTo, reason: reason, sizeBytes: size))
        }
    }

    /// Renames the database and its `-wal` / `-shm` to `<path>.corrupt-<yyyyMMdd'T'HHmmss'Z'>`
    /// (with `-2`, `-3`… if that exists), so that SQLite tools can still open the copy.
    static func quarantine(path: String, now: Date) throws -> String {
        let fm = FileManager.default
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = "\(path).corrupt-\(f.string(from: now))"
        var target = base
        var n = 2
        while fm.fileExists(atPath: target) || fm.fileExists(atPath: target + "-wal") {
            target = "\(base)-\(n)"
            n += 1
        }
        try fm.moveItem(atPath: path, toPath: target)
        for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: path + suffix) {
            try fm.moveItem(atPath: path + suffix, toPath: target + suffix)
        }
        return target
    }

    /// `PRAGMA quick_check`: every page readable and every b-tree well formed (it skips the
    /// index-content cross-check of `integrity_check`, so it costs one pass over the file).
    /// Throws `StoreError.corrupt` with SQLite's first findings; logs the time it took.
    static func checkIntegrity(_ db: SQLiteConnection, path: String, logger: Logger) throws {
        let start = ContinuousClock.now
        let findings = try db.query("PRAGMA quick_check(10)") { $0.string(0) }
        let elapsed = ContinuousClock.now - start
        logger.debug("database quick_check", metadata: ["path": "\(path)", "elapsed": "\(elapsed)", "result": "\(findings.first ?? "-")"])
        guard findings == ["ok"] else {
            throw StoreError.corrupt(path: path, reason: "quick_check: " + findings.prefix(3).joined(separator: "; "))
        }
    }
}
