import Foundation
import RentGuardCore
@testable import RentGuardHTTP
import RentGuardLedger
import RentGuardStore
import RentGuardTesting
import Testing

/// The status page and the ledger routes over a real server (the page in a real browser is
/// RentGuardIntegrationTests.StatusPageBrowserTests).
@Suite(.serialized) struct StatusPageTests {
    @Test func thePageIsServedWholeFromTheBinary() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            for path in ["/", "/status"] {
                let r = try await httpRequest("GET", port: port, path: path)
                #expect(r.status == 200)
                #expect(r.header("content-type") == "text/html; charset=utf-8")
                #expect(r.header("content-security-policy")?.contains("default-src 'none'") == true)
                #expect(r.header("content-security-policy")?.contains("connect-src 'self'") == true)
                #expect(r.body.hasPrefix("<!DOCTYPE html>"))
                // Nothing from elsewhere: no external script, style, font or image (the SVG
                // namespace is a name, never fetched).
                let urls = r.body.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
                #expect(!urls.contains("http://") && !urls.contains("https://") && !urls.contains("//cdn"))
                #expect(!r.body.contains("<script src") && !r.body.contains("<link rel=\"stylesheet\""))
                #expect(r.body.contains("api/v1/alarms") && r.body.contains("setInterval(poll, POLL_MS)"))
            }
            #expect(try await httpRequest("POST", port: port, path: "/").status == 405)
            #expect(try await httpRequest("GET", port: port, path: "/favicon.ico").status == 204)
        }
    }

    @Test func withATokenThePageAsksTheBrowserForIt() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(token: "s3cret-token", api: seeded.api()) { port in
            let none = try await httpRequest("GET", port: port, path: "/")
            #expect(none.status == 401)
            #expect(none.header("www-authenticate")?.hasPrefix("Basic realm=\"rentguardd\"") == true)
            #expect(!none.body.contains("<html"))
            // Any user name, the token as the password: base64("operator:s3cret-token").
            let basic = ["Authorization": "Basic " + Data("operator:s3cret-token".utf8).base64EncodedString()]
            #expect(try await httpRequest("GET", port: port, path: "/", headers: basic).status == 200)
            // The page's own requests carry the same credentials.
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/status", headers: basic).status == 200)
            let wrong = ["Authorization": "Basic " + Data("operator:s3cret-tokeN".utf8).base64EncodedString()]
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/status", headers: wrong).status == 401)
            let empty = ["Authorization": "Basic " + Data("s3cret-token:".utf8).base64EncodedString()]
            #expect(try await httpRequest("GET", port: port, path: "/", headers: empty).status == 401)
            // The API still challenges with Bearer (rentguardctl).
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/status").header("www-authenticate")?.hasPrefix("Bearer") == true)
        }
    }

    @Test func ledgerRoutesWithoutALedgerAnswer501() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            for path in ["/api/v1/reports", "/api/v1/report", "/api/v1/occupancy/history", "/api/v1/reports/x.csv"] {
                let r = try await httpRequest("GET", port: port, path: path)
                #expect(r.status == 501, "\(path)")
            }
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/report?format=pdf").status == 400)
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/reports/..%2Fstore.db").status == 404)
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/occupancy/history?days=-1").status == 400)
            // The occupancy list itself is unchanged.
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/occupancy").status == 200)
        }
    }

    @Test func ledgerRoutesOverAStore() async throws {
        let (dir, store) = try LedgerReportTests.seeded()
        defer { store.close(); dir.remove() }
        let api = LedgerStoreAPI(store: store, directory: dir)
        try await withServer(api: api) { port in
            var r = try await httpRequest("GET", port: port, path: "/api/v1/report?period=2026-03-05&format=csv")
            #expect(r.status == 200)
            #expect(r.header("content-type") == "text/csv; charset=utf-8")
            #expect(r.body.contains("2026-03-01 – 2026-03-09") && r.body.contains(",fire,"))
            r = try await httpRequest("GET", port: port, path: "/api/v1/report?period=2026-03-05&format=html")
            #expect(r.header("content-type") == "text/html; charset=utf-8" && r.body.contains("消防安全台账"))
            r = try await httpRequest("GET", port: port, path: "/api/v1/report?period=2026-03-05")
            #expect(try r.json()["period"]?["id"]?.stringValue == "2026-03-01_2026-03-09")
            r = try await httpRequest("GET", port: port, path: "/api/v1/report?period=soon")
            #expect(r.status == 400)
            r = try await httpRequest("GET", port: port, path: "/api/v1/occupancy/history?days=3650")
            let points = try r.json()["units"]?["201"]?.arrayValue ?? []
            #expect(points.count == 4)
            #expect(points.first?["group_rental_suspected"]?.boolValue == false)
            #expect(try r.json()["days"]?.doubleValue == 366)
            try "a,b\r\n".write(toFile: dir.file("2026-03-01_2026-03-09.csv"), atomically: true, encoding: .utf8)
            r = try await httpRequest("GET", port: port, path: "/api/v1/reports/2026-03-01_2026-03-09.csv")
            #expect(r.status == 200 && r.body == "a,b\r\n")
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/reports/2026-03-10_2026-03-19.csv").status == 404)
        }
    }
}

/// `SeededStore`'s API plus the ledger's routes over the same kind of store.
final class LedgerStoreAPI: GatewayAPI {
    let store: Store
    let directory: TemporaryDirectory
    let inner: StoreGatewayAPI

    init(store: Store, directory: TemporaryDirectory) {
        self.store = store
        self.directory = directory
        inner = StoreGatewayAPI(store: store)
    }

    func status() async -> GatewayStatus { await inner.status() }
    func alarms(activeOnly: Bool, limit: Int) async throws -> [Alarm] { try await inner.alarms(activeOnly: activeOnly, limit: limit) }
    func acknowledge(alarmID: String, by: String, note: String?) async throws -> AcknowledgeResult {
        try await inner.acknowledge(alarmID: alarmID, by: by, note: note)
    }
    func devices(offlineOnly: Bool) async throws -> [DeviceStatus] { try await inner.devices(offlineOnly: offlineOnly) }
    func occupancy() async throws -> [OccupancyRow] { try await inner.occupancy() }
    func outbox() async throws -> [OutboxSummary] { try await inner.outbox() }
    func health() async -> HealthReport { await inner.health() }

    func occupancyHistory(days: Int) async throws -> [Store.OccupancyHistoryRow] {
        try store.occupancyHistory(endingAfter: LedgerReportTests.end + 30 * 86_400_000 - Int64(days) * 86_400_000, upTo: .max)
    }
    func reports() async throws -> [Store.ReportRow] { try store.reports() }
    func reportFile(name: String) async throws -> [UInt8]? {
        guard ReportFormat(fileName: name) != nil else { return nil }
        return FileManager.default.contents(atPath: directory.file(name)).map { [UInt8]($0) }
    }
    func report(period: String?) async throws -> LedgerReport {
        guard let p = ReportPeriod(parsing: period ?? "", endDays: [9, 19]) else { throw APIRequestError("bad period") }
        return try LedgerReport.build(config: LedgerReportTests.config, period: p, store: store, devices: [:], offline: [], generatedAt: 0)
    }
}
