import RentGuardCore

extension LedgerReport {
    /// The report as one printable HTML page (A4, Chinese and English headings, no external
    /// resources).
    public func html() -> String {
        func e(_ s: String) -> String { HTMLText.escape(s) }
        func t(_ ms: Int64?) -> String { ms.map { zone.localTimestamp($0) } ?? "—" }
        func n(_ d: Double?) -> String { d.map { Self.number($0) } ?? "—" }
        func dur(_ s: Int64?) -> String {
            guard let s else { return "—" }
            if s < 60 { return "\(s) s" }
            if s < 3600 { return "\(s / 60) min" }
            return "\(s / 3600) h \(s / 60 % 60) min"
        }
        var h = """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>台账 Ledger \(e(building)) \(period.first) – \(period.last)</title>
            <style>
            body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#111;font-size:13px}
            h1{font-size:20px;margin:0 0 .3em}h2{font-size:15px;margin:1.4em 0 .4em;border-bottom:2px solid #333}
            table{border-collapse:collapse;width:100%;margin-bottom:.5em}th,td{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top}
            th{background:#eee}td.n{text-align:right}.meta td{border:none;padding:1px 8px 1px 0}.open{color:#b00;font-weight:bold}
            .flag{color:#b00;font-weight:bold}.sign{margin-top:2em}.sign td{border:none;padding-top:2.5em;width:33%}
            @media print{body{margin:0;font-size:10.5px}h2{break-after:avoid}tr{break-inside:avoid}@page{size:A4;margin:12mm}}
            </style></head><body>
            <h1>消防安全台账 · Fire-safety ledger</h1>
            <table class="meta">
            <tr><td>建筑 Building</td><td>\(e(buildingName ?? building)) (\(e(building)))</td></tr>
            """
        if let address { h += "<tr><td>地址 Address</td><td>\(e(address))</td></tr>\n" }
        let open = alarms.filter { $0.stateAtEnd != .cleared }.count
        h += """
            <tr><td>周期 Period</td><td>\(period.first) – \(period.last) (\(e(zone.name)))</td></tr>
            <tr><td>网关 Gateway</td><td>\(e(gateway))</td></tr>
            <tr><td>生成时间 Generated</td><td>\(t(generatedAt))</td></tr>
            <tr><td>告警 Alarms</td><td>\(alarms.count) (本期新增 raised \(alarms.filter(\.raisedInPeriod).count), 期末未解除 open at end \(open))</td></tr>
            <tr><td>设备 Devices</td><td>\(devices.count) (离线 offline \(devices.filter(\.offline).count))</td></tr>
            </table>
            <h2>一、告警统计（按类型和房间） Alarms by type and unit</h2>
            <table><tr><th>类型 Type</th><th>房间 Unit</th><th>合计 Total</th><th>本期新增 Raised</th><th>已确认 Acknowledged</th><th>已解除 Cleared</th><th>未解除 Open</th></tr>

            """
        if counts.isEmpty { h += "<tr><td colspan=\"7\">本期无告警 No alarms in this period</td></tr>\n" }
        for c in counts {
            h += "<tr><td>\(e(c.type))</td><td>\(e(c.unit ?? "—"))</td><td class=\"n\">\(c.total)</td><td class=\"n\">\(c.raisedInPeriod)</td><td class=\"n\">\(c.acknowledged)</td><td class=\"n\">\(c.cleared)</td><td class=\"n\(c.openAtEnd > 0 ? " open" : "")\">\(c.openAtEnd)</td></tr>\n"
        }
        h += """
            </table>
            <h2>二、告警处置记录 Alarm handling</h2>
            <table><tr><th>告警 Alarm</th><th>类型 Type</th><th>级别 Severity</th><th>房间 Unit</th><th>设备 Device</th><th>发生 Raised</th><th>确认 Acknowledged</th><th>确认人 By</th><th>备注 Note</th><th>解除 Cleared</th><th>响应 To ack</th><th>持续 Duration</th></tr>

            """
        if alarms.isEmpty { h += "<tr><td colspan=\"12\">—</td></tr>\n" }
        for a in alarms {
            let device = (a.device ?? "—") + (a.port.map { " #\($0)" } ?? "")
            let cleared = a.stateAtEnd == .cleared ? t(a.clearedAt) : "<span class=\"open\">未解除 open</span>"
            h += "<tr><td>\(e(a.alarmID))</td><td>\(e(a.type))</td><td>\(a.severity.rawValue)</td><td>\(e(a.unit ?? "—"))</td><td>\(e(device))</td><td>\(t(a.raisedAt))</td><td>\(t(a.acknowledgedAt))</td><td>\(e(a.acknowledgedBy ?? "—"))</td><td>\(e(a.note ?? ""))</td><td>\(cleared)</td><td>\(dur(a.secondsToAcknowledge))</td><td>\(dur(a.secondsActive))</td></tr>\n"
        }
        h += """
            </table>
            <h2>三、设备清单与状态 Device inventory and health</h2>
            <table><tr><th>设备 Device</th><th>类型 Kind</th><th>房间 Unit</th><th>位置 Location</th><th>最后通信 Last seen</th><th>状态 State</th><th>电量 Battery</th><th>本期告警 Alarms</th></tr>

            """
        for d in devices {
            let alarms = d.alarmsByType.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let state = d.offline ? "<span class=\"open\">离线 offline</span>" : "在线 online"
            h += "<tr><td>\(e(d.device))</td><td>\(e(d.kind))</td><td>\(e(d.unit ?? "—"))</td><td>\(e(d.location ?? "—"))</td><td>\(t(d.lastSeen))</td><td>\(state)</td><td class=\"n\">\(d.batteryPct.map { "\(Self.number($0)) %" } ?? "—")</td><td>\(e(alarms))</td></tr>\n"
        }
        h += """
            </table>
            <h2>四、居住人数估计与群租研判 Occupancy estimates and group-rental flags</h2>
            <table><tr><th>房间 Unit</th><th>楼层 Floor</th><th>面积 m²</th><th>登记人数 Registered</th><th>估计天数 Days</th><th>平均估计 Mean</th><th>区间 Range</th><th>滚动估计 Rolling</th><th>群租标记天数 Days flagged</th><th>群租嫌疑 Suspected</th><th>依据 Reasons</th></tr>

            """
        for o in occupancy {
            let range = o.minLow == nil ? "—" : "\(n(o.minLow)) – \(n(o.maxHigh))"
            let rolling = o.rolling == nil ? "—" : "\(n(o.rolling)) (\(n(o.rollingLow)) – \(n(o.rollingHigh)))"
            let flagged = o.groupRentalSuspected || o.groupRentalAlarms > 0
            h += "<tr><td>\(e(o.unit))</td><td class=\"n\">\(o.floor.map(String.init) ?? "—")</td><td class=\"n\">\(n(o.areaM2))</td><td class=\"n\">\(o.registeredOccupants)</td><td class=\"n\">\(o.estimates)</td><td class=\"n\">\(n(o.meanEstimated))</td><td>\(range)</td><td>\(rolling)</td><td class=\"n\">\(o.daysFlagged)</td><td>\(flagged ? "<span class=\"flag\">是 yes</span>" : "否 no")</td><td>\(e(o.reasons.joined(separator: "; ")))</td></tr>\n"
        }
        h += """
            </table>
            <table class="sign"><tr><td>值班人员 Operator: ____________</td><td>消防安全管理人 Fire-safety manager: ____________</td><td>日期 Date: ____________</td></tr></table>
            </body></html>

            """
        return h
    }
}

/// Escaping text for HTML element content and attribute values.
public enum HTMLText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
