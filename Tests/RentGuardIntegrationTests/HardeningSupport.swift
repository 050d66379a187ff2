import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardStore
import RentGuardTesting

/// Helpers for the issue-11 tests: abuse and faults found by probing the release daemon
/// with real brokers, each reproduced with real parts (mosquitto, the daemon binary, its
/// SQLite file, HTTP, a full tmpfs disk, TLS brokers with openssl-made certificates), one
/// file per finding.
enum HardeningTests {
    static func get(_ url: String, timeout: TimeAmount = .seconds(5)) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: timeout)
        let body = try await response.body.collect(upTo: 8 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The value of one Prometheus sample line `name{labels} value`, or nil.
    static func sample(_ body: String, _ series: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Runs the sqlite3 shell on a database file (test setup only: rows the daemon's own
    /// code would never write, or many of them at once).
    static func sqlite(_ db: String, _ sql: String, in dir: TemporaryDirectory) async throws {
        let out = dir.file("sqlite-\(UUID().uuidString.prefix(6)).txt")
        let p = try ChildProcess(executable: "/usr/bin/sqlite3", arguments: [db, sql], outputFile: out)
        let status = await p.wait(timeout: .seconds(60))
        guard status == 0 else { throw TestingError("sqlite3 failed (\(String(describing: status))): \((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")") }
    }

    static func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

extension Store {
    static func fileSizeForTesting(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
