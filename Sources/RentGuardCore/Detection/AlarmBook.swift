/// The alarm lifecycle: turns rules' conditions into alarm transitions.
///
/// - States raised → escalated → acknowledged → cleared (protocol v1 §3.1).
/// - One active alarm per key (type and subject); repeated triggers update it quietly.
/// - A higher severity on an active alarm is an `escalated` transition.
/// - An alarm clears only after its readings have stayed normal for the rule's hold time
///   (hysteresis lives in the rules' clear levels). The cleared transition is stamped with
///   the moment the hold ran out, not the tick that noticed it, so output does not depend
///   on the tick rate.
/// - Chattering (ISA-18.2): more than `chatter_cycles` raises of one key within
///   `chatter_window_s` latch the alarm; its evidence says `"chattering": true`, later
///   flaps are absorbed silently, and it clears after `chatter_release_s` of normal
///   readings (or after an acknowledgement and the rule's hold).
/// - An operator acknowledgement is an `acknowledged` transition; the alarm stays active
///   until its readings clear.
public struct AlarmBook: Sendable {
    public let building: String
    public let policy: LifecyclePolicy
    /// Active alarms by key.
    public private(set) var active: [AlarmKey: Alarm] = [:]
    /// When each active alarm's readings returned to normal, and when it may clear.
    private var normalSince: [AlarmKey: Pending] = [:]
    private var idIndex: [String: AlarmKey] = [:]
    /// Raise times per key within the chatter window.
    private var raises: [AlarmKey: [Int64]] = [:]
    private var latched: Set<AlarmKey> = []
    /// The earliest clear deadline, so that `clearDue` costs nothing when none is due.
    private var nextDue: Int64 = .max

    /// What the lifecycle knows beyond the active alarms: pending clears (by alarm id) and
    /// recent raise times per key (chattering). Part of `EngineSnapshot`.
    public struct Snapshot: Sendable, Codable {
        public struct Clear: Sendable, Codable, Equatable {
            public var alarmID: String
            public var since: Int64
            public var holdMs: Int64
            public var due: Int64
        }
        public struct Raises: Sendable, Codable, Equatable {
            public var key: AlarmKey
            public var times: [Int64]
        }
        public var clears: [Clear]
        public var raises: [Raises]
    }

    public func snapshot() -> Snapshot {
        let clears = normalSince.compactMap { key, p in active[key].map { Snapshot.Clear(alarmID: $0.id, since: p.since, holdMs: p.holdMs, due: p.due) } }
        return Snapshot(
            clears: clears.sorted { $0.alarmID < $1.alarmID },
            raises: raises.map { Snapshot.Raises(key: $0.key, times: $0.value) }.sorted { $0.key < $1.key })
    }

    /// Pending clears of alarms that are still active under the same id, and raise counts.
    public mutating func restore(_ s: Snapshot) {
        for c in s.clears {
            guard let key = idIndex[c.alarmID], active[key] != nil else { continue }
            normalSince[key] = Pending(since: c.since, holdMs: c.holdMs, due: c.due)
        }
        for r in s.raises { raises[r.key] = r.times }
        recomputeNextDue()
    }

    /// Whether the alarm with this key is active with its readings back to normal (clearing).
    public func isClearing(_ key: AlarmKey) -> Bool { normalSince[key] != nil }

    private struct Pending: Sendable {
        var since: Int64
        var holdMs: Int64
        var due: Int64
    }

    /// Which incident each raised alarm belongs to.
    public private(set) var incidents: IncidentGrouping

    public init(
        building: String, restoring alarms: [Alarm] = [], policy: LifecyclePolicy = LifecyclePolicy(),
        incidents: IncidentGrouping = IncidentGrouping()
    ) {
        self.building = building
        self.policy = policy
        var grouping = incidents
        grouping.restore(alarms)
        self.incidents = grouping
        for a in alarms where a.isActive {
            active[a.key] = a
            idIndex[a.id] = a.key
            if a.evidence["chattering"] == .bool(true) { latched.insert(a.key) }
        }
    }

    public func alarm(id: String) -> Alarm? { idIndex[id].flatMap { active[$0] } }

    /// The earliest moment an alarm whose readings are normal may clear (`Int64.max`: none).
    public var nextClearDue: Int64 { nextDue }

    /// Whether the alarm with this key is latched as chattering.
    public func isLatched(_ key: AlarmKey) -> Bool { latched.contains(key) }

