/// One unit's occupancy estimate for one closed period (protocol v1.1 §3.2).
///
/// `estimated`, `low` and `high` are what the registry files as `estimated_occupants`,
/// `low` and `high`: the gateway's best estimate of the people living in the unit, the
/// posterior head count (its median) over the last `rolling_window_days` (default 14) and
/// its bounds (`interval_z`: the 10th and 90th percentiles by default), the same figures the
/// group-rental assessment reads. Before the window has `min_rolling_days` usable days the
/// estimate is the registration prior's (`basis` `registration`). The figures of the period
/// alone (one day's use against the building's scale) are `dayEstimated`, `dayLow` and
/// `dayHigh`: evidence, not the estimate (on held-out DAIAD households their error is about
/// twice the posterior's, docs/occupancy.md §7).
public struct OccupancyEstimate: Sendable, Equatable {
    /// Where `estimated`, `low` and `high` come from.
    public enum Basis: String, Sendable, Equatable {
        /// The posterior over the rolling window (the registration as prior, the unit's use as evidence).
        case posterior
        /// The registration prior alone: the window has too few occupied days to say more.
        case registration
    }

    public var unit: String
    /// Local period [start, end) in Unix ms.
    public var periodStart: Int64
    public var periodEnd: Int64
    /// The best estimate and its bounds (see above): `estimated_occupants`, `low`, `high`.
    public var estimated: Double
    public var low: Double
    public var high: Double
    public var basis: Basis
    /// People present in the period alone, from its use (0 on a vacant day), and bounds.
    public var dayEstimated: Double
    public var dayLow: Double
    public var dayHigh: Double
    /// The rolling figures the group-rental assessment read; nil until `min_rolling_days`
    /// usable days exist (then `estimated` is the registration prior's).
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
        basis: Basis, dayEstimated: Double, dayLow: Double, dayHigh: Double,
        rolling: Double?, rollingLow: Double?, rollingHigh: Double?, registeredOccupants: Int, areaM2: Double,
        groupRentalSuspected: Bool, reasons: [String], publicVenueManaged: Bool, evidence: JSONValue
    ) {
        self.unit = unit
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.estimated = estimated
        self.low = low
        self.high = high
        self.basis = basis
        self.dayEstimated = dayEstimated
        self.dayLow = dayLow
        self.dayHigh = dayHigh
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
    /// protocol's fields in its order (`estimated_occupants`, `low`, `high`: the best
    /// estimate and its bounds), then extras: `estimate_basis`, the period's own figures
    /// (`day_estimated_occupants`, `day_low`, `day_high`), `public_venue_managed`, `evidence`.
    public func registryBody(building: String, gateway: String, messageID: String) -> JSONValue {
        func num(_ v: Double) -> JSONValue { .number(OccMath.round(v)) }
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
            ("estimate_basis", .string(basis.rawValue)),
            ("day_estimated_occupants", num(dayEstimated)),
            ("day_low", num(dayLow)),
            ("day_high", num(dayHigh)),
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
