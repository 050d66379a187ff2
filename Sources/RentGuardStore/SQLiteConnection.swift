import CSQLite

/// A thin wrapper over one `sqlite3*` connection, with a prepared-statement cache.
///
/// Not thread-safe by itself: `Store` serialises every use behind its lock (the
/// connection is also opened `FULLMUTEX`, as a second line of defence).
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path` read-write.
    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit { close() }

    var isOpen: Bool { handle != nil }

    /// Finalises every cached statement and closes the connection. Idempotent.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        let message: String
        if let handle, let m = sqlite3_errmsg(handle) {
            message = String(cString: m)
        } else {
            message = String(cString: sqlite3_errstr(rc))
        }
        // sqlite3_errmsg describes the most recent failure; prefer the extended code it reports.
        let code = handle.map { sqlite3_extended_errcode($0) } ?? rc
        return SQLiteError(code: code & 0xFF == rc & 0xFF ? code : rc, message: message, sql: sql)
    }

    private func requireHandle(_ sql: String?) throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "database connection is closed", sql: sql) }
        return handle
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let db = try requireHandle(sql)
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            sqlite3_finalize(stmt)
            throw error(rc, sql: sql)
        }
        let statement = SQLiteStatement(handle: stmt, sql: sql, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs one or more statements without parameters or results (schema scripts, pragmas
    /// that return nothing). Not cached.
    func execute(_ sql: String) throws {
        let db = try requireHandle(sql)
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errmsg)
            throw SQLiteError(code: sqlite3_extended_errcode(db), message: message, sql: sql)
        }
    }

    /// Runs a statement that returns no rows (or whose rows are ignored); returns the number of
    /// rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [any SQLiteBindable] = []) throws -> Int {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
        return Int(sqlite3_changes64(try requireHandle(sql)))
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ values: [any SQLiteBindable] = [], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var result: [T] = []
        while try statement.step() {
            result.append(try map(SQLiteRow(handle: statement.handle)))
        }
        return result
    }

    /// The first row of a query, mapped, or nil when there is none.
    func queryFirst<T>(_ sql: String, _ values: [any SQLiteBindable] = [], _ map: (SQLiteRow) throws -> T) throws -> T? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return try map(SQLiteRow(handle: statement.handle))
    }

    var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// True when no transaction is open.
    var isAutocommit: Bool {
        handle.map { sqlite3_get_autocommit($0) != 0 } ?? true
    }

    /// Runs `body` in one `BEGIN IMMEDIATE ... COMMIT` transaction, rolling back if it
    /// throws (or if COMMIT fails). Called inside an open transaction, `body` simply joins it.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        guard isAutocommit else { return try body() }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if !isAutocommit {
                try? execute("ROLLBACK")
            }
            throw error
        }
    }
}
