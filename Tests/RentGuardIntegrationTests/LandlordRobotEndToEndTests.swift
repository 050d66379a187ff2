import Foundation
import RentGuardCore
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 26, end to end through the real daemon: a detector's smoke alarm reaches the
/// landlord's WeCom group robot (a local fake of the WeCom webhook) as a Chinese markdown
/// message with the status page link; a rate-limit answer (errcode 45009) is retried, and a
/// message owed when the daemon is killed with SIGKILL is delivered after the restart.
@Suite(.serialized) struct LandlordRobotEndToEndTests {
    static let ok = #"{"errcode":0,"errmsg":"ok"}"#
    static let tooFast = #"{"errcode":45009,"errmsg":"api freq out of limit"}"#

    @Test func aSmokeAlarmReachesTheWeComRobotRetriedOnItsRateLimitAndAcrossAKill() async throws {
        let wecom = try await TestHTTPReceiver(.answer(200, Self.ok))
        let secrets = try TemporaryDirectory(prefix: "wecom")
        try "test-robot-key\n".write(toFile: secrets.file("wecom-key"), atomically: true, encoding: .utf8)
        let f = try await DaemonFixture(
            clearHoldSeconds: 30,
            extra: """
                http:
                  public_url: https://status.example.cn/testb
                landlords:
                  - id: wang
                    channels:
                      - type: wecom_robot
                        key_file: \(secrets.file("wecom-key"))
                        endpoint: \(wecom.baseURL)/cgi-bin/webhook/send
                """,
            unitLandlord: "wang",
            devicesExtra: """
                  - {id: SD-3, kind: smoke_detector, unit: "102", location: "102 bedroom", zone: bedroom}
                """,
            unitsExtra: """
                  - {id: "102", floor: 1, area_m2: 30, registered_occupants: 1, landlord: wang}
                """)
        defer { Task { await f.shutdown(); await wecom.stop() } }
        try await f.startDaemon()

        // 1. The service says "too fast" once: the message is retried and then delivered.
        wecom.queue([.answer(200, Self.tooFast)])
        let published = Date()
        try await f.smoke("SD-1", alarm: true)
        let got = await wecom.waitFor(timeout: .seconds(20)) { $0.filter { $0.answered == 200 }.count >= 2 }
        if got.count >= 2 {
            let first = got[0].receivedAt.timeIntervalSince(published) * 1000, retried = got[1].receivedAt.timeIntervalSince(published) * 1000
            print("[issue 26] smoke alarm at the WeCom fake \(Int(first)) ms after the detector published; after errcode 45009, retried at \(Int(retried)) ms")
        }
        #expect(got.count >= 2, "the rate-limited message was not retried; daemon log:\n\(f.daemon?.log ?? "")")
        let first = try #require(got.first)
        #expect(first.path == "/cgi-bin/webhook/send" && first.query == "key=test-robot-key")
        #expect(got[0].body == got[1].body, "the retry sends the same message")
        let body = try JSONParser.parse(String(decoding: got[1].body, as: UTF8.self))
        let content = try #require(body["markdown"]?["content"]?.stringValue)
        #expect(content.hasPrefix("### 【烟雾报警】Test Bldg 101室"), "\(content)")
        #expect(content.contains("处置：立即核实现场"))
        #expect(content.hasSuffix("[查看状态页](https://status.example.cn/testb)"))
        // The row is marked delivered once the answer is read: wait for it.
        var rows: [OutboxMessage] = []
        _ = try await HardeningTests.waitUntil(timeout: .seconds(10)) {
            let store = try f.openStore()
            defer { store.close() }
            rows = try store.outbox(destination: "landlord:wang:0", states: [], limit: 10)
            return rows.count == 1 && rows[0].state == .delivered
        }
        #expect(rows.count == 1 && rows[0].state == .delivered && rows[0].attempts == 1, "one row, delivered on its second attempt: \(rows)")

        // 2. The service keeps saying "too fast" while a detector of the landlord's other
        // flat alarms (another incident: its first message goes at once); the daemon is
        // killed with the message owed, restarted, and then delivers it.
        wecom.set(.answer(200, Self.tooFast))
        let before = wecom.requests.count
        try await f.smoke("SD-3", alarm: true)
        await wecom.waitFor(timeout: .seconds(20)) { $0.count > before }
        let d = try #require(f.daemon)
        d.signal(SIGKILL)
        #expect(await d.waitForExit() != nil)
        let owed = try f.openStore()
        let pending = try owed.outbox(destination: "landlord:wang:0", states: [.pending], limit: 10)
        owed.close()
        // SD-3's smoke alarm is owed.
        #expect(pending.contains { $0.payload.contains(#""device":"SD-3""#) }, "the second alarm's message is owed at the kill: \(pending.map(\.payload))")
        wecom.set(.answer(200, Self.ok))
        try await f.startDaemon()
        // The incidents' first messages (an incident's update is held to its minute: not waited for here).
        let owedIDs = Set(pending.filter { !$0.payload.contains(#""incident_update":true"#) }.map(\.rowID))
        #expect(!owedIDs.isEmpty)
        let delivered = try await HardeningTests.waitUntil(timeout: .seconds(20)) {
            let s = try f.openStore()
            defer { s.close() }
            return Set(try s.outbox(destination: "landlord:wang:0", states: [.delivered], limit: 100).map(\.rowID)).isSuperset(of: owedIDs)
        }
        #expect(delivered, "the owed messages were delivered after the restart; log:\n\(f.daemon?.logSinceStart ?? "")")
        #expect(wecom.requests.last?.answered == 200)
    }
}
