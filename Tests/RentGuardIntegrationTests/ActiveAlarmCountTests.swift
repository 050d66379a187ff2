import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 11 item 3: exact active-alarm counts; the most severe listed first.
@Suite(.serialized)
struct ActiveAlarmCountTests {
    typealias H = HardeningTests

    // MARK: 3. Exact active-alarm counts; the most severe listed first

    /// 12,000 junk warnings updated after two fire alarms: the gauge used to count only the
    /// 10,000 most recently updated (critical 0) and `alarms --active` never showed the fires.
    @Test func activeAlarmCountsAreExactAndFiresAreListedFirst() async throws {
        let f = try await DaemonFixture()
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        await f.daemon?.stop()
        let db = f.directory.file("state") + "/" + Store.fileName
        let t0 = DaemonFixture.nowMs - 3_600_000
        try await H.sqlite(db, """
            BEGIN;
            INSERT INTO alarms VALUES('testb:fire:101:1','fire',NULL,NULL,'101','critical','raised','101',\(t0),\(t0),'{}','[]',0,1,NULL);
            INSERT INTO alarms VALUES('testb:fire:102:1','fire',NULL,NULL,'102','critical','raised','102',\(t0 + 1),\(t0 + 1),'{}','[]',0,1,NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
            INSERT INTO alarms SELECT 'testb:unregistered_device:GHOST-' || i || ':1', 'unregistered_device', 'GHOST-' || i, NULL, NULL,
                'warning', 'raised', NULL, \(t0 + 10_000) + i, \(t0 + 10_000) + i, '{}', '[]', 0, 1, NULL FROM n;
            COMMIT;
            """, in: f.directory)
        try await f.startDaemon()
        let metrics = try await H.get(f.httpURL + "/metrics").body
        #expect(H.sample(metrics, #"rentguard_active_alarms{severity="critical"}"#) == 2)
        #expect(H.sample(metrics, #"rentguard_active_alarms{severity="warning"}"#) == 12000)
        let api = try JSONParser.parse(try await H.get(f.httpURL + "/api/v1/alarms?active=true&limit=5").body, maxDepth: 64)
        let listed = api["alarms"]?.arrayValue ?? []
        #expect(listed.prefix(2).map { $0["type"]?.stringValue } == ["fire", "fire"])
        #expect(api["active_total"]?.doubleValue == 12002)
        #expect(api["active_counts"]?["critical"]?.doubleValue == 2)
        let out = f.directory.file("ctl.txt")
        let ctl = try ChildProcess(executable: DaemonProcess.executable("rentguardctl"), arguments: ["--url", f.httpURL, "alarms", "--active", "--limit", "1000"], outputFile: out)
        #expect(await ctl.wait(timeout: .seconds(30)) == 0)
        let lines = (try String(contentsOfFile: out, encoding: .utf8)).split(separator: "\n")
        #expect(lines.dropFirst().prefix(2).allSatisfy { $0.hasPrefix("CRITICAL") && $0.contains("fire") }, "\(lines.prefix(3))")
        #expect(lines.last == "12002 active alarms: critical 2, major 0, minor 0, warning 12000, showing the 1000 most severe")
    }
}
