import RentGuardCore

extension LedgerReport {
    /// The report as CSV (RFC 4180, CRLF): four sections — summary by type and unit, alarms
    /// and their handling, devices, occupancy — each a `[section]` row, a header row, its
    /// rows and an empty line. Times are local (`YYYY-MM-DD HH:MM:SS`, the zone in the title).
    public func csv() -> String {
        var lines: [[String]] = []
        func t(_ ms: Int64?) -> String { ms.map { zone.localTimestamp($0) } ?? "" }
        func n(_ d: Double?) -> String { d.map { Self.number($0) } ?? "" }
        lines.append(["RentGuard ledger 台账", building, buildingName ?? "", "\(period.first) – \(period.last)", zone.name, "generated \(t(generatedAt))"])
        lines.append([])
        lines.append(["[alarm_counts]"])
        lines.append(["type", "unit", "total", "raised_in_period", "acknowledged", "cleared", "open_at_end"])
        for c in counts { lines.append([c.type, c.unit ?? "", "\(c.total)", "\(c.raisedInPeriod)", "\(c.acknowledged)", "\(c.cleared)", "\(c.openAtEnd)"]) }
        lines.append([])
        lines.append(["[alarms]"])
        lines.append([
            "alarm_id", "type", "severity", "unit", "device", "port", "location", "raised_at", "escalated_at", "acknowledged_at",
            "acknowledged_by", "note", "cleared_at", "state_at_end", "seconds_to_acknowledge", "seconds_active",
        ])
        for a in alarms {
            lines.append([
                a.alarmID, a.type, a.severity.rawValue, a.unit ?? "", a.device ?? "", a.port.map(String.init) ?? "", a.location ?? "",
                t(a.raisedAt), t(a.escalatedAt), t(a.acknowledgedAt), a.acknowledgedBy ?? "", a.note ?? "", t(a.clearedAt),
                a.stateAtEnd.rawValue, a.secondsToAcknowledge.map(String.init) ?? "", "\(a.secondsActive)",
            ])
        }
        lines.append([])
        lines.append(["[devices]"])
        lines.append(["device", "kind", "unit", "location", "last_seen", "offline", "battery_pct", "alarms"])
        for d in devices {
            let alarms = d.alarmsByType.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.append([d.device, d.kind, d.unit ?? "", d.location ?? "", t(d.lastSeen), d.offline ? "yes" : "no", n(d.batteryPct), alarms])
        }
        lines.append([])
        lines.append(["[occupancy]"])
        lines.append([
            "unit", "floor", "area_m2", "registered_occupants", "estimates", "mean_estimated", "min_low", "max_high",
            "rolling_estimate", "rolling_low", "rolling_high", "days_flagged", "group_rental_suspected", "group_rental_alarms", "reasons",
        ])
        for o in occupancy {
            lines.append([
                o.unit, o.floor.map(String.init) ?? "", n(o.areaM2), "\(o.registeredOccupants)", "\(o.estimates)", n(o.meanEstimated),
                n(o.minLow), n(o.maxHigh), n(o.rolling), n(o.rollingLow), n(o.rollingHigh), "\(o.daysFlagged)",
                o.groupRentalSuspected ? "yes" : "no", "\(o.groupRentalAlarms)", o.reasons.joined(separator: "; "),
            ])
        }
        return lines.map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    /// Quotes a field when it holds a comma, a quote or a line break (RFC 4180), and defuses
    /// a leading `=`, `+`, `-` or `@` (a spreadsheet would run it as a formula).
    static func csvField(_ s: String) -> String {
        var s = s
        if let f = s.first, "=+-@".contains(f), Double(s) == nil { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Up to two decimals, no trailing zeros.
    static func number(_ d: Double) -> String {
        let r = (d * 100).rounded() / 100
        guard r.isFinite else { return r.isNaN ? "" : (r > 0 ? "inf" : "-inf") }
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        var s = String(r)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 3 { s = String(s[..<s.index(dot, offsetBy: 3)]) }
        return s
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
