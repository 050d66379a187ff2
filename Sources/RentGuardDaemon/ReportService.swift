import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif
import RentGuardCore
import RentGuardForwarding
import RentGuardHTTP
import RentGuardLedger
import RentGuardStore
import ServiceLifecycle

/// The ledger (台账): keeps each unit's occupancy estimates over time, and when a report
/// period closes (`reports.period_end_days`, local time of `gateway.timezone`) writes its
/// report as CSV, HTML and JSON under `<state_dir>/reports/` and queues it to the registry
/// as a `report` message through the outbox, in one transaction with its record.
///
/// "Now" is the gateway's clock, or on the event clock the newest device time (the live
/// device ledger's), so a replayed month writes its reports as its days pass. The first
/// period reported is the one of the earliest alarm or estimate in the store when the
/// service first runs (at most two months back), else the current one
/// (`ledger.reports_since`); periods missed while the daemon was stopped are written when it
/// runs again.
public struct ReportService: Service {
    /// Read at each step: a reload's units, devices and report settings apply from the next one.
    let configuration: RunningConfiguration
    let store: Store
    let health: GatewayHealth
    let devices: DeviceLedger
    let routing: Routing
    let clock: any GatewayClock
    let eventClock: Bool
    let interval: Duration
    let logger: Logger

    static let sinceKey = "ledger.reports_since"
    static let cursorKey = "ledger.occupancy_outbox_cursor"
    /// How far back the first run reaches for data already in the store (an upgraded gateway).
    static let maxBackfillMs: Int64 = 62 * 86_400_000

    public init(
        configuration: RunningConfiguration, store: Store, health: GatewayHealth, devices: DeviceLedger, routing: Routing,
        clock: any GatewayClock, eventClock: Bool, interval: Duration = .seconds(1), logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.health = health
        self.devices = devices
        self.routing = routing
        self.clock = clock
        self.eventClock = eventClock
        self.interval = interval
        self.logger = logger
    }

    /// The reports' directory.
    public static func directory(_ config: BuildingConfig) -> URL {
        URL(fileURLWithPath: config.storage.stateDir).appendingPathComponent("reports")
    }

