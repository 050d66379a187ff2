import Foundation
import RentGuardCore
@testable import RentGuardLedger
import RentGuardStore
import RentGuardTesting
import Testing

/// The ledger report built from a real SQLite store's rows, and its three renderings.
@Suite struct LedgerReportTests {
    static let zone = LocalTimeZone.chinaStandardTime
    static let period = ReportPeriod(containing: CivilDate("2026-03-05")!, endDays: [9, 19])
    static let start = period.start(in: zone)  // 2026-03-01T00:00+08:00
    static let end = period.end(in: zone)  // 2026-03-10T00:00+08:00
    static let hour: Int64 = 3_600_000

    static let config = BuildingConfig(
        gateway: GatewayIdentity(id: "gw-1", building: "b1", name: "一号楼", address: "1 Road"),
        units: [
            UnitConfig(id: "101", floor: 1, areaM2: 60, registeredOccupants: 2),
            UnitConfig(id: "201", floor: 2, areaM2: 20, registeredOccupants: 1),
        ],
        devices: [
            DeviceConfig(id: "SD-101", kind: .smokeDetector, unit: "101", location: "101 living, \"front\""),
            DeviceConfig(id: "SD-201", kind: .smokeDetector, unit: "201", location: "=cmd()"),
            DeviceConfig(id: "PM-201", kind: .powerMeter, unit: "201"),
        ])

    /// One alarm's life: each (state, at) is a transition recorded as the pipeline records it.
    static func record(_ store: Store, id: String, type: AlarmType, device: String, unit: String, severity: Severity,
                       _ steps: [(AlarmState, Int64)], ack: (by: String, note: String?)? = nil) throws {
        var a = Alarm(id: id, key: AlarmKey(type: type, device: device, unit: unit), state: .raised, severity: severity,
                      location: nil, startedAt: steps[0].1, updatedAt: steps[0].1, evidence: .object([("reading", 1)]), sequence: 0)
        for (i, (state, at)) in steps.enumerated() {
            a.state = state
            a.updatedAt = at
            a.sequence = i + 1
            if state == .acknowledged, let ack {
                var m: [(String, JSONValue)] = [("by", .string(ack.by)), ("at", JSONValue(at))]
                if let n = ack.note { m.append(("note", .string(n))) }
                a.evidence = .object([("reading", 1), ("acknowledgement", .object(m))])
            }
            try store.recordAlarmTransition(AlarmTransition(alarm: a), outbox: [])
        }
    }

