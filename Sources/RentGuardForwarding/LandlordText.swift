import RentGuardCore

/// One landlord message as people read it: what happened, where, when and what to do,
/// rendered from the alarm message (or digest) the outbox holds, in Chinese (the default)
/// or English. The robots and SMS send it; its wording lives here only.
public struct LandlordNotice: Sendable, Equatable {
    /// A short title: "【烟雾报警】3号楼 201室".
    public var title: String
    /// The body's lines, without markup: building, unit, severity, time, what to do.
    public var lines: [String]
    /// The status page, when `http.public_url` is set.
    public var link: String?
    /// The fields an SMS template takes (`building`, `unit`, `alarm`, `time`, `action`, `link`).
    public var fields: [String: String]

    /// Markdown (WeCom and DingTalk): the title as a heading, the lines, the link.
    public var markdown: String {
        var s = "### \(title)\n"
        for l in lines { s += "> \(l)\n" }
        if let link { s += "\n[\(linkLabel)](\(link))" }
        return s
    }

    /// Plain text: the title, the lines and the link, one a line.
    public var plain: String {
        ([title] + lines + (link.map { [$0] } ?? [])).joined(separator: "\n")
    }

    /// Whether the notice is in English (else Chinese).
    public var english: Bool

    public init(title: String, lines: [String], link: String?, fields: [String: String], english: Bool) {
        self.title = title
        self.lines = lines
        self.link = link
        self.fields = fields
        self.english = english
    }

    /// The status page link's text.
    public var linkLabel: String { english ? "Status page" : "查看状态页" }
}

/// Renders landlord notices for one channel.
public struct LandlordText: Sendable {
    public enum Language: String, Sendable, CaseIterable { case zh, en }

    /// The building's name as people know it (`gateway.name`, else its id).
    public let building: String
    public let zone: LocalTimeZone
    /// `http.public_url`: linked from every notice when set.
    public let publicURL: String?
    public let language: Language

    public init(building: String, zone: LocalTimeZone, publicURL: String?, language: Language = .zh) {
        self.building = building
        self.zone = zone
        self.publicURL = publicURL
        self.language = language
    }

    public init(config: BuildingConfig, language: String?) {
        self.init(
            building: config.gateway.name ?? config.gateway.building, zone: config.gateway.zone, publicURL: config.http.publicURL,
            language: language.flatMap(Language.init(rawValue:)) ?? .zh)
    }

    var en: Bool { language == .en }

    /// The notice for a stored landlord payload (one alarm transition or an `alarm_digest`).
    /// Anything unreadable still gives a notice that shows the text as received.
    public func notice(payload: String) -> LandlordNotice {
        guard let body = try? JSONParser.parse(payload) else {
            return LandlordNotice(title: en ? "Alarm" : "报警", lines: [String(payload.prefix(500))], link: publicURL, fields: [:], english: en)
        }
        if body["kind"]?.stringValue == "alarm_digest" { return digest(body) }
        if body["kind"]?.stringValue == "incident_update" { return digest(body, update: true) }
        return alarm(body)
    }

    func alarm(_ b: JSONValue) -> LandlordNotice {
        let type = b["type"]?.stringValue ?? "alarm"
        let state = b["state"]?.stringValue.flatMap(AlarmState.init(rawValue:)) ?? .raised
        let severity = b["severity"]?.stringValue.flatMap(Severity.init(rawValue:))
        let name = AlarmSummary.name(of: type, english: en) + stateSuffix(state)
        let place = where_(b)
        let at = (state == .raised ? b["started_at"] : b["updated_at"])?.doubleValue ?? b["sent_at"]?.doubleValue
        // Times from the payload are range-checked (years 1970…2200) before conversion.
        let time = at.flatMap { $0.isFinite && $0 >= 0 && $0 < 7_258_118_400_000 ? localTime(Int64($0)) : nil } ?? "-"
        let action = advice(type: type, state: state, severity: severity)
        var lines: [String] = []
        if en {
            lines.append("Building: \(building)")
            if let place { lines.append("Where: \(place)") }
            if let severity { lines.append("Severity: \(severity.rawValue)") }
            lines.append("When: \(time)")
            lines.append("What to do: \(action)")
        } else {
            lines.append("楼栋：\(building)")
            if let place { lines.append("位置：\(place)") }
            if let severity { lines.append("级别：\(Self.severityZH[severity] ?? severity.rawValue)") }
            lines.append("时间：\(time)")
            lines.append("处置：\(action)")
        }
        let title = en ? "[\(name)] \(building)\(place.map { ", \($0)" } ?? "")" : "【\(name)】\(building)\(place.map { " \($0)" } ?? "")"
        var fields = ["building": building, "unit": place ?? building, "alarm": name, "time": time, "action": action]
        if let publicURL { fields["link"] = publicURL }
        return LandlordNotice(title: title, lines: lines, link: publicURL, fields: fields, english: en)
    }

