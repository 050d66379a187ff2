import Hummingbird
import RentGuardCore
import RentGuardLedger
import RentGuardStore

/// The ledger's routes (`GET` only; without a ledger, `LedgerUnavailable`: 501; a period the
/// API cannot read, `APIRequestError`: 400, both through `JSONErrorMiddleware`):
/// - `GET /api/v1/occupancy/history?days=N` (default 30, at most 366): each unit's
///   estimates and bounds over time, for the status page's chart;
/// - `GET /api/v1/reports`: the reports written so far;
/// - `GET /api/v1/reports/FILE`: one written file (`<period>.csv`, `.html`, `.json`);
/// - `GET /api/v1/report?period=P&format=json|csv|html`: a period's report built now.
extension OperationsRouter {
    static let defaultHistoryDays = 30
    static let maxHistoryDays = 366

    func addLedgerRoutes(to v1: RouterGroup<Context>) {
        v1.get("occupancy/history") { request, _ in try await self.occupancyHistory(request) }
        v1.get("reports") { _, _ in try await self.reports() }
        v1.get("reports/:file") { _, context in try await self.reportFile(name: Self.decoded(context.parameters.get("file"))) }
        v1.get("report") { request, _ in try await self.report(request) }
    }

    func occupancyHistory(_ request: Request) async throws -> Response {
        var days = Self.defaultHistoryDays
        if let text = request.uri.queryParameters["days"].map(String.init) {
            guard let d = Int(text), d > 0 else { throw OperationsError(status: .badRequest, message: "days must be a positive integer") }
            days = min(d, Self.maxHistoryDays)
        }
        let rows = try await api.occupancyHistory(days: days)
        var units: [(String, [JSONValue])] = []
        for r in rows {
            let point: JSONValue = .object([
                ("period_start", JSONValue(r.periodStart)), ("period_end", JSONValue(r.periodEnd)),
                ("estimated", .number(r.estimated)), ("low", .number(r.low)), ("high", .number(r.high)),
                ("rolling", r.rolling.map { .number($0) } ?? .null), ("rolling_low", r.rollingLow.map { .number($0) } ?? .null),
                ("rolling_high", r.rollingHigh.map { .number($0) } ?? .null), ("registered", JSONValue(r.registered)),
                ("group_rental_suspected", .bool(r.groupRentalSuspected)),
            ])
            if let i = units.lastIndex(where: { $0.0 == r.unit }) { units[i].1.append(point) } else { units.append((r.unit, [point])) }
        }
        return Response.json(.ok, .object([("days", JSONValue(days)), ("units", .object(units.map { ($0.0, .array($0.1)) }))]))
    }

    func reports() async throws -> Response {
        let list = try await api.reports()
        return Response.json(.ok, .object([("reports", .array(list.map { r in
            .object([
                ("period", .string(r.periodID)), ("period_start", JSONValue(r.periodStart)), ("period_end", JSONValue(r.periodEnd)),
                ("created_at", JSONValue(r.createdAt)), ("message_id", .string(r.messageID)),
                ("files", .array(r.files.map { .string($0) })),
            ])
        }))]))
    }

    func reportFile(name: String) async throws -> Response {
        guard let format = ReportFormat(fileName: name), let bytes = try await api.reportFile(name: name) else {
            throw OperationsError(status: .notFound, message: "no such report file: \(name)")
        }
        return Response.document(bytes, format: format)
    }

    func report(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        guard let format = ReportFormat(rawValue: q["format"].map(String.init) ?? "json") else {
            throw OperationsError(status: .badRequest, message: "format must be json, csv or html")
        }
        let report = try await api.report(period: q["period"].map(String.init))
        return Response.document(Array(report.rendered(format).utf8), format: format)
    }
}
