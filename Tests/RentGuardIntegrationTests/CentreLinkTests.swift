import Foundation
import RentGuardCore
import RentGuardStore
import RentGuardTesting
import Testing

/// The GB/T 26875.3-2011 link to a city fire-monitoring centre, end to end: the real daemon
/// binary, a real TCP test centre (its own decoder), confirms, denies, stalls, dropped
/// connections, centre outages and kill -9. Every test prints how many centre messages were
/// owed, confirmed and lost (must be 0).
@Suite(.serialized)
struct CentreLinkTests {
    static func fixture(_ centre: TestCentre, clearHold: Double = 0.5) async throws -> DaemonFixture {
        try await DaemonFixture(
            clearHoldSeconds: clearHold,
            registryExtra: """
                  centre: {host: "127.0.0.1", port: \(centre.port), source_address: 1, destination_address: \(centre.address), answer_timeout_s: 1, connect_timeout_s: 1, reconnect_min_s: 0.1, reconnect_max_s: 1, heartbeat_interval_s: 2}

                """)
    }

    /// What the daemon owes the centre: its `centre` outbox rows, as the objects the centre
    /// should see (position, status, description, time).
    struct Owed: Hashable {
        var position: UInt16
        var status: UInt16
        var description: String
        var time: [UInt8]
    }

    static func owed(_ f: DaemonFixture) throws -> [String: Owed] {
        let store = try f.openStore()
        defer { store.close() }
        var out: [String: Owed] = [:]
        for row in try store.outbox(destination: "centre", states: [], limit: 100_000) {
            let v = try JSONParser.parse(row.payload)
            out[row.messageID] = Owed(
                position: UInt16(v["position"]?.doubleValue ?? -1), status: UInt16(v["status"]?.doubleValue ?? -1),
                description: v["description"]?.stringValue ?? "", time: (v["time"]?.arrayValue ?? []).map { UInt8($0.doubleValue ?? 0) })
        }
        return out
    }

    static func confirmed(_ packets: [TestCentre.Packet]) -> [Owed] {
        packets.filter { $0.command == 2 && $0.answered == .confirm }.flatMap(\.components).map {
            Owed(position: $0.position, status: $0.status, description: $0.description, time: $0.time)
        }
    }

    /// Owed messages that never reached the centre as a confirmed object; prints the figures.
    static func account(_ name: String, owed: [String: Owed], packets: [TestCentre.Packet]) -> Int {
        let got = confirmed(packets)
        let lost = owed.values.filter { !got.contains($0) }.count
        let duplicates = got.count - Set(got).count
        print("[centre \(name)] owed: \(owed.count), confirmed objects: \(got.count), lost: \(lost), duplicates: \(duplicates)")
        return lost
    }

    static func waitUntil(timeout: Duration, _ condition: () throws -> Bool) async rethrows -> Bool {
        try await HardeningTests.waitUntil(timeout: timeout) { try condition() }
    }

