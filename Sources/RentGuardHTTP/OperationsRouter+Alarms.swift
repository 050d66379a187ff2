import Foundation
import Hummingbird
import NIOCore
import RentGuardCore

/// The alarms' routes:
/// - `GET /api/v1/alarms?active=true&limit=N` (default 100, at most 1000): newest first,
///   with the exact active totals by severity;
/// - `POST /api/v1/alarms/{id}/ack` with a JSON body `{"by": "…", "note": "…"}` (at most
///   16 KiB): 202, or 404 (no such alarm), 409 (already acknowledged or cleared), 400, 413, 415.
extension OperationsRouter {
    static let maxBodyBytes = 16 * 1024
    static let defaultAlarmLimit = 100
    static let maxAlarmLimit = 1000

    func addAlarmRoutes(to v1: RouterGroup<Context>) {
        v1.get("alarms") { request, _ in try await self.alarms(request) }
        v1.post("alarms/:id/ack") { request, context in
            try await self.acknowledge(alarmID: Self.decoded(context.parameters.get("id")), request: request)
        }
    }

    func alarms(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let active = try Self.flag(q["active"].map(String.init), name: "active")
        let limit = try Self.limit(q["limit"].map(String.init))
        let alarms = try await api.alarms(activeOnly: active, limit: limit)
        var body: [(String, JSONValue)] = [("alarms", .array(alarms.map(AlarmJSON.encode)))]
        // The exact totals, so that a client showing `limit` rows can say how many it left out.
        if let counts = try await api.activeAlarmCounts() {
            let ordered = Severity.allCases.sorted(by: >).map { ($0.rawValue, JSONValue(counts[$0] ?? 0)) }
            body.append(("active_counts", .object(ordered)))
            body.append(("active_total", JSONValue(counts.values.reduce(0, +))))
        }
        return Response.json(.ok, .object(body))
    }

    func acknowledge(alarmID: String, request: Request) async throws -> Response {
        guard !alarmID.isEmpty else { throw OperationsError(status: .badRequest, message: "missing alarm id") }
        let (by, note) = try await Self.acknowledgement(request)
        let result = try await api.acknowledge(alarmID: alarmID, by: by, note: note)
        logger.notice("alarm acknowledgement", metadata: ["alarm_id": "\(alarmID)", "by": "\(by)", "result": "\(result.rawValue)"])
        switch result {
        case .accepted:
            return Response.json(
                .accepted, .object([("alarm_id", .string(alarmID)), ("result", .string(result.rawValue)), ("by", .string(by))]))
        case .notFound:
            throw OperationsError(status: .notFound, message: "no alarm \(alarmID)")
        case .alreadyAcknowledged:
            throw OperationsError(status: .conflict, message: "alarm \(alarmID) is already acknowledged")
        case .cleared:
            throw OperationsError(status: .conflict, message: "alarm \(alarmID) is cleared")
        }
    }

    /// An acknowledgement's body, `{"by": "…", "note": "…"}`, checked.
    static func acknowledgement(_ request: Request) async throws -> (by: String, note: String?) {
        // JSON only: a browser cannot send it cross-site without a CORS preflight, which this
        // server never grants, so a web page cannot acknowledge alarms behind the operator's back.
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw OperationsError(status: .unsupportedMediaType, message: "the body must be JSON (Content-Type: application/json)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw OperationsError(status: .contentTooLarge, message: "request body larger than \(Self.maxBodyBytes) bytes")
        }
        let body: JSONValue
        do {
            body = try JSONParser.parse(Array(buffer.readableBytesView), maxDepth: 4)
        } catch {
            throw OperationsError(status: .badRequest, message: "the body must be a JSON object {\"by\": \"…\", \"note\": \"…\"}: \(error)")
        }
        guard case .object = body else {
            throw OperationsError(status: .badRequest, message: "the body must be a JSON object {\"by\": \"…\", \"note\": \"…\"}")
        }
        guard let by = body["by"]?.stringValue?.trimmingCharacters(in: .whitespaces), !by.isEmpty else {
            throw OperationsError(status: .badRequest, message: "\"by\" (who acknowledges) is required")
        }
        guard by.count <= 64, !by.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw OperationsError(status: .badRequest, message: "\"by\" must be one line of at most 64 characters")
        }
        var note: String?
        switch body["note"] {
        case nil, .null?: note = nil
        case let .string(s)?:
            guard s.count <= 500 else { throw OperationsError(status: .badRequest, message: "\"note\" is limited to 500 characters") }
            note = s.isEmpty ? nil : s
        default:
            throw OperationsError(status: .badRequest, message: "\"note\" must be a string")
        }
        return (by, note)
    }

    /// `?limit=N`: a positive integer, capped at `maxAlarmLimit`; `defaultAlarmLimit` without it.
    static func limit(_ value: String?) throws -> Int {
        guard let value else { return defaultAlarmLimit }
        guard let n = Int(value), n > 0 else { throw OperationsError(status: .badRequest, message: "limit must be a positive integer") }
        return min(n, maxAlarmLimit)
    }
}
