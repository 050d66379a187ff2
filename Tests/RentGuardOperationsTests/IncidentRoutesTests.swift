import Foundation
import RentGuardCore
@testable import RentGuardHTTP
import Testing

/// `/api/v1/incidents` over a real SQLite store behind the real server (issue 25): listing,
/// one incident, and acknowledging an incident as a whole, with its refusals.
struct IncidentRoutesTests {
    static let json = ["Content-Type": "application/json"]

    @Test func incidentsAreListedFetchedAndAcknowledgedAsAWhole() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            // The seeded alarms carry no incident: each is an incident of its own.
            var r = try await httpRequest("GET", port: port, path: "/api/v1/incidents?active=true")
            #expect(r.status == 200)
            let listed = try #require(try r.json()["incidents"]?.arrayValue)
            #expect(listed.count == 2)
            #expect(try r.json()["active_total"] == .number(2))
            #expect(listed.first?["severity"] == .string("critical"), "the most severe first")
            #expect(Set(listed.compactMap { $0["incident_id"]?.stringValue }) == ["inc:\(SeededStore.smokeID)", "inc:\(SeededStore.chineseLocationID)"])

            let smokeIncident = "inc:\(SeededStore.smokeID)"
            let path = "/api/v1/incidents/" + smokeIncident
            r = try await httpRequest("GET", port: port, path: path)
            #expect(r.status == 200)
            #expect(try r.json()["first_alarm"]?["alarm_id"] == .string(SeededStore.smokeID))
            #expect(try r.json()["alarm_ids"] == .array([.string(SeededStore.smokeID)]))
            #expect(try await httpRequest("GET", port: port, path: "/api/v1/incidents/inc%3Anothing").status == 404)

            // Refusals: no `by`, not JSON, no such incident; then accepted, then nothing left.
            #expect(try await httpRequest("POST", port: port, path: path + "/ack", headers: Self.json, body: #"{"note":"x"}"#).status == 400)
            #expect(try await httpRequest("POST", port: port, path: path + "/ack", body: #"{"by":"x"}"#).status == 415)
            #expect(try await httpRequest("POST", port: port, path: "/api/v1/incidents/inc%3Anothing/ack", headers: Self.json, body: #"{"by":"x"}"#).status == 404)
            r = try await httpRequest("POST", port: port, path: path + "/ack", headers: Self.json, body: #"{"by":"Li Wei","note":"on site"}"#)
            #expect(r.status == 202)
            #expect(try r.json()["alarm_ids"] == .array([.string(SeededStore.smokeID)]))
            let stored = try seeded.store.alarm(id: SeededStore.smokeID)
            #expect(stored?.state == .acknowledged)
            r = try await httpRequest("POST", port: port, path: path + "/ack", headers: Self.json, body: #"{"by":"Li Wei"}"#)
            #expect(r.status == 409)
            let cleared = "inc:\(SeededStore.clearedID)"
            #expect(try await httpRequest("POST", port: port, path: "/api/v1/incidents/\(cleared)/ack", headers: Self.json, body: #"{"by":"x"}"#).status == 409)
        }
    }
}
