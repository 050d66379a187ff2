import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 11 item 1: a damaged database file, and a service that fails at start.
@Suite(.serialized)
struct CorruptDatabaseTests {
    typealias H = HardeningTests

    // MARK: 1. A corrupt database

    /// 64 KiB of garbage in the middle of rentguard.db: the daemon used to hang for good
    /// (restoring alarms failed, SIGTERM ignored). Now: an error line naming the file, the
    /// file kept aside, a fresh database, a `gateway_fault` alarm to the registry, and a
    /// daemon that runs and stops normally.
    @Test func corruptDatabaseIsMovedAsideAndRaisesAGatewayFault() async throws {
        let f = try await DaemonFixture(clearHoldSeconds: 30)
        defer { Task { await f.shutdown() } }
        let registry = try await TestSubscriber(port: f.registry.port, filter: "registry/testb/alarms")
        try await f.startDaemon()
        try await f.smoke("SD-1", alarm: true)
        _ = await registry.waitFor { ForwardedAlarm.all($0).contains { $0.type == "smoke" } }
        await f.daemon?.stop()
        let db = f.directory.file("state") + "/" + Store.fileName
        let size = Store.fileSizeForTesting(db)
        try #require(size >= 4096 + 65536 + 4096, "database only \(size) bytes")
        let h = try #require(FileHandle(forWritingAtPath: db))
        var rng = SystemRandomNumberGenerator()
        try h.seek(toOffset: 4096)
        try h.write(contentsOf: Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        try h.close()

        try await f.startDaemon()
        let d = try #require(f.daemon)
        #expect(d.log.contains("ERROR") && d.log.contains("the database is corrupt"), "log:\n\(d.log)")
        #expect(d.log.contains("path=\(db)"))
        let files = try FileManager.default.contentsOfDirectory(atPath: f.directory.file("state"))
        let kept = files.filter { $0.hasPrefix(Store.fileName + ".corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(kept.count == 1, "files: \(files)")
        if let k = kept.first {
            #expect(Store.fileSizeForTesting(f.directory.file("state") + "/" + k) == size)
            #expect(d.log.contains("moved_to=\(f.directory.file("state"))/\(k)"))
        }
        // A generous bound: on a loaded machine the first registry connection may wait out a
        // reconnect backoff; the row waits in the outbox meanwhile.
        let faults = ForwardedAlarm.all(await registry.waitFor(timeout: .seconds(30)) { ForwardedAlarm.all($0).contains { $0.type == "gateway_fault" } })
            .filter { $0.type == "gateway_fault" }
        #expect(faults.count == 1, "no gateway_fault at the registry; daemon log:\n\(d.log)")
        #expect(faults.first?.json["severity"]?.stringValue == "major")
        #expect(faults.first?.json["evidence"]?["fault"]?.stringValue == "database_corrupt")
        #expect(try await H.get(f.httpURL + "/healthz").status == 200)
        // It still works, and stops on SIGTERM.
        try await f.smoke("SD-2", alarm: true)
        #expect(!(await registry.waitFor { ForwardedAlarm.all($0).contains { $0.type == "smoke" && $0.device == "SD-2" } }).isEmpty)
        d.signal(SIGTERM)
        #expect(await d.waitForExit(timeout: .seconds(20)) == 0)
        await registry.stop()
    }

    /// A 0-byte database file is replaced by a fresh one, and the log says so.
    @Test func emptyDatabaseFileIsReportedInTheLog() async throws {
        let f = try await DaemonFixture()
        defer { Task { await f.shutdown() } }
        try FileManager.default.createDirectory(atPath: f.directory.file("state"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: f.directory.file("state") + "/" + Store.fileName, contents: Data()))
        try await f.startDaemon()
        let log = try #require(f.daemon).log
        #expect(log.contains("ERROR") && log.contains("the database file is empty (0 bytes)"), "log:\n\(log)")
    }

    /// One service failing at start (the pipeline cannot read an alarm row) used to leave the
    /// daemon hanging with its HTTP port open. Now it exits non-zero, so systemd restarts it.
    @Test func aServiceFailingAtStartMakesTheDaemonExitNonZero() async throws {
        let f = try await DaemonFixture()
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        await f.daemon?.stop()
        let db = f.directory.file("state") + "/" + Store.fileName
        try await H.sqlite(db, "INSERT INTO alarms VALUES('bad:1','smoke','SD-1',NULL,'101','bogus','raised',NULL,1,1,'{}','[]',0,1,NULL);", in: f.directory)
        let d = try DaemonProcess(
            arguments: ["--config", f.configPath, "--http-listen", "127.0.0.1:\(f.httpPort)"], logFile: f.directory.file("fail.log"))
        f.daemon = d
        let status = await d.waitForExit(timeout: .seconds(30))
        #expect(status == 1, "exit status \(String(describing: status)); log:\n\(d.log)")
        #expect(d.log.contains("CRITICAL") && d.log.contains("unknown severity 'bogus'"))
    }
}