    static func seeded() throws -> (TemporaryDirectory, Store) {
        let dir = try TemporaryDirectory(prefix: "ledger")
        let store = try Store(path: dir.file(Store.fileName), logger: quietLogger())
        let s = start, h = hour
        // A fire in the period: raised, acknowledged 3 min later by 张三, cleared 2 h later.
        try record(store, id: "b1:fire:SD-101:1", type: .fire, device: "SD-101", unit: "101", severity: .critical,
                   [(.raised, s + 50 * h), (.acknowledged, s + 50 * h + 180_000), (.cleared, s + 52 * h)], ack: ("张三", "kitchen, put out"))
        // A tamper from the period before, still active: carried over, open at the end.
        try record(store, id: "b1:tamper:SD-201:1", type: .tamper, device: "SD-201", unit: "201", severity: .minor,
                   [(.raised, s - 10 * h)])
        // Cleared before the period: not in the report.
        try record(store, id: "b1:battery_low:SD-201:1", type: .batteryLow, device: "SD-201", unit: "201", severity: .warning,
                   [(.raised, s - 30 * h), (.cleared, s - 20 * h)])
        // Raised after the period: not in the report.
        try record(store, id: "b1:fire:SD-201:2", type: .fire, device: "SD-201", unit: "201", severity: .critical, [(.raised, end + h)])
        // Raised in the period, cleared in the next one: open at the period's end.
        try record(store, id: "b1:group_rental_suspected:201", type: .groupRentalSuspected, device: "PM-201", unit: "201",
                   severity: .warning, [(.raised, s + 100 * h), (.cleared, end + 5 * h)])
        // Daily estimates for 201: three in the period (two flagged), one after it.
        try store.recordOccupancy((0..<4).map { d in
            let dayEnd = s + Int64(d + 7) * 24 * h
            return Store.OccupancyHistoryRow(
                unit: "201", periodStart: dayEnd - 24 * h, periodEnd: dayEnd, estimated: 3 + Double(d), low: 2, high: 5 + Double(d),
                rolling: 3.5, rollingLow: 2.5, rollingHigh: 4.5, registered: 1, groupRentalSuspected: d >= 1, reasons: ["4 m²/person"])
        })
        try store.upsertDevices([
            .init(deviceID: "SD-101", kind: "smoke_detector", lastSeen: s + 200 * h, online: true, lastValues: #"{"battery_pct":87,"ts":1}"#),
            .init(deviceID: "SD-201", kind: "smoke_detector", lastSeen: s + 10 * h, online: false, lastValues: #"{"battery_pct":12}"#),
        ])
        return (dir, store)
    }

    func build() throws -> LedgerReport {
        let (dir, store) = try Self.seeded()
        defer { store.close(); dir.remove() }
        let rows = Dictionary(uniqueKeysWithValues: try store.devices().map { ($0.deviceID, $0) })
        return try LedgerReport.build(
            config: Self.config, period: Self.period, store: store, devices: rows, offline: ["SD-201"], generatedAt: Self.end + 1000)
    }

    @Test func alarmsOfThePeriodWithTheirHandling() throws {
        let r = try build()
        #expect(r.alarms.map(\.alarmID) == ["b1:tamper:SD-201:1", "b1:fire:SD-101:1", "b1:group_rental_suspected:201"])
        let fire = try #require(r.alarms.first { $0.type == "fire" })
        #expect(fire.acknowledgedBy == "张三")
        #expect(fire.note == "kitchen, put out")
        #expect(fire.secondsToAcknowledge == 180)
        #expect(fire.secondsActive == 2 * 3600)
        #expect(fire.stateAtEnd == .cleared)
        #expect(fire.raisedInPeriod)
        let tamper = try #require(r.alarms.first { $0.type == "tamper" })
        #expect(!tamper.raisedInPeriod)
        #expect(tamper.stateAtEnd == .raised)
        #expect(tamper.acknowledgedAt == nil)
        #expect(tamper.secondsActive == (Self.end - (Self.start - 10 * Self.hour)) / 1000)
        let group = try #require(r.alarms.first { $0.type == "group_rental_suspected" })
        #expect(group.stateAtEnd == .raised)  // cleared only after the period
        #expect(group.clearedAt == Self.end + 5 * Self.hour)
        #expect(group.secondsActive == (Self.end - (Self.start + 100 * Self.hour)) / 1000)

        let counts = r.counts
        #expect(counts.count == 3)
        let fireCount = try #require(counts.first { $0.type == "fire" })
        #expect((fireCount.unit, fireCount.total, fireCount.raisedInPeriod, fireCount.acknowledged, fireCount.cleared, fireCount.openAtEnd)
                == ("101", 1, 1, 1, 1, 0))
    }

    @Test func devicesAndOccupancy() throws {
        let r = try build()
        #expect(r.devices.map(\.device) == ["SD-101", "SD-201", "PM-201"])
        #expect(r.devices[0].batteryPct == 87 && !r.devices[0].offline)
        #expect(r.devices[1].batteryPct == 12 && r.devices[1].offline)
        #expect(r.devices[1].alarmsByType == ["tamper": 1])
        #expect(r.devices[2].offline && r.devices[2].lastSeen == nil)  // never seen
        let u201 = try #require(r.occupancy.first { $0.unit == "201" })
        #expect(u201.estimates == 3)  // the fourth day ends after the period
        #expect(u201.meanEstimated == 4)
        #expect(u201.minLow == 2 && u201.maxHigh == 7)
        #expect(u201.daysFlagged == 2 && u201.groupRentalSuspected)
        #expect(u201.groupRentalAlarms == 1)
        let u101 = try #require(r.occupancy.first { $0.unit == "101" })
        #expect(u101.estimates == 0 && u101.meanEstimated == nil && !u101.groupRentalSuspected)
    }

    @Test func renderings() throws {
        let r = try build()
        let csv = r.csv()
        #expect(csv.hasPrefix("RentGuard ledger 台账,b1,一号楼,2026-03-01 – 2026-03-09,Asia/Shanghai"))
        #expect(csv.contains("\r\n[alarms]\r\n"))
        #expect(csv.contains("b1:fire:SD-101:1,fire,critical,101,SD-101,,,2026-03-03 02:00:00,,2026-03-03 02:03:00,张三,\"kitchen, put out\",2026-03-03 04:00:00,cleared,180,7200\r\n"))
        #expect(csv.contains("\"101 living, \"\"front\"\"\""))  // quoted, quotes doubled
        #expect(csv.contains(",'=cmd(),"))  // no formula
        #expect(csv.contains("201,2,20,1,3,4,2,7,3.5,2.5,4.5,2,yes,1,4 m²/person\r\n"))

        let html = r.html()
        #expect(html.contains("<h1>消防安全台账 · Fire-safety ledger</h1>"))
        #expect(html.contains("张三") && html.contains("未解除 open"))
        #expect(html.contains("101 living, &quot;front&quot;"))
        #expect(!html.contains("src=") && !html.contains("http://") && !html.contains("https://"))

        let json = r.json()
        #expect(json["message_id"]?.stringValue == "b1:report:2026-03-01_2026-03-09")
        #expect(json["period"]?["start"]?.doubleValue == Double(Self.start))
        #expect(json["totals"]?["alarms"]?.doubleValue == 3)
        #expect(json["totals"]?["alarms_raised"]?.doubleValue == 2)
        #expect(json["totals"]?["alarms_open_at_end"]?.doubleValue == 2)
        #expect(json["totals"]?["devices_offline"]?.doubleValue == 2)
        #expect(json["alarms"]?.arrayValue?.first { $0["type"]?.stringValue == "fire" }?["acknowledged_by"]?.stringValue == "张三")
        let message = r.registryMessage()
        #expect(message.kind == "report")
        #expect(message.priority == RegistryMessage.Priority.report)
        #expect(RegistryMessage.payload(message.body.serialized(), sentAt: 5).hasPrefix(#"{"sent_at":5,"message_id":"b1:report:"#))
    }

    @Test func reportsAreRecordedWithTheirOutboxRowsTogether() throws {
        let (dir, store) = try Self.seeded()
        defer { store.close(); dir.remove() }
        let row = Store.ReportRow(periodID: Self.period.id, periodStart: Self.start, periodEnd: Self.end, createdAt: 1, messageID: "b1:report:x",
                                  files: ["a.csv", "a.html"])
        try store.recordReport(row, outbox: [NewOutboxMessage(messageID: "b1:report:x", destination: "registry-mqtt", kind: "report",
                                                              priority: 12, payload: "{}", createdAt: 1)])
        try store.recordReport(row, outbox: [NewOutboxMessage(messageID: "b1:report:x", destination: "registry-mqtt", kind: "report",
                                                              priority: 12, payload: "{}", createdAt: 1)])  // idempotent
        #expect(try store.reports() == [row])
        #expect(try store.outboxRows(kind: "report", afterRowID: 0, limit: 10).count == 1)
    }
}
