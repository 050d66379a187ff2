import Foundation
import RentGuardCore
import RentGuardHTTP
import RentGuardLedger
import RentGuardStore

/// The ledger's part of the operator's API: the occupancy chart, the reports written by
/// `ReportService`, and a period's report built on request (`rentguardctl report`).
extension DaemonAPI {
    /// Event time on the event clock (the live device ledger's), else the gateway's clock (the
    /// ledger's "now" is the wall clock of the pipeline's last tick, at most a second old).
    var ledgerNow: Int64 {
        let census = devices.census(configuration.current).now
        return census > 0 ? census : clock.nowMs()
    }

    func occupancyHistory(days: Int) async throws -> [Store.OccupancyHistoryRow] {
        try store.occupancyHistory(endingAfter: ledgerNow - Int64(days) * 86_400_000, upTo: Int64.max)
    }

    func reports() async throws -> [Store.ReportRow] {
        try store.reports()
    }

    func reportFile(name: String) async throws -> [UInt8]? {
        guard ReportFormat(fileName: name) != nil else { return nil }
        let url = ReportService.directory(configuration.current).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return [UInt8](data)
    }

    func report(period text: String?) async throws -> LedgerReport {
        let config = configuration.current
        let zone = config.gateway.zone
        let ends = config.reports.periodEndDays
        let now = ledgerNow
        let period: ReportPeriod
        switch text?.lowercased() {
        case nil, "", "last", "previous":
            period = ReportPeriod(containing: now, zone: zone, endDays: ends).previous(endDays: ends)
        case "current":
            period = ReportPeriod(containing: now, zone: zone, endDays: ends)
        default:
            guard let p = ReportPeriod(parsing: text!, endDays: ends) else {
                throw APIRequestError("period must be YYYY-MM-DD (the period holding that day), YYYY-MM-DD_YYYY-MM-DD, current or last; found '\(text!)'")
            }
            guard p.last.dayNumber - p.first.dayNumber < 366 else { throw APIRequestError("a report covers at most 366 days") }
            period = p
        }
        let census = devices.census(config)
        return try LedgerReport.build(
            config: config, period: period, store: store, devices: devices.rows, offline: census.offlineIDs, generatedAt: now)
    }
}
