/// Small building blocks the rules share: time-ordered sample windows, a deadline queue,
/// evidence construction and per-port state tables. All value types, all deterministic.

/// Recent samples of one quantity, kept sorted by event time so that out-of-order readings
/// within the lateness bound land where they belong. Bounded in age and in count.
struct SampleWindow: Sendable, Codable {
    private(set) var ts: [Int64] = []
    private(set) var values: [Double] = []
    let maxCount: Int

    init(maxCount: Int = 32) { self.maxCount = maxCount }

    var isEmpty: Bool { ts.isEmpty }
    var count: Int { ts.count }
    var latestTs: Int64? { ts.last }
    var latest: Double? { values.last }

    /// Inserts a sample in time order (a sample at an existing time replaces it), then drops
    /// samples older than `keepMs` before the newest one.
    mutating func insert(_ t: Int64, _ v: Double, keepMs: Int64) {
        if let last = ts.last, t >= last {
            if t == last { values[values.count - 1] = v } else { ts.append(t); values.append(v) }
        } else {
            var i = ts.count
            while i > 0 && ts[i - 1] > t { i -= 1 }
            if i > 0 && ts[i - 1] == t { values[i - 1] = v } else { ts.insert(t, at: i); values.insert(v, at: i) }
        }
        let newest = ts[ts.count - 1]
        var drop = 0
        while drop < ts.count - 1 && (newest - ts[drop] > keepMs || ts.count - drop > maxCount) { drop += 1 }
        if drop > 0 {
            ts.removeFirst(drop)
            values.removeFirst(drop)
        }
    }

    mutating func removeAll() {
        ts.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// Rate of change per second from the oldest sample within `windowMs` of the newest to the
    /// newest; nil when that span is shorter than `minSpanMs`.
    func ratePerSecond(windowMs: Int64, minSpanMs: Int64) -> Double? {
        guard let tN = ts.last else { return nil }
        var i = ts.count - 1
        while i > 0 && tN - ts[i - 1] <= windowMs { i -= 1 }
        let span = tN - ts[i]
        guard span >= minSpanMs, span > 0 else { return nil }
        return (values[values.count - 1] - values[i]) / (Double(span) / 1000)
    }

    /// How long (ms) the samples ending at the newest have risen at `minRatePerSecond` or
    /// more between every consecutive pair; 0 when the last step did not.
    func sustainedRiseMs(minRatePerSecond: Double) -> Int64 {
        guard ts.count >= 2 else { return 0 }
        var i = ts.count - 1
        while i > 0 {
            let dt = Double(ts[i] - ts[i - 1]) / 1000
            guard dt > 0, (values[i] - values[i - 1]) / dt >= minRatePerSecond else { break }
            i -= 1
        }
        return ts[ts.count - 1] - ts[i]
    }

    /// The largest value at or after `since`.
    func max(since: Int64) -> Double? {
        var m: Double? = nil
        for i in ts.indices where ts[i] >= since { m = Swift.max(m ?? values[i], values[i]) }
        return m
    }
}

/// A min-queue of (deadline, slot) pairs: the rules that decide on time (verification windows,
/// persistence, offline supervision) look at the head only, so a tick costs O(1) when nothing is due.
struct DeadlineQueue: Sendable {
    private var heap: [(at: Int64, slot: Int)] = []

    var isEmpty: Bool { heap.isEmpty }
    var next: Int64 { heap.first?.at ?? .max }

    /// The deadlines queued for one slot, in time order (for snapshots).
    func entries(slot: Int) -> [Int64] { heap.filter { $0.slot == slot }.map(\.at).sorted() }

