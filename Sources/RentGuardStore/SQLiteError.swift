import CSQLite

/// An error reported by SQLite: its result code, its message and the SQL that failed.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The (extended) SQLite result code, e.g. 19 / 275 for a constraint violation.
    public var code: Int32
    /// SQLite's own message (`sqlite3_errmsg`) or a description of the failure.
    public var message: String
    /// The statement that failed, when there is one.
    public var sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// True for any constraint violation (NOT NULL, CHECK, UNIQUE, FOREIGN KEY...).
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    /// True when the file is damaged (`SQLITE_CORRUPT`) or is not a database (`SQLITE_NOTADB`).
    public var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    public var description: String {
        var s = "SQLite error \(code): \(message)"
        if let sql { s += " [SQL: \(sql)]" }
        return s
    }
}

/// Errors of the store itself, above SQLite.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database was written by a newer RentGuard: its schema version is higher than this
    /// build understands, and opening it could damage it.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// The store was closed.
    case closed
    /// A stored row could not be turned back into a value.
    case corruptRow(table: String, key: String, reason: String)
    /// The database file is damaged or is not a SQLite database (found when opening it:
    /// `PRAGMA quick_check`, or SQLITE_CORRUPT / SQLITE_NOTADB on the first statements).
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case let .schemaTooNew(path, found, supported):
            return "database \(path) has schema version \(found), newer than the highest this build supports (\(supported)); "
                + "refusing to open it (downgrades are not supported: run a newer rentguardd or move the file away)"
        case .closed:
            return "the store is closed"
        case let .corruptRow(table, key, reason):
            return "corrupt row in \(table) (\(key)): \(reason)"
        case let .corrupt(path, reason):
            return "database \(path) is corrupt: \(reason)"
        }
    }
}
