/// One fire, one incident (issue 25): the alarms that one event causes in one place are
/// grouped, so that the fire station reads "201 is on fire, since 18:13, 4 detectors"
/// instead of ten equal rows, and a landlord's phone rings once.
///
/// - **Which alarms group**: the types one fire causes (`fireFamily`: fire, smoke, heat, CO,
///   a charger's thermal runaway). Every other alarm is an incident of its own.
/// - **Where**: the same place (`place(of:)`): the unit; for shared spaces the floor and
///   zone (a corridor, a stairwell); for a charging station the charger and the detectors
///   configured `near` it.
/// - **When**: an alarm joins the place's incident while any of its members is active, or
///   within `window_s` of its last raise or clear; otherwise it starts a new incident.
/// - An incident's id is `inc:` and its first alarm's id: stable, and the same on every
///   member's messages (`incident_id` in protocol v1 §3.1). Nothing is hidden: every alarm
///   keeps its own lifecycle, row and messages.
///
/// Pure: the state is the open incidents per place. It is rebuilt at start from the active
/// alarms (their stored `incident_id`); an incident whose members had all cleared before a
/// restart is not remembered, so an alarm in its window after the restart starts a new one.
public struct IncidentGrouping: Sendable {
    public static let id = "incidents"

    public static let window = RuleParameter(
        "window_s", 600, unit: "s",
        source: "ISA-18.2 / EEMUA 191: an alarm flood is more than 10 alarms in 10 minutes for one operator; one fire's smoke, heat and CO alarms follow each other within minutes",
        "An alarm of the fire family joins its place's incident while a member is active or within this long of its last raise or clear.")

    public static let parameters = [window]

    /// The types one fire causes.
    public static let fireFamily: Set<AlarmType> = [.fire, .smoke, .heat, .co, .chargerThermalRunaway]

    public let windowMs: Int64
    /// Device id → its place, for devices without a unit.
    private let sharedPlaces: [String: String]

    struct Open: Sendable {
        var id: String
        var active: Set<String>
        var lastActivity: Int64
    }

    /// Open incidents by place.
    private var open: [String: Open] = [:]

    public init(config: BuildingConfig, thresholds: Thresholds) {
        windowMs = thresholds.ms(Self.id, Self.window)
        var places: [String: String] = [:]
        for d in config.devices where d.unit == nil {
            if d.kind == .charger {
                places[d.id] = "station:\(d.id)"
            } else if let zone = d.zone {
                places[d.id] = "floor:\(d.floor.map(String.init) ?? "-"):\(zone.rawValue)"
            }
        }
        // Detectors configured near a charger watch its station.
        for d in config.devices where d.kind == .charger {
            for n in d.near where config.devices.first(where: { $0.id == n })?.unit == nil { places[n] = "station:\(d.id)" }
        }
        sharedPlaces = places
    }

    /// When an incident started: its id is `inc:` and its first alarm's id, which ends with
    /// the alarm's start (`Alarm.makeID`). Nil for another shape.
    public static func startedAt(ofIncident id: String?) -> Int64? {
        guard let id, id.hasPrefix("inc:"), let colon = id.lastIndex(of: ":") else { return nil }
        return Int64(id[id.index(after: colon)...])
    }

    /// No grouping: every alarm its own incident (tests of other parts, and no config).
    public init() {
        windowMs = 0
        sharedPlaces = [:]
    }

    /// Where an alarm happens, for grouping; nil: it groups with nothing.
    public func place(of key: AlarmKey) -> String? {
        guard Self.fireFamily.contains(key.type) else { return nil }
        if let unit = key.unit { return "unit:\(unit)" }
        if let device = key.device { return sharedPlaces[device] ?? "device:\(device)" }
        return nil
    }

    /// The incident a newly raised alarm belongs to (starting one if none is open).
    public mutating func assign(_ a: Alarm) -> String {
        let own = "inc:\(a.id)"
        guard let place = place(of: a.key) else { return own }
        if var o = open[place], !o.active.isEmpty || a.startedAt <= o.lastActivity.addingClamped(windowMs) {
            o.active.insert(a.id)
            o.lastActivity = max(o.lastActivity, a.startedAt)
            open[place] = o
            return o.id
        }
        open[place] = Open(id: own, active: [a.id], lastActivity: a.startedAt)
        prune(now: a.startedAt)
        return own
    }

    /// A member cleared: its incident stays open for the window after the last activity.
    public mutating func cleared(_ a: Alarm) {
        guard let place = place(of: a.key), var o = open[place], o.id == a.incidentID else { return }
        o.active.remove(a.id)
        o.lastActivity = max(o.lastActivity, a.updatedAt)
        open[place] = o
    }

    /// Whether the incident of an alarm with this key still has active members.
    public func hasActiveMembers(_ key: AlarmKey, incident: String?) -> Bool {
        guard let place = place(of: key), let o = open[place], o.id == incident else { return false }
        return !o.active.isEmpty
    }

    /// Rebuilds the open incidents from active alarms (at start, and after a reload).
    public mutating func restore(_ alarms: [Alarm]) {
        for a in alarms where a.isActive {
            guard let place = place(of: a.key), let id = a.incidentID else { continue }
            var o = open[place] ?? Open(id: id, active: [], lastActivity: a.startedAt)
            guard o.id == id else { continue }  // two incidents at one place: keep the first
            o.active.insert(a.id)
            o.lastActivity = max(o.lastActivity, a.updatedAt)
            open[place] = o
        }
    }

    /// Forgets closed incidents past their window (memory stays bounded by places).
    private mutating func prune(now: Int64) {
        guard open.count > 64 else { return }
        open = open.filter { !$0.value.active.isEmpty || now <= $0.value.lastActivity.addingClamped(windowMs) }
    }

    /// Open incidents (for tests and views): place → (id, active member ids).
    public var openIncidents: [String: (id: String, active: Set<String>)] {
        open.mapValues { ($0.id, $0.active) }
    }
}
