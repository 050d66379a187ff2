import Foundation
import RentGuardCore
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 11 item 2: a flood of distinct unregistered device ids (30,000 gave 30,000 active
/// alarms, 137 MB RSS, a 48 MB database and 60,000 log lines). With the real daemon, a real
/// mosquitto and its SQLite file: every message is counted as rejected, but the alarms, the
/// database and the log stay bounded. `RENTGUARD_FLOOD_IDS` sets the flood's size (default
/// 5,000; the issue's figure is measured with 100,000), and the test prints RSS and sizes.
@Suite(.serialized) struct UnregisteredFloodTests {
    typealias H = HardeningTests

    @Test func aFloodOfDistinctUnregisteredIdsKeepsAlarmsDatabaseAndLogBounded() async throws {
        let ids = Int(ProcessInfo.processInfo.environment["RENTGUARD_FLOOD_IDS"] ?? "") ?? 5_000
        let f = try await DaemonFixture()
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        let d = try #require(f.daemon)
        let rssBefore = Self.rssKB(d.pid)
        let metricsURL = f.httpURL + "/metrics"
        let series = #"rentguard_messages_rejected_total{reason="unknown_device"}"#
        var sent = 0
        while sent < ids {
            let n = min(2_000, ids - sent)
            let batch = (sent..<sent + n).map { i in
                (topic: "rg/testb/GHOST-\(i)/telemetry", payload: Array(#"{"alarm": true}"#.utf8))
            }
            let results = await f.publisher.publishBatch(batch, qos: 1, timeout: .seconds(60))
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } }, "the broker took the flood")
            sent += n
            // Keep the broker's queue for the daemon short: wait until it has caught up.
            let caughtUp = await H.waitUntil(timeout: .seconds(120)) {
                (H.sample((try? await H.get(metricsURL).body) ?? "", series) ?? 0) >= Double(sent)
            }
            let counted = H.sample((try? await H.get(metricsURL).body) ?? "", series) ?? -1
            try #require(caughtUp, "the daemon counted \(counted) of \(sent) rejections")
        }
        let rssAfter = Self.rssKB(d.pid)
        // Everything reached the database: wait for the writes to settle, then count.
        let limit = DetectionEngine.unregisteredAlarmLimit
        var rows = 0
        _ = await H.waitUntil(timeout: .seconds(10)) {
            rows = (try? Self.countAlarms(f)) ?? 0
            return rows >= limit + 1
        }
        #expect(rows == limit + 1, "alarms: one per id up to \(limit), then one for the rest; found \(rows)")
        let log = d.logSinceStart
        let lines = log.split(separator: "\n").filter { $0.contains("message from an unregistered device") }.count
        // One line at once, then at most one per 10 s with the count suppressed.
        #expect(lines <= 1 + 60, "log lines about unregistered devices: \(lines)")
        #expect(log.contains("suppressed_since_last") || lines == 1)
        let db = Store.fileSizeForTesting(f.directory.file("state") + "/" + Store.fileName)
        let wal = Store.fileSizeForTesting(f.directory.file("state") + "/" + Store.fileName + "-wal")
        print("[unregistered flood] \(ids) distinct ids: alarms \(rows), log lines \(lines), RSS \(rssBefore) kB before → \(rssAfter) kB after, database \(db) B + WAL \(wal) B")
        #expect(d.isRunning)
    }

    static func countAlarms(_ f: DaemonFixture) throws -> Int {
        let store = try f.openStore()
        defer { store.close() }
        return try store.activeAlarms().filter { $0.key.type == .unregisteredDevice }.count
    }

    static func rssKB(_ pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}
