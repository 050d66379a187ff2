/// A device's reporting cadence learned from its own traffic, for offline supervision of a
/// device whose configuration gives no `report_interval_s` (issue 11 item 10: hourly water
/// meters supervised on an assumed 60 s raised `device_offline` 37,907 times in a year).
///
/// It keeps the most recent gaps between reports and takes a high percentile of them, so
/// that a device reporting hourly is expected hourly, a few outages among the recent gaps
/// do not stretch the expectation, and messages of one burst (a telemetry and an event sent
/// together) do not shrink it. Pure value: the same messages give the same cadence.
public struct ReportCadence: Sendable, Equatable, Codable {
    /// Recent gaps between reports (ms), oldest first, at most `capacity`.
    public private(set) var gaps: [Int64] = []
    /// The newest report's time (`Int64.min`: none yet).
    public private(set) var last: Int64 = .min

    public init() {}

    /// Recent gaps kept; the percentile is taken over these.
    public static let capacity = 32
    /// Messages closer together than this are one report (a burst), not a gap.
    public static let burstMs: Int64 = 5_000

    /// A report at `ts` (in order: older reports are ignored).
    public mutating func observe(_ ts: Int64) {
        guard ts > last else { return }
        defer { last = ts }
        guard last != .min else { return }
        let gap = ts - last
        guard gap >= Self.burstMs else { return }
        gaps.append(gap)
        if gaps.count > Self.capacity { gaps.removeFirst(gaps.count - Self.capacity) }
    }

    /// The `percentile` (0…1, nearest rank) of the recent gaps; nil before the first gap.
    public func intervalMs(percentile: Double) -> Int64? {
        guard !gaps.isEmpty else { return nil }
        let sorted = gaps.sorted()
        let rank = Int((percentile * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(sorted.count - 1, max(0, rank))]
    }
}
