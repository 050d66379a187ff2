/// One unit's occupancy estimate for one closed period (protocol v1 §3.2).
///
/// `estimated`, `low` and `high` are for the period itself (one day by default); the rolling
/// figures average the unit's last `rolling_window_days` (default 14) and are what the
/// group-rental assessment reads. Bounds are an 80 % interval by default (`interval_z`).
public struct OccupancyEstimate: Sendable, Equatable {
    public var unit: String
    /// Local period [start, end) in Unix ms.
    public var periodStart: Int64
    public var periodEnd: Int64
    /// People present in the period (0 on a vacant day).
    public var estimated: Double
    public var low: Double
    public var high: Double
    /// Rolling estimate over the window; nil until `min_rolling_days` usable days exist.
    public var rolling: Double?
    public var rollingLow: Double?
    public var rollingHigh: Double?
    public var registeredOccupants: Int
    public var areaM2: Double
    /// The unit's group-rental state after this period (K days running, see `GroupRentalRule`).
    public var groupRentalSuspected: Bool
    /// The criteria that hold, with their numbers; empty when none holds.
    public var reasons: [String]
    /// The unit rents out `public_venue_rooms` (10) or more rooms or beds: managed like a public venue.
    public var publicVenueManaged: Bool
    /// Per meter: the day's use, rolling use, coverage, night base, calibration model.
    public var evidence: JSONValue

    public init(
        unit: String, periodStart: Int64, periodEnd: Int64, estimated: Double, low: Double, high: Double,
        rolling: Double?, rollingLow: Double?, rollingHigh: Double?, registeredOccupants: Int, areaM2: Double,
        groupRentalSuspected: Bool, reasons: [String], publicVenueManaged: Bool, evidence: JSONValue
    ) {
        self.unit = unit
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.estimated = estimated
        self.low = low
        self.high = high
        self.rolling = rolling
        self.rollingLow = rollingLow
        self.rollingHigh = rollingHigh
        self.registeredOccupants = registeredOccupants
        self.areaM2 = areaM2
        self.groupRentalSuspected = groupRentalSuspected
        self.reasons = reasons
        self.publicVenueManaged = publicVenueManaged
        self.evidence = evidence
    }

    /// A message id that is stable across retries and restarts: one message per unit and period.
    public func messageID(building: String) -> String {
        "\(building):occupancy:\(unit):\(periodStart)"
    }

    /// The §3.2 body without `sent_at` (the forwarder adds it at each attempt): exactly the
    /// protocol's fields in its order, then extras (`rolling_*`, `public_venue_managed`, `evidence`).
    public func registryBody(building: String, gateway: String, messageID: String) -> JSONValue {
        func num(_ v: Double?) -> JSONValue { v.map { .number(OccMath.round($0)) } ?? .null }
        return .object([
            ("message_id", .string(messageID)),
            ("building", .string(building)),
            ("gateway", .string(gateway)),
            ("unit", .string(unit)),
            ("period_start", JSONValue(periodStart)),
            ("period_end", JSONValue(periodEnd)),
            ("estimated_occupants", num(estimated)),
            ("low", num(low)),
            ("high", num(high)),
            ("registered_occupants", JSONValue(registeredOccupants)),
            ("area_m2", .number(areaM2)),
            ("group_rental_suspected", .bool(groupRentalSuspected)),
            ("reasons", .array(reasons.map { .string($0) })),
            ("rolling_estimate", num(rolling)),
            ("rolling_low", num(rollingLow)),
            ("rolling_high", num(rollingHigh)),
            ("public_venue_managed", .bool(publicVenueManaged)),
            ("evidence", evidence),
        ])
    }
}

/// What closing one or more periods produced.
public struct OccupancyOutput: Sendable, Equatable {
    /// One estimate per unit with usable data, per closed period, in period then unit order.
    public var estimates: [OccupancyEstimate]
    /// Group-rental edges: `active` when a unit becomes suspected, `normal` when it clears.
    /// Key `group_rental_suspected` with the unit; severity `warning`.
    public var conditions: [Condition]

    public init(estimates: [OccupancyEstimate] = [], conditions: [Condition] = []) {
        self.estimates = estimates
        self.conditions = conditions
    }

    public var isEmpty: Bool { estimates.isEmpty && conditions.isEmpty }
}
