/// Parked outbox rows of one incident made due: toward a landlord, a member alarm that
/// clears while its incident goes on is parked (`next_attempt_at = parked`) and told with
/// the incident's end, in one message (issue 25).
public struct OutboxRelease: Sendable, Equatable {
    /// A `next_attempt_at` that never comes by itself (the year 128,000).
    public static let parked: Int64 = 4_000_000_000_000_000

    public var destination: String
    public var incidentID: String
    /// When they become due.
    public var at: Int64

    public init(destination: String, incidentID: String, at: Int64) {
        self.destination = destination
        self.incidentID = incidentID
        self.at = at
    }
}
