extension Store {
    /// Merges buckets into the stored ones, in one transaction: count and sum add up, min
    /// and max combine, and last/lastTs come from whichever has the later lastTs.
    public func writeAggregates(_ buckets: [AggregateBucket]) throws {
        guard !buckets.isEmpty else { return }
        try inTransaction { db in
            for b in buckets {
                try db.run(
                    """
                    INSERT INTO reading_aggregates (device_id, field, bucket_start, "count", "sum", "min", "max", "last", last_ts)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (device_id, field, bucket_start) DO UPDATE SET
                        "count" = reading_aggregates."count" + excluded."count",
                        "sum" = reading_aggregates."sum" + excluded."sum",
                        "min" = min(reading_aggregates."min", excluded."min"),
                        "max" = max(reading_aggregates."max", excluded."max"),
                        "last" = CASE WHEN excluded.last_ts >= reading_aggregates.last_ts
                                      THEN excluded."last" ELSE reading_aggregates."last" END,
                        last_ts = max(reading_aggregates.last_ts, excluded.last_ts)
                    """,
                    [b.device, b.field, b.bucketStart, b.count, b.sum, b.min, b.max, b.last, b.lastTs])
            }
        }
    }

    /// The buckets of one device's field with `from <= bucketStart < to`, oldest first.
    public func aggregates(device: String, field: String, from: Int64, to: Int64) throws -> [AggregateBucket] {
        try withConnection { db in
            try db.query(
                """
                SELECT device_id, field, bucket_start, "count", "sum", "min", "max", "last", last_ts
                FROM reading_aggregates
                WHERE device_id = ? AND field = ? AND bucket_start >= ? AND bucket_start < ?
                ORDER BY bucket_start
                """,
                [device, field, from, to]
            ) { row in
                AggregateBucket(
                    device: row.string(0), field: row.string(1), bucketStart: row.int64(2), count: row.int(3),
                    sum: row.double(4), min: row.double(5), max: row.double(6), last: row.double(7),
                    lastTs: row.int64(8))
            }
        }
    }

    /// Deletes buckets that start before `olderThan`; returns how many.
    public func pruneAggregates(olderThan: Int64) throws -> Int {
        try withConnection { db in
            try db.run("DELETE FROM reading_aggregates WHERE bucket_start < ?", [olderThan])
        }
    }
}
