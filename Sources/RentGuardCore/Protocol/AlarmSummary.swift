/// A short human-readable summary of an alarm message, in Chinese and English, for
/// landlords (protocol v1 §4): "3号楼 2层 201室 烟雾报警 / Smoke alarm, unit 201, floor 2".
public enum AlarmSummary {
    public static func text(_ alarm: Alarm, config: BuildingConfig) -> String {
        let type = alarm.key.type
        let names = Self.names[type.rawValue] ?? (type.rawValue, type.rawValue.replacingUnderscores())
        let unit = alarm.key.unit.flatMap { config.unit($0) }
        let device = alarm.key.device.flatMap { config.device($0) }
        let floor = unit?.floor ?? device?.floor

        var zh: [String] = []
        if let b = config.gateway.name { zh.append(b) }
        if let floor { zh.append("\(floor)层") }
        if let u = alarm.key.unit { zh.append("\(u)室") } else if let loc = alarm.location { zh.append(loc) }
        if let port = alarm.key.port { zh.append("\(port)号插座") }
        zh.append(names.zh + (stateZH[alarm.state] ?? ""))

        var en = names.en + (stateEN[alarm.state] ?? "")
        if let u = alarm.key.unit { en += ", unit \(u)" } else if let loc = alarm.location { en += ", \(loc)" }
        if let floor { en += ", floor \(floor)" }
        if let port = alarm.key.port { en += ", port \(port)" }
        var zhText = zh.joined(separator: " ")
        if alarm.state == .raised || alarm.state == .escalated, let a = advice[type.rawValue] {
            zhText += "，" + a.zh
            en += ": " + a.en
        }
        return zhText + " / " + en
    }

    /// What to do where tenants must act differently from a smoke alarm: CO poisons without
    /// a smell, so ventilate, leave, and light no flame (the usual advice for a gas alarm).
    static let advice: [String: (zh: String, en: String)] = [
        "co": ("请开窗通风、立即撤离、勿用明火", "open windows, get out, no open flame"),
    ]

    static let stateZH: [AlarmState: String] = [.raised: "", .escalated: "（升级）", .acknowledged: "（已确认）", .cleared: "（已解除）"]
    static let stateEN: [AlarmState: String] = [.raised: "", .escalated: " (escalated)", .acknowledged: " (acknowledged)", .cleared: " (cleared)"]

    static let names: [String: (zh: String, en: String)] = [
        "fire": ("火灾报警", "Fire alarm"),
        "smoke": ("烟雾报警", "Smoke alarm"),
        "heat": ("温度报警", "Heat alarm"),
        "co": ("一氧化碳报警", "Carbon monoxide alarm"),
        "charger_overcurrent": ("充电过流", "Charger overcurrent"),
        "charger_overheat": ("充电插座过热", "Charger overheating"),
        "charger_thermal_runaway": ("电池热失控", "Battery thermal runaway"),
        "charger_overtime": ("充电超时", "Charging overtime"),
        "charger_no_cutoff": ("充满未断电", "Charger did not cut off"),
        "station_overload": ("充电站过载", "Charging station overload"),
        "overload": ("用电过载", "Electrical overload"),
        "leakage": ("漏电报警", "Earth leakage"),
        "indoor_ebike_charging": ("疑似室内电动车充电", "Suspected indoor e-bike charging"),
        "abnormal_consumption": ("用能异常", "Abnormal consumption"),
        "device_offline": ("设备离线", "Device offline"),
        "device_fault": ("设备故障", "Device fault"),
        "tamper": ("设备被拆动", "Device tampered"),
        "battery_low": ("设备电池电量低", "Device battery low"),
        "group_rental_suspected": ("疑似群租", "Suspected group rental"),
        "unregistered_device": ("未登记设备", "Unregistered device"),
        "gateway_fault": ("网关故障", "Gateway fault"),
    ]
}

extension String {
    func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
