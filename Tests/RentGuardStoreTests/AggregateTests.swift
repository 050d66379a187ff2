import Testing
@testable import RentGuardStore

@Suite("Reading aggregates")
struct AggregateTests {
    static func bucket(
        _ start: Int64, count: Int, sum: Double, min: Double, max: Double, last: Double, lastTs: Int64,
        device: String = "PM-101", field: String = "power_w"
    ) -> AggregateBucket {
        AggregateBucket(device: device, field: field, bucketStart: start, count: count, sum: sum, min: min, max: max, last: last, lastTs: lastTs)
    }

    @Test func writesMergeIntoExistingBuckets() throws {
        let f = try StoreFixture()
        try f.store.writeAggregates([Self.bucket(0, count: 2, sum: 30, min: 10, max: 20, last: 20, lastTs: 500)])
        try f.store.writeAggregates([Self.bucket(0, count: 3, sum: 15, min: 2, max: 8, last: 8, lastTs: 900)])
        // An older flush arriving late does not replace `last`.
        try f.store.writeAggregates([Self.bucket(0, count: 1, sum: 50, min: 50, max: 50, last: 50, lastTs: 100)])
        let stored = try f.store.aggregates(device: "PM-101", field: "power_w", from: 0, to: 60_000)
        #expect(stored == [Self.bucket(0, count: 6, sum: 95, min: 2, max: 50, last: 8, lastTs: 900)])
        #expect(try f.count("reading_aggregates") == 1)
    }

    @Test func rangeQueryIsHalfOpenAndPerDeviceAndField() throws {
        let f = try StoreFixture()
        try f.store.writeAggregates([
            Self.bucket(0, count: 1, sum: 1, min: 1, max: 1, last: 1, lastTs: 1),
            Self.bucket(60_000, count: 1, sum: 2, min: 2, max: 2, last: 2, lastTs: 60_001),
            Self.bucket(120_000, count: 1, sum: 3, min: 3, max: 3, last: 3, lastTs: 120_001),
            Self.bucket(60_000, count: 1, sum: 9, min: 9, max: 9, last: 9, lastTs: 60_001, field: "voltage_v"),
            Self.bucket(60_000, count: 1, sum: 9, min: 9, max: 9, last: 9, lastTs: 60_001, device: "PM-102"),
        ])
        let mid = try f.store.aggregates(device: "PM-101", field: "power_w", from: 60_000, to: 120_000)
        #expect(mid.map(\.bucketStart) == [60_000])
        let all = try f.store.aggregates(device: "PM-101", field: "power_w", from: 0, to: .max)
        #expect(all.map(\.bucketStart) == [0, 60_000, 120_000])
    }

    @Test func pruneRemovesOldBuckets() throws {
        let f = try StoreFixture()
        try f.store.writeAggregates((0..<5).map { Self.bucket(Int64($0) * 60_000, count: 1, sum: 1, min: 1, max: 1, last: 1, lastTs: Int64($0) * 60_000) })
        #expect(try f.store.pruneAggregates(olderThan: 120_000) == 2)
        #expect(try f.store.aggregates(device: "PM-101", field: "power_w", from: 0, to: .max).map(\.bucketStart) == [120_000, 180_000, 240_000])
        #expect(try f.store.pruneAggregates(olderThan: 120_000) == 0)
    }

    @Test func aggregatorBucketsReadings() {
        var agg = ReadingAggregator(bucketMs: 60_000)
        #expect(agg.pendingCount == 0)
        agg.add(device: "PM-101", field: "power_w", value: 100, ts: 60_000)
        agg.add(device: "PM-101", field: "power_w", value: 300, ts: 119_999)
        agg.add(device: "PM-101", field: "power_w", value: 50, ts: 90_000)  // out of order: not the last
        agg.add(device: "PM-101", field: "power_w", value: 7, ts: 120_000)  // next bucket
        agg.add(device: "PM-101", field: "voltage_v", value: 230, ts: 61_000)
        agg.add(device: "CH-1", field: "p1.temperature_c", value: 41.5, ts: -1)  // before the epoch: bucket -60000
        agg.add(device: "PM-101", field: "power_w", value: .nan, ts: 60_500)  // ignored
        agg.add(device: "PM-101", field: "power_w", value: .infinity, ts: 60_500)  // ignored
        #expect(agg.pendingCount == 4)

        let drained = agg.drain()
        #expect(agg.pendingCount == 0)
        #expect(agg.drain().isEmpty)
        #expect(drained == [
            AggregateBucket(device: "CH-1", field: "p1.temperature_c", bucketStart: -60_000, count: 1, sum: 41.5, min: 41.5, max: 41.5, last: 41.5, lastTs: -1),
            AggregateBucket(device: "PM-101", field: "power_w", bucketStart: 60_000, count: 3, sum: 450, min: 50, max: 300, last: 300, lastTs: 119_999),
            AggregateBucket(device: "PM-101", field: "power_w", bucketStart: 120_000, count: 1, sum: 7, min: 7, max: 7, last: 7, lastTs: 120_000),
            AggregateBucket(device: "PM-101", field: "voltage_v", bucketStart: 60_000, count: 1, sum: 230, min: 230, max: 230, last: 230, lastTs: 61_000),
        ])
        #expect(drained[1].mean == 150)
    }

    @Test func drainingTwiceIntoTheStoreEqualsOneDrain() throws {
        let f = try StoreFixture()
        let readings: [(Double, Int64)] = [(5, 1_000), (9, 2_000), (1, 3_000), (4, 4_000), (8, 65_000), (2, 70_000)]
        var agg = ReadingAggregator(bucketMs: 60_000)
        var once = ReadingAggregator(bucketMs: 60_000)
        for (k, (v, ts)) in readings.enumerated() {
            agg.add(device: "WM-1", field: "flow_l_per_min", value: v, ts: ts)
            once.add(device: "WM-1", field: "flow_l_per_min", value: v, ts: ts)
            if k == 2 { try f.store.writeAggregates(agg.drain()) }
        }
        try f.store.writeAggregates(agg.drain())
        let stored = try f.store.aggregates(device: "WM-1", field: "flow_l_per_min", from: 0, to: .max)
        #expect(stored == once.drain())
    }
}