    /// The time the ledger runs on: event time on the event clock (0 before the first
    /// device message), else the gateway's clock.
    static func referenceNow(devices: DeviceLedger, config: BuildingConfig, clock: any GatewayClock, eventClock: Bool) -> Int64 {
        eventClock ? devices.census(config).now : clock.nowMs()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var state = State()
            while !Task.isCancelled {
                self.step(&state)
                do { try await Task.sleep(for: self.interval) } catch { break }
            }
            // The last estimates seen before stopping.
            self.collectOccupancy(&state)
        }
    }

    struct State {
        var seen: Set<String> = []
        var cursor: Int64?
        var next: ReportPeriod?
        var failures = 0
    }

    func step(_ state: inout State) {
        collectOccupancy(&state)
        let config = configuration.current
        guard config.reports.enabled else { return }
        let now = Self.referenceNow(devices: devices, config: config, clock: clock, eventClock: eventClock)
        guard now > 0 else { return }
        writeDue(now: now, config: config, state: &state)
    }

    /// Copies new occupancy estimates into `occupancy_history`: the live snapshot's latest
    /// per unit, and every estimate the pipeline queued to the outbox (several can close in
    /// one batch of a fast replay).
    func collectOccupancy(_ state: inout State) {
        do {
            var rows: [Store.OccupancyHistoryRow] = []
            for e in health.snapshot.occupancy.values where !state.seen.contains("\(e.unit)\u{1}\(e.periodStart)") {
                rows.append(.init(e))
            }
            var cursor: Int64
            if let c = state.cursor {
                cursor = c
            } else {
                cursor = try store.value(forKey: Self.cursorKey).flatMap { Int64($0) } ?? 0
            }
            let start = cursor
            while true {
                let batch = try store.outboxRows(kind: "occupancy", afterRowID: cursor, limit: 500)
                for (id, payload) in batch {
                    cursor = max(cursor, id)
                    guard let body = try? JSONParser.parse(payload, maxDepth: 64), let row = Store.OccupancyHistoryRow(registryBody: body),
                        !state.seen.contains("\(row.unit)\u{1}\(row.periodStart)")
                    else { continue }
                    rows.append(row)
                }
                if batch.count < 500 { break }
            }
            var unique: [String: Store.OccupancyHistoryRow] = [:]
            for r in rows { unique["\(r.unit)\u{1}\(r.periodStart)"] = r }
            try store.recordOccupancy(Array(unique.values))
            for k in unique.keys { state.seen.insert(k) }
            if cursor != start { try store.setValue(String(cursor), forKey: Self.cursorKey, at: clock.nowMs()) }
            state.cursor = cursor
        } catch {
            logger.error("cannot record occupancy estimates for the ledger", metadata: ["error": "\(error)"])
        }
    }

    func writeDue(now: Int64, config: BuildingConfig, state: inout State) {
        let zone = config.gateway.zone
        let ends = config.reports.periodEndDays
        do {
            var period: ReportPeriod
            if let next = state.next {
                period = next
            } else if let text = try store.value(forKey: Self.sinceKey), let ms = Int64(text) {
                period = ReportPeriod(containing: ms, zone: zone, endDays: ends)
                // Skip what is already written.
                let done = Set(try store.reports().map(\.periodID))
                while done.contains(period.id), period.end(in: zone) <= now { period = period.next(endDays: ends) }
            } else {
                // The first run: from the period of the earliest data (a replay on the event
                // clock may be days ahead by the first look), at most two months back.
                let earliest = try store.earliestLedgerTime() ?? now
                let first = max(min(now, earliest), now - Self.maxBackfillMs)
                period = ReportPeriod(containing: first, zone: zone, endDays: ends)
                try store.setValue(String(period.start(in: zone)), forKey: Self.sinceKey, at: clock.nowMs())
                logger.info("ledger reports start", metadata: ["first_period": "\(period.id)"])
            }
            while period.end(in: zone) <= now {
                try write(period, now: now, config: config)
                period = period.next(endDays: ends)
            }
            state.next = period
            state.failures = 0
        } catch {
            state.failures += 1
            if state.failures == 1 || state.failures % 60 == 0 {
                logger.error("cannot write a ledger report; retrying", metadata: ["error": "\(error)", "failures": "\(state.failures)"])
            }
        }
    }

    /// Builds, writes and queues the report of one closed period.
    func write(_ period: ReportPeriod, now: Int64, config: BuildingConfig) throws {
        let census = devices.census(config)
        let report = try LedgerReport.build(
            config: config, period: period, store: store, devices: devices.rows, offline: census.offlineIDs, generatedAt: now)
        let files = try Self.writeFiles(report, directory: Self.directory(config))
        let message = report.registryMessage()
        let payload = message.body.serialized()
        let rows = routing.current.registryDestinations.map {
            NewOutboxMessage(
                messageID: message.messageID, destination: $0, kind: message.kind, priority: message.priority,
                orderKey: message.orderKey, payload: payload, createdAt: clock.nowMs())
        }
        try store.recordReport(
            .init(periodID: period.id, periodStart: report.periodStart, periodEnd: report.periodEnd, createdAt: now,
                  messageID: message.messageID, files: files),
            outbox: rows)
        routing.ring()
        logger.notice("ledger report written", metadata: [
            "period": "\(period.id)", "alarms": "\(report.alarms.count)", "devices": "\(report.devices.count)",
            "units": "\(report.occupancy.count)", "files": "\(files.joined(separator: ","))", "message_id": "\(message.messageID)",
        ])
    }

    /// Writes `<period>.csv`, `.html` and `.json` (each to a temporary file, then renamed).
    /// Returns the file names.
    static func writeFiles(_ report: LedgerReport, directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var names: [String] = []
        for format in [ReportFormat.csv, .html, .json] {
            let name = "\(report.period.id).\(format.rawValue)"
            var bytes = Array(report.rendered(format).utf8)
            // A byte-order mark, so that a spreadsheet opens the Chinese text as UTF-8.
            if format == .csv { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            let target = directory.appendingPathComponent(name)
            let temporary = directory.appendingPathComponent(".\(name).tmp")
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, target.path) == 0 else {
                throw ReportWriteError(path: target.path, errno: errno)
            }
            names.append(name)
        }
        return names
    }
}

/// A report file could not be put in place.
struct ReportWriteError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
