/// Pure in-memory accumulator so that readings are NOT written one row per message (the
/// gateway's flash card must not wear out): add readings as they arrive, and periodically
/// `drain()` into `Store.writeAggregates`. Not thread-safe; owned by one task.
public struct ReadingAggregator: Sendable {
    private struct Key: Hashable, Sendable {
        var device: String
        var field: String
        var bucketStart: Int64
    }

    public let bucketMs: Int64
    private var buckets: [Key: AggregateBucket] = [:]

    public init(bucketMs: Int64) {
        precondition(bucketMs > 0, "bucketMs must be positive")
        self.bucketMs = bucketMs
    }

    /// The start of the bucket holding `ts` (floor, also for negative times).
    public func bucketStart(for ts: Int64) -> Int64 {
        let r = ts % bucketMs
        return r >= 0 ? ts - r : ts - r - bucketMs
    }

    /// Adds one reading. Non-finite values are ignored (they would poison the sums).
    public mutating func add(device: String, field: String, value: Double, ts: Int64) {
        guard value.isFinite else { return }
        let key = Key(device: device, field: field, bucketStart: bucketStart(for: ts))
        let sample = AggregateBucket(
            device: device, field: field, bucketStart: key.bucketStart, count: 1, sum: value, min: value, max: value,
            last: value, lastTs: ts)
        if buckets[key] != nil {
            buckets[key]!.merge(sample)
        } else {
            buckets[key] = sample
        }
    }

    /// Everything accumulated so far, ordered by device, field and bucket; empties the aggregator.
    public mutating func drain() -> [AggregateBucket] {
        let out = buckets.values.sorted {
            ($0.device, $0.field, $0.bucketStart) < ($1.device, $1.field, $1.bucketStart)
        }
        buckets.removeAll(keepingCapacity: true)
        return out
    }

    /// How many buckets are waiting to be drained.
    public var pendingCount: Int { buckets.count }
}
