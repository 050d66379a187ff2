import CSQLite
import Foundation
import Logging
import Synchronization

/// The gateway's durable state in one SQLite file: alarms and their transitions, the
/// delivery outbox, device state, reading aggregates and key-value snapshots.
///
/// Every method is synchronous and serialised behind one lock, so a `Store` can be shared
/// by several tasks. Writes that belong together run in one transaction.
public final class Store: @unchecked Sendable {
    /// The database's file name inside the daemon's data directory.
    public static let fileName = "rentguard.db"

    /// The highest schema version this build understands.
    public static var schemaVersion: Int { Migrations.latestVersion }

    public let path: String
    let logger: Logger
    private let connection: Mutex<SQLiteConnection?>
    /// Set by `openRecovering` when the file at `path` was corrupt and was moved aside: this
    /// store is a fresh, empty database.
    public let quarantined: QuarantinedDatabase?

    /// Opens (creating it and its parent directory if needed) the database at `path`, checks
    /// it (`PRAGMA quick_check`) and brings its schema up to date. Throws
    /// `StoreError.schemaTooNew` for a database written by a newer build and
    /// `StoreError.corrupt` for a damaged file or one that is not a database
    /// (`openRecovering` moves such a file aside instead).
    public convenience init(path: String, logger: Logger = Logger(label: "rentguard.store")) throws {
        try self.init(path: path, logger: logger, quarantined: nil)
    }

    init(path: String, logger: Logger, quarantined: QuarantinedDatabase?) throws {
        self.path = path
        self.logger = logger
        self.quarantined = quarantined
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)

        let db = try SQLiteConnection(path: path)
        do {
            try db.execute("PRAGMA busy_timeout = 5000")
            try Store.checkIntegrity(db, path: path, logger: logger)
            try Migrations.checkNotTooNew(db)
            let mode = try db.queryFirst("PRAGMA journal_mode = WAL") { $0.string(0) } ?? ""
            if mode.lowercased() != "wal" {
                logger.warning("SQLite WAL mode unavailable", metadata: ["path": "\(path)", "journal_mode": "\(mode)"])
            }
            // Alarms must survive power loss: fsync the WAL on every commit.
            try db.execute("PRAGMA synchronous = FULL")
            try db.execute("PRAGMA foreign_keys = ON")
            // Keep the WAL from staying large on the gateway's flash after a checkpoint.
            try db.execute("PRAGMA journal_size_limit = 4194304")
            try Migrations.migrate(db, logger: logger)
        } catch let e as SQLiteError where e.isCorruption {
            db.close()
            throw StoreError.corrupt(path: path, reason: e.message)
        } catch {
            db.close()
            throw error
        }
        connection = Mutex(db)
        logger.debug("store opened", metadata: ["path": "\(path)"])
    }

    deinit {
        connection.withLock { $0?.close() }
    }

    /// Runs `body` with the connection, under the store's lock.
    @discardableResult
    func withConnection<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { (db: inout SQLiteConnection?) throws -> T in
            guard let db else { throw StoreError.closed }
            return try body(db)
        }
    }

    /// Runs `body` in one transaction, under the store's lock.
    @discardableResult
    func inTransaction<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try withConnection { db in try db.transaction { try body(db) } }
    }

    // MARK: - Housekeeping

    /// The size of the database on disk: the main file plus the write-ahead log.
    public func databaseSizeBytes() -> Int64 {
        Store.fileSize(path) + Store.fileSize(path + "-wal")
    }

    static func fileSize(_ path: String) -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber
        else { return 0 }
        return size.int64Value
    }

    /// Copies the write-ahead log into the main file and truncates the log.
    public func checkpoint() throws {
        let busy = try withConnection { db in
            try db.queryFirst("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int(0) } ?? 0
        }
        if busy != 0 {
            logger.warning("WAL checkpoint could not complete (database busy)", metadata: ["path": "\(path)"])
        }
    }

    /// Closes the database. Later calls throw `StoreError.closed`. Idempotent.
    public func close() {
        connection.withLock { db in
            db?.close()
            db = nil
        }
    }
}
