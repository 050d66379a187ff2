import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns.
/// (The C macro is a cast that Swift does not import.)
private var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// A prepared statement. Owned and cached by a `SQLiteConnection`; not thread-safe.
final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, sql: String, connection: SQLiteConnection) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    func finalize() {
        sqlite3_finalize(handle)
    }

    /// Clears previous bindings and binds `values` to parameters 1...n.
    func bind(_ values: [any SQLiteBindable]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw SQLiteError(
                code: SQLITE_RANGE, message: "statement expects \(expected) parameters, got \(values.count)", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value.sqliteValue {
            case .null:
                rc = sqlite3_bind_null(handle, index)
            case let .integer(v):
                rc = sqlite3_bind_int64(handle, index, v)
            case let .real(v):
                rc = sqlite3_bind_double(handle, index, v)
            case let .text(v):
                var s = v
                rc = s.withUTF8 { buf -> Int32 in
                    guard let base = buf.baseAddress, buf.count > 0 else {
                        return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
                    }
                    return base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                        sqlite3_bind_text64(handle, index, $0, sqlite3_uint64(buf.count), sqliteTransient, UInt8(SQLITE_UTF8))
                    }
                }
            case let .blob(v):
                rc = v.withUnsafeBytes { buf -> Int32 in
                    guard let base = buf.baseAddress, buf.count > 0 else {
                        return sqlite3_bind_zeroblob(handle, index, 0)
                    }
                    return sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(buf.count), sqliteTransient)
                }
            }
            guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
        }
    }

    /// Advances the statement: true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Makes the statement reusable and releases its read snapshot.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

/// The current row of a stepping statement; valid only inside the row closure.
struct SQLiteRow {
    let handle: OpaquePointer

    var columnCount: Int { Int(sqlite3_column_count(handle)) }

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }

    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

    func int(_ i: Int32) -> Int { Int(sqlite3_column_int64(handle, i)) }

    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    func bool(_ i: Int32) -> Bool { sqlite3_column_int64(handle, i) != 0 }

    func string(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func blob(_ i: Int32) -> [UInt8] {
        guard let p = sqlite3_column_blob(handle, i) else { return [] }
        let n = Int(sqlite3_column_bytes(handle, i))
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }

    func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }

    func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }

    func optionalBool(_ i: Int32) -> Bool? { isNull(i) ? nil : bool(i) }

    func optionalString(_ i: Int32) -> String? { isNull(i) ? nil : string(i) }
}
