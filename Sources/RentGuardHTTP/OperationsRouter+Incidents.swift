import Hummingbird
import RentGuardCore

/// The incidents' routes (issue 25: one fire, one incident):
/// - `GET /api/v1/incidents?active=true&limit=N` (default 100, at most 1000): incidents with
///   their first alarm, worst severity, devices and timeline, active ones most severe first;
/// - `GET /api/v1/incidents/{id}`: one incident, 404 when there is none;
/// - `POST /api/v1/incidents/{id}/ack` with `{"by": "…", "note": "…"}`: acknowledges every
///   active member not yet acknowledged (each an `acknowledged` transition to the registry):
///   202 with the alarm ids, 404 (no such incident), 409 (nothing left to acknowledge).
extension OperationsRouter {
    func addIncidentRoutes(to v1: RouterGroup<Context>) {
        v1.get("incidents") { request, _ in
            let q = request.uri.queryParameters
            let active = try Self.flag(q["active"].map(String.init), name: "active")
            let limit = try Self.limit(q["limit"].map(String.init))
            let incidents = try await self.api.incidents(activeOnly: active, limit: limit)
            return Response.json(.ok, .object([
                ("incidents", .array(incidents.map(\.json))),
                ("active_total", JSONValue(incidents.filter(\.isActive).count)),
            ]))
        }
        v1.get("incidents/:id") { _, context in
            let id = Self.decoded(context.parameters.get("id"))
            guard let incident = try await self.api.incident(id: id) else {
                throw OperationsError(status: .notFound, message: "no incident \(id)")
            }
            return Response.json(.ok, incident.json)
        }
        v1.post("incidents/:id/ack") { request, context in
            try await self.acknowledge(incidentID: Self.decoded(context.parameters.get("id")), request: request)
        }
    }

    func acknowledge(incidentID: String, request: Request) async throws -> Response {
        guard !incidentID.isEmpty else { throw OperationsError(status: .badRequest, message: "missing incident id") }
        let (by, note) = try await Self.acknowledgement(request)
        guard let incident = try await api.incident(id: incidentID) else {
            throw OperationsError(status: .notFound, message: "no incident \(incidentID)")
        }
        var accepted: [String] = []
        for a in incident.members where a.isActive && a.state != .acknowledged {
            if try await api.acknowledge(alarmID: a.id, by: by, note: note) == .accepted { accepted.append(a.id) }
        }
        logger.notice("incident acknowledgement", metadata: [
            "incident_id": "\(incidentID)", "by": "\(by)", "alarms": "\(accepted.count)",
        ])
        guard !accepted.isEmpty else {
            throw OperationsError(status: .conflict, message: "incident \(incidentID) has no active alarm left to acknowledge")
        }
        return Response.json(.accepted, .object([
            ("incident_id", .string(incidentID)), ("result", "accepted"), ("by", .string(by)),
            ("alarm_ids", .array(accepted.map { .string($0) })),
        ]))
    }
}