    mutating func push(_ at: Int64, _ slot: Int) {
        heap.append((at, slot))
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.less(heap[i], heap[p]) else { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(_ now: Int64) -> (at: Int64, slot: Int)? {
        guard let top = heap.first, top.at <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && Self.less(heap[l], heap[m]) { m = l }
                if r < heap.count && Self.less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    private static func less(_ a: (at: Int64, slot: Int), _ b: (at: Int64, slot: Int)) -> Bool {
        a.at != b.at ? a.at < b.at : a.slot < b.slot
    }
}

/// Builds an evidence object: the readings and thresholds that decided an alarm. Only built
/// when a condition changes state, never per reading.
struct Evidence {
    private(set) var members: [(String, JSONValue)] = []

    init(rule: String, trigger: String) {
        members.reserveCapacity(10)
        members.append(("rule", .string(rule)))
        members.append(("trigger", .string(trigger)))
    }

    mutating func add(_ key: String, _ v: Double?) { if let v { members.append((key, .number(v))) } }
    mutating func add(_ key: String, _ v: Int64) { members.append((key, JSONValue(v))) }
    mutating func add(_ key: String, _ v: Int) { members.append((key, JSONValue(v))) }
    mutating func add(_ key: String, _ v: String) { members.append((key, .string(v))) }
    mutating func add(_ key: String, _ v: Bool) { members.append((key, .bool(v))) }
    mutating func add(_ key: String, _ v: JSONValue) { members.append((key, v)) }

    var json: JSONValue { .object(members) }
}

/// Per-port state of every charger, indexed by device slot and port number.
struct PortTable<State: Sendable>: Sendable {
    private var table: [[State]]
    private let make: @Sendable () -> State

    init(slots: Int, _ make: @escaping @Sendable () -> State) {
        table = Array(repeating: [], count: slots)
        self.make = make
    }

    subscript(slot: Int, port: Int) -> State {
        get { port >= 1 && port <= table[slot].count ? table[slot][port - 1] : make() }
        set {
            guard port >= 1 && port <= 4096 else { return }
            while table[slot].count < port { table[slot].append(make()) }
            table[slot][port - 1] = newValue
        }
    }

    /// One device's ports (port 1 first), for snapshots.
    func row(_ slot: Int) -> [State] { table[slot] }

    mutating func setRow(_ slot: Int, _ row: [State]) { table[slot] = Array(row.prefix(4096)) }

    mutating func ensure(slot: Int, port: Int) {
        guard port >= 1 && port <= 4096 else { return }
        while table[slot].count < port { table[slot].append(make()) }
    }

    mutating func update<R>(slot: Int, port: Int, _ body: (inout State) -> R) -> R? {
        guard port >= 1 && port <= 4096 else { return nil }
        ensure(slot: slot, port: port)
        return body(&table[slot][port - 1])
    }
}

/// Hour of day (0..<24, fractional) at event time `ts` for a fixed UTC offset in hours.
func localHour(_ ts: Int64, utcOffsetHours: Double) -> Double {
    let ms = ts + Int64(utcOffsetHours * 3_600_000)
    let day: Int64 = 86_400_000
    let inDay = ((ms % day) + day) % day
    return Double(inDay) / 3_600_000
}

/// Local day number at event time `ts` for a fixed UTC offset in hours.
func localDay(_ ts: Int64, utcOffsetHours: Double) -> Int64 {
    let ms = ts + Int64(utcOffsetHours * 3_600_000)
    let day: Int64 = 86_400_000
    return ms >= 0 ? ms / day : (ms - day + 1) / day
}

/// Hour of day (0..<24, fractional) at event time `ts` in the gateway's zone. The label is
/// that of the fixed-offset form above, so that a rule's call sites read the same whichever
/// its `offset` parameter is: the zone gives the offset in effect at `ts` (daylight saving
/// included).
func localHour(_ ts: Int64, utcOffsetHours zone: LocalTimeZone) -> Double { zone.localHour(ts) }

/// Local day number at event time `ts` in the gateway's zone (see `localHour(_:utcOffsetHours:)`).
func localDay(_ ts: Int64, utcOffsetHours zone: LocalTimeZone) -> Int64 { zone.localDay(ts) }

/// The event time (UTC ms) at which local day `day` starts, for a fixed UTC offset in hours.
func startOfLocalDay(_ day: Int64, utcOffsetHours: Double) -> Int64 {
    day * 86_400_000 - Int64(utcOffsetHours * 3_600_000)
}

/// The event time (UTC ms) at which local day `day` starts in the gateway's zone.
func startOfLocalDay(_ day: Int64, utcOffsetHours zone: LocalTimeZone) -> Int64 { zone.startOfLocalDay(day) }

/// Whether hour `h` lies in the window [start, end) that may wrap past midnight.
func inHourWindow(_ h: Double, start: Double, end: Double) -> Bool {
    start <= end ? (h >= start && h < end) : (h >= start || h < end)
}

extension DeviceConfig {
    /// Whether the configuration allows the gateway to send `command` to this device.
    func allows(_ command: String) -> Bool { commands.contains(command) }
}

/// e^x without Foundation (the core is standard-library only): range reduction to
/// |r| ≤ ln 2 / 2 and a Taylor series, accurate to ~1e-15 relative. Deterministic on every platform.
func expDet(_ x: Double) -> Double {
    if x.isNaN { return x }
    if x < -745 { return 0 }
    if x > 709 { return .infinity }
    let ln2 = 0.693_147_180_559_945_3
    let k = (x / ln2).rounded()
    let r = x - k * ln2
    var term = 1.0, sum = 1.0
    for n in 1...16 {
        term *= r / Double(n)
        sum += term
    }
    return Double(sign: .plus, exponent: Int(k), significand: 1) * sum
}

/// Persistence of a condition per (slot, port): "over the limit since", with deadlines so
/// that the decision is taken when the persistence time runs out, stamped at that moment
/// (each reading's value is held until the next one).
struct Persistence: Sendable {
    private var since: [Int: Int64] = [:]
    private var queue = DeadlineQueue()

    static func code(_ slot: Int, _ port: Int) -> Int { slot << 12 | (port & 0xFFF) }
    static func slot(_ code: Int) -> Int { code >> 12 }
    static func port(_ code: Int) -> Int { code & 0xFFF }

    var next: Int64 { queue.next }

    /// The condition holds at `ts`; returns true when it has held for `persistMs`.
    /// Schedules the deadline the first time.
    mutating func over(_ code: Int, at ts: Int64, persistMs: Int64) -> Bool {
        if let s = since[code] { return ts - s >= persistMs }
        since[code] = ts
        if persistMs <= 0 { return true }
        queue.push(ts + persistMs, code)
        return false
    }

    /// The condition no longer holds.
    mutating func reset(_ code: Int) { since[code] = nil }

    func pendingSince(_ code: Int) -> Int64? { since[code] }

    /// One device's pending conditions (port → since), for snapshots.
    func entries(slot: Int) -> [Int: Int64] {
        var m: [Int: Int64] = [:]
        for (code, s) in since where Self.slot(code) == slot { m[Self.port(code)] = s }
        return m
    }

    /// A pending condition from a snapshot taken at `now`: its deadline is queued again if
    /// still ahead (one already passed was decided before the snapshot).
    mutating func restore(_ code: Int, since s: Int64, persistMs: Int64, now: Int64) {
        since[code] = s
        if persistMs > 0, s + persistMs > now { queue.push(s + persistMs, code) }
    }

    /// Deadlines due at `now` whose condition has held throughout: (deadline, code).
    mutating func due(_ now: Int64, persistMs: (Int) -> Int64) -> [(at: Int64, code: Int)] {
        var r: [(at: Int64, code: Int)] = []
        while let d = queue.popDue(now) {
            if let s = since[d.slot], s + persistMs(d.slot) == d.at { r.append((d.at, d.slot)) }
        }
        return r
    }
}