    /// Applies a condition at event time `now`; appends any transition to `out`.
    public mutating func apply(_ c: Condition, location: String?, now: Int64, into out: inout [CoreOutput]) {
        if c.active {
            if normalSince.removeValue(forKey: c.key) != nil { recomputeNextDue() }
            if var a = active[c.key] {
                a.updatedAt = max(a.updatedAt, c.at)
                if c.severity > a.severity {
                    a.severity = c.severity
                    a.evidence = mergeEvidence(c.evidence, keepingFrom: a.evidence)
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
            var evidence = c.evidence
            if noteRaise(c.key, at: c.at) {
                latched.insert(c.key)
                if case var .object(m) = evidence {
                    m.append(("chattering", .bool(true)))
                    m.append(("raises_in_window", JSONValue(raises[c.key]?.count ?? 0)))
                    m.append(("chatter_window_s", JSONValue(policy.chatterWindowMs / 1000)))
                    evidence = .object(m)
                }
            }
            let id = Alarm.makeID(building: building, key: c.key, startedAt: c.at)
            var a = Alarm(
                id: id, key: c.key, state: .raised, severity: c.severity, location: location,
                startedAt: c.at, updatedAt: c.at, evidence: evidence, actions: [], sequence: 0)
            a.incidentID = incidents.assign(a)
            active[c.key] = a
            idIndex[id] = c.key
            out.append(.alarm(AlarmTransition(alarm: a)))
            if let cmd = c.command { appendCommand(cmd, for: id, at: c.at, into: &out) }
        } else if let a = active[c.key], normalSince[c.key] == nil {
            let hold = max(0, c.clearHoldMs)
            var p = Pending(since: c.at, holdMs: hold, due: c.at.addingClamped(hold))
            if latched.contains(c.key), a.state != .acknowledged {
                p.due = c.at.addingClamped(max(hold, policy.chatterReleaseMs))
            }
            normalSince[c.key] = p
            nextDue = min(nextDue, p.due)
        }
        clearDue(now: now, into: &out)
    }

    /// Clears alarms whose readings have been normal for their hold time, in deadline order.
    public mutating func clearDue(now: Int64, into out: inout [CoreOutput]) {
        guard now >= nextDue else { return }
        let due = normalSince.filter { $0.value.due <= now }
            .map { (key: $0.key, due: $0.value.due) }
            .sorted { $0.due != $1.due ? $0.due < $1.due : $0.key < $1.key }
        for d in due {
            normalSince[d.key] = nil
            latched.remove(d.key)
            guard var a = active.removeValue(forKey: d.key) else { continue }
            idIndex[a.id] = nil
            a.state = .cleared
            a.updatedAt = max(a.updatedAt, d.due)
            a.sequence += 1
            incidents.cleared(a)
            out.append(.alarm(AlarmTransition(alarm: a, incidentContinues: incidents.hasActiveMembers(a.key, incident: a.incidentID))))
        }
        recomputeNextDue()
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
        // An acknowledged latched alarm may clear after the rule's own hold.
        if latched.contains(key), var p = normalSince[key] {
            p.due = max(p.since.addingClamped(p.holdMs), a.updatedAt)
            normalSince[key] = p
            recomputeNextDue()
        }
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

    /// Counts a raise of `key`; true when it makes the key chatter.
    private mutating func noteRaise(_ key: AlarmKey, at t: Int64) -> Bool {
        var times = raises[key] ?? []
        times.removeAll { t - $0 >= policy.chatterWindowMs }
        times.append(t)
        raises[key] = times
        if raises.count > 4096 { raises = raises.filter { t - ($0.value.last ?? 0) < policy.chatterWindowMs } }
        return times.count > policy.chatterCycles
    }

    /// On escalation the new evidence wins, but the acknowledgement is kept.
    private func mergeEvidence(_ new: JSONValue, keepingFrom old: JSONValue) -> JSONValue {
        guard case var .object(m) = new else { return new }
        for k in ["acknowledgement", "chattering"] {
            if let v = old[k], new[k] == nil { m.append((k, v)) }
        }
        return .object(m)
    }

    private mutating func recomputeNextDue() {
        nextDue = normalSince.values.reduce(Int64.max) { min($0, $1.due) }
    }
}

extension Int64 {
    /// Addition that saturates instead of trapping (hold times may be "forever").
    func addingClamped(_ x: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(x)
        return o ? (x > 0 ? .max : .min) : r
    }
}