    /// Several alarm transitions in one notice: a digest, or an incident's update (issue 25:
    /// what changed in one incident since its last message).
    func digest(_ b: JSONValue, update: Bool = false) -> LandlordNotice {
        let alarms = b["alarms"]?.arrayValue ?? []
        let count = b["count"]?.doubleValue.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e9 ? Int($0) : nil } ?? alarms.count
        let place = where_(b).map { en ? ", \($0)" : " \($0)" } ?? ""
        let title = update
            ? (en ? "[Update: \(count) changes] \(building)\(place)" : "【事件更新：\(count) 项】\(building)\(place)")
            : (en ? "[\(count) alarms] \(building)" : "【\(count) 条报警】\(building)")
        let lines = alarms.prefix(20).map { a -> String in
            let n = alarm(a)
            return n.title + (n.lines.first(where: { $0.hasPrefix(en ? "When: " : "时间：") }).map { " " + $0 } ?? "")
        } + (alarms.count > 20 ? [en ? "… and \(alarms.count - 20) more" : "……另有 \(alarms.count - 20) 条"] : [])
        return LandlordNotice(
            title: title, lines: lines, link: publicURL,
            fields: ["building": building, "unit": building, "alarm": title, "time": "-", "action": "-"], english: en)
    }

    /// The unit (and port), or the location of an alarm without a unit.
    func where_(_ b: JSONValue) -> String? {
        var parts: [String] = []
        if let u = b["unit"]?.stringValue {
            parts.append(en ? "unit \(u)" : "\(u)室")
        } else if let l = b["location"]?.stringValue {
            parts.append(l)
        }
        if let p = b["port"]?.doubleValue, p.isFinite, abs(p) < 1e6 {
            parts.append(en ? "port \(Int(p))" : "\(Int(p))号插座")
        }
        return parts.isEmpty ? nil : parts.joined(separator: en ? ", " : " ")
    }

    func stateSuffix(_ s: AlarmState) -> String {
        switch s {
        case .raised: return ""
        case .escalated: return en ? " (escalated)" : "（升级）"
        case .acknowledged: return en ? " (acknowledged)" : "（已确认）"
        case .cleared: return en ? " (cleared)" : "（已解除）"
        }
    }

    static let severityZH: [Severity: String] = [.warning: "提示", .minor: "一般", .major: "严重", .critical: "紧急"]

    /// "2026-12-08 08:37" in the gateway's local time, with its UTC offset.
    public func localTime(_ ms: Int64) -> String {
        let day = CivilDate(dayNumber: zone.localDay(ms))
        let minute = zone.localMinuteOfDay(ms)
        let off = zone.offsetMs(at: ms) / 60_000
        let sign = off < 0 ? "-" : "+"
        let offText = "UTC\(sign)\(abs(off) / 60)" + (abs(off) % 60 == 0 ? "" : ":" + pad(Int(abs(off) % 60)))
        return "\(day) \(pad(minute / 60)):\(pad(minute % 60)) (\(offText))"
    }

    func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// What the landlord should do, by alarm type.
    func advice(type: String, state: AlarmState, severity: Severity?) -> String {
        if state == .cleared { return en ? "The alarm has cleared; no action needed." : "报警已解除，无需处置。" }
        switch type {
        case "fire", "smoke":
            return en ? "Check the unit now; if there is fire or smoke, call 119 and get everyone out." : "立即核实现场；如有明火或烟雾，拨打119并组织人员疏散。"
        case "heat":
            return en ? "Check the unit now for a fire or a heat source; call 119 if there is fire." : "立即核实现场有无火情或热源；如有火情拨打119。"
        case "co":
            return en ? "Get everyone out and open windows; no flames or switches; call 119 or 120 if anyone feels unwell." : "立即让人员撤离并开窗通风，勿用明火和电器开关；有人不适拨打119或120。"
        case "charger_thermal_runaway":
            return en ? "Battery may catch fire: cut the charger's power from a distance, keep people away, call 119 if it smokes." : "电池有起火危险：远离并切断充电电源，疏散人员，冒烟起火立即拨打119。"
        case "charger_overcurrent", "charger_overheat", "charger_overtime", "charger_no_cutoff", "station_overload", "overload", "leakage":
            return en ? "Check the appliance or charger and cut its power if needed." : "检查用电设备或充电器，必要时切断电源。"
        case "indoor_ebike_charging":
            return en ? "Remind the tenant that e-bikes must not be charged indoors." : "提醒租户电动自行车不得在室内充电。"
        case "device_offline", "device_fault", "tamper", "battery_low", "gateway_fault", "unregistered_device":
            return en ? "Arrange for the device to be checked." : "请安排检修设备。"
        default:
            if let severity, AlarmType(type).isLifeSafety(severity: severity) {
                return en ? "Check the unit now; call 119 in an emergency." : "立即核实现场；紧急情况拨打119。"
            }
            return en ? "Please check the situation." : "请核实情况。"
        }
    }
}
