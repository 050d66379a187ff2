import Foundation
import RentGuardCore
@testable import RentGuardHTTP
import RentGuardStore
import RentGuardTesting
import Testing

/// What the operations endpoint keeps on Hummingbird's router that the router does not do by
/// itself: 405 with `Allow` for a known path asked with another method (the router answers 404),
/// the token's challenges and their order before the method check, percent-decoded path
/// parameters, and every error as a JSON body.
@Suite(.serialized) struct OperationsRouterTests {
    /// Each route and the one method it answers.
    static let routes: [(method: String, path: String)] = [
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/"), ("GET", "/status"), ("GET", "/favicon.ico"),
        ("GET", "/api/v1/status"), ("GET", "/api/v1/alarms"), ("POST", "/api/v1/alarms/x/ack"), ("GET", "/api/v1/devices"),
        ("GET", "/api/v1/occupancy"), ("GET", "/api/v1/outbox"), ("GET", "/api/v1/occupancy/history"), ("GET", "/api/v1/reports"),
        ("GET", "/api/v1/reports/x.csv"), ("GET", "/api/v1/report"),
    ]

    @Test func aKnownPathAskedWithAnotherMethodIs405NamingItsMethod() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            for route in Self.routes {
                for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"] where method != route.method {
                    let r = try await httpRequest(method, port: port, path: route.path)
                    #expect(r.status == 405, "\(method) \(route.path)")
                    #expect(r.header("allow") == route.method, "\(method) \(route.path)")
                    #expect(r.header("content-type") == "application/json; charset=utf-8", "\(method) \(route.path)")
                    if method != "HEAD" {
                        #expect(try r.json()["error"] == .string("\(method) is not allowed here"), "\(method) \(route.path)")
                    }
                }
            }
            // The same path however its slashes are written.
            for path in ["/healthz/", "//healthz", "/api//v1/alarms/", "/status/"] {
                let r = try await httpRequest("DELETE", port: port, path: path)
                #expect(r.status == 405, "\(path)")
            }
            // An unknown path stays 404 whatever the method, with the path in the message.
            for path in ["/api/v2/status", "/api/v1/alarms/x", "/api/v1/alarms/x/ack/y", "/api/v1/reports/a/b", "/API/v1/status"] {
                for method in ["GET", "POST", "DELETE"] {
                    let r = try await httpRequest(method, port: port, path: path)
                    #expect(r.status == 404, "\(method) \(path)")
                    #expect(r.header("allow") == nil, "\(method) \(path)")
                    #expect(try r.json()["error"] == .string("no such endpoint: \(path)"), "\(method) \(path)")
                }
            }
        }
    }

    @Test func withATokenEachPathIsChallengedBeforeItsMethodIsChecked() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let bearer = ["Authorization": "Bearer s3cret-token"]
        let basic = ["Authorization": "Basic " + Data("operator:s3cret-token".utf8).base64EncodedString()]
        try await withServer(token: "s3cret-token", api: seeded.api()) { port in
            // /healthz is open, for its method check too.
            for path in ["/healthz", "//healthz/"] {
                #expect(try await httpRequest("GET", port: port, path: path).status == 200, "\(path)")
                let r = try await httpRequest("POST", port: port, path: path)
                #expect(r.status == 405 && r.header("allow") == "GET" && r.header("www-authenticate") == nil, "\(path)")
            }
            // The status page asks the browser (Basic), whatever the method; with the token, the method is checked.
            for path in ["/", "/status", "/favicon.ico"] {
                for method in ["GET", "POST"] {
                    let r = try await httpRequest(method, port: port, path: path)
                    #expect(r.status == 401, "\(method) \(path)")
                    #expect(r.header("www-authenticate") == "Basic realm=\"rentguardd\", charset=\"UTF-8\"", "\(method) \(path)")
                    #expect(try r.json()["error"] == .string("a bearer token is required"), "\(method) \(path)")
                }
                #expect(try await httpRequest("POST", port: port, path: path, headers: basic).status == 405, "\(path)")
            }
            // Everything else, known or not, challenges with Bearer before its method or its existence is told.
            for path in ["/metrics", "/readyz", "/api/v1/status", "/api/v1/alarms", "/api/v1/alarms/x/ack", "/api/v1/reports/x.csv", "/nonexistent"] {
                for method in ["GET", "POST", "DELETE"] {
                    let none = try await httpRequest(method, port: port, path: path)
                    #expect(none.status == 401, "\(method) \(path)")
                    #expect(none.header("www-authenticate") == "Bearer realm=\"rentguardd\"", "\(method) \(path)")
                    #expect(try none.json()["error"] == .string("a bearer token is required"), "\(method) \(path)")
                    let wrong = try await httpRequest(method, port: port, path: path, headers: ["Authorization": "Bearer s3cret-tokeN"])
                    #expect(wrong.status == 401, "\(method) \(path)")
                    #expect(try wrong.json()["error"] == .string("invalid token"), "\(method) \(path)")
                }
            }
            var r = try await httpRequest("DELETE", port: port, path: "/api/v1/alarms", headers: bearer)
            #expect(r.status == 405 && r.header("allow") == "GET")
            r = try await httpRequest("GET", port: port, path: "/api/v1/alarms/x/ack", headers: basic)
            #expect(r.status == 405 && r.header("allow") == "POST")
            r = try await httpRequest("GET", port: port, path: "/nonexistent", headers: bearer)
            #expect(r.status == 404)
            #expect(try r.json()["error"] == .string("no such endpoint: /nonexistent"))
        }
    }

    @Test func pathParametersArePercentDecoded() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            let json = ["Content-Type": "application/json"]
            var r = try await httpRequest("POST", port: port, path: "/api/v1/alarms/a%2Fb/ack", headers: json, body: #"{"by":"x"}"#)
            #expect(r.status == 404)
            #expect(try r.json()["error"] == .string("no alarm a/b"))
            let encoded = SeededStore.smokeID.replacingOccurrences(of: ":", with: "%3A")
            r = try await httpRequest("POST", port: port, path: "/api/v1/alarms/\(encoded)/ack", headers: json, body: #"{"by":"x"}"#)
            #expect(r.status == 202)
            #expect(try r.json()["alarm_id"] == .string(SeededStore.smokeID))
            // A file name never becomes a path.
            r = try await httpRequest("GET", port: port, path: "/api/v1/reports/..%2Fstore.db")
            #expect(r.status == 404)
            #expect(try r.json()["error"] == .string("no such report file: ../store.db"))
        }
    }

    @Test func anAcknowledgementBodyOver16KiBIs413() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            let body = #"{"by":"x","note":""# + String(repeating: "n", count: 16 * 1024) + #""}"#
            let r = try await httpRequest(
                "POST", port: port, path: "/api/v1/alarms/\(SeededStore.smokeID)/ack", headers: ["Content-Type": "application/json"], body: body)
            #expect(r.status == 413)
            #expect(try r.json()["error"] == .string("request body larger than 16384 bytes"))
            #expect(try seeded.store.alarm(id: SeededStore.smokeID)?.state == .raised)
        }
    }

    @Test func anUnexpectedErrorIsA500WithAJSONBodyAndLogged() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let logs = CapturedLogs()
        try await withServer(api: FailingAlarmsAPI(inner: seeded.api()), logger: logs.logger()) { port in
            let r = try await httpRequest("GET", port: port, path: "/api/v1/alarms")
            #expect(r.status == 500)
            #expect(r.header("content-type") == "application/json; charset=utf-8")
            #expect(try r.json()["error"] == .string("internal error: the disk is on fire"))
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/status").status == 200)
        }
        #expect(logs.messages(containing: "operations request failed").first?.metadata.contains("path=/api/v1/alarms") == true)
    }
}

/// `StoreGatewayAPI` whose alarm list fails.
struct FailingAlarmsAPI: GatewayAPI {
    struct Failure: Error, CustomStringConvertible { var description: String { "the disk is on fire" } }
    let inner: StoreGatewayAPI

    func status() async -> GatewayStatus { await inner.status() }
    func alarms(activeOnly: Bool, limit: Int) async throws -> [Alarm] { throw Failure() }
    func acknowledge(alarmID: String, by: String, note: String?) async throws -> AcknowledgeResult {
        try await inner.acknowledge(alarmID: alarmID, by: by, note: note)
    }
    func devices(offlineOnly: Bool) async throws -> [DeviceStatus] { try await inner.devices(offlineOnly: offlineOnly) }
    func occupancy() async throws -> [OccupancyRow] { try await inner.occupancy() }
    func outbox() async throws -> [OutboxSummary] { try await inner.outbox() }
    func health() async -> HealthReport { await inner.health() }
}
