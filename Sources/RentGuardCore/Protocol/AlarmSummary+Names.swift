extension AlarmSummary {
    /// The name of an alarm type for people, in Chinese or English ("烟雾报警" / "Smoke
    /// alarm"); an unknown type is shown as it is (underscores as spaces in English).
    public static func name(of type: String, english: Bool) -> String {
        let n = names[type] ?? (type, type.replacingUnderscores())
        return english ? n.en : n.zh
    }
}
