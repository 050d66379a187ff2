extension EngineSnapshot {
    /// The occupancy part of a stored snapshot: the estimator's state, or why the stored part
    /// cannot be used (another version of it, damaged values). Decoding it never fails, so a
    /// bad occupancy part costs only the occupancy windows: the rules' state, the alarms'
    /// lifecycle and event time are still restored, and the reason is logged by the daemon
    /// (`DetectionEngine.occupancyRestore`).
    public struct Occupancy: Sendable {
        public var state: OccupancyEstimator.Snapshot?
        /// Why the stored part was set aside; nil when `state` holds it.
        public var unreadable: String?

        public init(_ state: OccupancyEstimator.Snapshot) {
            self.state = state
            unreadable = nil
        }

        public init(unreadable reason: String) {
            state = nil
            unreadable = reason
        }
    }
}

extension EngineSnapshot.Occupancy: Codable {
    /// Stored as the estimator's snapshot itself (`null` for a part that was unreadable).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let state { try c.encode(state) } else { try c.encodeNil() }
    }

    public init(from decoder: any Decoder) throws {
        do {
            self.init(try OccupancyEstimator.Snapshot(from: decoder))
        } catch {
            self.init(unreadable: Self.reason(error))
        }
    }

    /// A decoding error in one line: what was wrong, and where.
    static func reason(_ error: any Error) -> String {
        func path(_ p: [any CodingKey]) -> String {
            p.isEmpty ? "occupancy" : p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case let .dataCorrupted(c): return "\(c.debugDescription) (\(path(c.codingPath)))"
        case let .keyNotFound(k, c): return "missing '\(k.stringValue)' (\(path(c.codingPath)))"
        case let .typeMismatch(_, c): return "\(c.debugDescription) (\(path(c.codingPath)))"
        case let .valueNotFound(_, c): return "\(c.debugDescription) (\(path(c.codingPath)))"
        @unknown default: return "\(e)"
        }
    }
}
