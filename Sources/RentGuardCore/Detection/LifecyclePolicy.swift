/// The alarm lifecycle's own parameters (overridable per building under `thresholds:
/// lifecycle:`). ISA-18.2 and EEMUA 191 name an alarm that raises and clears repeatedly
/// without operator action "chattering"; the lifecycle latches it instead of re-sending it.
public struct LifecyclePolicy: Sendable, Equatable {
    public static let id = "lifecycle"

    public static let chatterCycles = RuleParameter(
        "chatter_cycles", 5, unit: "raises",
        source: "assumed (project brief); chattering as defined by ISA-18.2 / EEMUA 191",
        "More raises than this of one key within the window latch the alarm as chattering.")
    public static let chatterWindow = RuleParameter(
        "chatter_window_s", 3600, unit: "s",
        source: "assumed (project brief): one hour",
        "The window in which raises are counted.")
    public static let chatterRelease = RuleParameter(
        "chatter_release_s", 3600, unit: "s",
        source: "assumed: one chatter window of quiet",
        "A latched alarm clears only after its readings stay normal this long, or after an operator acknowledgement and the rule's own hold.")

    public static let parameters = [chatterCycles, chatterWindow, chatterRelease]

    public var chatterCycles: Int
    public var chatterWindowMs: Int64
    public var chatterReleaseMs: Int64

    public init(chatterCycles: Int = 5, chatterWindowMs: Int64 = 3_600_000, chatterReleaseMs: Int64 = 3_600_000) {
        self.chatterCycles = chatterCycles
        self.chatterWindowMs = chatterWindowMs
        self.chatterReleaseMs = chatterReleaseMs
    }

    public init(thresholds: Thresholds) {
        self.init(
            chatterCycles: Int(thresholds.value(Self.id, Self.chatterCycles)),
            chatterWindowMs: thresholds.ms(Self.id, Self.chatterWindow),
            chatterReleaseMs: thresholds.ms(Self.id, Self.chatterRelease))
    }
}
