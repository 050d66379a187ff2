/// The alarm lifecycle: turns rules' conditions into alarm transitions.
///
/// - One active alarm per key (type and subject); repeated triggers update it quietly.
/// - A higher severity on an active alarm is an `escalated` transition.
/// - An alarm clears only after its readings have stayed normal for the rule's hold time.
/// - An operator acknowledgement is an `acknowledged` transition; the alarm stays active
///   until its readings clear.
public struct AlarmBook: Sendable {
    public let building: String
    /// Active alarms by key.
    public private(set) var active: [AlarmKey: Alarm] = [:]
    /// When each active alarm's readings returned to normal, and how long they must stay so.
    private var normalSince: [AlarmKey: (since: Int64, holdMs: Int64)] = [:]
    private var idIndex: [String: AlarmKey] = [:]

    public init(building: String, restoring alarms: [Alarm] = []) {
        self.building = building
        for a in alarms where a.isActive {
            active[a.key] = a
            idIndex[a.id] = a.key
        }
    }

    public func alarm(id: String) -> Alarm? { idIndex[id].flatMap { active[$0] } }

    /// Applies a condition at event time `now`; appends any transition to `out`.
    public mutating func apply(_ c: Condition, location: String?, now: Int64, into out: inout [CoreOutput]) {
        if c.active {
            normalSince[c.key] = nil
            if var a = active[c.key] {
                a.updatedAt = max(a.updatedAt, c.at)
                if c.severity > a.severity {
                    a.severity = c.severity
                    a.evidence = c.evidence
                    a.state = .escalated
                    a.sequence += 1
                    active[c.key] = a
                    out.append(.alarm(AlarmTransition(alarm: a)))
                    if let cmd = c.command { appendCommand(cmd, for: a.id, at: c.at, into: &out) }
                } else {
                    active[c.key] = a
                }
                return
            }
            let id = Alarm.makeID(building: building, key: c.key, startedAt: c.at)
            let a = Alarm(
                id: id, key: c.key, state: .raised, severity: c.severity, location: location,
                startedAt: c.at, updatedAt: c.at, evidence: c.evidence, actions: [], sequence: 0)
            active[c.key] = a
            idIndex[id] = c.key
            out.append(.alarm(AlarmTransition(alarm: a)))
            if let cmd = c.command { appendCommand(cmd, for: id, at: c.at, into: &out) }
        } else if active[c.key] != nil, normalSince[c.key] == nil {
            normalSince[c.key] = (c.at, c.clearHoldMs)
        }
        clearDue(now: now, into: &out)
    }

    /// Clears alarms whose readings have been normal for their hold time.
    public mutating func clearDue(now: Int64, into out: inout [CoreOutput]) {
        guard !normalSince.isEmpty else { return }
        let due = normalSince.filter { now - $0.value.since >= $0.value.holdMs }.keys.sorted()
        for key in due {
            normalSince[key] = nil
            guard var a = active.removeValue(forKey: key) else { continue }
            idIndex[a.id] = nil
            a.state = .cleared
            a.updatedAt = max(a.updatedAt, now)
            a.sequence += 1
            out.append(.alarm(AlarmTransition(alarm: a)))
        }
    }

    /// An operator acknowledgement. Unknown or already acknowledged alarms give nothing.
    public mutating func acknowledge(id: String, by: String, note: String?, at: Int64, into out: inout [CoreOutput]) {
        guard let key = idIndex[id], var a = active[key], a.state != .acknowledged else { return }
        a.state = .acknowledged
        a.updatedAt = max(a.updatedAt, at)
        a.sequence += 1
        var ack: [(String, JSONValue)] = [("by", .string(by)), ("at", JSONValue(at))]
        if let note { ack.append(("note", .string(note))) }
        if case var .object(m) = a.evidence {
            m.removeAll { $0.0 == "acknowledgement" }
            m.append(("acknowledgement", .object(ack)))
            a.evidence = .object(m)
        }
        active[key] = a
        out.append(.alarm(AlarmTransition(alarm: a)))
    }

    /// Records a device's answer to a command in the alarm's actions (no message of its own:
    /// it goes out with the alarm's next transition).
    public mutating func recordCommandResult(alarmID: String, device: String, port: Int?, acknowledged: Bool, at: Int64) {
        guard let key = idIndex[alarmID], var a = active[key] else { return }
        if let i = a.actions.lastIndex(where: { $0.device == device && $0.port == port && $0.result == .sent }) {
            a.actions[i].result = acknowledged ? .acknowledged : .timedOut
            a.actions[i].resultAt = at
            active[key] = a
        }
    }

    private mutating func appendCommand(_ cmd: ConditionCommand, for alarmID: String, at: Int64, into out: inout [CoreOutput]) {
        guard let key = idIndex[alarmID], var a = active[key] else { return }
        a.actions.append(AlarmAction(command: cmd.command, device: cmd.device, port: cmd.port, at: at, result: .sent))
        active[key] = a
        out.append(.command(DeviceCommand(device: cmd.device, command: cmd.command, port: cmd.port, reason: cmd.reason, alarmID: alarmID, ts: at)))
    }
}
