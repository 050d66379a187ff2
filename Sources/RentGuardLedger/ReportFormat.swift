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