    @Test func fireReachesTheCentreConfirmedWithinTenSecondsAcrossACentreRestart() async throws {
        let centre = try TestCentre()
        let f = try await Self.fixture(centre)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        // The link comes up and the device reports its running status (type 21).
        let hb = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 21 } }
        let status = try #require(hb.first { $0.typeFlag == 21 })
        #expect(status.source == 1 && status.destination == centre.address && status.version == [1, 0])
        #expect(status.data.count == 9 && status.data[2] & 0x01 == 0x01, "normal monitoring")

        let published = DaemonFixture.nowMs
        try await f.smoke("SD-1", alarm: true, obscuration: 9, ts: published)
        let got = await centre.waitFor(timeout: .seconds(15)) { ps in Self.confirmed(ps).contains { $0.position == 1 && $0.status & 0x02 != 0 } }
        let fire = try #require(got.first { p in p.components.contains { $0.position == 1 && $0.status & 0x02 != 0 } })
        let latency = fire.receivedAt - published
        print("[centre] smoke alarm of SD-1 at the centre as a type-2 object \(latency) ms after the detector's message")
        #expect(latency < 10_000, "GB 26875.1: at the centre within 10 s")
        let object = try #require(fire.components.first)
        #expect(object.systemType == 1 && object.systemAddress == 1 && object.componentType == 40 && object.zone == 1)
        #expect(object.status == 0x0003)
        #expect(object.description == "101室烟雾报警")

        // A centre outage: the detectors change meanwhile; the centre comes back on the same port.
        centre.stop()
        let d = try #require(f.daemon)
        #expect(await d.waitForLog("centre link closed; reconnecting"), "the daemon saw the link go")
        try await f.smoke("SD-1", alarm: false)
        try await f.smoke("SD-2", alarm: true, obscuration: 9)
        _ = try await Self.waitUntil(timeout: .seconds(10)) { try Self.owed(f).count >= 3 }
        // The outage is real to the daemon: it has tried to reconnect and been refused.
        #expect(await d.waitForLog("cannot connect to the centre; retrying with backoff"), "a refused reconnect during the outage")
        try centre.start()
        let restarted = DaemonFixture.nowMs
        let owed = try Self.owed(f)
        let after = await centre.waitFor(timeout: .seconds(30)) { ps in Set(Self.confirmed(ps)).isSuperset(of: owed.values) }
        let lost = Self.account("restart", owed: owed, packets: after)
        let lastConfirm = after.filter { $0.answered == .confirm && $0.typeFlag == 2 }.map(\.receivedAt).max() ?? restarted
        print("[centre restart] every owed object confirmed \(lastConfirm - restarted) ms after the centre came back; connections: \(centre.connectionCount)")
        #expect(lost == 0)
        #expect(centre.connectionCount >= 2, "the daemon reconnected")
        #expect(after.contains { $0.components.contains { $0.position == 1 && $0.status == 0x0001 && $0.description == "101室烟雾报警恢复" } })
        // One alarm's transitions arrive in order: SD-1's raise before its clear.
        let sd1 = Self.confirmed(after).filter { $0.position == 1 }.map(\.status)
        #expect(sd1.firstIndex(of: 0x0003)! < sd1.firstIndex(of: 0x0001)!)
    }

    @Test func aDenyIsADeadLetterAndLaterAlarmsStillGo() async throws {
        let centre = try TestCentre()
        centre.mode = .deny
        let f = try await Self.fixture(centre, clearHold: 30)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true, obscuration: 9)
        _ = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 2 && $0.answered == .deny } }
        let dead = try await Self.waitUntil(timeout: .seconds(10)) {
            let s = try f.openStore()
            defer { s.close() }
            return try s.outboxStats(destination: "centre").dead == 1
        }
        #expect(dead, "the denied message is kept as a dead letter")
        #expect(f.daemon?.logSinceStart.contains("centre denied the packet (command 6)") == true, "the reason is logged")
        centre.mode = .confirm
        try await f.smoke("SD-2", alarm: true, obscuration: 9)
        let got = await centre.waitFor(timeout: .seconds(10)) { ps in Self.confirmed(ps).contains { $0.position == 2 } }
        #expect(Self.confirmed(got).contains { $0.position == 2 && $0.status == 0x0003 })
        let s = try f.openStore()
        defer { s.close() }
        let stats = try s.outboxStats(destination: "centre")
        print("[centre deny] dead: \(stats.dead), pending: \(stats.pending), delivered: \(stats.delivered)")
        #expect(stats.dead == 1)
    }

    @Test func stalledAndDroppedAnswersAreRetriedUntilConfirmed() async throws {
        let centre = try TestCentre()
        centre.mode = .stall
        let f = try await Self.fixture(centre)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true, obscuration: 9)
        // No answer within answer_timeout_s (1 s): sent again.
        _ = await centre.waitFor(timeout: .seconds(20)) { $0.filter { $0.typeFlag == 2 && $0.answered == .stall }.count >= 2 }
        centre.mode = .drop
        _ = await centre.waitFor(timeout: .seconds(20)) { $0.contains { $0.typeFlag == 2 && $0.answered == .drop } }
        centre.mode = .confirm
        let before = try Self.owed(f).count
        try await f.smoke("SD-1", alarm: false)
        // The clear is owed once the pipeline has recorded it (after the clear hold).
        _ = try await Self.waitUntil(timeout: .seconds(10)) { try Self.owed(f).count > before }
        let owed = try Self.owed(f)
        let got = await centre.waitFor(timeout: .seconds(30)) { ps in Set(Self.confirmed(ps)).isSuperset(of: owed.values) }
        let attempts = got.filter { $0.typeFlag == 2 }.map { $0.answered.map { "\($0)" } ?? "-" }
        print("[centre stall/drop] type-2 packets and answers: \(attempts)")
        #expect(Self.account("stall/drop", owed: owed, packets: got) == 0)
        #expect(got.filter { $0.typeFlag == 2 && $0.answered == .stall }.count >= 2)
        #expect(got.contains { $0.typeFlag == 2 && $0.answered == .drop })
    }

    @Test func sigkillWhileTheCentreIsDownLosesNothing() async throws {
        let centre = try TestCentre()
        let f = try await Self.fixture(centre, clearHold: 0.3)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        _ = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 21 } }
        for kill in 0..<2 {
            centre.mode = kill == 0 ? .stall : .confirm
            if kill == 1 { centre.stop() }
            for _ in 0..<3 {
                try await f.smoke("SD-1", alarm: true, obscuration: 9)
                try await f.smoke("SD-2", alarm: true, obscuration: 9)
                #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: true))
                try await f.smoke("SD-1", alarm: false)
                try await f.smoke("SD-2", alarm: false)
                // Each clear (0.3 s hold) is recorded before the next raise; a detector that
                // chatters is latched, with no clear due (waitForSmoke counts it as settled).
                #expect(try await f.waitForSmoke(["SD-1", "SD-2"], active: false))
            }
            let d = try #require(f.daemon)
            d.signal(SIGKILL)
            _ = await d.waitForExit()
            print("[centre sigkill] kill \(kill + 1) done (centre \(kill == 0 ? "stalling" : "down"))")
            try await f.startDaemon()
        }
        centre.mode = .confirm
        let connections = centre.connectionCount
        try centre.start()
        // The restarted daemon's link is up again (every transition was recorded before the kills).
        #expect(try await Self.waitUntil(timeout: .seconds(10)) { centre.connectionCount > connections }, "the daemon reconnected")
        let owed = try Self.owed(f)
        let got = await centre.waitFor(timeout: .seconds(60)) { ps in Set(Self.confirmed(ps)).isSuperset(of: owed.values) }
        #expect(owed.count >= 8)
        #expect(Self.account("sigkill ×2", owed: owed, packets: got) == 0)
    }

    @Test func theCentresQueriesAndControlsAreAnswered() async throws {
        let centre = try TestCentre()
        let f = try await Self.fixture(centre, clearHold: 30)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        _ = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 21 } }
        let read81 = centre.send(command: 4, data: [81, 1, 0])
        let read88 = centre.send(command: 4, data: [88, 1, 0])
        let read85 = centre.send(command: 4, data: [85, 1, 0])
        let sync = centre.send(command: 1, data: [90, 1] + TestCentre.localTime(Date()))
        let roll = centre.send(command: 1, data: [91, 1, 10])
        let initialise = centre.send(command: 1, data: [89, 1, 0])
        var bad = centre.frame(serial: 4242, command: 4, data: [81, 1, 0])
        bad[bad.count - 3] &+= 1  // wrong checksum
        centre.sendRaw(bad)
        let got = await centre.waitFor(timeout: .seconds(10)) { ps in
            [read81, read88, read85, sync, roll, initialise, 4242].allSatisfy { s in ps.contains { $0.serial == s && ($0.command == 3 || $0.command == 5 || $0.command == 6) } }
        }
        func answer(_ serial: UInt16) -> TestCentre.Packet? { got.first { $0.serial == serial && [3, 5, 6].contains($0.command) } }
        #expect(answer(read81)?.command == 5 && answer(read81)?.typeFlag == 21 && answer(read81)?.data.count == 9)
        #expect(answer(read88)?.command == 5 && answer(read88)?.typeFlag == 28 && answer(read88)?.data.count == 8)
        #expect(answer(read85)?.command == 5 && answer(read85)?.typeFlag == 25)
        #expect(answer(sync)?.command == 3, "clock synchronisation confirmed")
        #expect(answer(roll)?.command == 3, "roll call confirmed")
        #expect(answer(initialise)?.command == 6, "initialisation is not implemented: denied")
        #expect(answer(4242)?.command == 6, "a bad checksum is denied")
        #expect(centre.rejected.isEmpty, "every packet from the daemon decoded: \(centre.rejected)")
    }

    /// Issue 27 item 7: 64 KiB of `@` bytes from the centre were answered with 32,755 deny
    /// packets (30 bytes each) and as many warning lines. Now: one garbage run, one deny, and
    /// the link still answers the centre's next query.
    @Test func aFloodOfGarbageFromTheCentreIsAnsweredOnce() async throws {
        let centre = try TestCentre()
        let f = try await Self.fixture(centre, clearHold: 30)
        defer { Task { await f.shutdown(); centre.stop() } }
        try await f.startDaemon()
        _ = await centre.waitFor(timeout: .seconds(10)) { $0.contains { $0.typeFlag == 21 } }
        centre.sendRaw([UInt8](repeating: 0x40, count: 65_536))
        let query = centre.send(command: 4, data: [81, 1, 0])
        let got = await centre.waitFor(timeout: .seconds(20)) { ps in ps.contains { $0.serial == query && $0.command == 5 } }
        #expect(got.contains { $0.serial == query && $0.command == 5 }, "the query after the garbage is answered")
        let denies = got.filter { $0.command == 6 }
        print("[centre garbage] 65,536 '@' bytes answered with \(denies.count) deny packet(s)")
        #expect(denies.count == 1, "one deny for the garbage run, got \(denies.count)")
        #expect(denies.first?.serial == 0x4040)
        let warnings = (f.daemon?.log ?? "").components(separatedBy: "bad packet from the centre").count - 1
        #expect(warnings == 1, "one warning line, got \(warnings)")
    }
}
