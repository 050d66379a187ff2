import Foundation
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// A small tmpfs the test can fill: a real disk-full for the daemon's SQLite file.
enum Tmpfs {
    static func run(_ executable: String, _ arguments: [String]) -> Int32? {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-\(UUID().uuidString.prefix(6)).txt").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        guard let p = try? ChildProcess(executable: executable, arguments: arguments, outputFile: out) else { return nil }
        return p.waitBlocking(timeout: 10)
    }

    static func mount(_ path: String, megabytes: Int) -> Bool {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]) == 0
    }

    static func unmount(_ path: String) { _ = run("/bin/umount", ["-l", path]) }

    /// Whether this process may mount a tmpfs (root, outside a locked-down container).
    static let available: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard mount(probe, megabytes: 1) else { return false }
        unmount(probe)
        return true
    }()

    /// Writes to `file` until the filesystem is full; returns the bytes written.
    static func fill(_ file: String) -> Int {
        FileManager.default.createFile(atPath: file, contents: nil)
        guard let h = FileHandle(forWritingAtPath: file) else { return 0 }
        defer { try? h.close() }
        let chunk = Data(repeating: 0x55, count: 16 * 1024)
        var written = 0
        while (try? h.write(contentsOf: chunk)) != nil { written += chunk.count }
        // The last partial chunk may have fitted in part; fill what is left byte by byte.
        let one = Data([0x55])
        while (try? h.write(contentsOf: one)) != nil { written += 1 }
        return written
    }
}

/// Disk full while the outbox is delivering: the registry confirms messages, marking them
/// delivered fails. Measured on the release build before the fix: 9,339 sends for 1,501
/// rows (about 209/s), `rentguard_outbox_delivered_total` 6,927 for 14 rows, ~1,500
/// log lines a second, and no metric for the transitions waiting in memory.
@Suite(.serialized, .enabled(if: Tmpfs.available, "needs root to mount a tmpfs"))
struct DiskFullTests {
    @Test func outboxBacksOffCountsOnceAndShowsTheBacklogWhenTheDiskIsFull() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        let state = f.directory.file("state")
        try #require(Tmpfs.mount(state, megabytes: 4))
        defer {
            Task {
                await f.daemon?.stop()
                Tmpfs.unmount(state)
                await f.shutdown()
            }
        }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms", clientID: "disk-full-watcher", cleanStart: false)
        try await f.startDaemon()
        f.registry.stop()
        // 40 unregistered devices: 40 alarm messages owed to the registry.
        for i in 0..<40 { try await f.publish("GHOST-\(i)", "telemetry", #"{"alarm": true}"#) }
        var owed: Set<String> = []
        _ = await HardeningTests.waitUntil(timeout: .seconds(20)) {
            owed = (try? f.owedAlarmMessageIDs()) ?? []
            return owed.count >= 40
        }
        try #require(owed.count == 40)

        let filled = Tmpfs.fill(state + "/filler")
        print("[disk full] filled the state directory's tmpfs with \(filled) bytes")
        try f.registry.start()
        let metricsURL = f.httpURL + "/metrics"
        let dest = #"{destination="registry-mqtt"}"#
        // The registry receives every message once; marking them delivered fails, and the
        // dispatcher pauses 1 s, 2 s, … instead of sending them again.
        var metrics = ""
        let paused = await HardeningTests.waitUntil(timeout: .seconds(30)) {
            metrics = (try? await HardeningTests.get(metricsURL).body) ?? ""
            let got = Set(ForwardedAlarm.all(await registry.messages).map(\.messageID))
            return got.isSuperset(of: owed) && (HardeningTests.sample(metrics, "rentguard_outbox_store_errors_total" + dest) ?? 0) >= 3
        }
        #expect(paused, "store errors: \(HardeningTests.sample(metrics, "rentguard_outbox_store_errors_total" + dest) ?? -1)")
        let during = ForwardedAlarm.all(await registry.messages).map(\.messageID)
        print("[disk full] while marking failed: \(during.count) alarm messages sent for \(owed.count) rows, store errors \(HardeningTests.sample(metrics, "rentguard_outbox_store_errors_total" + dest) ?? -1)")
        #expect(during.count == Set(during).count, "messages sent again while the store failed: \(during.count - Set(during).count)")
        #expect((HardeningTests.sample(metrics, "rentguard_outbox_delivered_total" + dest) ?? 0) == 0, "nothing is marked delivered yet")
        let log = try #require(f.daemon).log
        let pausedLines = log.split(separator: "\n").filter { $0.contains("outbox delivery paused") }
        #expect(pausedLines.count == 1, "one line per failure streak within a minute, found \(pausedLines.count)")
        #expect(pausedLines.first?.contains("ERROR") == true)

        // An alarm while the disk is full cannot be written: it waits in memory, and says so.
        try await f.smoke("SD-1", alarm: true)
        let waiting = await HardeningTests.waitUntil(timeout: .seconds(10)) {
            (HardeningTests.sample((try? await HardeningTests.get(metricsURL).body) ?? "", "rentguard_alarm_transitions_unpersisted") ?? 0) >= 1
        }
        #expect(waiting, "rentguard_alarm_transitions_unpersisted must show the alarm held in memory")

        // Space again: the confirmed rows are marked (not sent again), the held alarm is
        // written and delivered, and the counters agree with the store.
        try FileManager.default.removeItem(atPath: state + "/filler")
        let smokeArrived = await HardeningTests.waitUntil(timeout: .seconds(90)) {
            ForwardedAlarm.all(await registry.messages).contains { $0.type == "smoke" && $0.device == "SD-1" }
        }
        #expect(smokeArrived)
        var delivered: [OutboxMessage] = []
        let settled = await HardeningTests.waitUntil(timeout: .seconds(30)) {
            metrics = (try? await HardeningTests.get(metricsURL).body) ?? ""
            guard let store = try? f.openStore() else { return false }
            defer { store.close() }
            delivered = (try? store.outbox(destination: "registry-mqtt", states: [.delivered], limit: 100_000)) ?? []
            return HardeningTests.sample(metrics, "rentguard_outbox_delivered_total" + dest) == Double(delivered.count)
                && HardeningTests.sample(metrics, "rentguard_alarm_transitions_unpersisted") == 0
                && owed.isSubset(of: Set(delivered.map(\.messageID)))
        }
        #expect(settled, "delivered_total \(HardeningTests.sample(metrics, "rentguard_outbox_delivered_total" + dest) ?? -1), rows marked delivered \(delivered.count)")
        let all = ForwardedAlarm.all(await registry.messages).map(\.messageID)
        print("[disk full] after recovery: \(all.count) alarm messages received, \(Set(all).count) distinct; delivered_total \(HardeningTests.sample(metrics, "rentguard_outbox_delivered_total" + dest) ?? -1) = rows marked \(delivered.count)")
        #expect(all.count == Set(all).count, "no message sent twice")
        #expect(try #require(f.daemon).log.contains("the outbox store works again"))
        await registry.stop()
    }
}
