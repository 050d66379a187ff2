/// The summary of one field of one device over one time bucket.
public struct AggregateBucket: Sendable, Equatable {
    public var device: String
    public var field: String
    /// Unix milliseconds, a multiple of the bucket length.
    public var bucketStart: Int64
    public var count: Int
    public var sum: Double
    public var min: Double
    public var max: Double
    /// The value with the latest timestamp, and that timestamp.
    public var last: Double
    public var lastTs: Int64

    public init(
        device: String, field: String, bucketStart: Int64, count: Int, sum: Double, min: Double, max: Double,
        last: Double, lastTs: Int64
    ) {
        self.device = device
        self.field = field
        self.bucketStart = bucketStart
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.last = last
        self.lastTs = lastTs
    }

    public var mean: Double { count > 0 ? sum / Double(count) : 0 }

    /// Folds `other` (same device, field and bucket) into this bucket.
    public mutating func merge(_ other: AggregateBucket) {
        count += other.count
        sum += other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        if other.lastTs >= lastTs {
            last = other.last
            lastTs = other.lastTs
        }
    }
}
