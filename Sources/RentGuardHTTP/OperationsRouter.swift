import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import RentGuardCore

/// The operations endpoint's routes on Hummingbird's router (docs/operations.md §5):
///
/// - `GET /healthz` (never needs the token), `GET /readyz`, `GET /metrics`;
/// - `GET /` and `GET /status`: the status page; `GET /favicon.ico`: 204;
/// - under `/api/v1`: the alarms (`OperationsRouter+Alarms.swift`), `GET status`,
///   `GET devices?offline=true`, `GET occupancy`, `GET outbox`, and the ledger
///   (`OperationsRouter+Ledger.swift`).
///
/// In front of them: `JSONErrorMiddleware` (every error a JSON body), `TokenAuthMiddleware`
/// (the token, when there is one), and, around the not-found answer only,
/// `MethodNotAllowedMiddleware` (405 with `Allow` for a known path asked with another method).
struct OperationsRouter: Sendable {
    typealias Context = BasicRequestContext

    let token: String?
    let api: any GatewayAPI
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func build() -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: JSONErrorMiddleware(logger: logger))
        router.add(middleware: TokenAuthMiddleware(token: token, open: ["/healthz"], page: ["/", "/status", "/favicon.ico"]))

        router.get("healthz") { _, _ in await self.health() }
        router.get("readyz") { _, _ in await self.readiness() }
        router.get("metrics") { _, _ in await self.metrics() }
        router.get("/") { _, _ in StatusPage.response() }
        router.get("status") { _, _ in StatusPage.response() }
        router.get("favicon.ico") { _, _ in Response(status: .noContent) }

        let v1 = router.group("api/v1")
        v1.get("status") { _, _ in try Response.json(.ok, await self.api.status()) }
        addAlarmRoutes(to: v1)
        addIncidentRoutes(to: v1)
        v1.get("devices") { request, _ in
            let offline = try Self.flag(request.uri.queryParameters["offline"].map(String.init), name: "offline")
            return try Response.json(.ok, DevicesBody(devices: await self.api.devices(offlineOnly: offline)))
        }
        v1.get("occupancy") { _, _ in try Response.json(.ok, OccupancyBody(units: await self.api.occupancy())) }
        v1.get("outbox") { _, _ in try Response.json(.ok, OutboxBody(destinations: await self.api.outbox())) }
        addLedgerRoutes(to: v1)

        // After every route: it wraps only the answer for a request no route took.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    func health() async -> Response {
        let h = await api.health()
        return Response.json(h.live ? .ok : .serviceUnavailable, .object([("live", .bool(h.live)), ("problems", Self.strings(h.problems))]))
    }

    func readiness() async -> Response {
        let h = await api.health()
        return Response.json(h.ready ? .ok : .serviceUnavailable, .object([("ready", .bool(h.ready)), ("problems", Self.strings(h.problems))]))
    }

    func metrics() async -> Response {
        await api.willScrapeMetrics()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    /// A yes/no query parameter: absent, `0`, `false`, `no` are false; `1`, `true`, `yes` and
    /// the bare name (`?active`) true; anything else 400.
    static func flag(_ value: String?, name: String) throws -> Bool {
        switch value?.lowercased() {
        case nil, "0", "false", "no": return false
        case "", "1", "true", "yes": return true
        default: throw OperationsError(status: .badRequest, message: "\(name) must be true or false")
        }
    }

    /// A path parameter as sent, percent-decoded (`demo%3Asmoke%3A…` is `demo:smoke:…`).
    static func decoded(_ parameter: String?) -> String {
        let raw = parameter ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func strings(_ s: [String]) -> JSONValue { .array(s.map { .string($0) }) }
}

struct DevicesBody: Encodable { var devices: [DeviceStatus] }
struct OccupancyBody: Encodable { var units: [OccupancyRow] }
struct OutboxBody: Encodable { var destinations: [OutboxSummary] }
