import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import RentGuardCore
import RentGuardStore

/// The ledger's routes:
/// - `GET /api/v1/occupancy/history?days=N` (default 30, at most 366): each unit's
///   estimates and bounds over time, for the status page's chart;
/// - `GET /api/v1/reports`: the reports written so far;
/// - `GET /api/v1/reports/FILE`: one written file (`<period>.csv`, `.html`, `.json`);
/// - `GET /api/v1/report?period=P&format=json|csv|html`: a period's report built now.
extension OperationsResponder {
    static let maxHistoryDays = 366

    func ledger(_ s: [String], request: Request) async throws -> Response {
        do {
            return try await ledgerRoute(s, request: request)
        } catch let e as APIRequestError {
            throw Failure(status: .badRequest, message: e.message)
        } catch let e as LedgerUnavailable {
            throw Failure(status: .notImplemented, message: e.description)
        }
    }

    func ledgerRoute(_ s: [String], request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        switch s {
        case ["api", "v1", "occupancy", "history"]:
            var days = 30
            if let text = q["days"].map(String.init) {
                guard let d = Int(text), d > 0 else { throw Failure(status: .badRequest, message: "days must be a positive integer") }
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
            return Self.json(.ok, .object([("days", JSONValue(days)), ("units", .object(units.map { ($0.0, .array($0.1)) }))]))
        case ["api", "v1", "reports"]:
            let list = try await api.reports()
            return Self.json(.ok, .object([("reports", .array(list.map { r in
                .object([
                    ("period", .string(r.periodID)), ("period_start", JSONValue(r.periodStart)), ("period_end", JSONValue(r.periodEnd)),
                    ("created_at", JSONValue(r.createdAt)), ("message_id", .string(r.messageID)),
                    ("files", .array(r.files.map { .string($0) })),
                ])
            }))]))
        case let s where s.count == 4 && s[2] == "reports":
            let name = s[3]
            guard let format = ReportFormat(fileName: name) else {
                throw Failure(status: .notFound, message: "no such report file: \(name)")
            }
            guard let bytes = try await api.reportFile(name: name) else {
                throw Failure(status: .notFound, message: "no such report file: \(name)")
            }
            return Self.document(bytes, format: format)
        case ["api", "v1", "report"]:
            let formatText = q["format"].map(String.init) ?? "json"
            guard let format = ReportFormat(rawValue: formatText) else {
                throw Failure(status: .badRequest, message: "format must be json, csv or html")
            }
            let report = try await api.report(period: q["period"].map(String.init))
            return Self.document(Array(report.rendered(format).utf8), format: format)
        default:
            throw Failure(status: .notFound, message: "no such endpoint: \(request.uri.path)")
        }
    }

    static func document(_ bytes: [UInt8], format: ReportFormat) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// How a ledger report is written.
public enum ReportFormat: String, Sendable, CaseIterable {
    case json, csv, html

    public var contentType: String {
        switch self {
        case .json: return "application/json; charset=utf-8"
        case .csv: return "text/csv; charset=utf-8"
        case .html: return "text/html; charset=utf-8"
        }
    }

    /// `2026-03-01_2026-03-09.csv` → csv; nil for any other shape (no paths).
    public init?(fileName: String) {
        guard !fileName.contains("/"), !fileName.hasPrefix("."), let dot = fileName.lastIndex(of: ".") else { return nil }
        self.init(rawValue: String(fileName[fileName.index(after: dot)...]))
    }
}

extension LedgerReport {
    /// The report in `format`.
    public func rendered(_ format: ReportFormat) -> String {
        switch format {
        case .json: return json().serialized() + "\n"
        case .csv: return csv()
        case .html: return html()
        }
    }
}
