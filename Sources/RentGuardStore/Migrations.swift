import Logging

/// One schema version: the SQL that brings a database from `version - 1` to `version`.
struct Migration: Sendable {
    var version: Int
    var sql: String
}

/// The store's schema history, tracked with `PRAGMA user_version`. Append new versions at
/// the end; never edit a released one.
enum Migrations {
    static let all: [Migration] = [v1, v2, v3, v4]

    /// The highest schema version this build understands.
    static var latestVersion: Int { all.last?.version ?? 0 }

    static func userVersion(_ db: SQLiteConnection) throws -> Int {
        try db.queryFirst("PRAGMA user_version") { $0.int(0) } ?? 0
    }

    /// Refuses a database written by a newer build (before anything else touches it).
    static func checkNotTooNew(_ db: SQLiteConnection) throws {
        let found = try userVersion(db)
        if found > latestVersion {
            throw StoreError.schemaTooNew(path: db.path, found: found, supported: latestVersion)
        }
    }

    /// Applies every migration above the database's version, in order, one transaction each.
    static func migrate(_ db: SQLiteConnection, logger: Logger) throws {
        let current = try userVersion(db)
        if current > latestVersion {
            throw StoreError.schemaTooNew(path: db.path, found: current, supported: latestVersion)
        }
        for migration in all where migration.version > current {
            try db.transaction {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
            logger.info(
                "store schema migrated",
                metadata: ["path": "\(db.path)", "version": "\(migration.version)"])
        }
    }

    static let v1 = Migration(
        version: 1,
        sql: """
            CREATE TABLE alarms (
                alarm_id    TEXT PRIMARY KEY NOT NULL,
                type        TEXT NOT NULL,
                device      TEXT,
                port        INTEGER,
                unit        TEXT,
                severity    TEXT NOT NULL,
                state       TEXT NOT NULL,
                location    TEXT,
                started_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                evidence    TEXT NOT NULL,
                actions     TEXT NOT NULL,
                sequence    INTEGER NOT NULL,
                active      INTEGER NOT NULL
            );
            CREATE INDEX alarms_active ON alarms(active, updated_at);
            CREATE INDEX alarms_updated ON alarms(updated_at);

            CREATE TABLE alarm_transitions (
                alarm_id  TEXT NOT NULL REFERENCES alarms(alarm_id) ON DELETE CASCADE,
                sequence  INTEGER NOT NULL,
                state     TEXT NOT NULL,
                severity  TEXT NOT NULL,
                at        INTEGER NOT NULL,
                PRIMARY KEY (alarm_id, sequence)
            );

            CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY AUTOINCREMENT,
                message_id      TEXT NOT NULL CHECK (message_id <> ''),
                destination     TEXT NOT NULL CHECK (destination <> ''),
                kind            TEXT NOT NULL CHECK (kind <> ''),
                topic           TEXT,
                priority        INTEGER NOT NULL,
                order_key       TEXT,
                payload         TEXT NOT NULL,
                created_at      INTEGER NOT NULL,
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
                delivered_at    INTEGER,
                dead_at         INTEGER,
                last_error      TEXT,
                UNIQUE (message_id, destination)
            );
            -- dueOutbox / nextDueTime / stats
            CREATE INDEX outbox_due ON outbox(destination, state, next_attempt_at);
            -- the per-order_key "earlier pending row" probe
            CREATE INDEX outbox_order ON outbox(destination, order_key, state, id) WHERE order_key IS NOT NULL;
            -- eviction: lowest priority, oldest first
            CREATE INDEX outbox_evict ON outbox(state, priority, id);
            -- pruning delivered rows
            CREATE INDEX outbox_delivered ON outbox(state, delivered_at);

            CREATE TABLE devices (
                device_id   TEXT PRIMARY KEY NOT NULL,
                kind        TEXT NOT NULL,
                last_seen   INTEGER NOT NULL,
                online      INTEGER,
                last_values TEXT NOT NULL
            );

            CREATE TABLE reading_aggregates (
                device_id    TEXT NOT NULL,
                field        TEXT NOT NULL,
                bucket_start INTEGER NOT NULL,
                "count"      INTEGER NOT NULL,
                "sum"        REAL NOT NULL,
                "min"        REAL NOT NULL,
                "max"        REAL NOT NULL,
                "last"       REAL NOT NULL,
                last_ts      INTEGER NOT NULL,
                PRIMARY KEY (device_id, field, bucket_start)
            ) WITHOUT ROWID;
            CREATE INDEX reading_aggregates_bucket ON reading_aggregates(bucket_start);

            CREATE TABLE kv (
                key        TEXT PRIMARY KEY NOT NULL,
                value      TEXT NOT NULL,
                updated_at INTEGER NOT NULL
            );
            """
    )

    /// The ledger (issue 17): each unit's occupancy estimates over time (the status page's
    /// chart and the reports), and the ledger reports written so far.
    static let v2 = Migration(
        version: 2,
        sql: """
            CREATE TABLE occupancy_history (
                unit            TEXT NOT NULL,
                period_start    INTEGER NOT NULL,
                period_end      INTEGER NOT NULL,
                estimated       REAL NOT NULL,
                low             REAL NOT NULL,
                high            REAL NOT NULL,
                rolling         REAL,
                rolling_low     REAL,
                rolling_high    REAL,
                registered      INTEGER NOT NULL,
                group_rental    INTEGER NOT NULL,
                reasons         TEXT NOT NULL,
                PRIMARY KEY (unit, period_start)
            ) WITHOUT ROWID;
            CREATE INDEX occupancy_history_end ON occupancy_history(period_end);

            CREATE TABLE reports (
                period_id     TEXT PRIMARY KEY NOT NULL,
                period_start  INTEGER NOT NULL,
                period_end    INTEGER NOT NULL,
                created_at    INTEGER NOT NULL,
                message_id    TEXT NOT NULL,
                files         TEXT NOT NULL
            );
            """
    )

    /// Messages the poison-message guard set aside (issue 27): each stopped the daemon when
    /// handled alone, was acknowledged to the broker without being handled, and is kept here
    /// whole for the operator and the maintainers.
    static let v3 = Migration(
        version: 3,
        sql: """
            CREATE TABLE quarantined_messages (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                message_id  TEXT NOT NULL,
                topic       TEXT NOT NULL,
                payload     BLOB NOT NULL,
                set_aside_at INTEGER NOT NULL,
                reason      TEXT NOT NULL
            );

            -- One fire, one incident (issue 25): the incident each alarm belongs to.
            ALTER TABLE alarms ADD COLUMN incident_id TEXT;
            CREATE INDEX alarms_incident ON alarms(incident_id) WHERE incident_id IS NOT NULL;
            """
    )

    /// The engine snapshot as rows (issue 27 item 6): one per part that changes on its own
    /// (the engine's event time and alarm lifecycle; per device its fingerprint, its last seen
    /// time and each rule's state), so that the five-minutely save rewrites only the rows that
    /// changed (`Store+EngineSnapshot.swift`). The rows sort by part, so the often-changing
    /// ones share pages. A v2 or v3 snapshot stays in its `kv` row until the first save moves it.
    static let v4 = Migration(
        version: 4,
        sql: """
            CREATE TABLE engine_state (
                part  TEXT NOT NULL,
                key   TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (part, key)
            ) WITHOUT ROWID;
            """
    )
}
