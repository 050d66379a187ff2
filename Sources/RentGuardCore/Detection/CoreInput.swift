/// What goes into the detection core. Everything the core knows arrives as one of these;
/// the same sequence of inputs always gives the same outputs.
public enum CoreInput: Sendable, Equatable {
    /// A decoded, validated message from a registered device.
    case reading(Reading)
    /// The clock. In real time the daemon ticks with its wall clock; replaying on event time it
    /// ticks with the newest device timestamp. Time never goes backwards inside the core.
    case tick(Int64)
    /// An operator acknowledged an alarm (from rentguardctl or the local API).
    case acknowledge(alarmID: String, by: String, note: String?, at: Int64)
    /// A message came from a device id that is not in the registry.
    case unregisteredDevice(id: String, topic: String, at: Int64)
    /// A device confirmed a command (protocol v1 §1.2 `relay_off` / `relay_on`), or did not.
    case commandResult(alarmID: String, device: String, port: Int?, acknowledged: Bool, at: Int64)
    /// The gateway itself is damaged (e.g. its database was corrupt and was replaced by an
    /// empty one): a `gateway_fault` alarm, major, on the gateway. `fault` names the fault
    /// (`database_corrupt`); `evidence` (an object) says what happened. Stamped `at`, which
    /// does not move event time: on event time the daemon's clock is not the trace's.
    case gatewayFault(fault: String, evidence: JSONValue, at: Int64)
    /// The building broker dropped `dropped` messages (its `$SYS` counter rose, read by
    /// `BrokerDropWatch`) since `since`: a major `gateway_fault` with no device (the broker is
    /// the building's), fault `broker_dropped_messages`, which clears after
    /// `BrokerDropWatch.quietClearMs` without another such input. Like `gatewayFault`, it
    /// does not move event time.
    case brokerDrops(dropped: Int64, since: Int64, at: Int64)
}

/// What comes out of the detection core.
public enum CoreOutput: Sendable, Equatable {
    /// An alarm changed state: persist it and send one §3.1 message per destination.
    case alarm(AlarmTransition)
    /// A command to send to a device (protocol v1 §2).
    case command(DeviceCommand)
    /// A unit's occupancy estimate for a closed period: one §3.2 message.
    case occupancy(OccupancyEstimate)
    /// An input the core refused (too late for the event-time window).
    case rejected(Rejection)
}
